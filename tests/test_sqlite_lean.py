"""storage/sqlite_lean.py: one thread hop per statement, with what callers rely on intact:
row counts (once-per-activity claims), errors of the right class (conflict retries),
executemany (bulk outbox inserts), rollback, and streamed results. Within on_loop() (a
turn) statements run on the loop's thread, and a locked database is still waited for,
in aiosqlite's thread, never on the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import Database, on_loop
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


async def _thread_of_statements(conn) -> int:
    """A SQL function answering which thread SQLite runs it on."""
    raw = await conn.get_raw_connection()
    sqlite_conn = raw.dbapi_connection._connection._connection
    sqlite_conn.create_function("thread_id", 0, threading.get_ident)
    return int((await conn.execute(text("SELECT thread_id()"))).scalar())


async def test_within_on_loop_statements_and_commit_run_on_the_loops_thread(
    db: Database,
) -> None:
    loop_thread = threading.get_ident()
    async with db.engine.connect() as conn:
        assert await _thread_of_statements(conn) != loop_thread  # aiosqlite's thread
        with on_loop():
            assert await _thread_of_statements(conn) == loop_thread
            await conn.execute(text("INSERT INTO t VALUES ('here', 1)"))
            await conn.commit()
    async with db.engine.connect() as conn:  # committed, seen by the next unit
        assert (await conn.execute(text("SELECT n FROM t WHERE k = 'here'"))).scalar() == 1


async def test_within_on_loop_errors_and_rollback_are_as_in_the_thread(db: Database) -> None:
    with on_loop():
        with pytest.raises(IntegrityError):
            async with db.engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES ('x', 1)"))
                await conn.execute(text("INSERT INTO t VALUES ('x', 2)"))
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
            with pytest.raises(OperationalError):
                await conn.execute(text("SELECT nope FROM t"))


async def test_a_locked_database_is_waited_for_off_the_loop(tmp_path: Path) -> None:
    """Another process holds the write lock for a while: the statement waits for it (it
    succeeds, so it did not give up at once), and the loop keeps running meanwhile (a
    task ticks; on a loop held up by SQLite's busy wait it could not tick at all)."""
    path = tmp_path / "locked.db"
    database = Database(f"sqlite+aiosqlite:///{path}", wait_seconds=10)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(0.5, other.execute, ("ROLLBACK",)).start()
        ticks, done = 0, asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.002)

        ticking = asyncio.create_task(tick())
        await asyncio.sleep(0)  # the ticker has started
        ticks = 0
        with on_loop():
            async with database.engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES ('late', 1)"))
        done.set()
        await ticking
        other.close()
        assert ticks >= 20, ticks  # ~250 in half a second; none while the loop is held
        async with database.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    finally:
        await database.dispose()
