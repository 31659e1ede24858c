"""Fixtures: the network guard, both databases, the fake connector, and the bot over HTTP."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, ClientTimeout
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from app import create_app
from bot.delivery import DeliveryWorker
from scheduler import Job
from settings import DeliverySettings, Settings
from storage import Database
from storage.models import OutboxMessage, RosterImport
from tests.fakes.connector import FakeConnector

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("MENTORBOT_REQUIRE_POSTGRES") == "1"


# --- no traffic off this machine ---------------------------------------------------
def _loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fails the test on any connection to a non-loopback address, even a swallowed one."""
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(address: Any) -> None:
        if not _loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"test tried to reach {address!r}: not loopback")

    def connect(self: socket.socket, address: Any) -> Any:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts
    assert not attempts, f"non-loopback connections attempted: {attempts}"


# --- databases --------------------------------------------------------------------
def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


async def _empty_pg(name: str) -> None:
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


async def _migrate(url: str) -> None:
    db = Database(url)
    await db.migrate()
    await db.dispose()


async def _recreate_pg(name: str) -> None:
    await _empty_pg(name)
    await _migrate(_pg_url(name))


@pytest.fixture(scope="session")
def postgres_database() -> str:
    name = f"mentorbot_test_{os.getpid()}"
    try:
        # Its own thread and loop: it may be first needed from inside a running test loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _recreate_pg(name)).result()
    except (OSError, ConnectionError) as exc:
        if REQUIRE_PG:
            raise
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    return _pg_url(name)


# Every sequence the last test used back to its start, as TRUNCATE ... RESTART IDENTITY did.
_RESTART_SEQUENCES = """
    SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
    FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL
"""


async def _truncate(url: str) -> None:
    """Empties every table and restarts every sequence: DELETE in the tables that have
    rows, children first. (TRUNCATE of all the tables made new files for each of them
    and took 0.5 to 2 s a test.)"""
    from storage.models import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
    db = Database(url)
    async with db.engine.begin() as conn:
        filled = {row[0] for row in await conn.exec_driver_sql(probe)}
        for table in tables:
            if table in filled:
                await conn.exec_driver_sql(f"DELETE FROM {table}")
        await conn.exec_driver_sql(_RESTART_SEQUENCES)
    await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per worker: each test gets a copy of it, as
    running the migrations from empty took most of a second per test (test_migrations.py
    runs them from empty on both databases, and down and up again)."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    with ThreadPoolExecutor(1) as pool:  # see postgres_database
        pool.submit(asyncio.run, _migrate(f"sqlite+aiosqlite:///{path}")).result()
    # The last connection closed checkpointed the WAL: the schema is all in the file.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database at head with no rows: a copy of the worker's SQLite template, or the
    worker's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "mentorbot.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    await _truncate(url)
    return url


@pytest.fixture(scope="session")
def bare_postgres_database(postgres_database: str) -> str:
    """A second PostgreSQL database per worker, for the tests of the migrations: made
    once, as every DROP DATABASE waits for a checkpoint."""
    name = f"mentorbot_bare_{os.getpid()}"
    with ThreadPoolExecutor(1) as pool:  # see postgres_database
        pool.submit(asyncio.run, _empty_pg(name)).result()
    return _pg_url(name)


async def _drop_schema(url: str) -> None:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        await conn.exec_driver_sql("CREATE SCHEMA public")
    await db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema at all, for the tests of the migrations themselves."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    url = request.getfixturevalue("bare_postgres_database")
    await _drop_schema(url)  # tables, types, sequences and alembic_version
    return url


# Delivery for tests: quick polls and retries; Teams' limits as configured in production.
FAST_DELIVERY = DeliverySettings(
    poll_seconds=0.05, backoff_seconds=0.02, lease_seconds=2.0, timeout_seconds=2.0
)


# --- time ---------------------------------------------------------------------------
class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))


# --- the fake connector and the bot ----------------------------------------------
@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()


