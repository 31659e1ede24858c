"""Retention: what was sent is kept only as long as it may be needed. After RETENTION_DAYS
a sent message keeps whom it was for and where it went (a later update of the card needs
that), not what it said; activities remembered for repeats go after two days."""

from __future__ import annotations

import logging
from datetime import timedelta

from dialogs.core import once
from dialogs.core.words import plural
from scheduler.types import JobContext

log = logging.getLogger("mentorbot.retention")
JOB = "retention"
EVERY = timedelta(hours=6)


async def run_job(ctx: JobContext) -> None:
    days = getattr(ctx.env, "retention_days", 30)
    purged = await ctx.repos.outbox.purge_sent(ctx.now - timedelta(days=days), ctx.now)
    forgotten = await ctx.repos.inbound.purge(ctx.now - timedelta(hours=once.KEEP_HOURS))
    if purged or forgotten:
        log.info(
            "retention: blanked %s, forgot %s",
            plural(purged, "sent message"),
            plural(forgotten, "activity"),
        )
