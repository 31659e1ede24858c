"""The delivery worker: drains the outbox into Teams.

A row is claimed (pending -> sending, committed) before it is sent and marked sent
with the returned activity id afterwards. This first version sends each row at most
as often as it is claimed; rate limits, Retry-After and crash recovery of rows left
in `sending` belong to the delivery issue (see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)

from bot.activity import to_activity
from dialogs.types import Clock, Reply
from storage import Database
from storage.models import OutboxMessage, Team, User

log = logging.getLogger("mentorbot.delivery")
BATCH = 50
MAX_ATTEMPTS = 5


class DeliveryWorker:
    def __init__(
        self, db: Database, adapter: CloudAdapter, app_id: str, clock: Clock, poll_seconds: float
    ) -> None:
        self.db, self.adapter, self.app_id, self.clock = db, adapter, app_id, clock
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mentorbot-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while await self.drain_once():
                    pass
            except Exception:  # a fault must never stop the worker
                log.exception("delivery pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def drain_once(self) -> int:
        """Send one batch of pending rows; returns how many were tried."""
        async with self.db.unit() as repos:
            rows = await repos.outbox.pending(BATCH)
        for row in rows:
            await self._deliver(row)
        return len(rows)

    async def _deliver(self, row: OutboxMessage) -> None:
        async with self.db.unit() as repos:
            if not await repos.outbox.claim(row.id):
                return
            user = await repos.users.get(row.user_id) if row.user_id else None
            team = await repos.teams.get(row.team_id) if row.team_id else None
        try:
            activity_id = await self._send(row.payload, user, team)
        except Exception as exc:
            log.warning(
                "send failed id=%s attempt=%s: %s", row.id, row.attempts + 1, exc.__class__.__name__
            )
            status = "failed" if row.attempts + 1 >= MAX_ATTEMPTS else "pending"
            async with self.db.unit() as repos:
                await repos.outbox.finish(row.id, status, self.clock(), error=repr(exc)[:500])
            return
        async with self.db.unit() as repos:
            await repos.outbox.finish(row.id, "sent", self.clock(), activity_id=activity_id)

    async def _send(
        self, payload: dict[str, Any], user: User | None, team: Team | None
    ) -> str | None:
        reply = Reply(text=payload.get("text"), card=payload.get("card"))
        if payload.get("to") == "team" and team is not None:
            return await self._continue(team.general_ref, reply)
        if user is None or not user.teams_id:
            raise LookupError("recipient no longer exists")
        if user.personal_ref:
            return await self._continue(user.personal_ref, reply)
        return await self._open_and_send(user, team, reply)

    async def _continue(self, reference_json: str, reply: Reply) -> str | None:
        reference = ConversationReference().deserialize(json.loads(reference_json))
        sent: list[str | None] = []

        async def callback(context: TurnContext) -> None:
            response = await context.send_activity(to_activity(reply))
            sent.append(response.id if response else None)

        await self.adapter.continue_conversation(reference, callback, bot_app_id=self.app_id)
        return sent[0] if sent else None

    async def _open_and_send(self, user: User, team: Team | None, reply: Reply) -> str | None:
        """First 1:1 message to someone who never wrote to the bot."""
        if team is None:
            raise LookupError("no team to reach this user through")
        team_ref = ConversationReference().deserialize(json.loads(team.general_ref))
        parameters = ConversationParameters(
            is_group=False,
            bot=team_ref.bot,
            members=[ChannelAccount(id=user.teams_id)],
            tenant_id=user.tenant_id,
            channel_data={"tenant": {"id": user.tenant_id}},
        )
        sent: list[str | None] = []
        references: list[str] = []

        async def callback(context: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(context.activity)
            references.append(json.dumps(reference.serialize()))
            response = await context.send_activity(to_activity(reply))
            sent.append(response.id if response else None)

        await self.adapter.create_conversation(
            self.app_id, callback, parameters, "msteams", user.service_url or team.service_url
        )
        if references:
            await self._remember_chat(user.id, references[0])
        return sent[0] if sent else None

    async def _remember_chat(self, user_id: int, reference: str) -> None:
        async with self.db.unit() as repos:
            user = await repos.users.get(user_id)
            if user is not None and not user.personal_ref:
                user.personal_ref = reference
