"""Sessions between pairs end to end, on both databases: agendas and notes reach the
partner, action items remind their owner once and show in the next agenda, coffee
partners who keep meeting have sessions too, nobody outside a pair reads or writes its
agendas and notes, quiet pairs are nudged once at 21 days and their program's admins
told once at 35, and `my data` / `delete my data` cover all of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import SCHEDULER_KEY
from dialogs.jobs import JOBS
from storage.models import (
    ActionItem,
    Checkin,
    CheckinSettings,
    Goal,
    GoalShare,
    PairNudge,
    SessionAgenda,
    SessionNotes,
)
from tests.conftest import start_bot
from tests.goalkit import (
    ADMIN,
    MENTEE,
    MENTOR,
    OTHER,
    PARTNER,
    coffee_group,
    filled,
    install,
    last_card,
    mentorship,
    met,
    say,
    submit,
)
from tests.inbox import count, inbox, keyed, my_data, submits

TOM, MIA, EVE, CAL = MENTEE, MENTOR, OTHER, PARTNER
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # Saturday 10:00 in Berlin


def notes_form(pair: str, **values):
    return {
        "action": "notes_save",
        "pair": pair,
        "summary": "Talked about the conference talk",
        "key_points": "Start with a story; keep it to 20 minutes",
        "item1": "Draft the talk outline",
        "item1_owner": "partner",
        "item1_due": "2026-11-24",
        "item2": "Send the reading list",
        "item2_owner": "me",
        "item2_due": "2026-11-22",
        "item3": "",
    } | values


async def pair_up(bot) -> int:
    await install(bot, TOM, MIA, EVE, CAL)
    for person in (TOM, MIA, EVE, CAL):
        await say(bot, person, "hello")
    return await mentorship(bot)


async def test_agendas_and_notes_reach_the_partner_and_items_remind_their_owner(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=JOBS) as bot:
        scheduler = bot.server.app[SCHEDULER_KEY]
        await pair_up(bot)
        await say(bot, TOM, "agenda")
        form = last_card(bot, TOM)
        assert "Agenda for your next meeting with Mia Mentor" in json.dumps(form.cards)
        changes = {"achieve": "A first outline of my talk", "questions": "How long should it be?"}
        reply = await submit(bot, TOM, filled(form, "agenda_save", **changes))
        assert reply == "Saved. I've shown your agenda to Mia Mentor."
        (shown,) = keyed(bot, MIA, "agenda:")
        text = json.dumps(shown.cards)
        assert "Tom Mentee shared an agenda for your next meeting" in text
        assert "A first outline of my talk" in text and "How long should it be?" in text
        await say(bot, MIA, "agenda")
        assert "How long should it be?" in json.dumps(last_card(bot, MIA).cards)

        clock.advance(hours=2)  # they meet
        await say(bot, MIA, "notes")
        (data,) = submits(last_card(bot, MIA), "notes_save")
        reply = await submit(bot, MIA, notes_form(data["pair"]))
        assert reply == (
            "Notes saved and shared with Tom Mentee. I'll remind each owner on the due date."
        )
        (notes,) = keyed(bot, TOM, "notes:")
        text = json.dumps(notes.cards, ensure_ascii=False)
        assert "Mia Mentor wrote notes from your meeting" in text
        assert "Talked about the conference talk" in text and "Start with a story" in text
        assert "Draft the talk outline (you, due 2026-11-24)" in text
        assert "Send the reading list (Mia Mentor, due 2026-11-22)" in text
        # The next agenda lists the open items; the agenda before the notes is settled.
        await say(bot, MIA, "agenda")
        text = json.dumps(last_card(bot, MIA).cards)
        assert "Draft the talk outline (Tom Mentee, due 2026-11-24)" in text
        assert "Send the reading list (you, due 2026-11-22)" in text
        assert "How long should it be?" not in text

        # Reminders at 09:00 on the due date in the owner's zone (Berlin), once.
        for at, mias, toms in [
            (datetime(2026, 11, 22, 7, 59, tzinfo=UTC), 0, 0),
            (datetime(2026, 11, 22, 8, 0, tzinfo=UTC), 1, 0),
            (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 1, 0),
            (datetime(2026, 11, 24, 7, 59, tzinfo=UTC), 1, 0),
            (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), 1, 1),
            (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), 1, 1),
        ]:
            clock.now = at
            await scheduler.tick()
            await bot.settle()
            assert (len(keyed(bot, MIA, "actionitem:")), len(keyed(bot, TOM, "actionitem:"))) == (
                mias,
                toms,
            ), at
        (reminder,) = keyed(bot, MIA, "actionitem:")
        assert "Send the reading list" in json.dumps(reminder.cards)
        (done,) = submits(reminder, "action_item_done")
        assert "can't find that action item of yours" in await submit(bot, TOM, done)
        assert "Marked done: Send the reading list" in await submit(bot, MIA, done)
        assert "done already" in await submit(bot, MIA, done)
        await say(bot, TOM, "agenda")
        text = json.dumps(last_card(bot, TOM).cards)
        assert "Draft the talk outline (you" in text and "reading list" not in text


async def test_coffee_partners_who_keep_meeting_have_sessions_too(bot):
    await pair_up(bot)
    group = await coffee_group(bot, EVE, CAL)
    await met(bot, EVE, group)
    assert "you don't have one right now" in await say(bot, EVE, "agenda")
    await met(bot, CAL, group)
    await say(bot, EVE, "agenda")
    (data,) = submits(last_card(bot, EVE), "agenda_save")
    assert data["pair"].startswith("c")
    reply = await submit(bot, EVE, data | {"questions": "Lunch on Thursday?"})
    assert reply == "Saved. I've shown your agenda to Cal Coffee."
    assert "Lunch on Thursday?" in json.dumps(keyed(bot, CAL, "agenda:")[0].cards)
    # With two partners, the name decides.
    toms = await coffee_group(bot, TOM, CAL)
    await met(bot, TOM, toms)
    await met(bot, CAL, toms)
    assert "With whom? Type `notes <name>`: Mia Mentor (your mentor), Cal Coffee" in await say(
        bot, TOM, "notes"
    )
    await say(bot, TOM, "notes cal")
    (data,) = submits(last_card(bot, TOM), "notes_save")
    assert data["pair"].startswith("c")
    # Someone who is both mentor and coffee partner is one pair: the mentorship.
    both = await coffee_group(bot, TOM, MIA)
    await met(bot, TOM, both)
    await met(bot, MIA, both)
    await say(bot, TOM, "notes mia")
    (data,) = submits(last_card(bot, TOM), "notes_save")
    assert data["pair"].startswith("m")


async def test_nobody_outside_the_pair_reads_or_writes_its_sessions(bot):
    await pair_up(bot)
    await say(bot, TOM, "agenda")
    (agenda,) = submits(last_card(bot, TOM), "agenda_save")
    await submit(bot, TOM, agenda | {"achieve": "private plans"})
    await say(bot, MIA, "notes")
    (data,) = submits(last_card(bot, MIA), "notes_save")
    await submit(bot, MIA, notes_form(data["pair"], summary="confidential summary"))
    async with bot.db.unit() as repos:
        item = (await repos.session.scalars(select(ActionItem).order_by(ActionItem.id))).first()
    before = (await count(bot, SessionAgenda), await count(bot, SessionNotes))

    for pair in (agenda["pair"], "m999", "c1-2", "", None, 7, ["m1"]):
        for action in ("agenda_save", "notes_save"):
            value = notes_form(pair) | {"action": action, "achieve": "hijack"}
            reply = await submit(bot, EVE, value)
            assert "can't find that pair of yours" in reply and "Nothing" in reply, (pair, reply)
    for text in ("agenda", "notes", "agenda Tom", "notes Mia"):
        assert "you don't have one right now" in await say(bot, EVE, text)
    assert "With whom? Type `agenda <name>`: Mia Mentor" in await say(bot, TOM, "agenda Eve")
    for forged in (item.id, str(item.id), 10**20, None, "all"):
        reply = await submit(bot, EVE, {"action": "action_item_done", "item": forged})
        assert "can't find that action item of yours" in reply, forged
    seen = json.dumps([await my_data(bot, EVE), [[m.text, m.cards] for m in inbox(bot, EVE)]])
    assert "private plans" not in seen and "confidential" not in seen
    assert (await count(bot, SessionAgenda), await count(bot, SessionNotes)) == before
    async with bot.db.unit() as repos:
        assert (await repos.goals.item(item.id)).done_at is None

    # Once the mentorship ends, its old cards no longer work for either side.
    await say(bot, TOM, "end mentoring Mia")
    assert "can't find that pair" in await submit(bot, TOM, agenda | {"achieve": "more"})
    assert await count(bot, SessionAgenda) == before[0]


BAD_NOTES = [
    ({"summary": "  "}, "please write a short summary"),
    ({"summary": "s" * 2001}, "The summary is 2,001 characters"),
    ({"item1_due": "2026-11-20"}, "action item 1 is due 2026-11-20, which is in the past"),
    ({"item1_due": "soon"}, "action item 1 needs a due date"),
    ({"item1_due": ""}, "action item 1 needs a due date"),
    ({"item2_owner": "eve"}, "action item 2 must belong to you or your partner"),
    ({"item2_owner": ["me"]}, "action item 2 must belong to you or your partner"),
    ({"item3": "x" * 301, "item3_due": "2026-12-01"}, "Action item 3 is 301 characters"),
    ({"key_points": 5}, "The key points must be text"),
]


async def test_bad_notes_and_agendas_get_a_clear_message_and_save_nothing(bot):
    await pair_up(bot)
    await say(bot, TOM, "notes")
    (data,) = submits(last_card(bot, TOM), "notes_save")
    for change, message in BAD_NOTES:
        reply = await submit(bot, TOM, notes_form(data["pair"], **change))
        assert message in reply and "Nothing was saved" in reply, (change, reply)
    reply = await submit(bot, TOM, {"action": "agenda_save", "pair": data["pair"]})
    assert "write what you want to achieve or the questions" in reply
    reply = await submit(
        bot, TOM, {"action": "agenda_save", "pair": data["pair"], "achieve": "a" * 1001}
    )
    assert "is 1,001 characters" in reply and "Nothing was saved" in reply
    assert await count(bot, SessionNotes) == await count(bot, ActionItem) == 0
    assert await count(bot, SessionAgenda) == 0
    assert not keyed(bot, MIA, "notes:") and not keyed(bot, MIA, "agenda:")


async def test_quiet_pairs_are_nudged_once_at_21_days_and_admins_told_once_at_35(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=JOBS) as bot:
        scheduler = bot.server.app[SCHEDULER_KEY]
        await pair_up(bot)
        group = await coffee_group(bot, EVE, CAL)
        await met(bot, EVE, group)
        await met(bot, CAL, group)
        await say(bot, EVE, "agenda")
        (data,) = submits(last_card(bot, EVE), "agenda_save")
        await submit(bot, EVE, data | {"achieve": "coffee plans"})
        await say(bot, TOM, "goal add Give the talk target=2027-03-01")

        async def at(days: float, minutes: int = 0) -> None:
            clock.now = T0 + timedelta(days=days, minutes=minutes)
            await scheduler.tick()
            await bot.settle()

        def nudges() -> tuple[int, int, int, int, int]:
            return (
                len(keyed(bot, TOM, "pairnudge:")),
                len(keyed(bot, MIA, "pairnudge:")),
                len(keyed(bot, EVE, "pairnudge:")),
                len(keyed(bot, CAL, "pairnudge:")),
                len(keyed(bot, ADMIN, "pairescalation:")),
            )

        # The mentee's check-in on day 10 is activity: the mentorship's clock restarts.
        clock.now = T0 + timedelta(days=10)
        await say(bot, TOM, "checkin")
        await submit(bot, TOM, filled(last_card(bot, TOM), "checkin_save"))
        for days, minutes, expected in [
            (21, -1, (0, 0, 0, 0, 0)),
            (21, 0, (0, 0, 1, 1, 0)),  # the coffee pair: 21 days since their agenda
            (31, -1, (0, 0, 1, 1, 0)),
            (31, 0, (1, 1, 1, 1, 0)),  # the mentorship: 21 days since the check-in
            (33, 0, (1, 1, 1, 1, 0)),
            (45, -1, (1, 1, 1, 1, 0)),
            (45, 0, (1, 1, 1, 1, 1)),  # 35 days: the program's admin, once
            (46, 0, (1, 1, 1, 1, 1)),
            (60, 0, (1, 1, 1, 1, 1)),  # the coffee pair has no program: never escalated
        ]:
            await at(days, minutes)
            assert nudges() == expected, (days, minutes, nudges())
        (nudge,) = keyed(bot, TOM, "pairnudge:")
        assert "you and Mia Mentor" in nudge.text and "21 days" in nudge.text
        (escalation,) = keyed(bot, ADMIN, "pairescalation:")
        assert escalation.text == (
            "Mentoring in 'Spring mentoring': Mia Mentor (mentor) and Tom Mentee (mentee) have "
            "had no meeting notes, check-ins or answers for 35 days. They might welcome a "
            "friendly word."
        )
        # New notes start a new stretch: one more nudge 21 days later.
        await say(bot, MIA, "notes")
        (data,) = submits(last_card(bot, MIA), "notes_save")
        await submit(bot, MIA, notes_form(data["pair"], item1="", item2=""))
        for days, expected in [(80, (1, 1, 1, 1, 1)), (81, (2, 2, 1, 1, 1)), (83, (2, 2, 1, 1, 1))]:
            await at(days)
            assert nudges() == expected, (days, nudges())
        assert await count(bot, PairNudge) == 4  # rows: 3 nudges, 1 escalation


async def test_my_data_shows_and_delete_my_data_erases_goals_checkins_and_sessions(bot):
    await pair_up(bot)
    await say(bot, TOM, "goal add Give the talk target=2027-03-01 why=visibility")
    await say(bot, TOM, "goal share 1")
    await say(bot, TOM, "checkin")
    await submit(bot, TOM, filled(last_card(bot, TOM), "checkin_save", blocker="time"))
    await say(bot, TOM, "agenda")
    (data,) = submits(last_card(bot, TOM), "agenda_save")
    await submit(bot, TOM, data | {"achieve": "Tom's agenda"})
    await say(bot, MIA, "notes")
    (data,) = submits(last_card(bot, MIA), "notes_save")
    await submit(bot, MIA, notes_form(data["pair"]))
    _card, export = await my_data(bot, TOM)
    mine = export["goals_and_checkins"]
    assert mine["goals"][0]["title"] == "Give the talk"
    assert mine["goals"][0]["shared_with"] == ["Mia Mentor"]
    assert mine["goals"][0]["check_ins"][0]["progress"] == 0
    assert mine["checkins"][0]["blocker"] == "time"
    assert mine["agendas"][0]["achieve"] == "Tom's agenda"
    assert mine["meeting_notes"][0]["by"] == "Mia Mentor"
    assert [i["text"] for i in mine["action_items"]] == ["Draft the talk outline"]
    assert "Tom's agenda" not in json.dumps(await my_data(bot, MIA))

    await submit(bot, TOM, {"action": "delete_data_confirm"})
    for model in (Goal, GoalShare, Checkin, CheckinSettings, SessionAgenda):
        assert await count(bot, model) == 0, model
    # Mia's own notes stay hers; the item Tom owned goes with him.
    assert await count(bot, SessionNotes) == 1
    async with bot.db.unit() as repos:
        items = (await repos.session.scalars(select(ActionItem))).all()
    assert [i.text for i in items] == ["Send the reading list"]


async def test_a_pause_holds_nudges_back_until_it_ends(settings, connector, clock):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=JOBS) as bot:
        scheduler = bot.server.app[SCHEDULER_KEY]
        await pair_up(bot)
        assert "Paused until 2026-12-21" in await say(bot, TOM, "pause until 2026-12-21")
        # (mentor's nudges, admin's escalations) as the days pass; the pause ends on day 30.
        for days, expected in [(21, (0, 0)), (30, (0, 0)), (31, (1, 0)), (35, (1, 1))]:
            clock.now = T0 + timedelta(days=days)
            await scheduler.tick()
            await bot.settle()
            got = (len(keyed(bot, MIA, "pairnudge:")), len(keyed(bot, ADMIN, "pairescalation:")))
            assert got == expected, (days, got)
        (nudge,) = keyed(bot, MIA, "pairnudge:")
        assert "(31 days)" in nudge.text
