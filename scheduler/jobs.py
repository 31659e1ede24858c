"""THE registry of scheduled jobs: one place keeps the whole schedule readable.

Empty until the features that need it (pairing, icebreakers, check-ins) register their
jobs here, e.g. `Job("pairing", pairing.run)` (a team job; each team's timing comes from
its `schedules` row with job="pairing") or `Job("cleanup", cleanup.run, "global",
every=timedelta(days=1))`.
"""

from __future__ import annotations

from scheduler.types import Job, JobContext

__all__ = ["JOBS", "Job", "JobContext"]


async def _icebreaker(ctx: JobContext) -> None:
    # Imported when it runs: dialogs.icebreakers imports scheduler.periods, and importing
    # that runs this package's __init__, which imports this module.
    from dialogs import icebreakers

    await icebreakers.run_job(ctx)


JOBS: tuple[Job, ...] = (
    # Weekly icebreaker questions: timing from each team's schedules row job="icebreaker".
    Job("icebreaker", _icebreaker),
)
