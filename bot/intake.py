"""POST /api/messages before the Bot Framework SDK: the checks every request passes first.

A request that is not JSON (415), or whose JSON is not an activity of the right shape
(400, bot/shape.py), is refused here, without the SDK: a process that has just started
answers it at once instead of waiting for the SDK to load (bot/edge.py). What passes goes
to bot/web.py, which refuses the rest (ill-typed fields msrest would not take, a bad
token) with `refused` too, so every refusal has one form and one metric.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import time
from typing import Any

from aiohttp import web

from bot import shape
from bot.metrics import Metrics


class Refused(Exception):
    """The request is refused with this status and reason, before any work."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


async def activity_json(request: web.Request) -> dict[str, Any]:
    """The request's activity as checked JSON (bot/shape.py); Refused if it is none."""
    if "json" not in request.headers.get("Content-Type", ""):
        raise Refused(415, "send the activity as application/json")
    try:
        return shape.loads(await request.read())
    except shape.BadActivity as exc:
        raise Refused(400, str(exc)) from None


def refused(metrics: Metrics, refusal: Refused, started: float) -> web.Response:
    """The answer to a refused request (`{"error": reason}`), counted as a rejected turn."""
    metrics.turn("-", "rejected", time.perf_counter() - started)
    return web.json_response({"error": refusal.detail}, status=refusal.status)
