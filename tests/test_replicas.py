"""Several app processes on one PostgreSQL: start together, share Teams' budget, crash.

Each test runs real `python -m app serve` processes (bench/common.py starts them) on a
database of its own next to the suite's, and a fake Bot Connector that enforces Teams'
per-tenant cap and per-conversation windows at arrival, answering 429 over them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

import aiohttp
import pytest

from bench import replicas
from bench.common import Procs, bench_env, free_port, make_tmpdir, wait_until
from bench.fanout import _pg_admin, _with_database, get_ok
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
async def pg_admin_url(postgres_database: str) -> str:
    """The suite's PostgreSQL (skips, or fails under CI, when it is not there)."""
    return PG_ADMIN_URL


@pytest.fixture
async def empty_database(pg_admin_url: str):
    name = f"mentorbot_empty_{os.getpid()}"
    await _pg_admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(pg_admin_url, f'CREATE DATABASE "{name}"')
    yield _with_database(pg_admin_url, name)
    await _pg_admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("count", [2, 3])
async def test_replicas_started_together_on_an_empty_database_migrate_once(empty_database, count):
    procs = Procs(make_tmpdir())
    env = bench_env(DATABASE_URL=empty_database, LOG_LEVEL="INFO")
    try:
        ports = [free_port() for _ in range(count)]
        # All at the same instant: nobody waits for anybody's start-up.
        bots = await asyncio.gather(
            *(
                procs.spawn(f"bot{i}", ["-m", "app", "serve", "--port", str(p)], p, env)
                for i, p in enumerate(ports)
            )
        )
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            for bot in bots:
                await wait_until(bot, lambda b=bot: get_ok(http, b.url + "/readyz"), 60)
        logs = [bot.log_path.read_text() for bot in bots]
    finally:
        await procs.stop_all()
    migrated = [log for log in logs if "migrated database schema from empty to" in log]
    waited = [log for log in logs if "database schema already at" in log]
    assert len(migrated) == 1 and len(waited) == count - 1
    assert not any("Traceback" in log or "ERROR" in log for log in logs)


def drain(**overrides: object) -> argparse.Namespace:
    args = replicas.parse_args(["--database-url", PG_ADMIN_URL])
    return argparse.Namespace(**{**vars(args), **overrides})


async def test_three_replicas_drain_one_tenant_at_its_cap_without_a_429(pg_admin_url):
    """3,000 messages for one tenant with a 50/s cap (and 40 posts in one channel, held to
    Teams' 7/1 s, 8/2 s, 60/30 s), three replicas: no 429, nothing lost or twice."""
    result = await replicas.run(drain(replicas=3, recipients=3000, channel_posts=40))
    print(result)
    assert result["throttled_429"] == 0 and result["conversation_throttled_429"] == 0
    assert result["lost"] == 0 and result["duplicates"] == 0
    assert result["outbox"] == {"sent": 3040}
    assert result["max_accepted_in_window"] <= 50
    assert result["rate_ratio"] >= 0.9  # within 10 % of the cap


async def test_kill_9_of_the_replica_draining_a_tenant_loses_nothing(pg_admin_url):
    """The holder of the tenant is killed mid-drain; another replica takes over when its
    lease ends (short here: the 30 s window is left out so the lease may be 6 s)."""
    result = await replicas.run(
        drain(
            replicas=3,
            recipients=600,
            channel_posts=0,
            kill_after=150,
            conversation_limits="7/1,8/2",
            lease_seconds=1.0,
            tenant_lease_seconds=6.0,
        )
    )
    print(result)
    assert result["killed"] is not None and result["killed"]["replica"] is not None
    assert result["lost"] == 0 and result["duplicates"] == 0
    assert result["outbox"] == {"sent": 600}
    assert result["throttled_429"] == 0
    # What the killed replica had claimed and not recorded can go out again, with the
    # same activity id: the connector drops such repeats (at most 2 x concurrency).
    assert result["repeats_dropped"] <= 2 * 48


async def test_sigterm_hands_back_claims_and_another_replica_goes_on(pg_admin_url):
    """A graceful stop mid-drain: the replica records what it sent and gives back the
    rest (rows and its tenant) at once, instead of after its leases."""
    result = await replicas.run(
        drain(
            replicas=2,
            recipients=400,
            channel_posts=0,
            stop_after=100,
            conversation_limits="7/1,8/2",
            lease_seconds=60.0,  # a takeover after a lease would not finish in time
            tenant_lease_seconds=75.0,
        )
    )
    print(result)
    assert result["stopped"] is not None and result["stopped"]["exit_code"] == 0
    # Handed back: the other replica went on within seconds, not after a 60 s lease.
    assert result["stopped"]["resumed_after_s"] < 10
    assert result["lost"] == 0 and result["duplicates"] == 0 and result["repeats_dropped"] == 0
    assert result["outbox"] == {"sent": 400}
    assert result["throttled_429"] == 0


async def test_sigterm_lets_a_turn_under_way_finish_before_the_process_exits(tmp_path, connector):
    """Teams is slow to take the reply; the replica is told to stop meanwhile: the turn
    still answers, its reply goes out, and the process exits cleanly."""
    from tests.fakes import teams
    from tests.fakes.teams import TeamsUser

    ana = TeamsUser("ana", "Ana Lee")
    procs = Procs(make_tmpdir())
    port = free_port()
    env = bench_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'stop.db'}")
    try:
        bot = await procs.spawn("bot", ["-m", "app", "serve", "--port", str(port)], port, env)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            await wait_until(bot, lambda: get_ok(http, bot.url + "/readyz"), 60)
            connector.latency = 2.0  # every call to the fake takes 2 s
            turn = asyncio.create_task(
                http.post(
                    bot.url + "/api/messages",
                    json=teams.personal_message(connector.url, ana, "help"),
                )
            )
            await asyncio.sleep(0.7)  # the turn is waiting for Teams to take its reply
            bot.process.send_signal(signal.SIGTERM)
            response = await turn
            assert response.status == 200
            assert await asyncio.wait_for(bot.process.wait(), 30) == 0
    finally:
        connector.latency = 0.0
        await procs.stop_all()
    assert "profile" in connector.texts(ana.personal_conversation)[0]
    assert "Traceback" not in bot.log_path.read_text()
