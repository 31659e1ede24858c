"""A group chat per coffee group or mentor pair: the Graph half of intros in a group chat.

A round with group chats on records each group's chat row (dialogs/coffee/rounds.py),
a new mentor pair of a program with group chats on its pair's row
(dialogs/mentoring/agreements.py), with the intro to post there and the 1:1 intros to
send instead. This worker (run with
the directory sync) settles each row in steps, each committed before the next Graph
call: claimed (`creating`), the chat made and its id stored (`created`), the bot being
installed (`installing`), the intro queued into the chat through the outbox
(`announced`). A retry
resumes from the recorded step, so a group gets at most one chat: a row left in
`creating` (the process stopped while Graph was asked, so a chat may exist) is never
asked again and its intros go 1:1. A 403 (permission missing) or a chat Graph will not
make sends the 1:1 intros exactly as without Graph, and is noted for `/graph status`
(admins told once). Throttling and 5xx leave the row where it is for the next pass.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dialogs.core import outbox
from dialogs.core.graph import Graph, GraphError
from dialogs.core.types import Clock
from dialogs.directory import store
from storage import Database
from storage.models import GroupChat
from storage.repos import Repos
from storage.repos.outbox import Queued

log = logging.getLogger("mentorbot.graph")
BATCH = 100  # rows looked at per pass
STUCK = timedelta(minutes=10)  # `creating` this long: the asking process is gone
ALREADY = 409  # installing the bot where it already is
STATES = ("pending", "creating", "created", "installing")  # not settled yet


class ChatMaker:
    def __init__(self, db: Database, graph: Graph, clock: Clock, teams_app_id: str) -> None:
        self.db, self.graph, self.clock, self.app_id = db, graph, clock, teams_app_id

    async def run_once(self) -> int:
        """One pass over unsettled chats; how many were settled."""
        async with self.db.unit() as repos:
            rows = await repos.directory.chats_in(STATES, BATCH)
            todo = [(r.id, r.state, r.updated_at) for r in rows]
        settled = 0
        for row_id, state, updated in todo:
            stuck = self.clock() - updated >= STUCK
            if state in ("creating", "installing") and not stuck:
                continue  # another pass (or replica) is asking Graph right now
            if state == "creating":  # a chat may exist: never ask for a second
                settled += await self._fallback(row_id, None, None)
                continue
            try:
                if state == "pending" and not await self._create(row_id):
                    continue
                settled += await self._announce(row_id, "installing" if stuck else "created")
            except GraphError as exc:
                if exc.status == 429 or exc.status >= 500:
                    log.warning("graph chats throttled or down: %s", exc)
                    return settled  # the next pass goes on where this one stopped
                raise
        return settled

    async def _create(self, row_id: int) -> bool:
        """Claim and create the chat; True when its id is stored."""
        async with self.db.unit() as repos:
            if not await repos.directory.claim_chat(row_id, "pending", "creating", self.clock()):
                return False  # another replica has it
            row = await repos.directory.chat(row_id)
            assert row is not None
            members, topic = list(row.payload["members"]), str(row.payload["topic"])
            tenant = row.tenant_id
        try:
            chat_id = await self.graph.create_chat(members, topic)
        except GraphError as exc:
            if exc.status == 429 or exc.status >= 500:
                async with self.db.unit() as repos:  # Graph made nothing: ask again later
                    await repos.directory.claim_chat(row_id, "creating", "pending", self.clock())
                    await store.record(repos, tenant, "chats", exc, self.clock())
                raise
            await self._fallback(row_id, "chats", exc)
            return False
        async with self.db.unit() as repos:
            row = await repos.directory.chat(row_id)
            assert row is not None
            row.chat_id, row.state, row.updated_at = chat_id, "created", self.clock()
            await store.record(repos, tenant, "chats", None, self.clock())
        return True

    async def _announce(self, row_id: int, state: str) -> int:
        """Install the bot in the recorded chat and queue the intro there (installing
        again after a lost answer is harmless: Graph says 409, it is there)."""
        async with self.db.unit() as repos:
            if not await repos.directory.claim_chat(row_id, state, "installing", self.clock()):
                return 0
            row = await repos.directory.chat(row_id)
            assert row is not None and row.chat_id
            chat_id, tenant = row.chat_id, row.tenant_id
        try:
            await self.graph.install_app_in_chat(chat_id, self.app_id)
        except GraphError as exc:
            if exc.status == 429 or exc.status >= 500:
                async with self.db.unit() as repos:  # asked again by the next pass
                    await repos.directory.claim_chat(row_id, "installing", "created", self.clock())
                    await store.record(repos, tenant, "chat_app", exc, self.clock())
                raise
            if exc.status != ALREADY:
                return await self._fallback(row_id, "chat_app", exc)
        async with self.db.unit() as repos:
            row = await repos.directory.chat(row_id)
            if row is None or row.state != "installing":
                return 0
            intro = row.payload["intro"]
            message = outbox.to_team(
                intro["key"], row.team_id, text=intro["text"], card=intro["card"], channel=chat_id
            )
            await outbox.queue(repos, message, self.clock())
            _settle(row, "announced", self.clock())
            await store.record(repos, tenant, "chat_app", None, self.clock())
        log.info("group chat announced chat_row=%d", row_id)
        return 1

    async def _fallback(self, row_id: int, feature: str | None, error: GraphError | None) -> int:
        """The 1:1 intros, as without group chats; a refusal noted for `/graph status`."""
        async with self.db.unit() as repos:
            row = await repos.directory.chat(row_id)
            if row is None or row.state in ("announced", "fallback"):
                return 0
            await _queue_fallback(repos, row, self.clock())
            if feature is not None:
                await store.record(repos, row.tenant_id, feature, error, self.clock())
        log.info("group chat fell back to 1:1 chat_row=%d (%s)", row_id, error)
        return 1


async def _queue_fallback(repos: Repos, row: GroupChat, now: datetime) -> None:
    rows = [
        Queued(m["key"], m["payload"], user_id=m.get("user_id"), team_id=m.get("team_id"))
        for m in _listed(row.payload.get("fallback"))
    ]
    await repos.outbox.enqueue_many(rows, now)
    _settle(row, "fallback", now)


def _listed(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _settle(row: GroupChat, state: str, now: datetime) -> None:
    """Settled: the intros it held are in the outbox now, so the row keeps none."""
    row.state, row.payload, row.updated_at = state, {}, now
