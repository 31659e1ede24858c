"""Finding 7: one membership rule. Acting in a team's channel, on a team's card or for a
team needs an active membership there (or admin rights).

Every command and every card action of the route table is tried, in the team's channel
and 1:1 against the team's things (its icebreaker, program, mentorships, proposals,
coffee round, pairs), by a stranger, a member removed from the team and a member of
another team: each is refused and no row changes. A current member is heard.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from dialogs.core.members import refusal
from dialogs.routes import build_table
from storage.models import (
    Base,
    Enrolment,
    Goal,
    IcebreakerAnswer,
    IcebreakerPost,
    MatchProposal,
    Mentorship,
    PairRound,
    Program,
    Team,
)
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count

CREW = TeamsTeam("crew", "Crew")
OTHER = TeamsTeam("other", "Other Team")
ADA = TeamsUser("ada", "Ada Admin")  # installed Crew
ANA = TeamsUser("ana", "Ana Member")
RON = TeamsUser("ron", "Ron Removed")  # in Crew, then removed
OLI = TeamsUser("oli", "Oli Other")  # installed the other team only
SAM = TeamsUser("sam", "Sam Stranger")  # in no team
OUTSIDERS = (SAM, RON, OLI)
TABLE = build_table()

# Card actions that act for a team (its card, its program, round, mentorship, a pair in
# it) and those that only ever touch the sender's own rows (forged ids of other people's
# rows are refused by their handlers: tests/test_card_ids.py and the feature tests).
FOR_A_TEAM = {
    "icebreaker_answer",
    "program_join",
    "enrol_save",
    "program_save",
    "pair_followup",
    "agreement_confirm",
    "agreement_settle",
    "mentorship_not_fit",
    "match_request",
    "match_answer",
    "goal_shoutout",
    "agenda_save",
    "notes_save",
    "feedback_export",
    "meeting_find",
    "meeting_book",
    "meeting_move",
    "meeting_cancel",
}
OWN_ROWS_ONLY = {
    "survey_answer",
    "survey_open",
    "profile_save",
    "timezone_save",
    "delete_data_confirm",
    "delete_data_cancel",
    "goal_save",
    "checkin_save",
    "action_item_done",
}
# 1:1 commands that name a team's things; the others act on the sender's own data.
ONE_ON_ONE = ("join Crew mentoring", "agenda Ana", "notes Ana", "goal share 1 Ana", "mentoring")


def test_every_card_action_is_classified():
    assert set(TABLE.actions) == FOR_A_TEAM | OWN_ROWS_ONLY


async def snapshot(bot, sender: TeamsUser) -> dict[str, list[tuple]]:
    """Every row of every table, but the sender's own user row, the activities
    remembered (a refused request is remembered too, to answer a retry the same) and the
    delivery worker's tenant lease (renewed on its own clock while the test runs)."""
    rows: dict[str, list[tuple]] = {}
    async with bot.db.unit() as repos:
        for table in Base.metadata.sorted_tables:
            if table.name in ("inbound_activities", "delivery_leases"):
                continue
            result = await repos.session.execute(text(f"SELECT * FROM {table.name} ORDER BY 1"))
            found = [tuple(r._mapping.items()) for r in result]
            if table.name == "users":
                found = [r for r in found if dict(r).get("teams_id") != sender.id]
            rows[table.name] = [tuple(map(str, r)) for r in found]
    return rows


