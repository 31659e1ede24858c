"""THE registry of scheduled jobs: one place keeps the whole schedule readable.

A team job runs per team with an enabled `schedules` row named like the job (its
timing comes from that row); a global job runs once per `every`-long UTC interval.
"""

from __future__ import annotations

from datetime import timedelta

from dialogs import checkins, icebreakers, mentoring, pairing, sessions
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
    # Goal check-ins at each member's own local time; one reminder 2 days after an
    # unanswered one; action items at 09:00 local on their due date.
    Job(checkins.JOB, checkins.send_due, "global", every=timedelta(minutes=15)),
    Job(checkins.REMINDER_JOB, checkins.send_reminders, "global", every=timedelta(minutes=15)),
    Job(sessions.ITEMS_JOB, sessions.remind_items, "global", every=timedelta(minutes=15)),
    # Pairs quiet for 21 days get a nudge; mentorships quiet for 35, their admins a word.
    Job(sessions.NUDGE_JOB, sessions.nudge_pairs, "global", every=timedelta(hours=1)),
)
