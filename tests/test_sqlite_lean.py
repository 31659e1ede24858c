"""storage/sqlite_lean.py: one thread hop per statement, with what callers rely on intact:
row counts (once-per-activity claims), errors of the right class (conflict retries),
executemany (bulk outbox inserts), rollback, and streamed results."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import Database
from storage.sqlite_lean import LeanConnection


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lean.db'}")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)"))
    yield database
    await database.dispose()


async def test_the_engine_uses_the_lean_connection(db: Database) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, LeanConnection)


async def test_rowcount_tells_an_insert_from_a_conflict(db: Database) -> None:
    insert = text("INSERT INTO t (k, n) VALUES (:k, 1) ON CONFLICT DO NOTHING")
    async with db.engine.begin() as conn:
        assert (await conn.execute(insert, {"k": "a"})).rowcount == 1
        assert (await conn.execute(insert, {"k": "a"})).rowcount == 0


async def test_a_duplicate_key_is_an_integrity_error_and_rolls_back(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES ('x', 1)"))
            await conn.execute(text("INSERT INTO t VALUES ('x', 2)"))
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_bad_sql_is_an_operational_error(db: Database) -> None:
    async with db.engine.connect() as conn:
        with pytest.raises(OperationalError):
            await conn.execute(text("SELECT nope FROM t"))


async def test_executemany_and_reads_in_order(db: Database) -> None:
    rows = [{"k": f"k{i:03d}", "n": i} for i in range(250)]
    async with db.engine.begin() as conn:
        result = await conn.execute(text("INSERT INTO t (k, n) VALUES (:k, :n)"), rows)
        assert result.rowcount == 250
    async with db.engine.connect() as conn:
        got = (await conn.execute(text("SELECT k, n FROM t ORDER BY n"))).all()
        assert [tuple(r) for r in got] == [(r["k"], r["n"]) for r in rows]
        streamed = await conn.stream(text("SELECT n FROM t ORDER BY n"))
        assert [n async for (n,) in streamed] == list(range(250))
