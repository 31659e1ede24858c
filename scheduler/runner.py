"""Starts and stops an AsyncIOScheduler with the app; job errors are logged, never fatal."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.jobs import JOBS, Job

log = logging.getLogger("mentorbot.scheduler")


class Scheduler:
    def __init__(self, jobs: tuple[Job, ...] = JOBS, **job_kwargs: Any) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)
        for job in jobs:
            self._scheduler.add_job(
                job.run,
                job.trigger,
                id=job.name,
                name=job.name,
                kwargs=job_kwargs,
                coalesce=True,
                max_instances=1,
                **job.trigger_args,
            )

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def job_names(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()]

    @staticmethod
    def _on_error(event: JobExecutionEvent) -> None:
        log.error("job %s failed: %r", event.job_id, event.exception, exc_info=event.exception)
