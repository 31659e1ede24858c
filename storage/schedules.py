"""Repositories for schedules and job runs (filled in by the scheduler work)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class ScheduleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session


class JobRunRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
