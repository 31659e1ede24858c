"""The directory sync: keeps members' directory entries fresh from Microsoft Graph.

One worker per process, started only when Graph is configured. For each tenant with an
active team it runs a delta round when the tenant has none yet (the first install) or
the last one is older than GRAPH_SYNC_HOURS: the whole directory the first time, only
what changed since after that, so a 50,000-person tenant costs a few requests a day.
Then members no round described (they joined later) are read in $batch, and everyone
whose mailbox settings are unread, 20 a request. Each page or batch is stored in its own
unit of work (dialogs/directory/store.py says what it means); a crash repeats at most
that page, and storing twice is harmless. Two replicas may run the same round: the
writes are the same, and either delta link is valid. Each pass also settles the coffee
groups' and mentor pairs' group chats (bot/graph/chats.py) and cancels the calendar
events of mentorships that ended (bot/graph/meetings.py).
"""

from __future__ import annotations

# i18n: this module says nothing to people
import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.graph.chats import ChatMaker
from bot.graph.meetings import MeetingCanceller
from dialogs.core.errors import report
from dialogs.core.graph import DirectoryUser, Graph, GraphError
from dialogs.core.types import Clock
from dialogs.directory import store
from storage import Database

log = logging.getLogger("mentorbot.graph")
CHUNK = 400  # members read per unit of work (20 batches of 20)


@dataclass
class Round:
    pages: int = 0
    described: int = 0


class DirectorySync:
    enabled = True

    def __init__(
        self,
        db: Database,
        graph: Graph,
        clock: Clock,
        *,
        sync_hours: float = 24.0,
        poll_seconds: float = 60.0,
        on_done: Callable[[], None] | None = None,
        teams_app_id: str = "",
    ) -> None:
        self.db, self.graph, self.clock = db, graph, clock
        self.chats = ChatMaker(db, graph, clock, teams_app_id)
        self.every = timedelta(hours=sync_hours)
        self.meetings = MeetingCanceller(db, graph, clock, self.every)
        self.poll_seconds = poll_seconds
        self.on_done = on_done or (lambda: None)  # wakes the delivery worker (notices)
        self._wake = asyncio.Event()
        self._pass = asyncio.Lock()  # one pass at a time in this process
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mentorbot-graph-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.graph.close()

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no fault may stop the worker
                report("graph sync", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def run_once(self) -> None:
        """One pass; a pass asked for while one runs (a wake-up, a test) waits for it."""
        async with self._pass:
            async with self.db.unit() as repos:
                tenants = await repos.directory.tenants()
            for tenant in tenants:
                await self.sync_tenant(tenant)
            if await self.chats.run_once():
                self.on_done()  # intros queued: the delivery worker sends them now
            await self.meetings.run_once()  # events of mentorships that ended

    async def sync_tenant(self, tenant: str) -> None:
        async with self.db.unit() as repos:
            await repos.directory.forget_departed(tenant)  # left every team: not kept
            state = await repos.directory.sync(tenant)
            link, last = state.delta_link, state.synced_at
            features = await repos.directory.features(tenant)
        now = self.clock()
        # A feature refused for a missing permission is asked again once per sync
        # interval, not at every pass (that would be every member, every minute).
        waiting = {
            name
            for name, row in features.items()
            if row.state == "missing" and not due(row.checked_at, now, self.every)
        }
        if link is None or due(last, now, self.every):
            await self.delta_round(tenant, link)
        if "directory" not in waiting:
            await self.describe_newcomers(tenant)
        if "mailbox" not in waiting:
            await self.read_mailboxes(tenant)
        self.on_done()

    async def delta_round(self, tenant: str, link: str | None) -> Round | None:
        """One round of pages; None when Graph refused (recorded for `/graph status`)."""
        done, full, next_link = Round(), link is None, link
        while True:
            try:
                page = await self.graph.users_delta(next_link)
            except GraphError as exc:
                if exc.status == 410 and not full:  # the delta link expired: start over
                    return await self.delta_round(tenant, None)
                await self._failed(tenant, "directory", exc)
                return None
            async with self.db.unit() as repos:
                done.described += await store.store_delta(
                    repos, tenant, page, full=full, now=self.clock()
                )
                done.pages += 1
                if page.delta_link is not None:
                    state = await repos.directory.sync(tenant)
                    state.delta_link, state.synced_at = page.delta_link, self.clock()
                    state.rounds += 1
                    state.last_error = None
                    await store.record(repos, tenant, "directory", None, self.clock())
            if page.delta_link is not None or page.next_link is None:
                log.info(
                    "directory delta tenant=%s pages=%d members=%d",
                    tenant,
                    done.pages,
                    done.described,
                )
                return done
            next_link = page.next_link

    async def describe_newcomers(self, tenant: str) -> None:
        while True:
            async with self.db.unit() as repos:
                users = await repos.directory.without_entry(tenant, CHUNK)
            if not users:
                return
            ids = [u.aad_object_id for u in users if u.aad_object_id]
            try:
                got = await self.graph.directory_users(ids)
            except GraphError as exc:
                await self._failed(tenant, "directory", exc)
                return
            async with self.db.unit() as repos:
                await store.store_users(
                    repos, tenant, got.found.values(), full=True, now=self.clock()
                )
                gone = [a for a, e in got.failed.items() if e.status == 404]
                await store.store_users(
                    repos, tenant, [_removed(a) for a in gone], full=True, now=self.clock()
                )
                refused = next((e for e in got.failed.values() if e.status == 403), None)
                await store.record(repos, tenant, "directory", refused, self.clock())
            if refused is not None or len(got.found) + len(gone) == 0:
                return  # nothing more will come of asking again now

    async def read_mailboxes(self, tenant: str) -> None:
        while True:
            async with self.db.unit() as repos:
                entries = await repos.directory.without_mailbox(tenant, CHUNK)
            if not entries:
                return
            try:
                got = await self.graph.mailboxes([e.aad_object_id for e in entries])
            except GraphError as exc:
                await self._failed(tenant, "mailbox", exc)
                return
            async with self.db.unit() as repos:
                await store.store_mailboxes(repos, tenant, got, self.clock())
                refused = next((e for e in got.failed.values() if e.status == 403), None)
                await store.record(repos, tenant, "mailbox", refused, self.clock())
            stuck = [e for e in got.failed.values() if e.status != 404]
            if stuck:
                return  # throttled or refused: the next pass asks again

    async def _failed(self, tenant: str, feature: str, error: GraphError) -> None:
        log.warning("graph %s refused tenant=%s: %s", feature, tenant, error)
        async with self.db.unit() as repos:
            await store.record(repos, tenant, feature, error, self.clock())
            if feature == "directory":
                (await repos.directory.sync(tenant)).last_error = str(error)[:1000]


def _removed(aad_id: str) -> DirectoryUser:
    return DirectoryUser(aad_id, removed=True)


def due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    return last is None or now - last >= every
