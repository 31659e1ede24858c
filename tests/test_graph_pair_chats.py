"""A group chat per mentor pair, end to end: an admin turns `/program settings ...
groupchat=on`, a proposal is approved, the Graph worker (msgraph-sdk against the fake
Graph) creates the pair's chat once, installs the bot there, and the one intro (the
agreement both confirm) is posted in it through the outbox (fake connector); what
follows comes 1:1. Approving again, the same activity again or another worker pass make
no second chat. A 403 sends the usual 1:1 agreement cards, admins are told once and
`/graph status` names the permission. Both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.graph.client import StaticCredential, build
from settings import GraphSettings
from storage.models import GroupChat, MatchProposal, Mentorship
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.graph import FakeGraph
from tests.inbox import count, inbox, keyed, submits
from tests.test_graph_chats import APP_ID, CREATE, chat_members, created, graph_pass
from tests.test_programs import ADMIN, MENTEES, MENTORS, TEAM, channel, setup

MIA = MENTORS[0]
TOM, TIA = MENTEES[0], MENTEES[1]
PROGRAM = "Spring mentoring"


@pytest.fixture
async def gbot(settings, connector, clock, client) -> AsyncIterator[Any]:
    from dataclasses import replace

    with_app = replace(settings, graph=replace(settings.graph, teams_app_id=APP_ID))
    async with start_bot(with_app, connector, clock, graph=client) as running:
        yield running


async def proposed(bot: Any, mentees: list[Any]) -> list[int]:
    """A program in approve mode, groupchat on, one run: the proposals' numbers."""
    await setup(bot, mode="approve", mentors=[MIA], mentees=mentees)
    text = await channel(bot, ADMIN, f"/program settings {PROGRAM} groupchat=on")
    assert "Saved." in text and "- Group chats: on (a group chat of each new pair" in text
    await channel(bot, ADMIN, f"/match run {PROGRAM}")
    async with bot.db.unit() as repos:
        stmt = select(MatchProposal.id).where(MatchProposal.status == "proposed")
        return list(await repos.session.scalars(stmt.order_by(MatchProposal.id)))


async def chats(bot: Any) -> list[GroupChat]:
    async with bot.db.unit() as repos:
        return list(await repos.session.scalars(select(GroupChat).order_by(GroupChat.id)))


def admin_texts(bot: Any) -> list[str]:
    return [m.text for m in inbox(bot, ADMIN) if m.text]


def agreements_1on1(bot: Any) -> int:
    return sum(len(keyed(bot, p, "agreement:")) for p in (MIA, TOM, TIA))


async def in_chat(bot: Any, user: Any, chat_id: str, value: dict[str, Any]) -> str:
    await bot.settle()
    replies = await bot.send(teams.group_submit(bot.service_url, user, chat_id, value))
    await bot.settle()
    return "\n".join(replies)


async def test_an_approved_pair_gets_one_chat_with_the_bot_and_the_intro_there(gbot, graph):
    (first,) = await proposed(gbot, [TOM])
    approve = teams.channel_message(gbot.service_url, ADMIN, TEAM, f"/match approve {first}")
    assert "Approved 1 proposal." in (await gbot.send(approve))[0]
    assert (await chats(gbot))[0].state == "pending"  # recorded with the approval
    await graph_pass(gbot)

    (row,) = await chats(gbot)
    async with gbot.db.unit() as repos:
        (mentorship,) = await repos.session.scalars(select(Mentorship))
    assert (row.kind, row.ref_id, row.state, row.payload) == (
        "mentoring",
        mentorship.id,
        "announced",
        {},
    )
    assert len(created(graph)) == 1 and row.chat_id in graph.chats
    assert chat_members(graph, row.chat_id) == {MIA.aad, TOM.aad}
    assert graph.chats[row.chat_id]["topic"] == f"Mentoring ({PROGRAM})"
    assert graph.installed[row.chat_id] == [f"{graph.base_url}/appCatalogs/teamsApps/{APP_ID}"]
    (intro,) = gbot.connector.messages(row.chat_id)
    assert str(intro.body["id"]).startswith("mentorchat:")
    assert intro.cards[0]["body"][0]["text"] == f"🌱 {PROGRAM}: Mia Mentor mentors Tom Mentee"
    assert agreements_1on1(gbot) == 0  # instead of the two 1:1 intros

    # The approval again, the same activity again, another pass: nothing new anywhere.
    sent = [len(keyed(gbot, p, "")) for p in (MIA, TOM)]
    again = await channel(gbot, ADMIN, f"/match approve {first}")
    assert "Approved 1" not in again
    await gbot.send(approve)
    await graph_pass(gbot)
    await graph_pass(gbot)
    assert len(await chats(gbot)) == 1 and len(created(graph)) == 1
    assert len(graph.top_level(r"/installedApps$")) == 1
    assert len(gbot.connector.messages(row.chat_id)) == 1
    assert [len(keyed(gbot, p, "")) for p in (MIA, TOM)] == sent

    # Both confirm on the chat's card; what follows comes 1:1.
    (data,) = submits(intro, "agreement_confirm")
    first_reply = await in_chat(gbot, MIA, row.chat_id, data | {"channel": "video"})
    assert "as soon as Tom Mentee confirms too" in first_reply
    second = await in_chat(gbot, TOM, row.chat_id, data | {"channel": "video"})
    assert "starts now" in second
    async with gbot.db.unit() as repos:
        done = await repos.programs.mentorship(mentorship.id)
        assert done is not None and done.status == "active"
        assert set(done.agreement) >= {"mentor", "mentee"}
    (started,) = keyed(gbot, MIA, "mentorshipstarted:")
    assert "Tom Mentee" in started.text
    assert submits(intro, "meeting_find")  # Find a time from the chat too

    replies = await channel(gbot, ADMIN, "/graph status")
    assert "A group chat per coffee group or mentor pair: working" in replies


