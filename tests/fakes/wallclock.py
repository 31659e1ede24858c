"""A wall clock for the delivery worker that runs in real time and can jump ahead.

The worker times retries, leases and spacing on its wall clock. Freezing it would stall
every retry; this one keeps running, and `advance()` skips a stretch of waiting (a
minute between card updates) without the test sleeping through it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta


class JumpingWallClock:
    def __init__(self, start: datetime) -> None:
        self._start, self._started = start, time.monotonic()
        self._skipped = timedelta(0)

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started) + self._skipped

    def advance(self, **delta: float) -> None:
        self._skipped += timedelta(**delta)
