"""THE registry of scheduled jobs: one place keeps the whole schedule readable.

Empty until the features that need it (pairing, icebreakers, check-ins) register their
jobs here, e.g. `Job("pairing", pairing.run)` (a team job; each team's timing comes from
its `schedules` row with job="pairing") or `Job("cleanup", cleanup.run, "global",
every=timedelta(days=1))`.
"""

from __future__ import annotations

from scheduler.types import Job, JobContext

__all__ = ["JOBS", "Job", "JobContext"]

JOBS: tuple[Job, ...] = ()
