"""Sliding-window rate limits, as Teams counts them: several windows per key.

Pure bookkeeping: the caller passes the current time (monotonic seconds) and sleeps.
"""

from __future__ import annotations

from bisect import bisect_right, insort

IN_FLIGHT_POLL = 0.005  # seconds: when requests in flight fill a window, look again soon


class SlidingWindows:
    """At most `count` events in any `seconds`-long window, for every window given."""

    def __init__(self, windows: tuple[tuple[int, float], ...]) -> None:
        self.windows = windows
        self.span = max(seconds for _, seconds in windows)
        self._events: dict[str, list[float]] = {}  # sorted times of finished events
        self._in_flight: dict[str, int] = {}  # started, not finished: they count in full
        self._blocked: dict[str, float] = {}

    def wait_time(self, key: str, now: float) -> float:
        """Seconds until one more event for `key` fits every window (0 if it fits now)."""
        wait = max(self._blocked.get(key, 0.0) - now, 0.0)
        events = self._events.get(key, [])
        self._forget_old(events, now)
        in_flight = self._in_flight.get(key, 0)
        for count, seconds in self.windows:
            room = count - in_flight  # events in flight may land at any moment
            if room <= 0:
                wait = max(wait, IN_FLIGHT_POLL)
                continue
            recent = len(events) - bisect_right(events, now - seconds)
            if recent >= room:
                # Frees up when the room-th newest finished event leaves the window.
                wait = max(wait, events[-room] + seconds - now)
        return wait

    def begin(self, key: str) -> None:
        """An event starts: it counts against every window until it finishes."""
        self._in_flight[key] = self._in_flight.get(key, 0) + 1

    def end(self, key: str, now: float) -> None:
        """It finished (answered): from now on it counts at this time.

        Teams counts a request when it arrives, between start and answer; counting it
        until the answer keeps our windows at least as full as Teams' are."""
        self._in_flight[key] = max(self._in_flight.get(key, 0) - 1, 0)
        insort(self._events.setdefault(key, []), now)

    def record(self, key: str, now: float) -> None:
        """An event that starts and finishes at `now`."""
        insort(self._events.setdefault(key, []), now)

    def block(self, key: str, until: float) -> None:
        """Teams said 429: nothing for this key before `until`."""
        self._blocked[key] = max(self._blocked.get(key, 0.0), until)

    def prune(self, now: float) -> None:
        """Drop keys with no event inside the longest window (bounded memory)."""
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.span]:
            del self._events[key]
        for key in [k for k, n in self._in_flight.items() if n == 0]:
            del self._in_flight[key]
        for key in [k for k, until in self._blocked.items() if until <= now]:
            del self._blocked[key]

    def _forget_old(self, events: list[float], now: float) -> None:
        stale = bisect_right(events, now - self.span)
        if stale:
            del events[:stale]


class TeamsLimits:
    """Per-conversation windows and a per-tenant budget, checked together."""

    def __init__(self, conversation: tuple[tuple[int, float], ...], tenant_per_second: int) -> None:
        self.conversations = SlidingWindows(conversation)
        self.tenants = SlidingWindows(((tenant_per_second, 1.0),))

    def wait_time(self, conversation: str, tenant: str, now: float) -> float:
        return max(
            self.conversations.wait_time(conversation, now), self.tenants.wait_time(tenant, now)
        )

    def begin(self, conversation: str, tenant: str) -> None:
        self.conversations.begin(conversation)
        self.tenants.begin(tenant)

    def end(self, conversation: str, tenant: str, now: float) -> None:
        self.conversations.end(conversation, now)
        self.tenants.end(tenant, now)

    def block(self, conversation: str, tenant: str, until: float) -> None:
        self.conversations.block(conversation, until)
        self.tenants.block(tenant, until)

    def prune(self, now: float) -> None:
        """Forget conversations and tenants with nothing in their windows: a fan-out
        reaches thousands of conversations once each."""
        self.conversations.prune(now)
        self.tenants.prune(now)

    def __len__(self) -> int:
        return len(self.conversations._events) + len(self.tenants._events)
