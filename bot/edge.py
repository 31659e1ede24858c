"""The Bot Framework SDK's side of the app, loaded when first needed.

botbuilder and what it imports (msrest, requests, urllib3, MSAL, PyJWT with
cryptography) are about a third of start-up, and nothing before the first turn or the
first send needs them. So the app starts without them: `SdkEdge` builds the CloudAdapter
(bot/adapter.py) and the POST /api/messages handler (bot/web.py) on first use, and
`start()` loads them in a thread as the app begins to listen, so the first turn normally
finds them ready (one that comes sooner waits for the import, as it would have waited
for start-up). A request that is not an activity of the right shape is refused before
any of that (bot/intake.py), so it never waits. What the outbox shares with the SDK (the
HTTP session, the bot's outgoing tokens) and the inbound token checks are built here,
without the SDK.

Nothing loaded here imports this module back: bot/adapter.py, bot/handler.py and
bot/web.py know nothing of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from bot import intake
from bot.auth import channel_tokens
from bot.metrics import Metrics
from bot.session import SharedSession
from bot.tokens import OutgoingTokens
from settings import Settings

log = logging.getLogger("mentorbot.edge")
# What a turn needs that start-up does not load: the SDK, through these.
SDK_MODULES = ("bot.adapter", "bot.handler", "bot.web")


class Messages(Protocol):
    """bot/web.py's Routes, as far as this module sees it."""

    async def turn(
        self, request: web.Request, data: dict[str, Any], started: float
    ) -> web.StreamResponse: ...


def load_sdk() -> None:
    """Import what a turn needs (the warm-up; bench.startup times it too)."""
    for name in SDK_MODULES:
        importlib.import_module(name)


class SdkEdge:
    """The CloudAdapter and the messages route, built on first use.

    `make_bot` builds bot/handler.py's MentorBot (typed Any: its module loads later)."""

    def __init__(self, settings: Settings, metrics: Metrics, make_bot: Callable[[], Any]) -> None:
        self.settings, self.metrics, self._make_bot = settings, metrics, make_bot
        self.http = SharedSession()
        self.tokens = OutgoingTokens()
        self.channel_tokens = channel_tokens(settings.app_id, settings.openid_metadata_url)
        self.on_warm: Callable[[], None] = lambda: None  # serve: freeze the heap again
        self._adapter: Any = None  # botbuilder's CloudAdapter, once built
        self._routes: Messages | None = None
        self._warming: asyncio.Task[None] | None = None

    def install(self, app: web.Application) -> None:
        app.router.add_post("/api/messages", self.messages)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """A request that is no activity is refused before the SDK is needed, so that it
        never waits for the SDK to load (bot/intake.py); the rest is bot/web.py's."""
        started = time.perf_counter()
        try:
            data = await intake.activity_json(request)
        except intake.Refused as refusal:
            return intake.refused(self.metrics, refusal, started)
        return await self.routes().turn(request, data, started)

    def adapter(self) -> Any:
        """The CloudAdapter (built, with the SDK loaded, when first asked for)."""
        if self._adapter is None:
            from bot.adapter import build_adapter
            from bot.handler import on_turn_error

            adapter = build_adapter(self.settings, self.http, self.tokens, self.channel_tokens)
            adapter.on_turn_error = on_turn_error
            self._adapter = adapter
        return self._adapter

    def routes(self) -> Messages:
        if self._routes is None:
            from bot.web import Routes

            self._routes = Routes(self.adapter(), self._make_bot(), self.metrics)
        return self._routes

    @property
    def loaded(self) -> bool:
        return self._routes is not None

    def start(self) -> None:
        if self.channel_tokens is not None:
            self.channel_tokens.keys.start()  # signing keys, fetched off the loop
        self._warming = asyncio.create_task(self._warm())

    async def _warm(self) -> None:
        try:
            await asyncio.to_thread(load_sdk)
            self.routes()
        except Exception:  # the first turn then loads it again and reports what fails
            log.exception("could not load the Bot Framework SDK ahead of the first turn")
            return
        self.on_warm()

    async def close(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
        if self.channel_tokens is not None:
            await self.channel_tokens.keys.close()
        await self.http.close()
