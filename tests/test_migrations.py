"""Alembic owns the schema: the migrations must produce exactly what the models say."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import Database
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