async def ids(bot) -> dict[str, Any]:
    async with bot.db.unit() as repos:
        crew = await repos.teams.by_team_id(CREW.id)
        post = await repos.session.scalar(select(IcebreakerPost))
        program = await repos.session.scalar(select(Program))
        agreeing, active = (
            await repos.session.scalars(select(Mentorship).order_by(Mentorship.id))
        ).all()
        suggested, requested = (
            await repos.session.scalars(select(MatchProposal).order_by(MatchProposal.id))
        ).all()
        group = await repos.session.scalar(text("SELECT id FROM pair_groups"))
        goal = await repos.session.scalar(select(Goal))
        outbox = await repos.outbox.by_keys([post.outbox_key])
    assert crew and post and program and goal
    return {
        "crew": crew.id,
        "post": post.id,
        "card": outbox[post.outbox_key].activity_id,
        "program": program.id,
        "agreeing": agreeing.id,
        "active": active.id,
        "suggested": suggested.id,
        "requested": requested.id,
        "group": group,
        "goal": goal.id,
    }


async def setup(bot) -> dict[str, Any]:
    bot.connector.set_roster(CREW.id, [p.member() for p in (ADA, ANA, RON)], CREW.name)
    bot.connector.set_roster(OTHER.id, [OLI.member()], OTHER.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADA, CREW))
    await bot.send(teams.bot_installed_in_team(bot.service_url, OLI, OTHER))
    for person in (ADA, ANA, RON, OLI, SAM):
        await bot.send(teams.personal_message(bot.service_url, person, "hello"))
    replies = await bot.send(teams.channel_message(bot.service_url, ADA, CREW, "/icebreaker now"))
    assert "Posting this one now" in replies[0]
    await add_team_things(bot)
    await bot.send(
        teams.personal_message(bot.service_url, RON, "goal add Ship it target=2027-01-01")
    )
    await bot.send(teams.personal_message(bot.service_url, RON, "goal done 1"))
    await bot.settle()
    found = await ids(bot)
    # Before he leaves, Ron is heard: his icebreaker answer is saved.
    await answer(bot, RON, found, "before I left")
    assert await count(bot, IcebreakerAnswer) == 1
    await bot.send(teams.members_removed(bot.service_url, CREW, RON))
    await bot.settle()
    return found


async def add_team_things(bot) -> None:
    """A program of Crew with mentorships, proposals and a coffee round involving Ron."""
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    async with bot.db.unit() as repos:
        people = await repos.users.by_teams_ids(p.id for p in (ADA, ANA, RON))
        ada, ana, ron = (people[p.id].id for p in (ADA, ANA, RON))
        crew = await repos.teams.by_team_id(CREW.id)
        assert crew is not None
        program = await repos.programs.add(
            Program(
                team_id=crew.id,
                name="Crew mentoring",
                status="open",
                objectives=[],
                focus_areas=[],
                starts_on=now.date(),
                ends_on=now.date().replace(year=2027),
                cadence="monthly",
                capacity=3,
                mode="choose",
                agreement="",
                resources_mentors=[],
                resources_mentees=[],
                created_at=now,
                updated_at=now,
            )
        )
        for uid, role in ((ana, "mentor"), (ada, "mentor"), (ron, "mentee")):
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
        for mentor, mentee, status in ((ana, ron, "agreeing"), (ada, ron, "active")):
            await repos.programs.add_mentorship(
                Mentorship(
                    program_id=program.id,
                    mentor_id=mentor,
                    mentee_id=mentee,
                    status=status,
                    score=70.0,
                    reasons=[],
                    agreement={},
                    created_at=now,
                    started_at=now,
                )
            )
        for mentor, mentee, status in ((ana, ron, "suggested"), (ron, ana, "requested")):
            repos.programs.add_proposal(
                MatchProposal(
                    program_id=program.id,
                    mentor_id=mentor,
                    mentee_id=mentee,
                    status=status,
                    rank=1,
                    score=70.0,
                    reasons=[],
                    created_at=now,
                )
            )
        pair_round = await repos.pairing.add_round(
            PairRound(
                team_id=crew.id, period="p1", trigger="admin", seed=1, summary={}, created_at=now
            )
        )
        await repos.pairing.add_group(pair_round, [ana, ron], False)


