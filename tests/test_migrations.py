"""Alembic owns the schema: the migrations must produce exactly what the models say."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import Database
from storage.db import alembic_head, head_revision
from storage.models import Base


async def test_migrated_schema_matches_the_models(database_url):
    db = Database(database_url)
    await db.migrate()
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    await db.dispose()
    assert diff == []


async def test_migrating_twice_is_harmless(database_url):
    db = Database(database_url)
    await db.migrate()
    await db.migrate()
    assert await db.ping()
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
