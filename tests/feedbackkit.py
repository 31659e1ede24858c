"""Helpers for the survey and report tests: the survey job alone, ticks, survey cards,
answers, report facts and CSV downloads."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app import SCHEDULER_KEY
from dialogs.jobs import JOBS
from storage.models import SurveyInvite
from tests.fakes.teams import TeamsUser
from tests.goalkit import filled, submit
from tests.inbox import inbox, keyed

SURVEY_JOBS = tuple(job for job in JOBS if job.name == "surveys")


async def tick(bot: Any, at: datetime) -> None:
    bot.clock.now = at
    await bot.server.app[SCHEDULER_KEY].tick()
    await bot.settle()


def survey_cards(bot: Any, person: TeamsUser) -> list[Any]:
    return keyed(bot, person, "survey:invite")


def reminders(bot: Any, person: TeamsUser) -> list[Any]:
    return keyed(bot, person, "surveyreminder:invite")


def card_text(message: Any) -> str:
    return json.dumps(message.cards, ensure_ascii=False)


def invite_id(message: Any) -> int:
    return int(str(message.body["id"]).split("invite")[1])


async def answer(bot: Any, person: TeamsUser, message: Any, **values: Any) -> str:
    """Press the survey card's button with these inputs (q_<key>=...)."""
    return await submit(bot, person, filled(message, "survey_answer", **values))


def last_with_card(bot: Any, person: TeamsUser) -> Any:
    return [m for m in inbox(bot, person) if m.cards][-1]


async def invites(bot: Any) -> list[SurveyInvite]:
    async with bot.db.unit() as repos:
        return list(await repos.session.scalars(select(SurveyInvite).order_by(SurveyInvite.id)))


def facts_of(message: Any) -> dict[str, str]:
    """A report card's facts, title -> value."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                found.update({f["title"]: f["value"] for f in node["facts"]})
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(message.cards)
    return found


def link_of(message: Any) -> str:
    """The download link on an export card."""
    urls = re.findall(r'"url": "([^"]+)"', card_text(message))
    assert len(urls) == 1, card_text(message)
    return urls[0]


async def download(bot: Any, url: str) -> tuple[int, str, dict[str, str]]:
    """GET the link's path from the app under test (its PUBLIC_URL is not this port)."""
    path = "/exports/" + url.rsplit("/exports/", 1)[1]
    async with bot.session.get(bot.url + path) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))
