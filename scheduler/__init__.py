"""Scheduled work: APScheduler wiring. Jobs are named async functions in scheduler/jobs.py."""

from scheduler.runner import Scheduler

__all__ = ["Scheduler"]
