"""First moments, as a person meets the bot (issue 17): small talk after onboarding gets a
friendly answer with what to type next, re-installing shows the profile, help's closing
note is its own message, and a group chat hears what works there. On both databases."""

from __future__ import annotations

import json

import pytest

from tests.fakes import teams
from tests.fakes.teams import TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
PROFILE = {
    "action": "profile_save",
    "role": "mentee",
    "skills_want": "public speaking, Python",
    "interests": "climbing",
    "timezone": "Europe/Berlin",
    "meeting_format": "video",
    "meetings_per_month": "2",
}


async def say(bot, text: str, user: TeamsUser = ANA) -> list[str]:
    return await bot.send(teams.personal_message(bot.service_url, user, text))


async def onboarded(bot) -> None:
    await say(bot, "hi")
    replies = await bot.send(teams.card_submit(bot.service_url, ANA, PROFILE))
    assert "saved" in replies[0], replies


@pytest.mark.parametrize(
    "text", ["hi", "Hello!", "hey there", "good morning", "thanks", "Thank you so much!", "thx"]
)
async def test_small_talk_after_onboarding_gets_next_steps_not_sorry(bot, text):
    await onboarded(bot)
    (reply,) = await say(bot, text)
    assert "Sorry" not in reply and "don't know" not in reply, reply
    assert reply.startswith(("Hi Ana!", "You're welcome, Ana!")), reply
    steps = [line for line in reply.splitlines() if line.startswith("- `")]
    assert 2 <= len(steps) <= 3, reply
    assert "- `goals`: your goals" in reply and "`help` shows everything" in reply


async def test_real_unknown_commands_still_say_so(bot):
    await onboarded(bot)
    (reply,) = await say(bot, "frobnicate the widgets")
    assert reply.startswith("Sorry, I don't know that command."), reply
    (reply,) = await say(bot, "hello, please move my meeting to Tuesday at ten")
    assert reply.startswith("Sorry"), reply  # longer than small talk


async def test_reinstalling_with_a_profile_says_welcome_back_and_shows_it(bot):
    await onboarded(bot)
    before = len(bot.connector.calls)
    await bot.send(teams.personal_install(bot.service_url, ANA))
    sent = [c for c in bot.connector.calls[before:] if c.is_activity_post]
    texts = [c.text for c in sent if c.text]
    assert texts[0].startswith("Welcome back, Ana!"), texts
    (card,) = [card for c in sent for card in c.cards]
    shown = json.dumps(card)
    assert "public speaking, Python" in shown and "Video call" in shown
    assert "Tell me a little about yourself" not in " ".join(texts)


async def test_first_install_without_a_profile_still_shows_the_form(bot):
    await bot.send(teams.personal_install(bot.service_url, ANA))
    texts = [c.text for c in bot.connector.calls if c.is_activity_post and c.text]
    assert "Tell me a little about yourself" in texts[0], texts


async def test_help_closing_note_is_its_own_message(bot):
    await onboarded(bot)
    overview, closing = await say(bot, "help")
    assert overview.splitlines()[-1].startswith("- **"), overview
    assert "/help" not in overview.splitlines()[-1]
    assert closing == "Team admins: type `/help` for what you can steer."


@pytest.mark.parametrize("text", ["help", "hi", "what can you do here?"])
async def test_a_group_chat_hears_what_works_there(bot, text):
    replies = await bot.send(teams.group_message(bot.service_url, ANA, "friends", text))
    reply = replies[-1]
    assert "In a group chat" in reply and "1:1 with me" in reply, reply
    assert "Here's what I can do for you (1:1 with me)" not in reply


async def test_adding_the_app_to_a_group_chat_says_what_it_does(bot):
    replies = await bot.send(teams.group_install(bot.service_url, ANA, "friends"))
    assert len(replies) == 1 and "In a group chat" in replies[0], replies


async def test_commands_for_elsewhere_say_where_they_work_in_a_group_chat(bot):
    (reply,) = await bot.send(teams.group_message(bot.service_url, ANA, "friends", "coffee"))
    assert reply == "`coffee` is private; please send it to me in our 1:1 chat."
    (reply,) = await bot.send(teams.group_message(bot.service_url, ANA, "friends", "/pair now"))
    assert "not in a group chat" in reply and "only answer `help`" in reply, reply


async def test_an_admin_s_pair_now_in_a_group_chat_runs_nothing_and_says_where_it_works(bot):
    """Ana admins a team; in a group chat `/pair now` would pick her team and pair it
    from a place that belongs to no team: it says where it works instead."""
    from storage.models import PairRound
    from tests.fakes.teams import TeamsTeam
    from tests.inbox import count

    team = TeamsTeam("eng", "Engineering")
    ben = TeamsUser("ben", "Ben Ode")
    bot.connector.set_roster(team.id, [ANA.member(), ben.member()], team.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, team))
    await bot.settle()
    for text in ("/pair now", "/team", "/program show Spring"):
        (reply,) = await bot.send(teams.group_message(bot.service_url, ANA, "friends", text))
        assert reply.startswith(f"`{text.split(' Spring')[0]}` works in your team's channels")
        assert "1:1 with me, not in a group chat" in reply and "only answer `help`" in reply
    assert await count(bot, PairRound) == 0
    (reply,) = await bot.send(teams.group_message(bot.service_url, ANA, "friends", "/help"))
    assert "1:1" in reply  # what does work there still does


async def test_program_new_creates_nothing_until_its_form_is_saved(bot):
    from storage.models import Program
    from tests import test_programs as programs
    from tests.inbox import count

    bot.connector.set_roster(
        programs.TEAM.id, [m.member() for m in programs.EVERYONE], programs.TEAM.name
    )
    await bot.send(teams.bot_installed_in_team(bot.service_url, programs.ADMIN, programs.TEAM))
    for _ in range(2):  # an abandoned form, then a retry
        before = len(bot.connector.calls)
        await programs.direct(bot, programs.ADMIN, '/program new name="Spring mentoring"')
        cards = [card for c in bot.connector.calls[before:] for card in c.cards]
        assert any("New program: Spring mentoring" in json.dumps(card) for card in cards)
        assert await count(bot, Program) == 0
    reply = await programs.submit(bot, programs.ADMIN, programs.form())
    assert "'Spring mentoring' is set up" in reply, reply
    assert await count(bot, Program) == 1
    again = await programs.direct(bot, programs.ADMIN, '/program new name="Spring mentoring"')
    assert "already has a program called 'Spring mentoring'" in again
    forged = await programs.submit(bot, programs.ADMIN, programs.form(team=999, name="X"))
    assert "can't find that program" in forged and await count(bot, Program) == 1
