"""Two replicas (two apps, two engines, one PostgreSQL) answering at the same moment.

Nobody is told "something went wrong" because another replica won a race: admin commands
on one team take turns (a lock on the team's row), and a turn that lost a race on a
unique key is run again and answers with what happened.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from settings import Settings
from storage.models import PairRound, TeamAdmin, User
from tests.conftest import FAST_DELIVERY, _truncate, start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")  # installs: an admin
BEN = TeamsUser("ben", "Ben Okafor")  # made an admin
CHLOE = TeamsUser("chloe", "Chloe Martin")
DAN = TeamsUser("dan", "Dan Wu")
TEAM = TeamsTeam("guild", "Data Guild")
SORRY = "something went wrong"


@pytest.fixture
async def pg_settings(postgres_database: str) -> Settings:
    await _truncate(postgres_database)
    return Settings(database_url=postgres_database, delivery=FAST_DELIVERY)


@pytest.fixture
async def two(pg_settings, connector, clock):
    async with (
        start_bot(pg_settings, connector, clock) as a,
        start_bot(pg_settings, connector, clock) as b,
    ):
        connector.set_roster(TEAM.id, [m.member() for m in (ANA, BEN, CHLOE, DAN)], TEAM.name)
        await a.send(teams.bot_installed_in_team(a.service_url, ANA, TEAM))
        mention = teams.channel_message(a.service_url, ANA, TEAM, "/admin add @ben", (BEN,))
        await a.send(mention)
        yield a, b


async def at_once(*posts) -> list[int]:
    return [status for status, _ in await asyncio.gather(*posts)]


def said_since(connector, before: int) -> list[str]:
    return [c.text or "" for c in connector.calls[before:] if c.is_activity_post and c.delivered]


async def test_pair_now_on_two_replicas_at_once_makes_one_round_and_answers_both(two, caplog):
    a, b = two
    caplog.set_level(logging.INFO)
    before = len(a.connector.calls)
    statuses = await at_once(
        a.post(teams.channel_message(a.service_url, ANA, TEAM, "/pair now")),
        b.post(teams.channel_message(b.service_url, BEN, TEAM, "/pair now")),
    )
    assert statuses == [200, 200]
    async with a.db.unit() as repos:
        rounds = await repos.session.scalar(select(func.count()).select_from(PairRound))
    assert rounds == 1
    # The admins' answers (the intros, delivered meanwhile under load, say "round" too).
    answers = [
        t
        for t in said_since(a.connector, before)
        if "round" in t.lower() and not t.startswith("Your coffee chat")
    ]
    assert len(answers) == 2, answers
    assert sum("New round in Data Guild" in t for t in answers) == 1
    assert sum("A round ran in Data Guild less than an hour ago" in t for t in answers) == 1
    assert not any(SORRY in t for t in said_since(a.connector, before))


async def test_the_same_admin_command_on_two_replicas_adds_one_admin(two):
    a, b = two
    before = len(a.connector.calls)
    add = "/admin add @chloe"
    statuses = await at_once(
        a.post(teams.channel_message(a.service_url, ANA, TEAM, add, (CHLOE,))),
        b.post(teams.channel_message(b.service_url, BEN, TEAM, add, (CHLOE,))),
    )
    assert statuses == [200, 200]
    async with a.db.unit() as repos:
        admins = await repos.session.scalar(select(func.count()).select_from(TeamAdmin))
    assert admins == 3  # Ana, Ben, Chloe
    answers = said_since(a.connector, before)
    assert len(answers) == 2 and not any(SORRY in t for t in answers)
    assert all("Chloe Martin" in t for t in answers)


async def test_a_newcomers_first_messages_on_two_replicas_create_one_user(two, caplog):
    """Both turns insert the same new user; the loser's unit is run again and finds it."""
    a, b = two
    caplog.set_level(logging.INFO, logger="mentorbot.turn")
    for i in range(5):
        person = TeamsUser(f"new{i}", f"New Person {i}")
        before = len(a.connector.calls)
        statuses = await at_once(
            a.post(teams.personal_message(a.service_url, person, "help")),
            b.post(teams.personal_message(b.service_url, person, "coffee")),
        )
        assert statuses == [200, 200]
        answers = said_since(a.connector, before)
        assert len(answers) >= 2 and not any(SORRY in t for t in answers), answers
    async with a.db.unit() as repos:
        users = await repos.session.scalar(
            select(func.count()).select_from(User).where(User.teams_id.like("29:new%"))
        )
    assert users == 5
    # The race really happened (at least once in five tries) and was retried.
    assert any("collided with this turn" in r.getMessage() for r in caplog.records)
