"""Meetings on the calendar for a coffee group, end to end: a round makes one group of
three in Berlin, New York and London; its intro's "Find a time" reads all three
free/busy from the fake Graph (through msgraph-sdk) and offers only slots inside all
three working hours, clear of busy blocks, in the reader's own zone; the pick becomes one
event for all three (a repeated click makes no second one); Move and Cancel update and
delete it; outsiders are refused; without the calendar permission the Schedule deep link
stays. In a group chat the same button answers in the chat. Both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.graph.client import StaticCredential, build
from settings import GraphSettings
from storage.models import GroupChat, Meeting
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.graph import FakeGraph, GraphUser
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count, inbox, keyed, submits
from tests.test_graph_chats import APP_ID, graph_pass
from tests.test_graph_meetings import synced, titles, utc

ANA = TeamsUser("ana", "Ana Lee")  # Berlin, works 08:00-16:00 (07:00-15:00 UTC)
BEN = TeamsUser("ben", "Ben Okafor")  # New York, 09:00-17:00 (14:00-22:00 UTC)
CHLOE = TeamsUser("chloe", "Chloe Martin")  # London, 09:00-17:00 (09:00-17:00 UTC)
DAN = TeamsUser("dan", "Dan Wu")  # in the team, not in the group
GROUP = (ANA, BEN, CHLOE)
TEAM = TeamsTeam("guild", "Data Guild")
NEW_YORK = "America/New_York"
EVENTS = r"^/users/[^/]+/events$"


@pytest.fixture
async def gbot(settings, connector, clock, client) -> AsyncIterator[Any]:
    from dataclasses import replace

    with_app = replace(settings, graph=replace(settings.graph, teams_app_id=APP_ID))
    async with start_bot(with_app, connector, clock, graph=client) as running:
        yield running


def directory(graph: FakeGraph) -> None:
    for person, zone, hours in (
        (ANA, "W. Europe Standard Time", ("08:00:00.0000000", "16:00:00.0000000")),
        (BEN, "Eastern Standard Time", ("09:00:00.0000000", "17:00:00.0000000")),
        (CHLOE, "GMT Standard Time", ("09:00:00.0000000", "17:00:00.0000000")),
        (DAN, "W. Europe Standard Time", ("09:00:00.0000000", "17:00:00.0000000")),
    ):
        graph.add(GraphUser(person.aad, zone=zone, hours=hours, mail=person.email))


async def say(bot: Any, user: TeamsUser, text: str) -> str:
    await bot.settle()
    replies = await bot.send(teams.channel_message(bot.service_url, user, TEAM, text))
    await bot.settle()
    return "\n".join(replies)


async def press(bot: Any, user: TeamsUser, value: dict[str, Any], zone: str = "") -> str:
    activity = teams.card_submit(bot.service_url, user, value)
    activity["localTimezone"] = zone or "Europe/Berlin"
    await bot.settle()
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


async def grouped(bot: Any, graph: FakeGraph, groupchat: bool = False) -> None:
    """Ana, Ben and Chloe in one coffee group of three (Dan stays out of coffee)."""
    directory(graph)
    people = (*GROUP, DAN)
    bot.connector.set_roster(TEAM.id, [p.member() for p in people], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))
    await synced(bot, len(people))
    await bot.send(teams.personal_message(bot.service_url, DAN, "leave coffee"))
    settings = "/pair settings size=3" + (" groupchat=on" if groupchat else "")
    assert "Saved." in await say(bot, ANA, settings)
    await say(bot, ANA, "/pair now")


def intro_find(bot: Any, user: TeamsUser) -> dict[str, Any]:
    (intro,) = keyed(bot, user, "pairintro:")
    (data,) = submits(intro, "meeting_find")
    return data


def offered(bot: Any, user: TeamsUser) -> tuple[Any, list[dict[str, Any]]]:
    card = [m for m in inbox(bot, user) if submits(m, "meeting_book")][-1]
    return card, submits(card, "meeting_book")


async def test_a_group_of_three_gets_slots_only_when_all_three_work_and_one_event(gbot, graph):
    await grouped(gbot, graph)
    find = intro_find(gbot, BEN)
    assert find["group"] and {intro_find(gbot, p)["group"] for p in GROUP} == {find["group"]}
    graph.users[CHLOE.aad].busy = [("2026-11-23T13:30:00", "2026-11-23T14:30:00")]

    await press(gbot, BEN, find, NEW_YORK)
    card, slots = offered(gbot, BEN)
    # 14:00-15:00 UTC is the only hour all three work: one 45-minute start a weekday,
    # Monday's taken by Chloe's meeting.
    assert [utc(s["start"]) for s in slots] == [
        datetime(2026, 11, 24, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
    ]
    assert titles(card) == ["Tue 24 Nov, 09:00", "Wed 25 Nov, 09:00", "Thu 26 Nov, 09:00"]
    hint = str(card.cards)
    assert "when you all work and are free" in hint
    assert "For Ana Lee that is Tue 24 Nov, 15:00" in hint and "Europe/Berlin" in hint
    assert "For Chloe Martin that is Tue 24 Nov, 14:00" in hint and "Europe/London" in hint
    assert "Repeat it?" not in hint  # a coffee group meets once
    (asked,) = graph.top_level(r"/calendar/getSchedule$")
    body = {k.lower(): v for k, v in asked.body.items()}
    assert sorted(body["schedules"]) == sorted(p.email for p in GROUP)

    # Ben picks, the click arrives twice, then he presses again: one event for all three.
    pick = slots[0]
    first = await press(gbot, BEN, pick, NEW_YORK)
    again = await press(gbot, BEN, pick, NEW_YORK)
    pressed = await press(gbot, BEN, pick | {"pressed": "again"}, NEW_YORK)
    assert first == "" and "booked already" in again and "booked already" in pressed
    posts = [c for c in graph.top_level(EVENTS) if c.method == "POST"]
    assert len(posts) == 1 and len(graph.events) == 1
    event = posts[0].body
    assert {a["emailAddress"]["address"] for a in event["attendees"]} == {p.email for p in GROUP}
    assert event["transactionId"].startswith(f"mentorbot-coffee{find['group']}-")
    assert event["isOnlineMeeting"] is True and "recurrence" not in event
    assert event["subject"].startswith("Coffee chat: ")
    assert all(p.name in event["subject"] for p in GROUP)
    async with gbot.db.unit() as repos:
        (meeting,) = await repos.session.scalars(select(Meeting))
    assert (meeting.group_id, meeting.mentorship_id, meeting.status) == (
        find["group"],
        None,
        "booked",
    )
    # Ana and Chloe hear of it 1:1, each in their own time.
    for person, local in ((ANA, "15:00"), (CHLOE, "14:00")):
        (told,) = [m for m in inbox(gbot, person) if submits(m, "meeting_cancel")]
        assert "on everyone's calendar: Tue 24 Nov, " + local in str(told.cards)

    # Chloe moves it: the same event, updated; Ana cancels: deleted, once.
    (told,) = [m for m in inbox(gbot, CHLOE) if submits(m, "meeting_move")]
    await press(gbot, CHLOE, submits(told, "meeting_move")[0])
    _moved, new_slots = offered(gbot, CHLOE)
    await press(gbot, CHLOE, new_slots[1])
    assert len([c for c in graph.calls if c.method == "PATCH"]) == 1 and len(graph.events) == 1
    (stored,) = graph.events.values()
    assert stored["start"]["dateTime"].startswith("2026-11-25T14")
    cancel = submits(
        [m for m in inbox(gbot, ANA) if submits(m, "meeting_cancel")][-1], "meeting_cancel"
    )
    await press(gbot, ANA, cancel[0])
    assert graph.events == {} and await count(gbot, Meeting, Meeting.status == "booked") == 0
    assert "isn't booked" in await press(gbot, ANA, cancel[0] | {"x": 1})
    assert len([c for c in graph.calls if c.method == "DELETE"]) == 1


async def test_outsiders_and_bad_picks_book_nothing(gbot, graph):
    await grouped(gbot, graph)
    find = intro_find(gbot, ANA)
    refused = await press(gbot, DAN, find)
    assert "I can't find that coffee group of yours" in refused
    await press(gbot, ANA, find)
    _card, slots = offered(gbot, ANA)
    assert "of yours" in await press(gbot, DAN, slots[0])
    night = slots[0] | {"start": "2026-11-24T03:00:00+00:00"}
    assert "outside your working hours or one of theirs" in await press(gbot, ANA, night)
    assert not [c for c in graph.top_level(EVENTS) if c.method == "POST"]
    assert await count(gbot, Meeting) == 0


async def test_without_calendar_permission_the_group_gets_the_deep_link(gbot, graph):
    await grouped(gbot, graph)
    graph.fail(r"/calendar/getSchedule$", 403, times=10_000)
    await press(gbot, BEN, intro_find(gbot, BEN), NEW_YORK)
    (link,) = [m for m in inbox(gbot, BEN) if "meeting form" in str(m.cards)]
    assert "Calendars.ReadBasic" in str(link.cards)
    text = str(link.cards)
    assert "Pick a time with " in text and "Ana Lee" in text and "Chloe Martin" in text
    assert "Ben Okafor" not in text.split("Pick a time with ")[1].split(" in Teams")[0]
    assert not submits(link, "meeting_book")
    assert "Calendars.ReadBasic" in await say(gbot, ANA, "/graph status")


async def test_find_a_time_in_the_group_s_chat_answers_there(gbot, graph):
    await grouped(gbot, graph, groupchat=True)
    await graph_pass(gbot)
    async with gbot.db.unit() as repos:
        (row,) = await repos.session.scalars(select(GroupChat))
    assert row.state == "announced" and row.chat_id
    (intro,) = gbot.connector.messages(row.chat_id)
    (find,) = submits(intro, "meeting_find")
    activity = teams.group_submit(gbot.service_url, CHLOE, row.chat_id, find)
    await gbot.send(activity)
    await gbot.settle()
    shown = [m for m in gbot.connector.messages(row.chat_id) if submits(m, "meeting_book")]
    assert len(shown) == 1  # the slots, in the chat all three read
    await gbot.send(
        teams.group_submit(
            gbot.service_url, CHLOE, row.chat_id, submits(shown[0], "meeting_book")[0]
        )
    )
    await gbot.settle()
    assert len(graph.events) == 1


async def coffee_meeting_cards(settings: Any, connector: Any, clock: Any) -> None:
    """For tests/test_cards_parser.py: a coffee intro with Find a time, its slots and the
    booked card of a group of three."""
    fake = FakeGraph()
    await fake.start()
    try:
        made = build(
            GraphSettings(base_url=fake.base_url, requests_per_second=0),
            credential=StaticCredential(),
        )
        async with start_bot(settings, connector, clock, graph=made) as running:
            await grouped(running, fake)
            await press(running, BEN, intro_find(running, BEN), NEW_YORK)
            _card, slots = offered(running, BEN)
            await press(running, BEN, slots[0], NEW_YORK)
            assert len(fake.events) == 1
    finally:
        await fake.close()


async def test_my_data_lists_a_coffee_meeting_and_erasing_its_organiser_cancels_it(gbot, graph):
    from tests import goalkit as kit
    from tests.test_graph_privacy import my_data_file, status_of, sync

    await grouped(gbot, graph)
    await press(gbot, BEN, intro_find(gbot, BEN), NEW_YORK)
    _card, slots = offered(gbot, BEN)
    await press(gbot, BEN, slots[0], NEW_YORK)
    async with gbot.db.unit() as repos:
        (meeting,) = await repos.session.scalars(select(Meeting))
    organiser = next(p for p in GROUP if p.aad == meeting.organizer_aad)
    guest = next(p for p in GROUP if p is not organiser)
    listed = (await my_data_file(gbot, guest))["meetings"]
    assert [(m["status"], m["on_the_calendar"], m.get("coffee_chat")) for m in listed] == [
        ("booked", True, True)
    ]
    others = {p.name for p in GROUP} - {guest.name}
    assert set(listed[0]["with"].split(", ")) == others

    # A guest's erasure leaves the others' meeting alone.
    await kit.say(gbot, guest, "delete my data")
    await kit.submit(gbot, guest, {"action": "delete_data_confirm"})
    await sync(gbot)
    assert await status_of(gbot, meeting.id) == "booked" and len(graph.events) == 1

    # The organiser's: committed as "cancelling", then Graph deletes it once, row gone.
    await kit.say(gbot, organiser, "delete my data")
    await kit.submit(gbot, organiser, {"action": "delete_data_confirm"})
    assert await status_of(gbot, meeting.id) == "cancelling"
    await sync(gbot)
    await sync(gbot)
    assert graph.events == {} and len([c for c in graph.calls if c.method == "DELETE"]) == 1
    assert await status_of(gbot, meeting.id) is None
