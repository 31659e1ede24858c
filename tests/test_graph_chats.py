"""A group chat per coffee group, end to end: an admin turns `groupchat=on`, a round
runs, the Graph worker (msgraph-sdk against the fake Graph) creates each group's chat
once, installs the bot there and the intro is posted in it through the outbox (fake
connector); follow-ups stay 1:1. A 403 sends the 1:1 intros as without Graph and
`/graph status` names the permission; 429 and 5xx lose nothing and make no second
chat. Both databases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.graph.client import StaticCredential, build
from dialogs.coffee import rounds as pairing
from scheduler import JobContext
from settings import GraphSettings
from storage.models import GroupChat, PairRound, PairSeat
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.connector import Member
from tests.fakes.graph import FakeGraph
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count, keyed

ANA = TeamsUser("ana", "Ana Lee")  # installs: an admin
BEN = TeamsUser("ben", "Ben Okafor")
CHLOE = TeamsUser("chloe", "Chloe Martin")
DAN = TeamsUser("dan", "Dan Wu")
PEOPLE = (ANA, BEN, CHLOE, DAN)
TEAM = TeamsTeam("guild", "Data Guild")
APP_ID = "catalog-app-1"
CREATE = r"^/chats$"
GRAPH_ON = SimpleNamespace(graph=True)  # what the app hands jobs when Graph is connected


@pytest.fixture
async def gbot(settings, connector, clock, client) -> AsyncIterator[Any]:
    from dataclasses import replace

    with_app = replace(settings, graph=replace(settings.graph, teams_app_id=APP_ID))
    async with start_bot(with_app, connector, clock, graph=client) as running:
        yield running


async def install(bot: Any) -> None:
    roster = [
        Member(m.id, m.name, m.aad, m.email, upn=f"{m.key}@contoso.onmicrosoft.com") for m in PEOPLE
    ]
    bot.connector.set_roster(TEAM.id, roster, TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))


async def channel(bot: Any, user: TeamsUser, text: str) -> str:
    return "\n".join(await bot.send(teams.channel_message(bot.service_url, user, TEAM, text)))


async def graph_pass(bot: Any, timeout: float = 60.0) -> None:
    """One pass of the Graph worker, then deliveries. The worker also runs on its own:
    wait until no chat is in the middle of a Graph call (its pass or this one)."""
    from app import DIRECTORY_KEY

    await bot.server.app[DIRECTORY_KEY].run_once()
    deadline = asyncio.get_running_loop().time() + timeout
    while any(r.state in ("creating", "installing") for r in await chats(bot)):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("a group chat stayed in the middle of a Graph call")
        await asyncio.sleep(0.05)
    bot.delivery.wake()
    await bot.settle()


async def chats(bot: Any) -> list[GroupChat]:
    async with bot.db.unit() as repos:
        return list(await repos.session.scalars(select(GroupChat).order_by(GroupChat.id)))


async def groups(bot: Any) -> dict[int, set[str]]:
    """Each group's members' Entra ids."""
    aad = {f"29:{p.key}": p.aad for p in PEOPLE}
    async with bot.db.unit() as repos:
        seats = list(await repos.session.scalars(select(PairSeat)))
        users = await repos.users.by_ids({s.user_id for s in seats})
    found: dict[int, set[str]] = {}
    for seat in seats:
        found.setdefault(seat.group_id, set()).add(aad[users[seat.user_id].teams_id or ""])
    return found


def created(graph: FakeGraph) -> list[Any]:
    return [c for c in graph.top_level(CREATE) if c.method == "POST" and c.status == 201]


def chat_members(graph: FakeGraph, chat_id: str) -> set[str]:
    binds = [m["user@odata.bind"] for m in graph.chats[chat_id]["members"]]
    return {b.rsplit("('", 1)[1].rstrip("')") for b in binds}


def one_on_one_intros(bot: Any) -> int:
    return sum(len(keyed(bot, p, "pairintro:")) for p in PEOPLE)


async def test_group_chats_on_makes_each_chat_once_and_posts_the_intro_there(gbot, graph):
    await install(gbot)
    text = await channel(gbot, ANA, "/pair settings groupchat=on")
    assert "Saved." in text and "- Group chats: on" in text
    await channel(gbot, ANA, "/pair now")
    await graph_pass(gbot)

    by_group = await groups(gbot)
    assert len(by_group) == 2
    rows = await chats(gbot)
    assert [r.state for r in rows] == ["announced", "announced"]
    assert {r.ref_id for r in rows} == set(by_group)
    assert all(r.payload == {} for r in rows)  # nothing of the intros kept once sent
    assert len(created(graph)) == 2
    for row in rows:
        assert row.chat_id in graph.chats
        assert chat_members(graph, row.chat_id) == by_group[row.ref_id]
        assert graph.installed[row.chat_id] == [f"{graph.base_url}/appCatalogs/teamsApps/{APP_ID}"]
        (intro,) = gbot.connector.messages(row.chat_id)
        title = intro.cards[0]["body"][0]["text"]
        assert title.startswith("☕ Coffee chat in Data Guild:")
        assert str(intro.body["id"]).startswith("pairchat:")
    assert one_on_one_intros(gbot) == 0

    # The worker passing again (or a second replica) makes nothing new, sends nothing.
    sent = len(gbot.connector.messages())
    await graph_pass(gbot)
    assert len(created(graph)) == 2 and len(graph.top_level(r"/installedApps$")) == 2
    assert len(gbot.connector.messages()) == sent

    # The round's job run again for its period (a retry): no second round, chat or intro.
    async with gbot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        (made,) = await repos.session.scalars(select(PairRound))
        ctx = JobContext(repos, team.id, made.period, gbot.now(), gbot.now(), env=GRAPH_ON)
        await pairing.scheduled_round(ctx)
    await graph_pass(gbot)
    assert await count(gbot, PairRound) == 1 and len(await chats(gbot)) == 2
    assert len(created(graph)) == 2 and len(gbot.connector.messages()) == sent

    # Follow-ups still come 1:1.
    gbot.clock.advance(days=5, minutes=1)
    async with gbot.db.unit() as repos:
        await pairing.send_followups(JobContext(repos, None, "p", gbot.now(), gbot.now()))
    gbot.delivery.wake()
    await gbot.settle()
    assert all(len(keyed(gbot, p, "pairfollow:")) == 1 for p in PEOPLE)

    replies = await channel(gbot, ANA, "/graph status")
    assert "A group chat per coffee group or mentor pair: working" in replies
    assert "The bot in those chats: working" in replies


async def test_a_lost_install_answer_reuses_the_recorded_chat(gbot, graph):
    await install(gbot)
    await channel(gbot, ANA, "/pair settings groupchat=on")
    graph.fail(r"/installedApps$", 503, times=10_000, retry_after=0)
    await channel(gbot, ANA, "/pair now")
    await graph_pass(gbot)
    rows = await chats(gbot)
    assert rows[0].state == "created"  # stopped at the outage, the chat id kept
    assert {r.state for r in rows[1:]} <= {"created", "pending"}
    assert len(created(graph)) == sum(r.state == "created" for r in rows)
    assert one_on_one_intros(gbot) == 0
    first = rows[0].chat_id

    graph.faults.clear()
    await graph_pass(gbot)
    rows = await chats(gbot)
    assert [r.state for r in rows] == ["announced", "announced"]
    assert rows[0].chat_id == first and len(created(graph)) == 2  # no second chat
    assert all(len(gbot.connector.messages(r.chat_id)) == 1 for r in rows)
    assert one_on_one_intros(gbot) == 0


async def test_chat_creation_refused_sends_the_intros_1on1_and_status_says_why(gbot, graph):
    await install(gbot)
    await channel(gbot, ANA, "/pair settings groupchat=on")
    graph.fail(CREATE, 403, times=10_000, method="POST")
    await channel(gbot, ANA, "/pair now")
    await graph_pass(gbot)

    assert [r.state for r in await chats(gbot)] == ["fallback", "fallback"]
    assert not graph.chats and not graph.installed
    for person in PEOPLE:
        (intro,) = keyed(gbot, person, "pairintro:")
        assert intro.cards[0]["body"][0]["text"].startswith("☕ Your coffee chat in Data Guild")
    told = [t for t in gbot.connector.texts("a:1on1-29:ana") if "Chat.Create" in t]
    assert len(told) == 1  # admins told once

    replies = await channel(gbot, ANA, "/graph status")
    feature = "A group chat per coffee group or mentor pair"
    assert f"{feature}: missing the application permission **Chat.Create**" in replies
    # While the permission is missing, the next round goes 1:1 without asking Graph.
    asked = len(graph.top_level(CREATE))
    await channel(gbot, ANA, "/pair now again")
    await graph_pass(gbot)
    assert len(graph.top_level(CREATE)) == asked
    assert all(len(keyed(gbot, p, "pairintro:")) == 2 for p in PEOPLE)
    assert len([t for t in gbot.connector.texts("a:1on1-29:ana") if "Chat.Create" in t]) == 1


async def test_installing_refused_sends_the_intros_1on1(gbot, graph):
    await install(gbot)
    await channel(gbot, ANA, "/pair settings groupchat=on")
    graph.fail(r"/installedApps$", 403, times=10_000)
    await channel(gbot, ANA, "/pair now")
    await graph_pass(gbot)
    assert [r.state for r in await chats(gbot)] == ["fallback", "fallback"]
    assert one_on_one_intros(gbot) == 4
    replies = await channel(gbot, ANA, "/graph status")
    assert "**TeamsAppInstallation.ReadWriteSelfForChat.All**" in replies


async def test_throttling_and_5xx_lose_nothing_and_make_no_second_chat(gbot, graph):
    await install(gbot)
    await channel(gbot, ANA, "/pair settings groupchat=on")
    graph.fail(CREATE, 429, times=6, method="POST", retry_after=0)
    graph.fail(r"/installedApps$", 503, times=3, retry_after=0)
    await channel(gbot, ANA, "/pair now")
    for _ in range(10):
        await graph_pass(gbot)
        if all(r.state == "announced" for r in await chats(gbot)):
            break
    rows = await chats(gbot)
    assert [r.state for r in rows] == ["announced", "announced"]
    assert len(created(graph)) == 2 and len(graph.chats) == 2
    assert 429 in [c.status for c in graph.top_level(CREATE)]
    assert all(len(gbot.connector.messages(r.chat_id)) == 1 for r in rows)
    assert one_on_one_intros(gbot) == 0


async def test_without_graph_group_chats_on_still_sends_1on1_intros(bot):
    await install(bot)
    text = await channel(bot, ANA, "/pair settings groupchat=on")
    assert "on, but Microsoft Graph is not connected, so intros come 1:1" in text
    await channel(bot, ANA, "/pair now")
    await bot.settle()
    assert one_on_one_intros(bot) == 4
    assert await chats(bot) == []


async def test_a_bad_groupchat_value_changes_nothing(gbot, graph):
    await install(gbot)
    text = await channel(gbot, ANA, "/pair settings groupchat=maybe")
    assert "`groupchat=`: use on or off, not 'maybe'" in text and "Nothing changed." in text
    assert "- Group chats: off" in await channel(gbot, ANA, "/pair settings")


async def group_chat_cards(settings: Any, connector: Any, clock: Any) -> None:
    """For tests/test_cards_parser.py: a round whose intros go into group chats."""
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
            await install(running)
            await channel(running, ANA, "/pair settings groupchat=on")
            await channel(running, ANA, "/pair now")
            await graph_pass(running)
            assert len(fake.chats) == 2
    finally:
        await fake.close()


async def test_delete_my_data_drops_a_chat_not_made_yet_and_my_data_lists_it(gbot, graph):
    await install(gbot)
    await channel(gbot, ANA, "/pair settings groupchat=on")
    graph.fail(CREATE, 503, times=10_000, method="POST")  # Graph down: the chats wait
    await channel(gbot, ANA, "/pair now")
    await graph_pass(gbot)
    assert [r.state for r in await chats(gbot)] == ["pending", "pending"]
    ben_group = next(g for g, members in (await groups(gbot)).items() if BEN.aad in members)
    await gbot.send(teams.personal_message(gbot.service_url, BEN, "my data"))
    url = gbot.connector.calls[-1].cards[-1]["actions"][0]["url"]
    async with gbot.session.get(gbot.url + "/exports/" + url.rsplit("/exports/", 1)[1]) as resp:
        (listed,) = json.loads(await resp.text())["group_chats"]
    assert (listed["state"], listed["teams_chat"]) == ("pending", False)

    await gbot.send(teams.personal_message(gbot.service_url, BEN, "delete my data"))
    await gbot.send(teams.card_submit(gbot.service_url, BEN, {"action": "delete_data_confirm"}))
    rows = {r.ref_id: r for r in await chats(gbot)}
    assert (rows[ben_group].state, rows[ben_group].payload) == ("fallback", {})
    graph.faults.clear()
    await graph_pass(gbot)
    assert len(created(graph)) == 1  # only the other group's chat is made
    assert BEN.aad not in {m for c in graph.chats for m in chat_members(graph, c)}
