"""bot/sdk_models.py builds the same Activity as msrest's deserializer, for every kind of
activity Teams sends and for JSON whose types are off (then msrest decides)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botbuilder.schema import Activity
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.exceptions import DeserializationError

from bot import sdk_models
from bot.sdk_models import activity_from_json
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

URL = "http://127.0.0.1:9/"
ANA, BEN = TeamsUser("ana", "Ana"), TeamsUser("ben", "Ben")
TEAM = TeamsTeam("sdk", "SDK team")


def teams_activities() -> list[dict[str, Any]]:
    return [
        teams.personal_message(URL, ANA, "help"),
        teams.card_submit(URL, ANA, {"action": "profile_save", "role": "mentee", "n": 2}),
        teams.channel_message(URL, ANA, TEAM, "coffee status", mentions=(BEN,), reply_to="r1"),
        teams.channel_message(URL, ANA, TEAM, "hello", mention_bot=False),
        teams.card_action(URL, ANA, TEAM, {"answer": "tea"}, card_id="card-1"),
        teams.bot_installed_in_team(URL, ANA, TEAM),
        teams.members_added(URL, TEAM, ANA, BEN),
        teams.members_removed(URL, TEAM, BEN),
        teams.bot_removed_from_team(URL, ANA, TEAM),
        teams.personal_install(URL, ANA),
        teams.group_message(URL, ANA, "chat-1", "hi"),
        teams.group_install(URL, ANA, "chat-1"),
    ]


def by_msrest(data: dict[str, Any]) -> Activity:
    return Activity().deserialize(copy.deepcopy(data))


@pytest.mark.parametrize("data", teams_activities(), ids=lambda d: f"{d['type']}")
def test_teams_activities_build_as_msrest_builds_them(data: dict[str, Any]) -> None:
    lean = sdk_models.build(Activity, copy.deepcopy(data))  # no fallback taken
    assert lean == by_msrest(data)
    assert lean.serialize() == by_msrest(data).serialize()


def test_unknown_keys_are_kept_aside_as_msrest_keeps_them() -> None:
    data = teams.personal_message(URL, ANA, "help")
    data["conversation"]["tenantId"] = "t-1"  # the SDK maps only tenantID
    data["futureField"] = {"x": 1}
    lean = activity_from_json(copy.deepcopy(data))
    assert lean.conversation.additional_properties == {"tenantId": "t-1"}
    assert lean.additional_properties == {"futureField": {"x": 1}}
    assert lean == by_msrest(data)


def test_a_seven_digit_timestamp_reads_as_msrest_reads_it() -> None:
    data = teams.personal_message(URL, ANA, "help")
    data["timestamp"] = "2026-11-21T10:00:00.1234567Z"
    data["localTimestamp"] = "2026-11-21T11:00:00.1234567+01:00"
    lean = activity_from_json(copy.deepcopy(data))
    assert lean.timestamp == by_msrest(data).timestamp
    assert lean.local_timestamp == by_msrest(data).local_timestamp
    assert lean.timestamp.microsecond == 123456


@pytest.mark.parametrize(
    "field, value",
    [
        ("text", 5),  # msrest makes a string of it
        ("historyDisclosed", "true"),
        ("timestamp", "21 Nov 2026"),
        ("membersAdded", {"id": "x"}),
        ("from", "29:ana"),
    ],
)
def test_off_types_are_left_to_msrest(field: str, value: Any) -> None:
    data = teams.personal_message(URL, ANA, "help")
    data[field] = value
    with pytest.raises(sdk_models.Unusual):
        sdk_models.build(Activity, copy.deepcopy(data))
    try:
        expected: Activity | type[Exception] = by_msrest(data)
    except DeserializationError:
        expected = DeserializationError
    if expected is DeserializationError:
        with pytest.raises(DeserializationError):
            activity_from_json(copy.deepcopy(data))
    else:
        assert activity_from_json(copy.deepcopy(data)) == expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        "text",
        "value",
        "channelData",
        "entities",
        "attachments",
        "membersAdded",
        "from",
        "conversation",
        "localTimezone",
        "replyToId",
        "name",
        "listenFor",
        "importance",
        "zz",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(FIELDS, JSON, max_size=4))
def test_any_json_gives_what_msrest_gives(changes: dict[str, Any]) -> None:
    data = teams.channel_message(URL, ANA, TEAM, "hi", mentions=(BEN,))
    data.update(changes)
    try:
        expected = by_msrest(data)
    except DeserializationError:
        with pytest.raises(DeserializationError):
            activity_from_json(copy.deepcopy(data))
        return
    assert activity_from_json(copy.deepcopy(data)) == expected
