"""Mentoring programs in the admin's language, end to end on both databases: a German
admin (a de-DE Teams) creates a program with the form, configures it and reads it back
in German; a bad program command or form from that admin is answered in German and
changes nothing; a Japanese admin reads a program's dates (start, end, the enrolment
deadline) the Japanese way, in the list, the program and the form's errors."""

from __future__ import annotations

import json
from datetime import date

from dialogs.core import i18n
from storage.models import Program
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count, keyed
from tests.test_programs import form

ADMIN = TeamsUser("ada", "Ada Admin")
MEMBER = TeamsUser("mia", "Mia Mentor")
TEAM = TeamsTeam("eng", "Engineering")
NAME = "Spring mentoring"
_ = i18n.catalog("dialogs.mentoring")


def said(language: str, message: str, **values: object) -> str:
    """A message as the catalog says it in `language`, checked to be translated."""
    text = _.in_language(language, message, **values)
    assert text != message.format(**values), f"no {language} translation: {message!r}"
    return text


def day(language: str, value: date) -> str:
    with i18n.speaking(language):
        return i18n.when(value, "%Y-%m-%d")


async def install(bot) -> None:
    bot.connector.set_roster(TEAM.id, [ADMIN.member(), MEMBER.member()], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADMIN, TEAM))


async def direct(bot, text: str, locale: str) -> list[str]:
    await bot.settle()
    activity = teams.personal_message(bot.service_url, ADMIN, text)
    activity["locale"] = locale
    return await bot.send(activity)


async def channel(bot, text: str, locale: str) -> str:
    await bot.settle()
    activity = teams.channel_message(bot.service_url, ADMIN, TEAM, text)
    activity["locale"] = locale
    return "\n".join(await bot.send(activity))


async def submit(bot, value: dict, locale: str) -> str:
    await bot.settle()
    activity = teams.card_submit(bot.service_url, ADMIN, value)
    activity["locale"] = locale
    return "\n".join(await bot.send(activity))


async def program(bot) -> Program:
    async with bot.db.unit() as repos:
        return await repos.programs.get(1)


async def test_a_german_admin_sets_up_and_configures_a_program_in_german(bot):
    await install(bot)
    await direct(bot, f'/program new name="{NAME}"', "de-DE")
    cards = json.dumps([m.cards for m in bot.connector.messages() if m.cards], ensure_ascii=False)
    assert said("de", "New program: {name}", name=NAME) in cards  # the form, in German
    assert said("de", "every 2 weeks") in cards and said("de", "Skill development") in cards

    reply = await submit(bot, form(enrol_by="2026-12-20"), "de-DE")
    assert reply == said(
        "de",
        "'{name}' is set up. Invite people with `/program invite {name}`; they can also "
        "type `join {name}` 1:1.",
        name=NAME,
    )
    assert reply.startswith("„Spring mentoring“ ist eingerichtet.")

    shown = await channel(bot, f"/program show {NAME}", "de-DE")
    start, end, enrol_by = date(2026, 12, 1), date(2027, 5, 31), date(2026, 12, 20)
    dates = {"start": day("de", start), "end": day("de", end), "enrol_by": day("de", enrol_by)}
    assert dates["start"] == "1. Dez. 2026"
    for line in (
        f"**{NAME}** ({said('de', 'open')})",
        said("de", "- Dates: {start} to {end}; enrol by {enrol_by}", **dates),
        said("de", "- Meetings expected {cadence}", cadence=said("de", "every 2 weeks")),
        said("de", "- Mentees per mentor: {n} by default", n=2),
        # "Matching" is German too; the mode is not.
        _.in_language(
            "de", "- Matching: {mode}", mode=said("de", "Automatic: both are introduced")
        ),
        said("de", "**Ground rules** (every new pair agrees to them)"),
        said("de", "**Resources for mentees**"),
        said("de", "None yet (add them with `/program edit`)."),
    ):
        assert line in shown, (line, shown)
    assert said("de", "Skill development") in shown and "cross-team ties" in shown
    assert "Dates:" not in shown and "Meetings expected" not in shown

    listed = await channel(bot, "/program list", "de-DE")
    assert said("de", "**Programs in {team}**", team=TEAM.name) in listed
    assert f"{day('de', start)} bis {day('de', end)}; 0 Mentoren, 0 Mentees, 0 aktive Paare" in (
        listed
    )

    reply = await channel(bot, f"/program settings {NAME} groupchat=on", "de-DE")
    chats = said("de", "on, but Microsoft Graph is not connected, so intros come 1:1")
    assert reply == said("de", "Saved.") + " " + said(
        "de",
        "**{name}** settings:\n- Group chats: {chats}\nChange with `groupchat=on|off`.",
        name=NAME,
        chats=chats,
    )
    assert (await program(bot)).group_chats is True

    reply = await channel(bot, f'/program cohort {NAME} cohort="Herbst 2027"', "de-DE")
    first = said("de", "Started {day}", day=day("de", start))
    assert reply.startswith("„Spring mentoring“ hat eine neue Kohorte, „Herbst 2027“")
    assert f"„{first}“" in reply


