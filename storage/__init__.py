"""Storage: SQLAlchemy 2 async models, repositories and Alembic migrations."""

from storage.db import Database
from storage.repos import Repos

__all__ = ["Database", "Repos"]
