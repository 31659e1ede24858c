"""Helpers for the goals, check-ins and sessions tests: people, pairs, turns and inboxes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage.models import (
    Enrolment,
    Mentorship,
    PairRound,
    Program,
    User,
)
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import inbox, submits

TEAM = TeamsTeam("grow", "Growth Guild")
ADMIN = TeamsUser("ada", "Ada Admin")
MENTOR = TeamsUser("mia", "Mia Mentor")
MENTEE = TeamsUser("tom", "Tom Mentee")
OTHER = TeamsUser("eve", "Eve Elsewhere")  # in the team, paired with nobody
PARTNER = TeamsUser("cal", "Cal Coffee")  # Tom's coffee partner in some tests


def texts(bot: Any, user: TeamsUser) -> list[str]:
    return [m.text or "" for m in inbox(bot, user)]


def dump(messages: list[Any]) -> str:
    return json.dumps([[m.text, m.cards] for m in messages], ensure_ascii=False)


def inputs(message: Any) -> dict[str, Any]:
    """Every input on the message's cards, id -> its (pre-filled) value."""
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node.get("value")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(message.cards)
    return found


def filled(message: Any, action: str, **changes: Any) -> dict[str, Any]:
    """What Teams sends when the card's submit is pressed: the action's data and every
    input's value (as pre-filled, numbers as text), with the changes typed in."""
    (data,) = submits(message, action)
    values = {k: str(v) for k, v in inputs(message).items() if v is not None}
    return data | values | changes


async def say(bot: Any, user: TeamsUser, text: str, timezone: str = "Europe/Berlin") -> str:
    """A 1:1 message; the bot's reply (queued messages go out first)."""
    await bot.settle()
    replies = await bot.send(teams.personal_message(bot.service_url, user, text, timezone))
    await bot.settle()
    return "\n".join(replies)


async def submit(bot: Any, user: TeamsUser, value: Any, timezone: str = "Europe/Berlin") -> str:
    await bot.settle()
    activity = teams.card_submit(bot.service_url, user, value)
    activity["localTimezone"] = timezone
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


def last_card(bot: Any, user: TeamsUser) -> Any:
    return [m for m in inbox(bot, user) if m.cards][-1]


async def install(bot: Any, *members: TeamsUser) -> None:
    people = (ADMIN, *members)
    bot.connector.set_roster(TEAM.id, [p.member() for p in people], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADMIN, TEAM))
    await bot.settle()


async def user_id(bot: Any, person: TeamsUser) -> int:
    async with bot.db.unit() as repos:
        user = await repos.users.by_teams_id(person.id)
        assert user is not None, person
        return user.id


async def mentorship(
    bot: Any,
    mentor: TeamsUser = MENTOR,
    mentee: TeamsUser = MENTEE,
    started: datetime | None = None,
) -> int:
    """An active mentorship in an open program of the team (matching is tested elsewhere)."""
    now = started or bot.now()
    mentor_id, mentee_id = await user_id(bot, mentor), await user_id(bot, mentee)
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        program = (await repos.programs.by_name([team.id], "Spring mentoring") or [None])[0]
        if program is None:
            program = await repos.programs.add(
                Program(
                    team_id=team.id,
                    name="Spring mentoring",
                    status="open",
                    objectives=["skills"],
                    focus_areas=[],
                    starts_on=now.date(),
                    ends_on=now.date().replace(year=now.year + 1),
                    cadence="biweekly",
                    capacity=2,
                    mode="automatic",
                    agreement="",
                    resources_mentors=[],
                    resources_mentees=[],
                    created_at=now,
                    updated_at=now,
                )
            )
        for uid, role in ((mentor_id, "mentor"), (mentee_id, "mentee")):
            repos.programs.add_enrolment(
                Enrolment(
                    program_id=program.id,
                    user_id=uid,
                    role=role,
                    wants="",
                    active=True,
                    priority=False,
                    created_at=now,
                    updated_at=now,
                )
            )
        m = await repos.programs.add_mentorship(
            Mentorship(
                program_id=program.id,
                mentor_id=mentor_id,
                mentee_id=mentee_id,
                status="active",
                score=80.0,
                reasons=[],
                agreement={"mentor": {"at": now.isoformat()}, "mentee": {"at": now.isoformat()}},
                created_at=now,
                started_at=now,
            )
        )
        return m.id


async def coffee_group(bot: Any, *people: TeamsUser) -> int:
    """A past coffee round in which these people were one group; returns the group id.
    (Nobody has answered "did you meet?" yet: tests answer through the card.)"""
    ids = [await user_id(bot, p) for p in people]
    now = bot.now()
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        count = await repos.session.scalar(select(func.count()).select_from(PairRound))
        pair_round = await repos.pairing.add_round(
            PairRound(
                team_id=team.id,
                period=f"test-{count}",
                trigger="admin",
                seed=1,
                summary={},
                created_at=now,
            )
        )
        group, _ = await repos.pairing.add_group(pair_round, ids, False)
        await repos.flush()
        return group.id


async def met(bot: Any, person: TeamsUser, group: int, answer: str = "yes") -> str:
    return await submit(bot, person, {"action": "pair_followup", "group": group, "met": answer})


async def users(bot: Any) -> dict[str, User]:
    async with bot.db.unit() as repos:
        rows = await repos.session.scalars(select(User))
        return {u.teams_id[3:]: u for u in rows if u.teams_id}
