"""Finding 4: malformed input gets a 400 before any work, odd input a clear answer.

Every case found: deep nesting, huge numbers, non-object channelData or team, mentions
without `mentioned`, `membersAdded: [null]`, lone surrogates, malformed service URLs;
and a 500,000-character message, refused before any parsing or suggesting.
"""

from __future__ import annotations

import json
import logging

import pytest

from storage.models import Base
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count

ANA = TeamsUser("ana", "Ana Lee")
TEAM = TeamsTeam("crew", "Crew")
JSON = {"Content-Type": "application/json"}


def message(bot, **changes) -> dict:
    return teams.personal_message(bot.service_url, ANA, "help") | changes


async def rows(bot) -> dict[str, int]:
    return {t.name: await count(bot, t) for t in Base.metadata.sorted_tables}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


MALFORMED = {
    "deep nesting (recursion)": lambda bot: (
        json.dumps(message(bot))[:-1] + ', "value": ' + nested(100_000) + "}"
    ),
    "deep nesting (over the limit)": lambda bot: (
        json.dumps(message(bot))[:-1] + ', "value": ' + nested(40) + "}"
    ),
    "a huge integer": lambda bot: json.dumps(message(bot))[:-1] + ', "value": ' + "9" * 5000 + "}",
    "a huge float": lambda bot: json.dumps(message(bot))[:-1] + ', "value": 1e999}',
    "NaN": lambda bot: json.dumps(message(bot))[:-1] + ', "value": NaN}',
    "channelData a list": lambda bot: json.dumps(message(bot, channelData=[1, 2])),
    "channelData a string": lambda bot: json.dumps(message(bot, channelData="x")),
    "channelData.team a string": lambda bot: json.dumps(
        message(bot, channelData={"team": "19:x", "tenant": {"id": "t"}})
    ),
    "channelData.tenant a number": lambda bot: json.dumps(message(bot, channelData={"tenant": 7})),
    "a mention without mentioned": lambda bot: json.dumps(
        message(bot, entities=[{"type": "mention", "text": "<at>x</at>"}])
    ),
    "a mention naming nobody": lambda bot: json.dumps(
        message(bot, entities=[{"type": "mention", "mentioned": {"name": "x"}}])
    ),
    "an entity that is not an object": lambda bot: json.dumps(message(bot, entities=[None])),
    "membersAdded [null]": lambda bot: json.dumps(
        teams.members_added(bot.service_url, TEAM, ANA) | {"membersAdded": [None]}
    ),
    "membersRemoved a member without id": lambda bot: json.dumps(
        teams.members_removed(bot.service_url, TEAM, ANA) | {"membersRemoved": [{"name": "x"}]}
    ),
    "a lone surrogate in text": lambda bot: (
        json.dumps(message(bot))[:-1] + ', "text": "hi \\ud800 there"}'
    ),
    "a lone surrogate in a name": lambda bot: (
        json.dumps(message(bot))[:-1].replace('"Ana Lee"', '"Ana \\udfff"') + "}"
    ),
    "serviceUrl without a host": lambda bot: json.dumps(message(bot, serviceUrl="http://")),
    "serviceUrl with a broken IPv6 host": lambda bot: json.dumps(
        message(bot, serviceUrl="http://[::1/")
    ),
    "serviceUrl with a bad port": lambda bot: json.dumps(
        message(bot, serviceUrl="http://127.0.0.1:99999/")
    ),
    "serviceUrl with a space": lambda bot: json.dumps(
        message(bot, serviceUrl="https://exa mple.com/")
    ),
    "serviceUrl not a string": lambda bot: json.dumps(message(bot, serviceUrl=["http://x"])),
    "a NUL in an id": lambda bot: json.dumps(message(bot, **{"from": {"id": "29:a\u0000b"}})),
    "a text that is a number": lambda bot: json.dumps(message(bot, text=42)),
    "isGroup a string": lambda bot: json.dumps(
        message(bot, conversation={"id": "a:x", "isGroup": "yes"})
    ),
    "a timestamp that is not one": lambda bot: json.dumps(message(bot, timestamp="yesterday")),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_activities_get_400_and_change_nothing(bot, case, caplog):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    before, calls = await rows(bot), len(bot.connector.calls)
    caplog.set_level(logging.INFO)
    body = MALFORMED[case](bot).encode("utf-8", "surrogatepass")
    code, answer = await bot.post(None, JSON, raw=body)
    assert code == 400, answer
    assert "error" in json.loads(answer)
    assert await rows(bot) == before and len(bot.connector.calls) == calls
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_a_huge_message_is_refused_politely_before_parsing(bot, caplog):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    before = await rows(bot)
    caplog.set_level(logging.INFO)
    replies = await bot.send(
        teams.personal_message(bot.service_url, ANA, "goal add " + "x" * 500_000)
    )
    assert len(replies) == 1 and "500,009 characters" in replies[0]
    assert "Nothing was changed" in replies[0]
    assert await rows(bot) == before
    assert any("route=refused" in r.getMessage() for r in caplog.records)


async def test_the_longest_allowed_message_is_still_read(bot):
    text = "suggest " + "What would you do with a free afternoon? " * 90
    replies = await bot.send(teams.personal_message(bot.service_url, ANA, text[:4000]))
    assert replies and "characters long; I read at most" not in replies[0]


@pytest.mark.parametrize(
    "where",
    ["text", "card value", "card value key"],
)
async def test_control_characters_are_refused_alike_on_both_databases(bot, where):
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    before = await rows(bot)
    if where == "text":
        activity = teams.personal_message(
            bot.service_url, ANA, "goal add Lead\x00 target=2027-01-01"
        )
    else:
        value = {"action": "goal_save", "goal": 0, "title": "Lead\x00", "target": "2027-01-01"}
        if where == "card value key":
            value = {"action": "goal_save", "goal": 0, "ti\x07tle": "Lead", "target": "2027-01-01"}
        activity = teams.card_submit(bot.service_url, ANA, value)
    replies = await bot.send(activity)
    assert len(replies) == 1 and "control characters" in replies[0]
    assert await rows(bot) == before


async def test_a_body_over_a_megabyte_gets_413(bot):
    body = json.dumps(message(bot, text="x" * (1024 * 1024))).encode()
    code, _ = await bot.post(None, JSON, raw=body)
    assert code == 413


async def test_a_message_without_text_but_with_a_mention_is_answered(bot, caplog):
    """Found by the fuzz test: the SDK's mention removal fails on a message whose text is
    missing; such a message is simply one with nothing typed."""
    caplog.set_level(logging.INFO)
    mention = {"type": "mention", "text": "<at>Mentorbot</at>", "mentioned": {"id": "28:x"}}
    activity = message(bot, entities=[mention])
    activity.pop("text", None)
    code, _ = await bot.post(activity)
    assert code in (200, 201)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