async def test_chat_creation_refused_sends_both_agreements_1on1_and_admins_hear_once(gbot, graph):
    first, second = await proposed(gbot, [TOM, TIA])  # Mia has two seats
    graph.fail(CREATE, 403, times=10_000, method="POST")
    await channel(gbot, ADMIN, f"/match approve {first}")
    await graph_pass(gbot)

    assert [r.state for r in await chats(gbot)] == ["fallback"]
    assert not graph.chats and not graph.installed
    assert agreements_1on1(gbot) == 2
    (to_mia,) = keyed(gbot, MIA, "agreement:")
    assert to_mia.cards[0]["body"][0]["text"].startswith(f"🌱 {PROGRAM}: meet your mentee")
    told = [t for t in admin_texts(gbot) if "Chat.Create" in t]
    assert len(told) == 1
    replies = await channel(gbot, ADMIN, "/graph status")
    assert "missing the application permission **Chat.Create**" in replies

    # While the permission is missing, the next pair goes 1:1 without asking Graph.
    asked = len(graph.top_level(CREATE))
    await channel(gbot, ADMIN, f"/match approve {second}")
    await graph_pass(gbot)
    assert len(graph.top_level(CREATE)) == asked and len(await chats(gbot)) == 1
    assert agreements_1on1(gbot) == 4 and await count(gbot, Mentorship) == 2
    assert len([t for t in admin_texts(gbot) if "Chat.Create" in t]) == 1


async def test_installing_refused_sends_the_agreements_1on1(gbot, graph):
    (first,) = await proposed(gbot, [TOM])
    graph.fail(r"/installedApps$", 403, times=10_000)
    await channel(gbot, ADMIN, f"/match approve {first}")
    await graph_pass(gbot)
    (row,) = await chats(gbot)
    assert row.state == "fallback" and agreements_1on1(gbot) == 2
    assert gbot.connector.messages(row.chat_id or "none") == []
    told = [t for t in admin_texts(gbot) if "ReadWriteSelfForChat" in t]
    assert len(told) == 1


async def test_program_settings_bad_value_changes_nothing_and_without_graph_intros_1on1(bot):
    await setup(bot, mode="approve", mentors=[MIA], mentees=[TOM])
    text = await channel(bot, ADMIN, f"/program settings {PROGRAM} groupchat=maybe")
    assert "use on or off, not 'maybe'" in text and "Nothing changed." in text
    assert "- Group chats: off" in await channel(bot, ADMIN, f"/program show {PROGRAM}")
    text = await channel(bot, ADMIN, f"/program settings {PROGRAM} groupchat=on")
    assert "on, but Microsoft Graph is not connected, so intros come 1:1" in text
    await channel(bot, ADMIN, f"/match run {PROGRAM}")
    await channel(bot, ADMIN, f"/match approve all {PROGRAM}")
    await bot.settle()
    assert agreements_1on1(bot) == 2 and await chats(bot) == []


async def pair_chat_cards(settings: Any, connector: Any, clock: Any) -> None:
    """For tests/test_cards_parser.py: a mentor pair's intro in its group chat."""
    from dataclasses import replace

    fake = FakeGraph()
    await fake.start()
    try:
        made = build(
            GraphSettings(base_url=fake.base_url, requests_per_second=0),
            credential=StaticCredential(),
        )
        with_app = replace(settings, graph=replace(settings.graph, teams_app_id=APP_ID))
        async with start_bot(with_app, connector, clock, graph=made) as running:
            (first,) = await proposed(running, [TOM])
            await channel(running, ADMIN, f"/match approve {first}")
            await graph_pass(running)
            assert len(fake.chats) == 1
    finally:
        await fake.close()
