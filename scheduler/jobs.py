"""THE registry of scheduled jobs: one place keeps the whole schedule readable.

A team job runs per team with an enabled `schedules` row named like the job (its
timing comes from that row); a global job runs once per `every`-long UTC interval.
"""

from __future__ import annotations

from datetime import timedelta

from dialogs import icebreakers, mentoring, pairing
from scheduler.types import Job, JobContext

__all__ = ["JOBS", "Job", "JobContext"]


JOBS: tuple[Job, ...] = (
    # Weekly icebreaker questions: timing from each team's schedules row job="icebreaker".
    Job("icebreaker", icebreakers.run_job),
    # Coffee rounds, at each team's `/pair settings` time.
    Job(pairing.ROUND_JOB, pairing.scheduled_round),
    # "Did you meet?" once a round's follow-up delay has passed (hourly is precise enough).
    Job(pairing.FOLLOWUP_JOB, pairing.send_followups, "global", every=timedelta(hours=1)),
    # Mentoring: unanswered requests pass on after 3 days; programs match at their deadline.
    Job("mentoring_requests", mentoring.expire_requests, "global", every=timedelta(hours=1)),
    Job("program_matching", mentoring.match_at_deadline, "global", every=timedelta(hours=1)),
)
