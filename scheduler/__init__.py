"""Scheduled work below the features: pure periods, and the Scheduler that claims and runs
them. The jobs, the clock and the error reporter are passed in (dialogs/jobs.py lists the
jobs); nothing here imports dialogs/."""

from scheduler.runner import Scheduler
from scheduler.types import Job, JobContext

__all__ = ["Job", "JobContext", "Scheduler"]
