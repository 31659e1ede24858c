"""kill -9 in the middle of a fan-out to 500 members, restart: each gets one message."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout

from storage import Database
from tests.conftest import _truncate
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.test_serve import _wait_healthy, free_port

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 500
CONCURRENCY = 16
ANA = TeamsUser("ana", "Ana Lee")
TEAM = TeamsTeam("fanout", "Fan-out")


class App:
    """`python app.py` on PostgreSQL, as a process we can kill."""

    def __init__(self, database_url: str, port: int) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "MicrosoftAppId": "",
            "LOG_LEVEL": "WARNING",
            "DELIVERY_TENANT_RPS": "150",
            "DELIVERY_CONCURRENCY": str(CONCURRENCY),
            "DELIVERY_LEASE_SECONDS": "1",
            "DELIVERY_POLL_SECONDS": "0.2",
            "DELIVERY_BACKOFF_SECONDS": "0.05",
            # The restarted process takes the tenant over when the killed one's tenant
            # lease ends; a lease must outlast twice the longest window, so this test
            # leaves out the 30 s window (each member gets one message anyway).
            "DELIVERY_CONVERSATION_LIMITS": "7/1,8/2",
            "DELIVERY_TENANT_LEASE_SECONDS": "6",
        }
        self.port = port
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, http: ClientSession) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "app.py"),
            env=self.env,
            cwd=ROOT,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await _wait_healthy(http, self.port)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 15)


@pytest.fixture
async def pg_url(postgres_database: str) -> str:
    await _truncate(postgres_database)
    return postgres_database


def one_on_one(connector) -> Counter[str]:
    return Counter(
        c.conversation_id
        for c in connector.messages()
        if c.conversation_id and c.conversation_id.startswith("a:1on1-")
    )


async def wait_for(predicate, timeout: float, what: str) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_kill_9_mid_fan_out_then_restart_sends_each_message_once(pg_url, connector):
    members = [TeamsUser(f"fan{i:03d}", f"Fan {i}") for i in range(MEMBERS)]
    connector.set_roster(TEAM.id, [ANA.member()], TEAM.name)
    port = free_port()
    app = App(pg_url, port)
    url = f"http://127.0.0.1:{port}/api/messages"
    async with ClientSession(timeout=ClientTimeout(total=120)) as http:
        await app.start(http)
        try:
            install = teams.bot_installed_in_team(connector.url, ANA, TEAM)
            async with http.post(url, json=install) as r:
                assert r.status == 200
            connector.set_roster(TEAM.id, [p.member() for p in (ANA, *members)], TEAM.name)
            added = teams.members_added(connector.url, TEAM, *members, by=ANA)
            async with http.post(url, json=added) as r:
                assert r.status == 200  # 500 greetings are queued, committed

            await wait_for(
                lambda: sum(one_on_one(connector).values()) >= 150, 60, "the fan-out to get going"
            )
            await app.kill()
            at_kill = sum(one_on_one(connector).values())
            assert at_kill < MEMBERS, "the fan-out finished before the kill"

            await app.start(http)
            await wait_for(
                lambda: len(one_on_one(connector)) >= MEMBERS, 90, "every member's greeting"
            )
            # What was in flight at the kill is resolved once its lease runs out.
            await wait_until_all_sent(pg_url, timeout=30)
            await connector.quiet()
        finally:
            await app.stop()

    delivered = one_on_one(connector)
    delivered.pop(f"a:1on1-{ANA.id}", None)  # the roster's "all members are in" note
    assert set(delivered) == {f"a:1on1-{m.id}" for m in members}
    assert max(delivered.values()) == 1
    # Repeats happened only for what was in flight at the kill (same id, dropped).
    repeats = [c for c in connector.attempts() if c.duplicate]
    print(f"killed after {at_kill} of {MEMBERS} delivered; {len(repeats)} repeat(s) dropped")
    # Only rows claimed and not yet recorded at the kill (in flight, or sent and waiting
    # for the flush: <= 2 x concurrency together) can go out again; every other row
    # went out once.
    assert len(repeats) <= 2 * CONCURRENCY


async def wait_until_all_sent(url: str, timeout: float) -> None:
    db = Database(url)
    try:
        for _ in range(int(timeout / 0.1)):
            async with db.unit() as repos:
                # The greetings (the roster read after the install may add a note to Ana).
                statuses = Counter(
                    row.status
                    for row in await repos.outbox.all()
                    if row.idempotency_key.startswith("welcome:")
                )
            if statuses == {"sent": MEMBERS}:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"outbox did not finish: {statuses}")
    finally:
        await db.dispose()
