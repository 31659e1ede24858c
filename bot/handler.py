"""The bot's turn: Activity -> Inbound -> dialogs (one unit of work) -> replies."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.activity import (
    changed_members,
    invoke_reply,
    is_card_action,
    kind_of,
    tenant_of,
    to_activity,
    to_inbound,
)
from bot.delivery import DeliveryWorker
from bot.roster import full_roster, with_details
from dialogs.core import dispatch
from dialogs.core.errors import report
from dialogs.core.router import Env
from dialogs.core.types import Kind, Person, Reply
from storage import Database

log = logging.getLogger("mentorbot.turn")
ROUTE_KEY = "mentorbot.route"


class MentorBot:
    def __init__(
        self, db: Database, env: Env, delivery: DeliveryWorker, allowed_tenants: frozenset[str]
    ) -> None:
        self.db, self.env, self.delivery = db, env, delivery
        self.allowed_tenants = allowed_tenants

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        kind = kind_of(activity)
        if kind is None:
            context.turn_state[ROUTE_KEY] = "ignored"
            return
        if not self._tenant_allowed(activity):
            context.turn_state[ROUTE_KEY] = "tenant-not-allowed"
            log.warning(
                "ignored an activity from a tenant not in ALLOWED_TENANTS: %s", tenant_of(activity)
            )
            return
        members = await self._members(context, kind)
        inbound = to_inbound(activity, kind, members)
        async with self.db.unit() as repos:
            result = await dispatch.handle(inbound, repos, self.env)
        # Committed: only now is anyone told.
        context.turn_state[ROUTE_KEY] = result.route
        if is_card_action(activity):  # Teams waits for this answer; only the clicker sees it
            await context.send_activity(invoke_reply(result.replies))
        elif result.replies:
            await context.send_activities([to_activity(r) for r in result.replies])
        if result.queued:
            self.delivery.wake()

    def _tenant_allowed(self, activity: Activity) -> bool:
        return not self.allowed_tenants or tenant_of(activity) in self.allowed_tenants

    async def _members(self, context: TurnContext, kind: Kind) -> tuple[Person, ...]:
        team_id = (context.activity.channel_data or {}).get("team", {}).get("id", "")
        if kind == "team_install":
            return await full_roster(context, team_id)
        if kind == "members_added":
            return await with_details(context, team_id, changed_members(context.activity, kind))
        if kind == "members_removed":
            return changed_members(context.activity, kind)
        return ()


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """Any fault in a turn: log it with context and tell the user, never crash."""
    activity = context.activity
    report("turn", error, type=activity.type, route=context.turn_state.get(ROUTE_KEY, "-"))
    context.turn_state[ROUTE_KEY] = "error"
    sorry = (
        "Sorry, something went wrong on my side and nothing "
        "was changed. Please try again in a moment."
    )
    if is_card_action(activity):
        await context.send_activity(invoke_reply([Reply(text=sorry)]))
    elif activity.type == "message":
        try:
            await context.send_activity(sorry)
        except Exception:
            log.warning("could not tell the user about the failure", exc_info=True)
