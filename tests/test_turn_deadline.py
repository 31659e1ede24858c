"""Finding 3: every turn has a deadline that covers its waits for the database.

While the database is stalled (another process holds a lock; the pool is exhausted) a
turn gives up at its deadline, rolls back and tells the person so, once; afterwards the
same activity is handled normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from bot.handler import TOO_SLOW
from storage.models import User
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.inbox import count

ANA = TeamsUser("ana", "Ana Lee")
DEADLINE = 0.5


@contextlib.asynccontextmanager
async def locked(database_url: str) -> AsyncIterator[None]:
    """Another process writing: holds the lock that a new user's row needs."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # In a thread: the app may be mid-write, and must be able to finish it.
        await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    other = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    transaction = other.transaction()
    await transaction.start()
    await other.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        await transaction.rollback()
        await other.close()


@pytest.fixture
async def hurried(settings, connector, clock):
    async with start_bot(settings.with_(turn_deadline_seconds=DEADLINE), connector, clock) as bot:
        yield bot


async def test_a_stalled_database_gets_a_truthful_answer_at_the_deadline(hurried, database_url):
    bot = hurried
    activity = teams.personal_message(bot.service_url, ANA, "help")
    async with locked(database_url):
        started = time.perf_counter()
        replies = await bot.send(activity)
        took = time.perf_counter() - started
    assert replies == [TOO_SLOW]
    assert took < DEADLINE + 2.0, took
    assert await count(bot, User) == 0  # rolled back
    # Teams retries the same activity: now it is handled, as if for the first time.
    replies = await bot.send(activity)
    assert replies and replies != [TOO_SLOW]
    assert await count(bot, User) == 1


async def test_the_deadline_answer_is_in_the_language_of_the_senders_teams(hurried, database_url):
    bot = hurried
    activity = teams.personal_message(bot.service_url, ANA, "hilfe")
    activity["locale"] = "de-DE"
    async with locked(database_url):
        replies = await bot.send(activity)
    assert replies == [
        "Entschuldige, das hat zu lange gedauert (meine Datenbank ist gerade langsam). Ich "
        "habe abgebrochen, es wurde nichts geändert. Versuch es bitte in einer Minute noch "
        "einmal."
    ]
    assert await count(bot, User) == 0


async def test_a_pool_held_by_someone_else_is_a_deadline_too(hurried, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite has one pooled connection; PostgreSQL's pool is not exhausted here")
    bot = hurried
    release = asyncio.Event()

    async def hold() -> None:
        async with bot.db.unit() as repos:
            await repos.session.execute(text("SELECT 1"))  # takes the one connection
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.05)
    try:
        replies = await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    finally:
        release.set()
        await holder
    assert replies == [TOO_SLOW]
    assert await count(bot, User) == 0
