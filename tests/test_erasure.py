"""Finding 6: `delete my data` reaches every table, the outbox included; retention blanks
what was sent after RETENTION_DAYS.

Dora uses everything that keeps her words (profile, a goal shared with her mentor, a
blocked check-in told to him, an agenda, notes with an action item, an icebreaker answer
that went out in the digest, a suggestion, a coffee follow-up comment) and installed the
team; her mentor reads her shared goal. After she deletes her data, every column of
every table is scanned for her ids, her name, her addresses and her words.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from app import SCHEDULER_KEY
from dialogs.account import FEATURE as ACCOUNT
from storage.models import Base, IcebreakerPost, InboundActivity, OutboxMessage
from storage.sql import json_escaped
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.goalkit import coffee_group, filled, last_card, mentorship, met, say, submit
from tests.inbox import count, submits

DORA = TeamsUser("dora", "Dora Ümlaut")
MIA = TeamsUser("mia", "Mia Mentor")
EVE = TeamsUser("eve", "Eve Elsewhere")
TEAM = TeamsTeam("grow", "Growth Guild")  # goalkit's team: its helpers use it
WORDS = {
    "profile": "become a kernel hacker by spring",
    "goal": "Tame the quantum walrus",
    "why": "because the walrus is loud",
    "blocker": "blocked by the zebra migration",
    "agenda": "ask about the xylophone project",
    "notes": "we discussed the pangolin budget",
    "item": "order the yak shaver",
    "answer": "my answer is the capybara story",
    "suggestion": "What is your favourite kind of narwhal?",
    "comment": "the okapi cafe was lovely",
}


async def channel(bot, person: TeamsUser, words: str) -> list[str]:
    await bot.settle()
    replies = await bot.send(teams.channel_message(bot.service_url, person, TEAM, words))
    await bot.settle()
    return replies


async def use_everything(bot) -> None:
    bot.connector.set_roster(TEAM.id, [p.member() for p in (DORA, MIA, EVE)], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, DORA, TEAM))  # she installs
    for person in (DORA, MIA, EVE):
        await say(bot, person, "hello")
    profile = {
        "action": "profile_save",
        "role": "mentee",
        "timezone": "Europe/Berlin",
        "meeting_format": "any",
        "meetings_per_month": 2,
        "goals": WORDS["profile"],
    }
    await submit(bot, DORA, profile)
    await mentorship(bot, MIA, DORA)
    await say(bot, DORA, f'goal add {WORDS["goal"]} target=2027-06-30 why="{WORDS["why"]}"')
    await say(bot, DORA, "goal share 1")
    await say(bot, MIA, "goals")  # Mia's remembered answer shows Dora's goal
    bot.connector.fail(r"/v3/conversations/a:personal-dora/activities/", 502)
    await say(bot, DORA, "goals")  # the reply goes through the outbox: to her 1:1 chat
    await say(bot, DORA, "checkin")
    card = last_card(bot, DORA)
    status = next(k for k in filled(card, "checkin_save") if k.startswith("status_"))
    blocked = {status: "blocked", "blocker": WORDS["blocker"], "share_blocker": "true"}
    await submit(bot, DORA, filled(card, "checkin_save", **blocked))
    await say(bot, DORA, "agenda")
    (agenda,) = submits(last_card(bot, DORA), "agenda_save")
    await submit(bot, DORA, agenda | {"achieve": WORDS["agenda"]})
    await say(bot, DORA, "notes")
    (notes,) = submits(last_card(bot, DORA), "notes_save")
    await submit(
        bot,
        DORA,
        notes
        | {
            "summary": WORDS["notes"],
            "item1": WORDS["item"],
            "item1_owner": "me",
            "item1_due": "2026-12-01",
        },
    )
    await icebreaker_with_digest(bot)
    await channel(bot, DORA, f"suggest {WORDS['suggestion']}")
    group = await coffee_group(bot, DORA, EVE)
    await submit(
        bot,
        DORA,
        {"action": "pair_followup", "group": group, "met": "yes", "comment": WORDS["comment"]},
    )
    await met(bot, EVE, group)
    await bot.settle()


async def icebreaker_with_digest(bot) -> None:
    assert "Posting this one now" in "".join(await channel(bot, DORA, "/icebreaker now"))
    async with bot.db.unit() as repos:
        post = (await repos.session.scalars(select(IcebreakerPost))).one()
        row = (await repos.outbox.by_keys([post.outbox_key]))[post.outbox_key]
    answer = {"action": "icebreaker_answer", "post": post.id, "answer": WORDS["answer"]}
    activity = teams.card_action(bot.service_url, DORA, TEAM, answer, row.activity_id)
    status, _ = await bot.post(activity)
    assert status == 200
    bot.clock.advance(minutes=5)
    await channel(bot, DORA, "/icebreaker now")  # the next one: the digest goes out
    await bot.settle()


def needles(texts: list[str]) -> list[str]:
    """Each text as typed and as it reads inside stored JSON (non-ASCII escaped)."""
    return sorted({t for x in texts for t in (x, json_escaped(x))})


async def everything_stored(bot) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every non-null cell of every table."""
    cells = []
    async with bot.db.unit() as repos:
        for table in Base.metadata.sorted_tables:
            rows = (await repos.session.execute(text(f"SELECT * FROM {table.name}"))).all()
            for row in rows:
                for column, value in row._mapping.items():
                    if value is not None:
                        shown = value if isinstance(value, str) else json.dumps(value, default=str)
                        cells.append((table.name, column, shown))
    return cells


