"""Scheduled work: APScheduler wiring. Jobs are named async functions in scheduler/jobs.py."""

from scheduler.jobs import JOBS, Job, JobContext
from scheduler.runner import Scheduler

__all__ = ["JOBS", "Job", "JobContext", "Scheduler"]