class BotUnderTest:
    """The real aiohttp app on a loopback port, driven over HTTP."""

    def __init__(
        self,
        server: TestServer,
        connector: FakeConnector,
        settings: Settings,
        session: ClientSession,
    ) -> None:
        self.server, self.connector, self.settings = server, connector, settings
        self.session = session
        self.db: Database = _db_of(server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def delivery(self) -> DeliveryWorker:
        from app import DELIVERY_KEY

        return self.server.app[DELIVERY_KEY]

    def now(self) -> datetime:
        return self.clock()

    @property
    def service_url(self) -> str:
        return self.connector.url

    async def post(
        self, activity: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else None
        kwargs: dict[str, Any] = {"data": data} if raw is not None else {"json": activity}
        async with self.session.post(f"{self.url}/api/messages", headers=headers, **kwargs) as resp:
            body = await resp.text()
            return resp.status, body

    async def send(self, activity: dict[str, Any]) -> list[str]:
        """POST an activity; returns the texts the bot sent back during the turn.

        After a team install it also waits until the roster, which the bot reads in
        the background, is in (tests go on as if the members were there at once)."""
        before = len(self.connector.calls)
        status, body = await self.post(activity)
        assert status == 200, (status, body)
        texts = [
            c.text or ""
            for c in self.connector.calls[before:]
            if c.is_activity_post and c.delivered
        ]
        if _is_team_install(activity):
            await self.roster_settled()
        return texts

    async def roster_settled(self, timeout: float = 30.0) -> None:
        """Wait until no roster import is pending."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with self.db.unit() as repos:
                stmt = select(RosterImport.status).where(RosterImport.status == "pending")
                pending = list(await repos.session.scalars(stmt))
            if not pending:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the roster import did not finish")
            await asyncio.sleep(0.02)

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until the outbox has nothing pending or sending."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with self.db.unit() as repos:
                # Statuses only: loading every payload on each poll made long tests slow.
                statuses = list(await repos.session.scalars(select(OutboxMessage.status)))
            if all(s in ("sent", "failed") for s in statuses):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"outbox did not settle: {statuses}")
            await asyncio.sleep(0.02)


def _is_team_install(activity: dict[str, Any]) -> bool:
    added = [m.get("id") for m in activity.get("membersAdded") or []]
    team = (activity.get("channelData") or {}).get("team")
    return (
        activity.get("type") == "conversationUpdate"
        and bool(team)
        and any(member == (activity.get("recipient") or {}).get("id") for member in added)
    )


def _db_of(server: TestServer) -> Database:
    from app import DB_KEY

    return server.app[DB_KEY]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, delivery=FAST_DELIVERY)


@pytest.fixture
async def bot(
    settings: Settings, connector: FakeConnector, clock: Clock
) -> AsyncIterator[BotUnderTest]:
    async with start_bot(settings, connector, clock) as running:
        yield running


@pytest.fixture
async def graph() -> AsyncIterator[Any]:
    """A fake Microsoft Graph on loopback (tests/fakes/graph.py); a module needing other
    page sizes defines its own."""
    from tests.fakes.graph import FakeGraph

    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(graph: Any) -> AsyncIterator[Any]:
    """msgraph-sdk pointed at the fake, unthrottled, with a test credential (imported
    here, not at the top: only Graph tests load the SDK)."""
    from bot.graph.client import StaticCredential, build
    from settings import GraphSettings

    made = build(
        GraphSettings(base_url=graph.base_url, requests_per_second=0),
        credential=StaticCredential(),
    )
    yield made
    await made.close()


@pytest.fixture
async def gbot(
    settings: Settings, connector: FakeConnector, clock: Clock, client: Any
) -> AsyncIterator[BotUnderTest]:
    """The bot with Graph connected (no Teams app id: no group chats)."""
    async with start_bot(settings, connector, clock, graph=client) as running:
        yield running


class start_bot:
    def __init__(
        self,
        settings: Settings,
        connector: FakeConnector,
        clock: Clock,
        jobs: tuple[Job, ...] = (),
        graph: Any = None,
    ) -> None:
        self.settings, self.connector, self.clock = settings, connector, clock
        self.jobs, self.graph = jobs, graph

    async def __aenter__(self) -> BotUnderTest:
        app = create_app(self.settings, clock=self.clock, jobs=self.jobs, graph=self.graph)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()
        self.session = ClientSession(timeout=ClientTimeout(total=30))
        running = BotUnderTest(self.server, self.connector, self.settings, self.session)
        running.clock = self.clock
        return running

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()
        await self.server.close()
