"""The one error path for turns and scheduled jobs: log with context, count, carry on."""

from __future__ import annotations

import logging
from collections import Counter

log = logging.getLogger("mentorbot.errors")
# Errors seen by this process, by where they happened ("turn", "job:<name>", ...).
counts: Counter[str] = Counter()


def report(where: str, error: BaseException, **context: object) -> None:
    """Log an unexpected error with its context (ids and names only, never content)."""
    counts[where] += 1
    details = " ".join(f"{key}={value}" for key, value in context.items())
    log.error(
        "%s failed: %s %s",
        where,
        error.__class__.__name__,
        details,
        exc_info=error,
        extra={"where": where, "context": {k: str(v) for k, v in context.items()}},
    )
