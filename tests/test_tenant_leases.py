"""Tenant leases: one delivery worker at a time drains a tenant, and handovers never let
two workers' rate windows overlap (bot/tenant_leases.py, storage/repos/leases.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.tenant_leases import TenantLeases
from settings import DeliverySettings
from storage import Database
from storage.models import Team

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONFIG = DeliverySettings(tenant_lease_seconds=8.0, conversation_limits=((7, 1.0), (8, 2.0)))


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def db(database_url: str):
    database = Database(database_url)
    await database.migrate()
    async with database.unit() as repos:
        for tenant in ("t1", "t2", "t3"):
            team = await repos.teams.add(
                Team(
                    tenant_id=tenant,
                    team_id=f"19:{tenant}",
                    service_url="http://127.0.0.1:1/",
                    general_ref="{}",
                    active=True,
                    installed_at=START,
                )
            )
            await repos.outbox.enqueue(
                f"m:{tenant}", {"to": "team", "text": "x"}, START, team_id=team.id
            )
    yield database
    await database.dispose()


async def acquire(db: Database, leases: TenantLeases, at: datetime) -> set[str]:
    leases.monotonic.now += 1.0  # type: ignore[attr-defined]  # a second since the last look
    assert leases.should_look(have_tenants=bool(leases.held))
    async with db.unit() as repos:
        await leases.acquire(repos, at)
    return set(leases.held)


async def test_a_tenant_has_one_holder_until_its_lease_runs_out(db):
    ticks = Ticks()
    a = TenantLeases("worker-a", CONFIG, ticks)
    b = TenantLeases("worker-b", CONFIG, ticks)
    assert await acquire(db, a, START) == {"t1", "t2", "t3"}
    assert await acquire(db, b, START + timedelta(seconds=1)) == set()
    # a dies (no renewal): its leases end 8 s after they were taken.
    assert await acquire(db, b, START + timedelta(seconds=7.9)) == set()
    assert await acquire(db, b, START + timedelta(seconds=8.1)) == {"t1", "t2", "t3"}
    async with db.unit() as repos:
        holders = {lease.tenant_id: lease.worker for lease in await repos.leases.all()}
    assert holders == {"t1": "worker-b", "t2": "worker-b", "t3": "worker-b"}


async def test_a_worker_takes_no_more_than_its_share(db):
    ticks = Ticks()
    share = DeliverySettings(**{**CONFIG.__dict__, "tenants_per_worker": 2})
    a, b = TenantLeases("a", share, ticks), TenantLeases("b", share, ticks)
    assert len(await acquire(db, a, START)) == 2
    assert not a.should_look(have_tenants=True)  # its share is full
    assert len(await acquire(db, b, START)) == 1  # the third tenant goes to the other


async def test_a_busy_worker_looks_for_new_tenants_once_a_second(db):
    ticks = Ticks()
    a = TenantLeases("a", CONFIG, ticks)
    assert a.should_look(have_tenants=False)
    await acquire(db, a, START)
    assert not a.should_look(have_tenants=True)
    assert a.should_look(have_tenants=False)  # nothing usable: look at once
    ticks.now += 1.0
    assert a.should_look(have_tenants=True)


async def test_it_sends_only_while_its_lease_outlasts_the_longest_window(db):
    ticks = Ticks()
    a = TenantLeases("a", CONFIG, ticks)
    await acquire(db, a, START)
    # Lease until START + 8 s; the longest window is 2 s (+1 s for arrival).
    assert a.may_send("t1", START + timedelta(seconds=4.9))
    assert not a.may_send("t1", START + timedelta(seconds=5.1))
    assert "t1" not in a.usable(START + timedelta(seconds=5.1))
    assert not a.may_send("t9", START)  # never held


async def test_renewal_keeps_busy_tenants_and_gives_back_idle_ones(db):
    ticks = Ticks()
    a = TenantLeases("a", CONFIG, ticks)
    await acquire(db, a, START)
    a.began("t1")  # a row of t1 is in flight
    a.began("t2")
    a.ended("t2")  # t2's last send just finished
    ticks.now += 2.5  # more than a window since anything happened to t3 or t2
    async with db.unit() as repos:
        await a.renew(repos, START + timedelta(seconds=2.5))
    assert set(a.held) == {"t1"}  # t1 still has a row in flight
    assert a.held["t1"] == START + timedelta(seconds=10.5)  # renewed for a whole lease
    b = TenantLeases("b", CONFIG, ticks)
    assert await acquire(db, b, START + timedelta(seconds=2.6)) == {"t2", "t3"}


async def test_a_graceful_stop_ends_each_lease_one_window_after_the_last_send(db):
    ticks = Ticks()
    a = TenantLeases("a", CONFIG, ticks)
    await acquire(db, a, START)
    a.began("t1")
    a.ended("t1")
    ticks.now += 1.0  # t1 sent 1 s ago; t2 and t3 never
    async with db.unit() as repos:
        await a.hand_back(repos, START + timedelta(seconds=1))
        ends = {lease.tenant_id: lease.lease_until for lease in await repos.leases.all()}
    assert ends["t1"] == START + timedelta(seconds=3)  # 1 s + (2 s window + 1 s) - 1 s
    assert ends["t2"] == ends["t3"] == START + timedelta(seconds=1)
    b = TenantLeases("b", CONFIG, ticks)
    assert await acquire(db, b, START + timedelta(seconds=1.5)) == {"t2", "t3"}
    assert await acquire(db, b, START + timedelta(seconds=3.1)) == {"t1", "t2", "t3"}
