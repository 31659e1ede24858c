"""Repositories for team schedules and claimed job periods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sql
from storage.models import JobRun, Schedule, Team


class ScheduleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, team_id: int, job: str) -> Schedule | None:
        stmt = select(Schedule).where(Schedule.team_id == team_id, Schedule.job == job)
        return await self.s.scalar(stmt)

    async def upsert(
        self,
        team_id: int,
        job: str,
        cadence: str,
        weekday: int,
        local_time: str,
        timezone: str,
        enabled: bool,
        now: datetime,
    ) -> Schedule:
        """Create or change a schedule. New timing (or re-enabling) starts at `now`, so a
        changed schedule never reaches back to a period before the change."""
        row = await self.get(team_id, job)
        timing = (cadence, weekday, local_time, timezone)
        if row is None:
            row = Schedule(team_id=team_id, job=job, effective_from=now)
            self.s.add(row)
        elif timing != (row.cadence, row.weekday, row.local_time, row.timezone) or (
            enabled and not row.enabled
        ):
            row.effective_from = now
        row.cadence, row.weekday, row.local_time, row.timezone = timing
        row.enabled, row.updated_at = enabled, now
        await self.s.flush()
        return row

    async def enabled_for(self, job: str) -> list[Schedule]:
        """Enabled schedules of one job, for teams that still have the bot installed."""
        stmt = (
            select(Schedule)
            .join(Team, Team.id == Schedule.team_id)
            .where(Schedule.job == job, Schedule.enabled.is_(True), Team.active.is_(True))
            .order_by(Schedule.id)
        )
        return list(await self.s.scalars(stmt))

    async def all_enabled(self) -> list[Schedule]:
        stmt = select(Schedule).where(Schedule.enabled.is_(True)).order_by(Schedule.id)
        return list(await self.s.scalars(stmt))


class JobRunRepo:
    """Rows of job_runs; unique (job, scope, period) is what makes a run happen once.

    A row is inserted by `claim` inside the run's own transaction, so it is only ever
    seen committed as "done" (the run succeeded) or, written by `record_failure` after
    a rollback, as "failed".
    """

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def claim(
        self, job: str, scope: str, period: str, now: datetime, max_attempts: int = 3
    ) -> bool:
        """Take a period: True when this transaction may run it.

        On PostgreSQL both statements wait for a concurrent claim of the same row to
        commit or roll back, so exactly one of two replicas gets True.
        """
        values = dict(job=job, scope=scope, period=period, status="done", attempts=1)
        insert = sql.insert(self.s, JobRun).values(**values, started_at=now)
        inserted = await self.s.execute(insert.on_conflict_do_nothing())
        if inserted.rowcount:  # type: ignore[attr-defined]
            return True
        retry = (
            update(JobRun)
            .where(*_key(job, scope, period))
            .where(JobRun.status == "failed", JobRun.attempts < max_attempts)
            .values(status="done", attempts=JobRun.attempts + 1, started_at=now, error=None)
        )
        return bool((await self.s.execute(retry)).rowcount)  # type: ignore[attr-defined]

    async def finish(self, job: str, scope: str, period: str, now: datetime) -> None:
        stmt = update(JobRun).where(*_key(job, scope, period)).values(finished_at=now)
        await self.s.execute(stmt)

    async def record_failure(
        self, job: str, scope: str, period: str, error: str, now: datetime
    ) -> None:
        """Count a failed attempt (call in a new transaction, after the run's rollback).

        Never overwrites "done": another replica may have retried and succeeded meanwhile.
        """
        values = dict(job=job, scope=scope, period=period, status="failed", attempts=1)
        insert = sql.insert(self.s, JobRun).values(
            **values, error=error, started_at=now, finished_at=now
        )
        stmt = insert.on_conflict_do_update(
            index_elements=[JobRun.job, JobRun.scope, JobRun.period],
            set_={"attempts": JobRun.attempts + 1, "error": error, "finished_at": now},
            where=JobRun.status == "failed",
        )
        await self.s.execute(stmt)

    async def settled(
        self, job: str, periods: set[str], max_attempts: int = 3
    ) -> set[tuple[str, str]]:
        """(scope, period) pairs among `periods` that no claim can take any more."""
        stmt = select(JobRun.scope, JobRun.period).where(
            JobRun.job == job,
            JobRun.period.in_(periods),
            or_(JobRun.status == "done", JobRun.attempts >= max_attempts),
        )
        return {(scope, period) for scope, period in await self.s.execute(stmt)}

    async def all(self) -> list[JobRun]:
        return list(await self.s.scalars(select(JobRun).order_by(JobRun.id)))


def _key(job: str, scope: str, period: str) -> tuple[Any, ...]:
    return (JobRun.job == job, JobRun.scope == scope, JobRun.period == period)