async def test_delete_my_data_leaves_no_trace_in_any_table(bot):
    await use_everything(bot)
    dora = [DORA.id, DORA.aad, DORA.name, DORA.email, DORA.personal_conversation]
    found_before = {
        (table, column)
        for table, column, value in await everything_stored(bot)
        if any(n in value for n in needles([*dora, *WORDS.values()]))
    }
    # The scenario does put her words where the erasure must reach: others' messages,
    # others' remembered answers, the team's reference.
    assert {("outbox", "payload"), ("inbound_activities", "replies"), ("teams", "general_ref")} <= (
        found_before
    )
    assert ("outbox", "conversation_id") in found_before  # her 1:1 chat's id

    await say(bot, DORA, "delete my data")
    await submit(bot, DORA, {"action": "delete_data_confirm"})
    await bot.settle()

    left = [
        (table, column, value[:120])
        for table, column, value in await everything_stored(bot)
        if any(n in value for n in needles([*dora, *WORDS.values()]))
    ]
    assert left == []
    # What others still need stays: the team, its posts, Mia's own messages' rows.
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        assert team is not None and json.loads(team.general_ref)["conversation"]["id"]
    assert await count(bot, OutboxMessage, OutboxMessage.redacted_at.is_not(None)) > 0


async def test_retention_blanks_sent_messages_after_the_setting(settings, connector, clock):
    wall = datetime.now(UTC)
    clock.now = wall
    async with start_bot(settings.with_(retention_days=30), connector, clock, ACCOUNT.jobs) as bot:
        await say(bot, DORA, "hello")
        await say(bot, DORA, "goal add Remember me target=2027-06-30")
        bot.connector.set_roster(TEAM.id, [DORA.member()], TEAM.name)
        await bot.send(teams.bot_installed_in_team(bot.service_url, DORA, TEAM))
        bot.connector.set_roster(TEAM.id, [DORA.member(), EVE.member()], TEAM.name)
        await bot.send(teams.members_added(bot.service_url, TEAM, EVE, by=DORA))  # greeted
        await bot.settle()
        sent = await count(bot, OutboxMessage, OutboxMessage.status == "sent")
        remembered = await count(bot, InboundActivity)
        assert sent > 0 and remembered > 0
        scheduler = bot.server.app[SCHEDULER_KEY]

        clock.now = wall + timedelta(days=29)
        await scheduler.tick()
        assert await count(bot, OutboxMessage, OutboxMessage.redacted_at.is_not(None)) == 0
        assert await count(bot, InboundActivity) == 0  # older than two days

        clock.now = wall + timedelta(days=31)
        await scheduler.tick()
        rows = await payloads(bot)
        assert len(rows) == sent and all(p in ({"to": "user"}, {"to": "team"}) for p in rows)


async def payloads(bot) -> list[dict[str, Any]]:
    async with bot.db.unit() as repos:
        stmt = select(OutboxMessage.payload).where(OutboxMessage.status == "sent")
        return list(await repos.session.scalars(stmt))
