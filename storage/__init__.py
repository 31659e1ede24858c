"""Storage: SQLAlchemy 2 async models, repositories and Alembic migrations."""

from storage.db import Database, is_timeout
from storage.repos import Repos
from storage.sqlite_lean import on_loop

__all__ = ["Database", "Repos", "is_timeout", "on_loop"]
