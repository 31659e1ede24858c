"""HTTP route POST /api/messages, past bot/intake.py's checks: the SDK's Activity, the
token, the turn (probes: bot/health.py; /metrics: bot/metrics.py)."""

from __future__ import annotations

# i18n: this module says nothing to people
import logging
import time
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot.activity import BadActivity, activity_of, tenant_of
from bot.auth import AuthError
from bot.handler import ROUTE_KEY, MentorBot
from bot.intake import Refused, refused
from bot.logs import turn_fields
from bot.metrics import Metrics
from dialogs.core.dispatch import UNADDRESSED

log = logging.getLogger("mentorbot.http")


class Routes:
    """A turn of an activity that bot/intake.py has let through (bot/edge.py calls it)."""

    def __init__(self, adapter: CloudAdapter, bot: MentorBot, metrics: Metrics) -> None:
        self.adapter, self.bot, self.metrics = adapter, bot, metrics

    async def turn(
        self, request: web.Request, data: dict[str, Any], started: float
    ) -> web.StreamResponse:
        try:
            activity = activity_of(data)
        except BadActivity as exc:
            return refused(self.metrics, Refused(400, str(exc)), started)
        try:
            auth = await self.adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except Exception as exc:  # bad, expired or unverifiable token: all are 401
            # One line, no traceback: anyone can send these, as often as they like.
            log.info("rejected an activity (401): %s", _reason(exc))
            refusal = Refused(401, "a valid Bot Framework token is required")
            return refused(self.metrics, refusal, started)
        route = ["-"]

        async def logic(context: TurnContext) -> None:
            try:
                await self.bot.on_turn(context)
            finally:
                route[0] = context.turn_state.get(ROUTE_KEY, "-")

        invoke = await self.adapter.process_activity(auth, activity, logic)
        self._observe(activity, route[0], started)
        if invoke is not None:
            # A plain dict body (a card action's answer) needs no msrest serializing.
            body = invoke.body if isinstance(invoke.body, dict) else serializer_helper(invoke.body)
            return web.json_response(body, status=invoke.status)
        return web.Response(status=200)

    def _observe(self, activity: Activity, route: str, started: float) -> None:
        """One log line and the metrics of a turn: ids, route, time, outcome."""
        seconds = time.perf_counter() - started
        outcome = "error" if route == "error" else "ok"
        self.metrics.turn(route, outcome, seconds)
        if route == UNADDRESSED:
            return  # channel chatter under RSC: not ours, not even a log line
        if not log.isEnabledFor(logging.INFO):
            return  # nobody reads it: no fields to build
        fields = turn_fields(activity, tenant_of(activity), route, seconds * 1000, outcome)
        log.info(
            "turn type=%s route=%s ms=%.1f", activity.type, route, seconds * 1000, extra=fields
        )


def _reason(exc: Exception) -> str:
    if isinstance(exc, AuthError):
        return str(exc)
    return exc.__class__.__name__
