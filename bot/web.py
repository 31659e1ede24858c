"""HTTP routes: POST /api/messages and GET /healthz."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter

from bot.activity import BadActivity, parse_body
from bot.auth import AuthError
from bot.handler import ROUTE_KEY, MentorBot
from storage import Database

log = logging.getLogger("mentorbot.http")
MAX_BODY = 1024 * 1024


class Routes:
    def __init__(self, adapter: CloudAdapter, bot: MentorBot, db: Database) -> None:
        self.adapter, self.bot, self.db = adapter, bot, db

    def install(self, app: web.Application) -> None:
        app.router.add_post("/api/messages", self.messages)
        app.router.add_get("/healthz", self.healthz)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        if "json" not in request.headers.get("Content-Type", ""):
            return _problem(415, "send the activity as application/json")
        try:
            activity = parse_body(await request.read())
        except BadActivity as exc:
            return _problem(400, str(exc))
        try:
            auth = await self.adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except Exception as exc:  # bad, expired or unverifiable token: all are 401
            # One line, no traceback: anyone can send these, as often as they like.
            log.info("rejected an activity (401): %s", _reason(exc))
            return _problem(401, "a valid Bot Framework token is required")
        route = ["-"]

        async def logic(context: TurnContext) -> None:
            try:
                await self.bot.on_turn(context)
            finally:
                route[0] = context.turn_state.get(ROUTE_KEY, "-")

        invoke = await self.adapter.process_activity(auth, activity, logic)
        log.info(
            "turn type=%s route=%s ms=%.1f",
            activity.type,
            route[0],
            (time.perf_counter() - started) * 1000,
        )
        if invoke is not None:
            # A plain dict body (a card action's answer) needs no msrest serializing.
            body = invoke.body if isinstance(invoke.body, dict) else serializer_helper(invoke.body)
            return web.json_response(body, status=invoke.status)
        return web.Response(status=200)

    async def healthz(self, _request: web.Request) -> web.Response:
        if await self.db.ping():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unavailable"}, status=503)


def _reason(exc: Exception) -> str:
    if isinstance(exc, AuthError):
        return str(exc)
    return exc.__class__.__name__


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)
