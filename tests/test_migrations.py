"""Alembic owns the schema: the migrations must produce exactly what the models say.

The rest of the suite starts from a copy of a database migrated once per worker
(tests/conftest.py); these tests run the real migrations from an empty database, and
every downgrade and the upgrades after it, on both databases."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage import Database
from storage.db import _config, alembic_head, head_revision
from storage.models import Base


async def _schema_diff(db: Database) -> list[Any]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )


async def _alembic(db: Database, step: str, target: str) -> str | None:
    """Runs `alembic upgrade|downgrade target` on the database; its revision after."""

    def run(sync: Any) -> str | None:
        config = _config()
        config.attributes["connection"] = sync
        getattr(command, step)(config, target)
        return MigrationContext.configure(sync).get_current_revision()

    async with db.engine.begin() as conn:
        return await conn.run_sync(run)


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_migrating_an_empty_database_gives_the_models_schema(empty_database_url):
    db = Database(empty_database_url)
    try:
        assert await db.migrate() == (None, head_revision())
        assert await _schema_diff(db) == []
        assert await db.migrate() == (head_revision(), head_revision())  # twice: harmless
        assert await db.ping()
    finally:
        await db.dispose()


async def test_every_migration_goes_down_and_up_again(empty_database_url):
    """From head down to empty (every downgrade, newest first), then up again (every
    upgrade on a database its downgrade emptied): the schema at the end is the models'."""
    db = Database(empty_database_url)
    try:
        await db.migrate()
        assert await _alembic(db, "downgrade", "base") is None
        assert await _tables(db) <= {"alembic_version"}
        assert await _alembic(db, "upgrade", "head") == head_revision()
        assert await _schema_diff(db) == []
    finally:
        await db.dispose()


async def test_the_suites_databases_are_at_head_and_match_the_models(database_url):
    db = Database(database_url)
    try:
        assert await db.migrate() == (head_revision(), head_revision())
        assert await _schema_diff(db) == []
    finally:
        await db.dispose()


def test_the_head_read_from_the_migration_files_is_alembics():
    assert head_revision() == alembic_head() is not None


async def test_migrate_says_where_the_schema_was_and_is(database_url, tmp_path):
    """An empty database is migrated by Alembic; one at head is seen with one query."""
    empty = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert await empty.revision() is None and not await empty.schema_at_head()
    assert await empty.migrate() == (None, head_revision())
    await empty.dispose()
    db = Database(database_url)
    await db.migrate()
    assert await db.migrate() == (head_revision(), head_revision())
    assert await db.revision() == head_revision() and await db.schema_at_head()
    await db.dispose()
