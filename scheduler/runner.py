"""The scheduler: each tick runs every job's latest due period that nobody has claimed.

APScheduler is only the heartbeat (real time, every `tick_seconds`, plus one tick at
start-up). Which period is due comes from the injected clock and the `schedules` rows
read at every tick, so tests move a clock and call `tick()`, and a changed schedule
counts from the next tick on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scheduler.periods import Occurrence, ScheduleSpec, interval_bucket, latest_due
from scheduler.types import Clock, Job, JobContext, Reporter
from storage import Database, Repos
from storage.models import Schedule

log = logging.getLogger("mentorbot.scheduler")

DEFAULT_TICK_SECONDS = 30.0
MAX_ATTEMPTS = 3  # a failing period is tried on this many ticks, then left "failed"
STOP_TIMEOUT_SECONDS = 30.0  # how long stop() lets a running tick finish
_TICK_ID = "tick"

Ran = tuple[str, str, str]  # (job, scope, period)
# Told after every run: (job, "done" | "failed" | "skipped", seconds, lag behind due time).
RunObserver = Callable[[str, str, float, float], None]


@dataclass(frozen=True)
class _Target:
    """One period of one job for one scope, due and not yet settled."""

    scope: str  # "team:<teams.id>" or "global"
    team_id: int | None
    due: Occurrence


def job_run_id(job: str, scope: str, period: str) -> str:
    """What names one run of a job in logs and on the outbox rows it queued."""
    return f"job:{job}:{scope}:{period}"


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        jobs: tuple[Job, ...],
        *,
        report: Reporter,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
        on_ran: Callable[[], None] | None = None,
        env: Any = None,
        on_run: RunObserver | None = None,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self._db, self._clock, self._jobs = db, clock, jobs
        # Failures go where turn errors go (the app passes its one error path in).
        self._report = report
        self._tick_seconds = tick_seconds
        # Called after a run commits (the app wakes the delivery worker for its messages).
        self._on_ran = on_ran
        self._env = env  # handed to every job as ctx.env (the app's settings for them)
        self._on_run = on_run
        self._scheduler: Any = None  # APScheduler's, built (and imported) by start()
        # One tick at a time in this process; other replicas are kept out by the claim.
        self._lock = asyncio.Lock()
        self._inflight: set[asyncio.Future[Any]] = set()

    @property
    def jobs(self) -> tuple[Job, ...]:
        return self._jobs

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    def start(self) -> None:
        """Tick now (the catch-up after downtime), then every `tick_seconds`."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler  # not for `import app`

        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(
            self._scheduled_tick,
            "interval",
            seconds=self._tick_seconds,
            id=_TICK_ID,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=2,  # so a wake() during a tick queues one more, not a warning
            misfire_grace_time=None,
            replace_existing=True,
        )
        self._scheduler.start()

    def wake(self) -> None:
        """Tick as soon as possible (e.g. after an admin changed a schedule)."""
        if self.running:
            self._scheduler.modify_job(_TICK_ID, next_run_time=datetime.now(UTC))

    async def stop(self) -> None:
        """Stop ticking; a tick under way may finish (bounded), so its run commits."""
        if self.running:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback
        if self._inflight:
            _done, late = await asyncio.wait(self._inflight, timeout=STOP_TIMEOUT_SECONDS)
            for task in late:
                task.cancel()  # rolls its unit back: the period is retried at the next start
            await asyncio.gather(*late, return_exceptions=True)

    async def tick(self) -> list[Ran]:
        """Run every due, unsettled period of every job at clock(); never raises.

        Returns (job, scope, period) of each run that committed in this tick.
        """
        if not self._jobs:
            return []
        async with self._lock:
            now = self._clock()
            ran: list[Ran] = []
            for job, targets in await self._plan(now):
                for target in targets:
                    if await self._run(job, target, now):
                        ran.append((job.name, target.scope, target.due.period))
                        log.info(
                            "job ran job=%s %s period=%s",
                            *ran[-1],
                            extra={"job_run": job_run_id(*ran[-1]), "outcome": "done"},
                        )
            if ran and self._on_ran is not None:
                self._on_ran()
            return ran

    async def _scheduled_tick(self) -> None:
        task = asyncio.ensure_future(self.tick())
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        # APScheduler's shutdown cancels running jobs; the tick goes on and stop() awaits it.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(task)

    async def _plan(self, now: datetime) -> list[tuple[Job, list[_Target]]]:
        """What each job has due, in one read-only unit (closed before any run opens one)."""
        try:
            async with self._db.unit() as repos:
                return [(job, await self._due(job, repos, now)) for job in self._jobs]
        except Exception as exc:
            self._report("scheduler", exc, stage="plan")
            return []

    async def _due(self, job: Job, repos: Repos, now: datetime) -> list[_Target]:
        if job.every is not None:
            targets = [_Target("global", None, interval_bucket(job.every, now))]
        else:
            rows = await repos.schedules.enabled_for(job.name)
            targets = [t for row in rows if (t := self._team_target(job, row, now))]
        if not targets:
            return []
        # Only a filter to spare writes on quiet ticks; the claim is what guarantees once.
        periods = {t.due.period for t in targets}
        settled = await repos.job_runs.settled(job.name, periods, MAX_ATTEMPTS)
        return [t for t in targets if (t.scope, t.due.period) not in settled]

    async def _run(self, job: Job, target: _Target, now: datetime) -> bool:
        """Claim and run one period in one transaction; True when it committed."""
        key = (job.name, target.scope, target.due.period)
        started = time.perf_counter()
        outcome = "skipped"
        try:
            # Outbox rows the run queues carry its id (logs tie a message to its run).
            async with self._db.unit(origin=job_run_id(*key)) as repos:
                # The claim comes first: a replica that loses it waits here, then skips.
                if not await repos.job_runs.claim(*key, now, MAX_ATTEMPTS):
                    return False
                due = target.due
                await job.run(
                    JobContext(repos, target.team_id, due.period, due.due_at, now, self._env)
                )
                await repos.job_runs.finish(*key, self._clock())
            outcome = "done"
        except Exception as exc:
            outcome = "failed"
            await self._failed(job, target, exc)
            return False
        finally:
            if self._on_run is not None:
                lag = (now - target.due.due_at).total_seconds()
                self._on_run(job.name, outcome, time.perf_counter() - started, lag)
        return True

    async def _failed(self, job: Job, target: _Target, exc: Exception) -> None:
        """Report, then count the attempt in a new unit (the run's unit was rolled back)."""
        where, period = f"job:{job.name}", target.due.period
        self._report(where, exc, team=target.team_id, period=period)
        error = f"{exc.__class__.__name__}: {exc}"[:1000]
        try:
            async with self._db.unit() as repos:
                await repos.job_runs.record_failure(
                    job.name, target.scope, period, error, self._clock()
                )
        except Exception as record_exc:
            self._report(where, record_exc, team=target.team_id, period=period, stage="record")

    def _team_target(self, job: Job, row: Schedule, now: datetime) -> _Target | None:
        try:
            spec = ScheduleSpec(
                row.cadence, row.weekday, row.local_time, row.timezone, row.effective_from
            )
        except ValueError as exc:  # a row written around the validator; the others still run
            self._report(f"job:{job.name}", exc, team=row.team_id, stage="schedule")
            return None
        due = latest_due(spec, now)
        return _Target(f"team:{row.team_id}", row.team_id, due) if due else None
