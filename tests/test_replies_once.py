"""Finding 2: a reply is part of the committed outcome, and an activity is handled once.

A reply the connector refuses (502) after the commit goes out through the outbox: the
person gets it, and never "nothing was changed" about a change that was saved. The same
activity delivered again (Teams retries slow turns) and the same card pressed twice
change nothing and get the first answer.
"""

from __future__ import annotations

import asyncio
import copy

from storage.models import Goal, InboundActivity, OutboxMessage
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count, inbox

ANA = TeamsUser("ana", "Ana Lee")
TEAM = TeamsTeam("crew", "Crew")
ADD = "goal add Ship the beta target=2027-06-30"


def texts(bot) -> list[str]:
    return [m.text or "" for m in inbox(bot, ANA)]


async def test_a_reply_refused_after_the_commit_arrives_through_the_outbox(bot):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    bot.connector.fail(r"/activities/activity-in-", 502)  # the turn's reply, once
    before = len(texts(bot))
    code, _ = await bot.post(teams.personal_message(bot.service_url, ANA, ADD))
    assert code == 200
    await bot.settle()
    after = texts(bot)[before:]
    assert len(after) == 1 and "Ship the beta" in after[0], after
    assert not any("nothing was changed" in t.lower() for t in after)
    assert await count(bot, Goal) == 1
    queued = await count(bot, OutboxMessage, OutboxMessage.idempotency_key.like("reply:%"))
    assert queued == 1


async def test_a_retried_delivery_changes_nothing_and_gets_the_same_answer(bot):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    activity = teams.personal_message(bot.service_url, ANA, ADD)
    first = await bot.send(activity)
    again = await bot.send(copy.deepcopy(activity))  # Teams retries: the same id
    assert first == again and "Ship the beta" in first[0]
    assert await count(bot, Goal) == 1
    # A new message with the same words is a new goal (only the same delivery repeats).
    await bot.send(teams.personal_message(bot.service_url, ANA, ADD))
    assert await count(bot, Goal) == 2


async def test_a_card_pressed_twice_saves_once(bot):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    value = {
        "action": "goal_save",
        "goal": 0,
        "title": "Mentor a new joiner",
        "why": "",
        "measure": "",
        "target": "2027-05-01",
    }
    clicks = [teams.card_submit(bot.service_url, ANA, value) for _ in range(2)]
    for click in clicks:  # two activities (two ids) from the same card: a double click
        click["replyToId"] = "card-message-7"
    first, second = [await bot.send(click) for click in clicks]
    assert first == second and "Mentor a new joiner" in first[0]
    assert await count(bot, Goal) == 1
    # The same card with other values is another submit.
    other = teams.card_submit(bot.service_url, ANA, value | {"title": "Give a talk"})
    other["replyToId"] = "card-message-7"
    await bot.send(other)
    assert await count(bot, Goal) == 2


async def test_a_repeated_card_action_in_a_channel_is_answered_the_same(bot):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    bot.connector.set_roster(TEAM.id, [ANA.member()], TEAM.name)
    code, _ = await bot.post(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))
    assert code == 200
    action = teams.card_action(bot.service_url, ANA, TEAM, {"action": "nope"}, "card-1")
    first = await bot.post(action)
    second = await bot.post(copy.deepcopy(action))
    assert first == second and first[0] == 200
    rows = await count(bot, InboundActivity)
    assert rows >= 2  # the install and the card action (each once)


async def test_two_deliveries_at_once_are_handled_once(bot):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    activity = teams.personal_message(bot.service_url, ANA, ADD)
    before = len(texts(bot))
    results = await asyncio.gather(*(bot.post(copy.deepcopy(activity)) for _ in range(3)))
    assert [code for code, _ in results] == [200, 200, 200]
    await bot.settle()
    assert await count(bot, Goal) == 1
    answers = texts(bot)[before:]
    assert len(answers) == 3 and len(set(answers)) == 1 and "Ship the beta" in answers[0]
