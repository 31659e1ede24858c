"""THE registry of scheduled jobs, from the features' declarations (dialogs/routes.py
lists the features). The scheduler below runs them; it never imports dialogs/.

A team job runs per team with an enabled `schedules` row named like the job (its
timing comes from that row); a global job runs once per `every`-long UTC interval.
"""

from __future__ import annotations

from dialogs.routes import FEATURES
from scheduler.types import Job

JOBS: tuple[Job, ...] = tuple(job for feature in FEATURES for job in feature.jobs)
