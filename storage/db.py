"""Engine, units of work, health check and migrations."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from storage.repos import Repos
from storage.sqlite_lean import lean_dbapi

# PostgreSQL's codes for a statement stopped by statement_timeout and a lock not had in
# lock_timeout.
_PG_TIMEOUTS = frozenset({"57014", "55P03"})


def is_timeout(error: BaseException) -> bool:
    """A wait for the database that ran out: the turn's deadline, the pool, a statement
    or lock timeout (PostgreSQL), the busy timeout (SQLite)."""
    if isinstance(error, TimeoutError | exc.TimeoutError):
        return True
    if isinstance(error, exc.OperationalError) and "database is locked" in str(error.orig):
        return True
    return isinstance(error, exc.DBAPIError) and getattr(error.orig, "pgcode", None) in _PG_TIMEOUTS


# pg_advisory_xact_lock key for migrations: replicas starting together migrate once.
MIGRATION_LOCK = 0x6D656E746F72  # "mentor"


class Database:
    """Owns the engine. `unit()` is one transaction, committed when the block ends.

    `wait_seconds` bounds every wait for the database (to 80 % of it): a pooled
    connection, a statement or a lock on PostgreSQL, the busy timeout on SQLite (turns
    use it as their deadline).
    SQL parameters never reach a log or an error message (they are people's words)."""

    def __init__(self, url: str, *, wait_seconds: float = 30.0, **engine_kwargs: Any) -> None:
        self.url = url
        self.wait_seconds = wait_seconds
        self.engine: AsyncEngine = _make_engine(url, wait_seconds, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def unit(self, origin: str | None = None) -> AsyncIterator[Repos]:
        """One transaction. `origin` names what it runs for ("turn:<activity id>",
        "job:<name>:<scope>:<period>"): outbox rows queued in it carry it."""
        async with self._sessions() as session, session.begin():
            yield Repos(session, origin)

    async def ping(self, timeout: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def migrate(self) -> tuple[str | None, str | None]:
        """Bring the schema to the newest Alembic revision; (before, after).

        A schema already at the newest revision (every restart) is seen with one query,
        without loading Alembic (Alembic and its script directory cost every restart
        about 0.2 s). Otherwise, on PostgreSQL the whole
        upgrade runs under a transaction-level advisory lock: replicas starting together
        on an empty database take turns, the first migrates, the others find the schema
        at head and change nothing. Neither the lock wait nor the upgrade is held to the
        statement or lock timeout (a migration of a big table may take long, once)."""
        head = head_revision()
        if await self.revision() == head:
            return head, head
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SET LOCAL statement_timeout = 0"))
                await conn.execute(text("SET LOCAL lock_timeout = 0"))
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            before = await conn.run_sync(_current_revision)
            if before != head_revision():  # at head, Alembic would only reload every script
                await conn.run_sync(_upgrade)
            after = await conn.run_sync(_current_revision)
        return before, after

    async def revision(self) -> str | None:
        """The schema's Alembic revision, read with one query (Alembic not loaded); None
        for a database never migrated (or, which migrate() leaves to Alembic, one whose
        version table does not hold exactly one revision)."""
        async with self.engine.connect() as conn:
            try:
                result = await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            except exc.DBAPIError:  # no version table: an empty database
                return None
            versions = result.scalars().all()
        return str(versions[0]) if len(versions) == 1 else None

    async def schema_at_head(self, timeout: float = 2.0) -> bool:
        """The database answers and its schema is the newest revision (readiness)."""
        try:
            async with asyncio.timeout(timeout):
                return await self.revision() == head_revision()
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


# The database's own waits end a little before the turn's deadline, so a stall ends with
# the database's clean error and rollback rather than a cancellation in mid-query (which
# leaves a PostgreSQL connection to be thrown away).
DATABASE_SHARE = 0.8


def _make_engine(url: str, wait_seconds: float, **kwargs: Any) -> AsyncEngine:
    wait_seconds *= DATABASE_SHARE
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("pool_timeout", wait_seconds)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": wait_seconds})
        # SQLite has one writer at a time; one pooled connection makes turns queue in
        # the event loop (FIFO) instead of spinning in SQLite's busy handler.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        # Every unit ends in an explicit commit or rollback, so the pool's extra
        # rollback on check-in is only a wasted round trip to aiosqlite's thread.
        kwargs.setdefault("pool_reset_on_return", None)
        if url.startswith("sqlite+aiosqlite"):
            # One hop to aiosqlite's thread per statement, not four (storage/sqlite_lean).
            kwargs.setdefault("module", lean_dbapi())
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("pool_pre_ping", True)
    milliseconds = str(max(1, int(wait_seconds * 1000)))
    kwargs.setdefault(
        "connect_args",
        {"server_settings": {"statement_timeout": milliseconds, "lock_timeout": milliseconds}},
    )
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The one connection's page cache: 32 MB instead of SQLite's 2 MB, so a report over a
    # year of a big program reads its indexes from memory (it is filled only as read).
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


def _config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    return config


def _upgrade(sync_conn: Any) -> None:
    from alembic import command

    config = _config()
    config.attributes["connection"] = sync_conn
    command.upgrade(config, "head")


def _current_revision(sync_conn: Any) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(sync_conn).get_current_revision()


# Alembic's version table (storage/migrations/env.py keeps its default name).
VERSION_TABLE = "alembic_version"
# A migration file's own `revision = "0019"` and `down_revision = "0018"` lines.
_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:["']([^"']+)["']|None)\s*$""",
    re.MULTILINE,
)


@cache
def head_revision() -> str | None:
    """The newest revision of storage/migrations/versions.

    Read from the files' `revision` and `down_revision` lines, which is all a linear
    chain needs and loads no part of Alembic; tests/test_migrations.py holds it to
    Alembic's own answer. Files that do not make one chain are left to Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in (resources.files("storage") / "migrations" / "versions").iterdir():
        if not entry.name.endswith(".py"):
            continue
        source = entry.read_text("utf-8")
        found: dict[str, str | None] = {m[1]: m[2] for m in _REVISION_LINE.finditer(source)}
        revision, parent = found.get("revision"), found.get("down_revision")
        if revision is None:
            return alembic_head()
        revisions.add(revision)
        if parent is not None:
            parents.add(parent)
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return alembic_head()
    return heads.pop()


def alembic_head() -> str | None:
    """Alembic's head revision (it imports every migration file)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