async def answer(bot, person: TeamsUser, found: dict[str, Any], words: str) -> dict:
    data = {"action": "icebreaker_answer", "post": found["post"], "answer": words}
    status, body = await bot.post(
        teams.card_action(bot.service_url, person, CREW, data, found["card"])
    )
    assert status == 200
    return json.loads(body)


def team_card_values(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "program_join": {"program": found["program"]},
        "enrol_save": {"program": found["program"], "role": "mentee", "wants": "in"},
        "program_save": {"program": found["program"], "name": "Taken over"},
        "pair_followup": {"group": found["group"], "met": "yes", "comment": "we met"},
        "agreement_confirm": {"mentorship": found["agreeing"], "channel": "chat"},
        "agreement_settle": {"mentorship": found["agreeing"], "channel": "chat"},
        "mentorship_not_fit": {"mentorship": found["active"]},
        "match_request": {"proposal": found["suggested"]},
        "match_answer": {"proposal": found["requested"], "answer": "accept"},
        "goal_shoutout": {"goal": found["goal"], "team": found["crew"]},
        "agenda_save": {"pair": f"m{found['active']}", "achieve": "take over"},
        "notes_save": {"pair": f"m{found['active']}", "summary": "took over"},
        "icebreaker_answer": {"post": found["post"], "answer": "from outside"},
        "feedback_export": {"program": found["program"], "what": "pairs"},
        "meeting_find": {"mentorship": found["active"]},
        "meeting_book": {"mentorship": found["active"], "start": "2026-11-24T15:00:00+00:00"},
        "meeting_move": {"mentorship": found["active"], "meeting": "1"},
        "meeting_cancel": {"mentorship": found["active"], "meeting": "1"},
    }


@pytest.fixture
async def crew(bot):
    return bot, await setup(bot)


async def test_outsiders_are_refused_in_the_teams_channel(crew):
    bot, found = crew
    expected = refusal(Team(name=CREW.name))
    for person in OUTSIDERS:
        for command in TABLE.commands:
            before = await snapshot(bot, person)
            words = f"{command.name} Crew x"
            replies = await bot.send(teams.channel_message(bot.service_url, person, CREW, words))
            assert replies == [expected], (person.key, command.name, replies)
            assert await snapshot(bot, person) == before, (person.key, command.name)
        for action in TABLE.actions:
            before = await snapshot(bot, person)
            data = {"action": action} | team_card_values(found).get(action, {})
            activity = teams.card_action(bot.service_url, person, CREW, data, found["card"])
            status, body = await bot.post(activity)
            assert status == 200 and expected in body, (person.key, action, body)
            assert await snapshot(bot, person) == before, (person.key, action)
    # A member is heard in the same channel.
    replies = await bot.send(teams.channel_message(bot.service_url, ANA, CREW, "help"))
    assert replies and replies != [expected]
    assert "saved" in (await answer(bot, ANA, found, "I'm in"))["value"]


async def test_outsiders_are_refused_for_the_teams_things_one_on_one(crew):
    bot, found = crew
    values = team_card_values(found)
    for person in OUTSIDERS:
        for action in sorted(FOR_A_TEAM):
            before = await snapshot(bot, person)
            submit = teams.card_submit(bot.service_url, person, {"action": action} | values[action])
            replies = await bot.send(submit)
            assert await snapshot(bot, person) == before, (person.key, action, replies)
        team_commands = [c for c in TABLE.commands if any(a.name == "team" for a in c.args)]
        for words in [f'{c.name} team="Crew"' for c in team_commands] + list(ONE_ON_ONE):
            before = await snapshot(bot, person)
            replies = await bot.send(teams.personal_message(bot.service_url, person, words))
            assert await snapshot(bot, person) == before, (person.key, words, replies)
    # Ron's icebreaker answer from before he left stays as it was.
    async with bot.db.unit() as repos:
        (kept,) = (await repos.session.scalars(select(IcebreakerAnswer))).all()
    assert kept.text == "before I left"
