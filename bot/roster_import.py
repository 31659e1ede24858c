"""The roster importer: reads a newly installed team's members from Teams in the background.

The install turn only registers the team and queues a `roster_imports` row, so Teams
gets its answer at once. This worker (one per process, like the delivery worker) claims
a pending import under a lease, reads the roster 500 members a page through the Bot
Connector, and hands each page to dialogs/core/roster.py in one unit of work together
with the page's continuation token. A crash loses at most the page being read: when the
lease runs out another replica (or this one, restarted) goes on from the stored token.

Why not a scheduled job: a job's run is one transaction claiming one period, while an
import is many pages, each committed on its own, and should start at once. The seam is
the same as the delivery worker's: bot/ does the Teams I/O, dialogs/core decides what a
page means; nothing in dialogs/ or scheduler/ imports bot/.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.connector_rest import ConnectorError, ConnectorRest
from dialogs.core import roster
from dialogs.core.errors import report
from dialogs.core.types import Clock, Person
from storage import Database

log = logging.getLogger("mentorbot.roster")
PAGE_SIZE = 500  # Teams' largest page
RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
WallClock = Callable[[], datetime]


@dataclass(frozen=True)
class Claim:
    import_id: int
    team_id: str  # Teams' id of the team ("19:...@thread.tacv2")
    service_url: str
    bot_id: str | None
    continuation: str | None
    origin: str | None
    attempts: int


class RosterImporter:
    def __init__(
        self,
        db: Database,
        rest: ConnectorRest,
        clock: Clock,
        *,
        wall_clock: WallClock | None = None,
        lease_seconds: float = 60.0,
        poll_seconds: float = 2.0,
        backoff_seconds: float = 1.0,
        max_attempts: int = 6,
        on_done: Callable[[], None] | None = None,
        on_page: Callable[[str], None] | None = None,
    ) -> None:
        self.db, self.rest, self.clock = db, rest, clock
        self.wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds, self.backoff_seconds = poll_seconds, backoff_seconds
        self.max_attempts = max_attempts
        self.on_done = on_done or (lambda: None)  # wakes the delivery worker
        self.on_page = on_page or (lambda outcome: None)  # metrics
        self.worker_id = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mentorbot-roster")

    async def stop(self) -> None:
        """Stop; the import under way keeps its stored pages and resumes elsewhere."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            async with self.db.unit() as repos:
                await repos.roster_imports.release(self.worker_id)

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                claim = await self._claim()
                if claim is None:
                    await self._idle()
                else:
                    await self._import(claim)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no fault may stop the worker
                report("roster", exc, worker=self.worker_id)
                await asyncio.sleep(self.poll_seconds)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        self._wake.clear()

    async def _claim(self) -> Claim | None:
        now = self.wall_clock()
        async with self.db.unit() as repos:
            job = await repos.roster_imports.claim(self.worker_id, now, now + self.lease)
            if job is None:
                return None
            team = await repos.teams.get(job.team_id)
            if team is None or not team.active:
                job.status, job.finished_at = "cancelled", self.clock()
                return None
            return Claim(
                job.id,
                team.team_id,
                team.service_url,
                _bot_id(team.general_ref),
                job.continuation,
                job.origin,
                job.attempts,
            )

    async def _import(self, claim: Claim) -> None:
        token = claim.continuation
        while True:
            try:
                answer = await self.rest.paged_members(
                    claim.service_url, claim.team_id, PAGE_SIZE, token
                )
            except ConnectorError as exc:
                if not await self._after_error(claim, token, exc.status, str(exc)):
                    return
                token = None  # the continuation token expired: from the first page again
                continue
            except (TimeoutError, OSError, aiohttp.ClientError) as exc:
                await self._retry_later(claim, f"no answer from Teams ({exc.__class__.__name__})")
                return
            page = _page(answer, claim.bot_id)
            stored = await self._store(claim, page)
            self.on_page("ok")
            if stored is not False:  # finished, or no longer ours
                return
            token = page.continuation

    async def _store(self, claim: Claim, page: roster.Page) -> bool | None:
        """One page in one unit; True when finished, None when the import is not ours."""
        async with self.db.unit(origin=claim.origin) as repos:
            job = await repos.roster_imports.held(claim.import_id, self.worker_id)
            team = await repos.teams.get(job.team_id) if job is not None else None
            if job is None or team is None:
                return None  # taken over after our lease ran out: the other worker goes on
            done = await roster.store_page(repos, job, team, page, self.clock())
            if not done:
                job.lease_until = self.wall_clock() + self.lease
        if done:
            log.info(
                "roster imported team=%s pages=%d",
                claim.team_id,
                job.pages,
                extra={"roster_import": claim.import_id, "origin": claim.origin},
            )
            self.on_done()
        return done

    async def _after_error(self, claim: Claim, token: str | None, status: int, detail: str) -> bool:
        """True: read again from the first page; False: stop here for now (or for good)."""
        self.on_page("error")
        if status in RETRY_STATUSES:
            await self._retry_later(claim, f"Teams could not take it now ({status})")
            return False
        if token is not None and status in (400, 404):
            # The continuation token expired: read from the start (stored pages stay).
            await self._restart(claim, f"Teams refused the continuation token ({status})")
            return True
        await self._give_up(claim, f"Teams refused the roster request ({status}): {detail}")
        return False

    async def _restart(self, claim: Claim, reason: str) -> None:
        async with self.db.unit() as repos:
            job = await repos.roster_imports.held(claim.import_id, self.worker_id)
            if job is not None:
                roster.restart(job, reason)

    async def _retry_later(self, claim: Claim, reason: str) -> None:
        """Give the claim back with a lease that ends after the backoff."""
        if claim.attempts + 1 >= self.max_attempts:
            await self._give_up(claim, f"gave up after {claim.attempts + 1} tries: {reason}")
            return
        ceiling = self.backoff_seconds * (2**claim.attempts)
        delay = timedelta(seconds=random.uniform(ceiling / 2, ceiling))
        async with self.db.unit() as repos:
            job = await repos.roster_imports.held(claim.import_id, self.worker_id)
            if job is not None:
                job.attempts += 1
                job.last_error = reason
                job.lease_until = self.wall_clock() + delay  # nobody takes it before then

    async def _give_up(self, claim: Claim, reason: str) -> None:
        log.warning(
            "roster import failed team=%s: %s",
            claim.team_id,
            reason,
            extra={"roster_import": claim.import_id, "origin": claim.origin},
        )
        async with self.db.unit(origin=claim.origin) as repos:
            job = await repos.roster_imports.held(claim.import_id, self.worker_id)
            team = await repos.teams.get(job.team_id) if job is not None else None
            if job is not None and team is not None:
                await roster.give_up(repos, job, team, reason, self.clock())
        self.on_done()


def _page(answer: dict[str, Any], bot_id: str | None) -> roster.Page:
    members = answer.get("members")
    people = tuple(
        p
        for m in (members if isinstance(members, list) else [])
        if (p := _person(m)) is not None and p.id != bot_id
    )
    token = answer.get("continuationToken")
    return roster.Page(people, token if isinstance(token, str) and token else None)


def _person(member: Any) -> Person | None:
    if not isinstance(member, dict) or not isinstance(member.get("id"), str) or not member["id"]:
        return None

    def text(name: str) -> str | None:
        value = member.get(name)
        return value if isinstance(value, str) and value else None

    return Person(
        id=member["id"],
        name=text("name"),
        aad_object_id=text("aadObjectId"),
        email=text("email"),
        upn=text("userPrincipalName"),
    )


def _bot_id(general_ref: str) -> str | None:
    with contextlib.suppress(ValueError, AttributeError):
        bot = json.loads(general_ref).get("bot") or {}
        return bot.get("id") if isinstance(bot, dict) else None
    return None
