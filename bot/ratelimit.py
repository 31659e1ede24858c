"""Sliding-window rate limits, as Teams counts them: several windows per key.

Pure bookkeeping: the caller passes the current time (monotonic seconds) and sleeps.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque


class SlidingWindows:
    """At most `count` events in any `seconds`-long window, for every window given."""

    def __init__(self, windows: tuple[tuple[int, float], ...]) -> None:
        self.windows = windows
        self.span = max(seconds for _, seconds in windows)
        self._events: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}

    def wait_time(self, key: str, now: float) -> float:
        """Seconds until one more event for `key` fits every window (0 if it fits now)."""
        wait = max(self._blocked.get(key, 0.0) - now, 0.0)
        events = self._events.get(key)
        if not events:
            return wait
        self._forget_old(events, now)
        ordered = list(events)
        for count, seconds in self.windows:
            recent = len(ordered) - bisect_right(ordered, now - seconds)
            if recent >= count:
                # The window frees up when the count-th newest event leaves it.
                wait = max(wait, ordered[-count] + seconds - now)
        return wait

    def record(self, key: str, now: float) -> None:
        self._events.setdefault(key, deque()).append(now)

    def block(self, key: str, until: float) -> None:
        """Teams said 429: nothing for this key before `until`."""
        self._blocked[key] = max(self._blocked.get(key, 0.0), until)

    def prune(self, now: float) -> None:
        """Drop keys with no event inside the longest window (bounded memory)."""
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.span]:
            del self._events[key]
        for key in [k for k, until in self._blocked.items() if until <= now]:
            del self._blocked[key]

    def _forget_old(self, events: deque[float], now: float) -> None:
        while events and events[0] <= now - self.span:
            events.popleft()


class TeamsLimits:
    """Per-conversation windows and a per-tenant budget, checked together."""

    def __init__(self, conversation: tuple[tuple[int, float], ...], tenant_per_second: int) -> None:
        self.conversations = SlidingWindows(conversation)
        self.tenants = SlidingWindows(((tenant_per_second, 1.0),))

    def wait_time(self, conversation: str, tenant: str, now: float) -> float:
        return max(
            self.conversations.wait_time(conversation, now), self.tenants.wait_time(tenant, now)
        )

    def record(self, conversation: str, tenant: str, now: float) -> None:
        self.conversations.record(conversation, now)
        self.tenants.record(tenant, now)

    def block(self, conversation: str, tenant: str, until: float) -> None:
        self.conversations.block(conversation, until)
        self.tenants.block(tenant, until)
