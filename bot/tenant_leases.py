"""Which tenants this delivery worker drains: each under a lease row in the database.

Teams' limits are per tenant (50 requests a second) and per conversation (7/1 s, 8/2 s,
60/30 s). A worker keeps them in memory (bot/ratelimit.py), which is exact only if no
other replica sends for the same tenant at the same time. So one worker at a time holds
a tenant: it claims that tenant's rows only while its lease is live, and it sends only
while the lease has at least the longest rate window left. A successor takes the lease
only after it ran out (a crash) or was given back (idle for a whole window), so by then
every send of the previous holder has left every window: the successor's empty windows
are Teams' windows too.

Leases are renewed every quarter lease; with the default 60 s lease and 30 s windows a
live worker's lease never has less than 45 s left. A worker holds at most
`tenants_per_worker` tenants, so many busy tenants spread over the replicas.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from settings import DeliverySettings
from storage import Repos

LOOK_EVERY = 1.0  # seconds between looks for tenants with work nobody drains
# Teams counts a request when it arrives, just after we start it: the margin covers that.
ARRIVAL_SECONDS = 1.0


class TenantLeases:
    def __init__(
        self,
        worker_id: str,
        config: DeliverySettings,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.worker_id, self.config, self.monotonic = worker_id, config, monotonic
        self.margin = timedelta(seconds=config.longest_window + ARRIVAL_SECONDS)
        self.lease = timedelta(seconds=config.tenant_lease_seconds)
        self.held: dict[str, datetime] = {}  # tenant -> end of our lease (wall clock)
        self.claimed: Counter[str] = Counter()  # rows of each tenant claimed, not recorded
        self.last_busy: dict[str, float] = {}  # tenant -> monotonic time of its last outcome
        self._next_look = 0.0

    @property
    def renew_every(self) -> float:
        return self.config.tenant_lease_seconds / 4

    def should_look(self, have_tenants: bool) -> bool:
        """Whether to look for more tenants now: there is room for them, and we have
        none, or the last look was a second ago (looking costs three queries, which a
        busy worker's every claim should not pay)."""
        if len(self.held) >= self.config.tenants_per_worker:
            return False
        return not have_tenants or self.monotonic() >= self._next_look

    async def acquire(self, repos: Repos, now: datetime) -> list[str]:
        """Take leases on tenants with due messages and no live holder (up to our share;
        our own leases on them are renewed). Returns the tenants newly usable."""
        before = set(self.usable(now))
        self._next_look = self.monotonic() + LOOK_EVERY
        room = self.config.tenants_per_worker - len(before)
        until = now + self.lease
        for tenant in await repos.leases.free_tenants(self.worker_id, now, room):
            await repos.leases.take(self.worker_id, tenant, now, until)
        self.held = await repos.leases.held(self.worker_id, now)
        return [tenant for tenant in self.usable(now) if tenant not in before]

    async def renew(self, repos: Repos, now: datetime) -> None:
        """Extend our live leases and give back tenants idle for a whole window."""
        idle = [t for t in self.held if self._idle(t)]
        await repos.leases.release(self.worker_id, idle)
        await repos.leases.renew(self.worker_id, now + self.lease)
        self.held = await repos.leases.held(self.worker_id, now)
        for tenant in idle:
            self.last_busy.pop(tenant, None)

    async def hand_back(self, repos: Repos, now: datetime) -> None:
        """Graceful stop: each lease ends one window after our last send to its tenant,
        so a successor starts as soon as its windows are really empty."""
        for tenant in list(self.held):
            last = self.last_busy.get(tenant)
            quiet = self.monotonic() - last if last is not None else float("inf")
            if self.claimed.get(tenant):
                quiet = 0.0  # a send was cut off mid-way: it may have just arrived
            left = max(self.margin.total_seconds() - quiet, 0.0)
            await repos.leases.shorten(self.worker_id, tenant, now + timedelta(seconds=left))
        self.held.clear()

    def usable(self, now: datetime) -> list[str]:
        """Tenants whose rows we may claim: the lease outlasts the longest window."""
        return [t for t, until in self.held.items() if until - now >= self.margin]

    def may_send(self, tenant: str, now: datetime) -> bool:
        until = self.held.get(tenant)
        return until is not None and until - now >= self.margin

    def began(self, tenant: str) -> None:
        self.claimed[tenant] += 1
        self.last_busy[tenant] = self.monotonic()

    def ended(self, tenant: str) -> None:
        self.claimed[tenant] -= 1
        if self.claimed[tenant] <= 0:
            del self.claimed[tenant]
        self.last_busy[tenant] = self.monotonic()

    def _idle(self, tenant: str) -> bool:
        if self.claimed.get(tenant):
            return False
        last = self.last_busy.get(tenant)
        return last is None or self.monotonic() - last >= self.config.longest_window
