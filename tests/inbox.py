"""What the fake connector delivered to a person, the submits on a card, row counts:
the helpers every end-to-end test file reads its results with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.fakes import teams
from tests.fakes.teams import TeamsUser


def inbox(bot: Any, user: TeamsUser) -> list[Any]:
    """Everything delivered to the user's 1:1 chat (opened by the bot or by them)."""
    c = bot.connector
    return c.messages(f"a:1on1-{user.id}") + c.messages(user.personal_conversation)


def keyed(bot: Any, user: TeamsUser, prefix: str) -> list[Any]:
    """Proactive messages whose idempotency key (the activity id) starts with prefix."""
    return [m for m in inbox(bot, user) if str(m.body.get("id", "")).startswith(prefix)]


def submits(message: Any, action: str) -> list[dict[str, Any]]:
    """The data of every Action.Submit with this action anywhere in the message's cards."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit" and node.get("data", {}).get("action") == action:
                found.append(node["data"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(message.cards)
    return found


async def count(bot: Any, model: Any, *where: Any) -> int:
    async with bot.db.unit() as repos:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)
        return int(await repos.session.scalar(stmt) or 0)


async def my_data(bot: Any, user: TeamsUser) -> tuple[dict[str, Any], dict[str, Any]]:
    """`my data` 1:1: the card it answers with, and the whole export behind the card's
    download link, fetched from the app and parsed."""
    import json
    import re

    await bot.send(teams.personal_message(bot.service_url, user, "my data"))
    (card,) = bot.connector.messages(user.personal_conversation)[-1].cards
    (url,) = re.findall(r'"url": "([^"]+/exports/[^"]+)"', json.dumps(card))
    async with bot.session.get(bot.url + "/exports/" + url.rsplit("/exports/", 1)[1]) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.content_type == "application/json"
        return card, json.loads(await resp.text())
