"""The scheduler on both databases: once per period, schedule changes, catch-up, errors,
two replicas on one PostgreSQL, and the app starting and stopping it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer

from app import SCHEDULER_KEY, create_app
from dialogs.core import errors
from dialogs.jobs import JOBS
from scheduler import Job, JobContext, Scheduler
from storage import Database
from storage.models import Team
from tests.conftest import start_bot

MON, WED = 0, 2
BERLIN = "Europe/Berlin"
# The clock fixture starts on Saturday 2026-11-21 09:00 UTC; Monday 09:00 Berlin is 08:00 UTC.
MONDAY_0900 = datetime(2026, 11, 23, 8, tzinfo=UTC)


class Recorder:
    """A job that writes an outbox row per run (in the claim's transaction) and counts."""

    def __init__(self, name: str = "digest", fail: bool = False) -> None:
        self.started: list[tuple[int | None, str]] = []
        self.completed: list[tuple[int | None, str]] = []
        self.fail = fail
        self.job = Job(name, self.run)

    async def run(self, ctx: JobContext) -> None:
        self.started.append((ctx.team_id, ctx.period))
        await ctx.repos.outbox.enqueue(
            f"{self.job.name}:{ctx.team_id}:{ctx.period}", {"text": "hi"}, ctx.now
        )
        await asyncio.sleep(0)  # let a concurrent replica run in between
        if self.fail:
            raise RuntimeError("job broke")
        self.completed.append((ctx.team_id, ctx.period))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.dispose()


async def add_team(db: Database, n: int, now: datetime) -> int:
    async with db.unit() as repos:
        team = Team(
            team_id=f"19:team{n}@thread.tacv2",
            service_url="http://127.0.0.1:1/",
            general_ref="{}",
            installed_at=now,
        )
        return (await repos.teams.add(team)).id


async def set_schedule(
    db: Database, team: int, now: datetime, job: str = "digest", **changes: object
) -> None:
    settings: dict[str, object] = dict(
        cadence="weekly", weekday=MON, local_time="09:00", timezone=BERLIN, enabled=True
    )
    settings |= changes
    async with db.unit() as repos:
        await repos.schedules.upsert(team, job, now=now, **settings)  # type: ignore[arg-type]


async def outbox_keys(db: Database) -> list[str]:
    async with db.unit() as repos:
        return [row.idempotency_key for row in await repos.outbox.all()]


async def job_runs(db: Database) -> list[tuple[str, str, str, str, int]]:
    async with db.unit() as repos:
        rows = await repos.job_runs.all()
    return [(r.job, r.scope, r.period, r.status, r.attempts) for r in rows]


async def test_a_team_job_runs_once_per_period(db, clock):
    team = await add_team(db, 1, clock())
    await set_schedule(db, team, clock())
    digest = Recorder()
    scheduler = Scheduler(db, clock, (digest.job,), report=errors.report)
    assert await scheduler.tick() == []  # Saturday: nothing due since the schedule began
    clock.now = MONDAY_0900
    for _ in range(3 * 7 * 24):  # hourly ticks for three weeks
        await scheduler.tick()
        clock.advance(hours=1)
    periods = ["2026-11-23", "2026-11-30", "2026-12-07"]
    assert digest.completed == [(team, p) for p in periods]
    assert await outbox_keys(db) == [f"digest:{team}:{p}" for p in periods]
    assert await job_runs(db) == [("digest", f"team:{team}", p, "done", 1) for p in periods]


async def test_tick_reports_what_it_ran_and_passes_the_period(db, clock):
    team = await add_team(db, 1, clock())
    await set_schedule(db, team, clock())
    seen: list[JobContext] = []

    async def remember(ctx: JobContext) -> None:
        seen.append(ctx)

    scheduler = Scheduler(db, clock, (Job("digest", remember),), report=errors.report)
    clock.now = MONDAY_0900 + timedelta(minutes=5)
    assert await scheduler.tick() == [("digest", f"team:{team}", "2026-11-23")]
    (ctx,) = seen
    assert (ctx.team_id, ctx.period, ctx.due_at, ctx.now) == (
        team,
        "2026-11-23",
        MONDAY_0900,
        clock.now,
    )


async def test_only_enabled_schedules_of_active_teams_run(db, clock):
    teams = [await add_team(db, n, clock()) for n in range(4)]
    await set_schedule(db, teams[0], clock())
    await set_schedule(db, teams[1], clock(), enabled=False)
    await set_schedule(db, teams[2], clock(), job="other")
    await set_schedule(db, teams[3], clock())
    async with db.unit() as repos:
        (await repos.teams.get(teams[3])).active = False  # type: ignore[union-attr]
    digest = Recorder()
    clock.now = MONDAY_0900
    assert await Scheduler(db, clock, (digest.job,), report=errors.report).tick() == [
        ("digest", f"team:{teams[0]}", "2026-11-23")
    ]


async def test_a_schedule_change_applies_at_once_and_never_reaches_back(db, clock):
    team = await add_team(db, 1, clock())
    await set_schedule(db, team, clock())
    digest = Recorder()
    scheduler = Scheduler(db, clock, (digest.job,), report=errors.report)
    clock.now = MONDAY_0900
    await scheduler.tick()
    # Tuesday: move it to Wednesdays 10:00. Last Wednesday is before the change.
    clock.now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    await set_schedule(db, team, clock(), weekday=WED, local_time="10:00")
    assert await scheduler.tick() == []
    clock.now = datetime(2026, 11, 25, 8, 59, tzinfo=UTC)  # 09:59 Berlin
    assert await scheduler.tick() == []
    clock.advance(minutes=1)
    assert await scheduler.tick() == [("digest", f"team:{team}", "2026-11-25")]
    # Wednesday 12:00: back to Wednesdays 11:00. Today's 11:00 is before the change.
    clock.now = datetime(2026, 11, 25, 11, tzinfo=UTC)
    await set_schedule(db, team, clock(), weekday=WED, local_time="11:00")
    clock.advance(days=6)
    assert await scheduler.tick() == []
    clock.now = datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert await scheduler.tick() == [("digest", f"team:{team}", "2026-12-02")]
    assert [p for _, p in digest.completed] == ["2026-11-23", "2026-11-25", "2026-12-02"]


async def test_upsert_moves_effective_from_only_when_timing_changes(db, clock):
    team = await add_team(db, 1, clock())
    start = clock()
    await set_schedule(db, team, start)
    await set_schedule(db, team, start + timedelta(days=1))  # same settings
    async with db.unit() as repos:
        assert (await repos.schedules.get(team, "digest")).effective_from == start  # type: ignore[union-attr]
    later = start + timedelta(days=2)
    await set_schedule(db, team, later, enabled=False)
    await set_schedule(db, team, later + timedelta(days=1), enabled=True)  # re-enabled
    async with db.unit() as repos:
        row = await repos.schedules.get(team, "digest")
        assert row is not None and row.effective_from == later + timedelta(days=1)
        assert [s.team_id for s in await repos.schedules.all_enabled()] == [team]


async def test_catch_up_runs_the_latest_missed_period_once(db, clock):
    team = await add_team(db, 1, clock())
    await set_schedule(db, team, clock())
    digest = Recorder()
    scheduler = Scheduler(db, clock, (digest.job,), report=errors.report)
    clock.now = MONDAY_0900
    await scheduler.tick()
    clock.advance(weeks=5, hours=3)  # down for five periods
    assert await scheduler.tick() == [("digest", f"team:{team}", "2026-12-28")]
    assert await scheduler.tick() == []
    assert [p for _, p in digest.completed] == ["2026-11-23", "2026-12-28"]
    assert len(await job_runs(db)) == 2


async def test_a_failing_job_is_reported_rolled_back_and_retried_three_times(db, clock):
    teams = [await add_team(db, n, clock()) for n in (1, 2)]
    for team in teams:
        await set_schedule(db, team, clock(), job="broken")
        await set_schedule(db, team, clock())
    broken, digest = Recorder("broken", fail=True), Recorder()
    scheduler = Scheduler(db, clock, (broken.job, digest.job), report=errors.report)
    before = errors.counts["job:broken"]
    clock.now = MONDAY_0900
    ran = await scheduler.tick()
    # The other team and the other job still ran; the failed writes were rolled back.
    assert ran == [("digest", f"team:{t}", "2026-11-23") for t in teams]
    assert errors.counts["job:broken"] == before + 2
    assert all(key.startswith("digest:") for key in await outbox_keys(db))
    for _ in range(5):
        clock.advance(minutes=1)
        assert await scheduler.tick() == []
    assert len(broken.started) == 2 * 3 and broken.completed == []
    assert errors.counts["job:broken"] == before + 2 * 3
    failed = [r for r in await job_runs(db) if r[0] == "broken"]
    assert failed == [("broken", f"team:{t}", "2026-11-23", "failed", 3) for t in teams]
    # The next period is a fresh start.
    clock.advance(weeks=1)
    await scheduler.tick()
    assert len(broken.started) == 2 * 4


async def test_a_failure_is_logged_with_its_context(db, clock, caplog):
    team = await add_team(db, 1, clock())
    await set_schedule(db, team, clock(), job="broken")
    clock.now = MONDAY_0900
    await Scheduler(db, clock, (Recorder("broken", fail=True).job,), report=errors.report).tick()
    (record,) = [r for r in caplog.records if r.name == "mentorbot.errors"]
    assert record.getMessage() == f"job:broken failed: RuntimeError team={team} period=2026-11-23"
    assert record.exc_info is not None
    async with db.unit() as repos:
        (row,) = await repos.job_runs.all()
    assert row.error == "RuntimeError: job broke"


async def test_a_bad_schedule_row_is_reported_and_the_others_run(db, clock):
    teams = [await add_team(db, n, clock()) for n in (1, 2)]
    await set_schedule(db, teams[0], clock(), timezone="Mars/Olympus")  # around the validator
    await set_schedule(db, teams[1], clock())
    before = errors.counts["job:digest"]
    clock.now = MONDAY_0900
    ran = await Scheduler(db, clock, (Recorder().job,), report=errors.report).tick()
    assert ran == [("digest", f"team:{teams[1]}", "2026-11-23")]
    assert errors.counts["job:digest"] == before + 1


async def test_tick_never_raises_when_the_database_is_unreachable(clock):
    before = errors.counts["scheduler"]
    db = Database("sqlite+aiosqlite:////nonexistent/dir/mentorbot.db")
    assert await Scheduler(db, clock, (Recorder().job,), report=errors.report).tick() == []
    assert errors.counts["scheduler"] == before + 1
    await db.dispose()


async def test_a_global_job_runs_once_per_interval(db, clock):
    calls: list[tuple[int | None, str]] = []

    async def sweep(ctx: JobContext) -> None:
        calls.append((ctx.team_id, ctx.period))

    scheduler = Scheduler(
        db, clock, (Job("sweep", sweep, "global", timedelta(hours=6)),), report=errors.report
    )
    for _ in range(24):
        await scheduler.tick()
        clock.advance(minutes=30)
    assert calls == [
        (None, "2026-11-21T06:00:00Z"),
        (None, "2026-11-21T12:00:00Z"),
        (None, "2026-11-21T18:00:00Z"),
    ]


async def test_claims_take_a_period_once_and_retry_failures_up_to_three_times(db, clock):
    now = clock()
    claims = []
    for attempt in range(4):
        async with db.unit() as repos:
            claims.append(await repos.job_runs.claim("j", "global", "p", now))
            # A failing run rolls its claim back; emulate that.
            await repos.session.rollback()
        if claims[-1]:
            async with db.unit() as repos:
                await repos.job_runs.record_failure("j", "global", "p", f"error {attempt}", now)
    assert claims == [True, True, True, False]
    async with db.unit() as repos:
        assert await repos.job_runs.claim("j", "global", "q", now)
    async with db.unit() as repos:
        assert not await repos.job_runs.claim("j", "global", "q", now)
        # A late failure report never turns a done period back into a failed one.
        await repos.job_runs.record_failure("j", "global", "q", "late", now)
    assert await job_runs(db) == [
        ("j", "global", "p", "failed", 3),
        ("j", "global", "q", "done", 1),
    ]


async def test_two_replicas_run_each_period_exactly_once(database_url, clock):
    """Two Schedulers, each with its own engine and pool, ticking at the same time."""
    replicas = [Database(database_url), Database(database_url)]
    await replicas[0].migrate()
    teams = [await add_team(replicas[0], n, clock()) for n in (1, 2)]
    for team in teams:
        await set_schedule(replicas[0], team, clock())
    digest = Recorder()
    schedulers = [Scheduler(db, clock, (digest.job,), report=errors.report) for db in replicas]
    clock.now = MONDAY_0900
    ran = []
    for _ in range(50):
        for _ in range(3):
            ticks = [s.tick() for s in schedulers for _ in range(2)]
            for result in await asyncio.gather(*ticks):
                ran += result
            clock.advance(minutes=10)
        clock.advance(weeks=1, minutes=-30)
    expected = {
        (team, (MONDAY_0900 + timedelta(weeks=w)).date().isoformat())
        for team in teams
        for w in range(50)
    }
    assert sorted(digest.completed) == sorted(expected)  # no loser ran and rolled back
    assert len(digest.started) == len(expected)
    assert len(ran) == len(set(ran)) == len(expected)
    assert len(await outbox_keys(replicas[0])) == len(expected)
    runs = await job_runs(replicas[0])
    assert len(runs) == len(expected) and {r[3:] for r in runs} == {("done", 1)}
    for db in replicas:
        await db.dispose()


async def test_stop_lets_a_running_tick_commit(db, clock, caplog):
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(ctx: JobContext) -> None:
        started.set()
        await release.wait()
        await ctx.repos.outbox.enqueue(f"slow:{ctx.period}", {}, ctx.now)

    scheduler = Scheduler(
        db, clock, (Job("slow", slow, "global", timedelta(days=1)),), report=errors.report
    )
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)  # the start-up tick, not a schedule
    stopping = asyncio.ensure_future(scheduler.stop())
    for _ in range(10):  # a few turns of the loop for stop() to get going
        await asyncio.sleep(0)
    assert not scheduler.running and not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert await outbox_keys(db) == ["slow:2026-11-21T00:00:00Z"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_app_starts_and_stops_its_scheduler(settings, connector, clock):
    async with start_bot(settings, connector, clock, jobs=JOBS) as bot:
        scheduler = bot.server.app[SCHEDULER_KEY]
        assert scheduler.running and scheduler.jobs == JOBS
        assert {job.name for job in JOBS} >= {"pairing", "pairing_followups"}
    assert not scheduler.running


async def test_the_app_ticks_at_start_up_and_when_woken(settings, clock):
    ran = asyncio.Queue[str]()

    async def sweep(ctx: JobContext) -> None:
        ran.put_nowait(ctx.period)

    app = create_app(
        settings, clock=clock, jobs=(Job("sweep", sweep, "global", timedelta(hours=1)),)
    )
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        # Waiting for the app's own tasks, not for a schedule: the clock does not move here.
        assert await asyncio.wait_for(ran.get(), 5) == "2026-11-21T09:00:00Z"
        clock.advance(hours=1)
        app[SCHEDULER_KEY].wake()
        assert await asyncio.wait_for(ran.get(), 5) == "2026-11-21T10:00:00Z"
    finally:
        await server.close()
    assert not app[SCHEDULER_KEY].running and ran.empty()


async def test_a_scheduled_post_goes_from_job_to_outbox_to_teams(settings, connector, clock):
    """The whole chain in the running app: schedule -> claim -> outbox -> delivery."""

    async def weekly_post(ctx: JobContext) -> None:
        await ctx.repos.outbox.enqueue(
            f"weekly:team{ctx.team_id}:{ctx.period}",
            {"to": "team", "text": f"week {ctx.period}"},
            ctx.now,
            team_id=ctx.team_id,
        )

    from tests.fakes import teams as fake_teams

    team = fake_teams.TeamsTeam("sched", "Scheduled")
    ana = fake_teams.TeamsUser("ana", "Ana Lee")
    connector.set_roster(team.id, [ana.member()], team.name)
    async with start_bot(
        settings, connector, clock, jobs=(Job("weekly_post", weekly_post),)
    ) as bot:
        await bot.send(fake_teams.bot_installed_in_team(bot.service_url, ana, team))
        scheduler = bot.server.app[SCHEDULER_KEY]
        async with bot.db.unit() as repos:
            row = await repos.teams.by_team_id(team.id)
            await repos.schedules.upsert(
                row.id, "weekly_post", "weekly", clock().weekday(), "10:00", "UTC", True, clock()
            )
        clock.advance(hours=2)  # 11:00 UTC on the same weekday: this week's period is due
        assert len(await scheduler.tick()) == 1
        await bot.settle()
        assert [c.text for c in connector.messages(team.id)][-1] == "week 2026-11-21"
        assert await scheduler.tick() == []  # the same period never runs twice
        clock.advance(days=7)
        await scheduler.tick()
        await bot.settle()
        posts = [c.text for c in connector.messages(team.id) if c.text.startswith("week")]
        assert posts == ["week 2026-11-21", "week 2026-11-28"]
