"""Mentoring, cared for (issue 17): the intro has Chat and Schedule buttons like the coffee
intro; different meeting formats are settled on one card; an admin who is in the pair
hears nothing about it as admin (another admin does, or the words say nobody else was
told); `/program show` lists the ground rules and resources; a declined icebreaker
suggestion is told kindly; a partner hears when a mentorship ends with `delete my data`.
End to end through the app, on both databases."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from dialogs.goals import nudges
from scheduler import JobContext
from storage.models import Mentorship, OutboxMessage
from tests import test_programs as programs
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.inbox import count, inbox, keyed, submits
from tests.test_programs import ADMIN, MENTEES, MENTORS, TEAM, channel, direct, setup, submit

TOM = MENTEES[0]
EVE = TeamsUser("eve", "Eve Admin")


def _buttons(message) -> dict[str, str]:
    return {a["title"]: a.get("url", "") for a in message.cards[0]["actions"]}


async def _pair(bot, **options):
    await setup(bot, capacity="1", mentees=MENTEES[:1], **options)
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    mentor = next(m for m in (ADMIN, *MENTORS) if keyed(bot, m, "agreement:"))
    return TOM, mentor


# --- the intro and the agreement ------------------------------------------------------------
async def test_the_intro_has_chat_and_schedule_and_different_formats_are_settled(bot):
    tom, mentor = await _pair(bot)
    (intro,) = keyed(bot, tom, "agreement:")
    assert intro.cards[0]["body"][5]["value"] == "video"  # from Tom's profile
    buttons = _buttons(intro)
    assert list(buttons) == ["I agree", "Chat", "Schedule", "Find a time"]
    chat, meeting = urlsplit(buttons["Chat"]), urlsplit(buttons["Schedule"])
    assert chat.path == "/l/chat/0/0" and parse_qs(chat.query)["users"] == [mentor.email]
    assert parse_qs(meeting.query)["attendees"] == [mentor.email]
    assert parse_qs(meeting.query)["subject"] == ["Mentoring (Spring mentoring)"]

    assert "confirms too" in await programs.confirm(bot, tom, "video")
    reply = await programs.confirm(bot, mentor, "chat")
    assert f"{tom.name} would rather meet by video call, you chose chat" in reply, reply
    assert "card to settle on one" in reply
    assert await count(bot, Mentorship, Mentorship.status == "active") == 0
    await bot.settle()
    (mentor_card,) = keyed(bot, mentor, "agreementsettle:")
    (tom_card,) = keyed(bot, tom, "agreementsettle:")
    tom_text = json.dumps(tom_card.cards, ensure_ascii=False)
    assert f"You chose video call; {mentor.name} chose chat" in tom_text
    choices = [c["value"] for c in tom_card.cards[0]["body"][2]["choices"]]
    assert sorted(choices) == ["chat", "video"]  # only the two they chose
    (data,) = submits(tom_card, "agreement_settle")

    # A forged or missing pick changes nothing; the mentor's pick settles it for both.
    assert "Please pick one" in await submit(bot, tom, data | {"channel": "carrier pigeon"})
    assert "can't find that mentorship" in await submit(bot, MENTEES[1], data | {"channel": "chat"})
    (mentor_data,) = submits(mentor_card, "agreement_settle")
    reply = await submit(bot, mentor, mentor_data | {"channel": "video"})
    assert "starts now, and you'll meet by video call" in reply, reply
    assert await count(bot, Mentorship, Mentorship.status == "active") == 1
    await bot.settle()
    (started,) = keyed(bot, tom, "mentorshipstarted:")
    assert "you'll meet by video call" in started.text
    # Both settle cards now show the result instead of the choice.
    updates = [
        c
        for c in bot.connector.calls
        if c.method == "PUT" and c.cards and "Settled" in str(c.cards)
    ]
    shown = sorted(json.dumps(c.cards, ensure_ascii=False) for c in updates)
    assert len(shown) == 2, shown
    assert any(f"Settled: {mentor.name} chose video call" in s for s in shown)
    assert any("Settled: you chose video call" in s for s in shown)
    assert all("agreement_settle" not in s for s in shown)
    assert "settled already: you're meeting by video call" in (
        await submit(bot, tom, data | {"channel": "chat"})
    )


async def test_the_same_format_starts_at_once_and_says_how_they_meet(bot):
    tom, mentor = await _pair(bot)
    await programs.confirm(bot, tom, "in_person")
    reply = await programs.confirm(bot, mentor, "in_person")
    assert "starts now, and you'll meet in person. 🎉" in reply, reply
    assert not keyed(bot, tom, "agreementsettle:")


# --- admins who are in the pair -------------------------------------------------------------
@pytest.fixture
def admin_mentors(monkeypatch):
    """Ada, the team's installer (its admin), is also the program's only mentor."""
    monkeypatch.setitem(programs.PROFILES, "ada", {"role": "mentor", "skills_offer": "SQL"})


async def _not_a_good_fit(bot, tom):
    await direct(bot, tom, "mentoring")
    (data,) = submits(inbox(bot, tom)[-1], "mentorship_not_fit")
    return await submit(bot, tom, data)


async def test_an_admin_in_the_pair_is_not_told_as_admin_another_admin_is(bot, admin_mentors):
    tom, mentor = await _pair(bot, mentors=[ADMIN])
    assert mentor == ADMIN
    bot.connector.set_roster(TEAM.id, [m.member() for m in (*programs.EVERYONE, EVE)], TEAM.name)
    await bot.send(teams.members_added(bot.service_url, TEAM, EVE))
    await bot.settle()
    text = f"/admin add user={EVE.email}"
    assert "admin" in await channel(bot, ADMIN, text)
    await programs.confirm(bot, tom)
    await programs.confirm(bot, ADMIN)
    reply = await _not_a_good_fit(bot, tom)
    assert "only the program's admins know it wasn't a good fit" in reply, reply
    await bot.settle()
    (to_eve,) = keyed(bot, EVE, "notfit:")
    assert "ended as not a good fit" in to_eve.text and "Ada Admin (mentor)" in to_eve.text
    assert keyed(bot, ADMIN, "notfit:") == []
    assert "not a good fit" not in json.dumps([m.body for m in inbox(bot, ADMIN)])


async def test_the_only_admin_in_the_pair_hears_nothing_and_the_words_say_so(bot, admin_mentors):
    tom, _mentor = await _pair(bot, mentors=[ADMIN])
    await programs.confirm(bot, tom)
    await programs.confirm(bot, ADMIN)
    reply = await _not_a_good_fit(bot, tom)
    assert "the program's only admin is one of you two, I told no one else" in reply, reply
    await bot.settle()
    assert keyed(bot, ADMIN, "notfit:") == []
    (ended,) = keyed(bot, ADMIN, "mentorshipended:")
    assert "not a good fit" not in ended.text

    # A quiet stretch of 36 days: the escalation to admins goes to no one but the admin
    # in the pair, in words that say so plainly.
    later = bot.now() + timedelta(days=36)
    async with bot.db.unit() as repos:
        mentorship = (await repos.programs.mentorships_of(await _id(repos, TOM), False))[0]
        mentorship.status, mentorship.ended_at = "active", None
    async with bot.db.unit() as repos:
        await nudges.nudge_pairs(JobContext(repos, None, "q1", later, later))
    await bot.settle()
    (own,) = keyed(bot, ADMIN, "pairescalation:")
    assert "you're the only admin I can reach there, and the quiet pair is your own" in own.text
    assert "No other admin was told" in own.text and TOM.name in own.text


async def _id(repos, user: TeamsUser) -> int:
    return (await repos.users.by_teams_id(user.id)).id


# --- /program show, icebreaker suggestions ------------------------------------------------------
async def test_program_show_lists_the_ground_rules_and_the_resources(bot):
    await setup(bot, mentees=MENTEES[:1])
    text = await direct(bot, ADMIN, "/program show Spring mentoring")
    assert "**Ground rules** (every new pair agrees to them)\nMeet every two weeks; keep it" in text
    assert "**Resources for mentors**\n- [Mentor guide](https://example.org/mentors)" in text
    assert "**Resources for mentees**\nNone yet (add them with `/program edit`)." in text
    assert re.search(r"- Enrolled: \d+ mentors?, 1 mentee\n", text), text  # not "1 mentees"


async def test_a_declined_suggestion_is_told_kindly_to_whoever_suggested_it(bot):
    bot.connector.set_roster(TEAM.id, [ADMIN.member(), TOM.member()], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADMIN, TEAM))
    await bot.settle()
    reply = await direct(bot, TOM, "suggest What was your first concert?")
    assert "waiting" in reply or "admins" in reply, reply
    listing = await channel(bot, ADMIN, "/icebreaker list")
    key = next(w.strip("`*:") for w in listing.split() if w.strip("`*:").startswith("c"))
    reply = await channel(bot, ADMIN, f"/icebreaker remove {key}")
    assert f"Declined the suggestion {key}." in reply
    assert "I've let the person who suggested it know, kindly." in reply
    await bot.settle()
    (told,) = keyed(bot, TOM, "icebreaker:declined")
    assert 'Thanks for suggesting "What was your first concert?" for Engineering!' in told.text
    assert "decided not to add it this time" in told.text and "type `suggest`" in told.text
    assert ADMIN.name not in told.text  # never who decided
    assert "removed already" in await channel(bot, ADMIN, f"/icebreaker remove {key}")
    await bot.settle()
    assert len(keyed(bot, TOM, "icebreaker:declined")) == 1


# --- delete my data ------------------------------------------------------------------------------
@pytest.mark.parametrize("started", [False, True], ids=["pending", "live"])
async def test_deleting_my_data_tells_my_partner_it_ended_without_a_reason(bot, started):
    tom, mentor = await _pair(bot)
    if started:
        await programs.confirm(bot, tom)
        await programs.confirm(bot, mentor)
    await submit(bot, tom, {"action": "delete_data_confirm"})
    # Queued in the same unit as the erasure: committed when the reply went out.
    assert (
        await count(bot, OutboxMessage, OutboxMessage.idempotency_key.like("mentorshiperased:%"))
        == 1
    )
    await bot.settle()
    (told,) = keyed(bot, mentor, "mentorshiperased:")
    assert told.text == (
        "Your mentorship in 'Spring mentoring' (you were the mentor) has ended. Thank you for "
        "the time you gave it! Type `mentoring` to see the mentorships you still have."
    )
    assert tom.name not in told.text and "reason" not in told.text
    assert await count(bot, Mentorship, Mentorship.status != "ended") == 0
    assert "no mentorship right now" in await direct(bot, mentor, "mentoring")
