"""Scheduled work: APScheduler wiring. Jobs are named async functions in scheduler/jobs.py.

The names below load on first use, so a dialog module can import `scheduler.periods`
or `scheduler.types` without pulling in the job registry, which imports the dialogs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.jobs import JOBS, Job, JobContext
    from scheduler.runner import Scheduler

__all__ = ["JOBS", "Job", "JobContext", "Scheduler"]


def __getattr__(name: str) -> Any:
    if name in ("JOBS", "Job", "JobContext"):
        from scheduler import jobs

        return getattr(jobs, name)
    if name == "Scheduler":
        from scheduler.runner import Scheduler

        return Scheduler
    raise AttributeError(f"module 'scheduler' has no attribute {name!r}")
