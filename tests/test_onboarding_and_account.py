"""1:1 with the bot: onboarding, profile, pause/resume, opt out/in, my data, delete."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.models import Profile, User
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import my_data

ANA = TeamsUser("ana", "Ana Lee")
BEN = TeamsUser("ben", "Ben Okafor")

GOOD = {
    "action": "profile_save",
    "role": "mentor",
    "skills_offer": "SQL, public speaking, sql",
    "skills_want": "leadership",
    "goals": "Lead a team next year",
    "interests": "chess, jazz",
    "department": "Data",
    "location": "Berlin",
    "timezone": "Europe/Berlin",
    "languages": "English, German",
    "meeting_format": "video",
    "meetings_per_month": "2",
    "max_mentees": "3",
}


async def say(bot, user, text):
    return await bot.send(teams.personal_message(bot.service_url, user, text))


async def submit(bot, user, value):
    return await bot.send(teams.card_submit(bot.service_url, user, value))


async def stored_profile(bot, user):
    async with bot.db.unit() as repos:
        row = await repos.users.by_teams_id(user.id)
        return await repos.profiles.get(row.id) if row else None


async def user_row(bot, user) -> User:
    async with bot.db.unit() as repos:
        return await repos.users.by_teams_id(user.id)


async def test_first_message_starts_onboarding_and_submit_saves(bot):
    await say(bot, ANA, "hi")
    calls = bot.connector.messages(ANA.personal_conversation)
    cards = [card for call in calls for card in call.cards]
    assert len(cards) == 1 and cards[0]["version"] == "1.5"
    assert any("Mentorbot" in (c.text or "") for c in calls)

    texts = await submit(bot, ANA, GOOD)
    assert "saved" in texts[0]
    profile = await stored_profile(bot, ANA)
    assert profile.role == "mentor"
    assert profile.skills_offer == ["SQL", "public speaking"]  # de-duplicated
    assert profile.languages == ["English", "German"]
    assert profile.meetings_per_month == 2 and profile.max_mentees == 3


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("role", "overlord", "Role"),
        ("timezone", "Mars/Olympus", "Time zone"),
        ("meetings_per_month", "12", "Meetings per month"),
        ("meetings_per_month", "two", "Meetings per month"),
        ("meetings_per_month", "inf", "Meetings per month"),
        ("meetings_per_month", "2.5", "Meetings per month"),
        ("meetings_per_month", True, "Meetings per month"),
        ("max_mentees", "0", "Most mentees at once"),
        ("meeting_format", "", "Preferred meeting format"),
        ("goals", "x" * 1001, "Goals"),
        ("interests", ",".join(f"i{n}" for n in range(16)), "Interests"),
        ("department", 42, "Department"),
    ],
)
async def test_bad_profile_value_names_the_field_and_saves_nothing(bot, field, value, named):
    await submit(bot, ANA, GOOD)
    texts = await submit(
        bot,
        ANA,
        GOOD | {field: value, "department": "Changed"}
        if field != "department"
        else GOOD | {field: value},
    )
    assert named in texts[0] and "Nothing was saved" in texts[0]
    profile = await stored_profile(bot, ANA)
    assert profile.department == "Data"


@pytest.mark.parametrize(
    "value",
    [
        "just a string",
        ["a", "list"],
        {"no": "action"},
        {"action": "launch_rockets"},
        {"action": 7},
    ],
)
async def test_malformed_card_submit_gets_a_friendly_message_and_changes_nothing(bot, value):
    texts = await submit(bot, ANA, value)
    assert "didn't understand that card" in texts[0]
    assert await stored_profile(bot, ANA) is None


async def test_profile_shows_values_and_offers_an_edit_form(bot):
    await submit(bot, ANA, GOOD)
    await say(bot, ANA, "profile")
    card = bot.connector.messages(ANA.personal_conversation)[-1].cards[0]
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Role"] == "Mentor" and facts["Skills I can offer"] == "SQL, public speaking"
    form = card["actions"][0]["card"]
    assert json.dumps(form).count('"profile_save"') == 1
    await submit(bot, ANA, GOOD | {"role": "mentee", "max_mentees": ""})
    profile = await stored_profile(bot, ANA)
    assert profile.role == "mentee" and profile.max_mentees is None


async def test_pause_resume_and_dates(bot, clock):
    await say(bot, ANA, "hello")
    texts = await say(bot, ANA, "pause until 2026-11-20")
    assert "not in the future" in texts[0]
    assert (await user_row(bot, ANA)).paused is False

    texts = await say(bot, ANA, "pause until 2026-13-45")
    assert "isn't a date" in texts[0]
    assert (await user_row(bot, ANA)).paused is False

    texts = await say(bot, ANA, "pause until 2026-12-31")
    assert "2026-12-31" in texts[0]
    row = await user_row(bot, ANA)
    assert row.paused and str(row.paused_until) == "2026-12-31"

    texts = await say(bot, ANA, "resume")
    assert "Welcome back" in texts[0]
    row = await user_row(bot, ANA)
    assert not row.paused and row.paused_until is None

    await say(bot, ANA, "pause")
    assert (await user_row(bot, ANA)).paused and (await user_row(bot, ANA)).paused_until is None


async def test_opt_out_and_in(bot):
    await say(bot, ANA, "hello")
    assert "opted out" in (await say(bot, ANA, "Opt  Out"))[0]
    assert (await user_row(bot, ANA)).opted_out
    assert "back in" in (await say(bot, ANA, "opt in"))[0]
    assert not (await user_row(bot, ANA)).opted_out


async def test_my_data_shows_only_my_data(bot):
    await submit(bot, ANA, GOOD)
    await submit(bot, BEN, GOOD | {"goals": "Ben's secret goal"})
    card, exported = await my_data(bot, ANA)
    dump = json.dumps([card, exported])
    assert "Lead a team next year" in dump
    assert "Ben's secret goal" not in dump and BEN.id not in dump
    assert exported["account"]["teams_user_id"] == ANA.id
    assert exported["profile"]["goals"] == "Lead a team next year"


async def test_delete_my_data_asks_then_erases_but_keeps_counts(bot):
    team = TeamsTeam("eng", "Engineering")
    bot.connector.set_roster(team.id, [ANA.member(), BEN.member()], team.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, BEN, team))
    await submit(bot, ANA, GOOD)

    await say(bot, ANA, "delete my data")
    confirm = bot.connector.messages(ANA.personal_conversation)[-1].cards[0]
    assert [a["data"]["action"] for a in confirm["actions"]] == [
        "delete_data_confirm",
        "delete_data_cancel",
    ]
    assert await stored_profile(bot, ANA) is not None  # nothing happens before confirming

    assert "nothing was deleted" in (await submit(bot, ANA, {"action": "delete_data_cancel"}))[0]
    assert await stored_profile(bot, ANA) is not None

    texts = await submit(bot, ANA, {"action": "delete_data_confirm"})
    assert "deleted" in texts[0]
    async with bot.db.unit() as repos:
        assert await repos.users.by_teams_id(ANA.id) is None
        assert (await repos.session.scalars(select(Profile))).all() == []
        erased = (
            await repos.session.scalars(select(User).where(User.erased_at.is_not(None)))
        ).one()
        assert erased.name is None and erased.email is None and erased.personal_ref is None
        counts = await repos.members.team_counts((await repos.teams.by_team_id(team.id)).id)
        assert counts["active"] == 2  # anonymous aggregates stay true


async def test_user_commands_in_a_channel_stay_private(bot):
    team = TeamsTeam("eng", "Engineering")
    bot.connector.set_roster(team.id, [ANA.member()], team.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, team))
    texts = await bot.send(teams.channel_message(bot.service_url, ANA, team, "my data"))
    assert "1:1" in texts[0]
    assert "help" in (await bot.send(teams.channel_message(bot.service_url, ANA, team, "help")))[0]


async def test_unknown_command_suggests_the_closest(bot):
    await submit(bot, ANA, GOOD)
    assert "`profile`" in (await say(bot, ANA, "profle"))[0]
    assert "`my data`" in (await say(bot, ANA, "my dat"))[0]
    assert "`/admin list`" in (await say(bot, ANA, "/admin lst"))[0]
    text = (await say(bot, ANA, "what is the meaning of life"))[0]
    assert "don't know that command" in text and "Did you mean" not in text


async def test_help_is_generated_from_the_route_table(bot):
    """`help` is short: one line per area, each naming `help <area>`; every command is in
    exactly one area's detail (issue 11 made help short)."""
    from dialogs.routes import build_table

    table = build_table()
    for who, word in (("anyone", "help"), ("admin", "/help")):
        overview = (await say(bot, ANA, word))[0]
        assert len(overview.splitlines()) <= 10 and "options:" not in overview
        areas = [f for f in table.features if (f.help if who == "anyone" else f.admin_help)]
        details = {}
        for feature in areas:
            topic = feature.help if who == "anyone" else feature.admin_help
            assert f"`{word} {topic.words[0]}`" in overview
            details[feature.name] = (await say(bot, ANA, f"{word} {topic.words[0]}"))[0]
        for command in table.visible(who):
            shown_in = [name for name, text in details.items() if f"**{command.title}**" in text]
            assert shown_in == [table.feature_of(command).name], command.name
    assert "no help about" in (await say(bot, ANA, "help astrology"))[0]