async def test_a_bad_program_command_from_a_german_admin_is_answered_in_german_and_changes_nothing(
    bot,
):
    await install(bot)
    nothing_saved = said("de", "Nothing was saved.")
    # A bad form: two problems at once, each in German, and no program is made.
    await direct(bot, f'/program new name="{NAME}"', "de-DE")
    reply = await submit(bot, form(capacity="9", ends_on="2026-11-30"), "de-DE")
    assert reply.startswith("Ich konnte das Programm nicht speichern. Bitte korrigiere:\n- **")
    assert reply.endswith(nothing_saved)
    capacity = said(
        "de",
        "a whole number from {low} to {high} (you entered {shown})",
        low=1,
        high=5,
        shown="'9'",
    )
    assert f"**{said('de', 'Mentees per mentor')}**: {capacity}" in reply
    ends = said(
        "de",
        "{day} must be after the start ({start})",
        day=day("de", date(2026, 11, 30)),
        start=day("de", date(2026, 12, 1)),
    )
    assert f"**{said('de', 'Ends')}**: {ends}" in reply
    assert await count(bot, Program) == 0

    # A name nobody gave, then a program that exists: the same German refusal each time.
    assert await direct(bot, "/program new", "de-DE") == [
        said(
            "de",
            "Give the program a name (at most {limit} characters): "
            '`/program new name="Spring mentoring"`. Nothing changed.',
            limit=100,
        )
    ]
    await submit(bot, form(), "de-DE")
    assert await count(bot, Program) == 1
    before = await program(bot)
    reply = await channel(bot, f"/program settings {NAME} groupchat=vielleicht", "de-DE")
    assert reply == said(
        "de", "`groupchat=`: use on or off, not '{raw}'. Nothing changed.", raw="vielleicht"
    )
    reply = await channel(bot, "/program show Autumn mentoring", "de-DE")
    assert reply == said(
        "de",
        "No program called '{name}' in {team}. Programs: {names}.",
        name="Autumn mentoring",
        team=TEAM.name,
        names=f"'{NAME}'",
    )
    after = await program(bot)
    assert (after.group_chats, after.updated_at) == (before.group_chats, before.updated_at)
    assert await count(bot, Program) == 1


async def test_a_japanese_admin_reads_the_program_dates_in_japanese(bot):
    await install(bot)
    await direct(bot, f'/program new name="{NAME}"', "ja-JP")
    # The form's date errors name the dates the Japanese way.
    reply = await submit(bot, form(starts_on="2026-11-01"), "ja-JP")
    assert "**開始日**：2026年11月1日は過去の日付です（今日は2026年" in reply, reply
    assert reply.endswith(said("ja", "Nothing was saved."))
    reply = await submit(bot, form(enrol_by="2027-06-15"), "ja-JP")
    assert "**登録期限**：2027年6月15日は終了日（2027年5月31日）より前にしてください" in reply

    await submit(bot, form(enrol_by="2026-12-20"), "ja-JP")
    shown = await channel(bot, f"/program show {NAME}", "ja-JP")
    dates = {
        "start": day("ja", date(2026, 12, 1)),
        "end": day("ja", date(2027, 5, 31)),
        "enrol_by": day("ja", date(2026, 12, 20)),
    }
    assert dates == {"start": "2026年12月1日", "end": "2027年5月31日", "enrol_by": "2026年12月20日"}
    line = said("ja", "- Dates: {start} to {end}; enrol by {enrol_by}", **dates)
    assert line == "- 期間：2026年12月1日〜2027年5月31日（登録期限：2026年12月20日）"
    assert line in shown, shown
    assert "2026-12-01" not in shown and "2027-05-31" not in shown

    listed = await channel(bot, "/program list", "ja-JP")
    assert f"- **{NAME}**（受付中）：2026年12月1日〜2027年5月31日" in listed, listed

    # The invitation is the team's (English, no team language set); the admin's answer
    # is Japanese.
    reply = await direct(bot, f"/program invite {NAME}", "ja-JP")
    assert reply == [
        said(
            "ja", "I've posted the invitation to '{name}' in the team's General channel.", name=NAME
        )
    ]
    await bot.settle()
    posted = [m for m in bot.connector.messages(TEAM.id) if m.cards][-1].cards[0]
    facts = next(b for b in posted["body"] if b.get("type") == "FactSet")["facts"]
    assert facts[0] == {"title": "Dates", "value": "2026-12-01 to 2027-05-31"}


async def test_an_english_admin_closes_the_program_and_a_german_member_is_thanked_in_german(bot):
    await install(bot)
    await direct(bot, f'/program new name="{NAME}"', "en-US")
    assert "is set up" in await submit(bot, form(), "en-US")
    enrol = {"action": "enrol_save", "program": 1, "role": "mentor", "wants": "teach"}
    activity = teams.card_submit(bot.service_url, MEMBER, enrol | {"capacity": "2"})
    activity["locale"] = "de-DE"
    await bot.settle()
    [reply] = await bot.send(activity)
    assert reply == said(
        "de",
        "You're in '{name}' as a mentor. Matching happens when an admin starts matching; "
        "I'll message you.",
        name=NAME,
    )

    reply = await channel(bot, f"/program close {NAME}", "en-US")
    assert reply == (
        f"'{NAME}' is closed: 0 mentorships ended with a thank-you to both sides, "
        "and 1 participant was thanked."
    )
    await bot.settle()
    [thanks] = keyed(bot, MEMBER, "programclosed:")
    assert thanks.text.startswith(
        said("de", "'{name}' has come to an end. Thank you for taking part!", name=NAME)
    )
