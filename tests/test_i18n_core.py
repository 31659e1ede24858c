"""What dialogs.core and dialogs.directory say, in the reader's language, end to end on
both databases: an unknown command with a suggestion in the reader's own words, an admin
command refused to a member, a stranger refused in a team's channel, a schedule option
that is no weekday, the very next message after `language fr`, `/graph status` and the
admins' notice of a missing Graph permission, an expired download link; and time zones'
names. (tests/test_i18n.py covers the `language` command itself, commands typed in other
languages and the team's default language.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from dialogs.core import i18n, zones
from storage.models import GraphFeature
from tests.fakes import teams
from tests.fakes.graph import GraphUser
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")  # installs the bot: an admin
BEN = TeamsUser("ben", "Ben Okafor")  # a member, writing from a German Teams
KEN = TeamsUser("ken", "Ken Sato")  # in no team of the bot's, writing from a Japanese Teams
DATA = TeamsTeam("data", "Data Guild")
_ = i18n.catalog("dialogs.core")
directory = i18n.catalog("dialogs.directory")


def said(language: str, message: str, **values: Any) -> str:
    """The message in `language`, checked to be a translation (not the English)."""
    text = _.in_language(language, message, **values)
    assert text != _.in_language("en", message, **values), f"{message!r} not in {language}"
    return text


async def personal(bot, user: TeamsUser, text: str, locale: str) -> list[str]:
    activity = teams.personal_message(bot.service_url, user, text)
    activity["locale"] = locale
    return await bot.send(activity)


async def channel(bot, user: TeamsUser, text: str, locale: str | None) -> str:
    activity = teams.channel_message(bot.service_url, user, DATA, text)
    activity["locale"] = locale
    return "\n".join(await bot.send(activity))


async def install(bot, *members: TeamsUser) -> None:
    bot.connector.set_roster(DATA.id, [m.member() for m in members], DATA.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, members[0], DATA))


SORRY_WITH_HINT = (
    "Sorry, I don't know that command. Did you mean `{suggestion}`? Type `help` to see "
    "what I can do."
)


async def test_an_unknown_command_is_answered_in_german_with_a_suggestion_in_german(bot):
    await personal(bot, BEN, "hi", "de-DE")  # the first message starts onboarding
    [answer] = await personal(bot, BEN, "sprach", "de-DE")
    # `language` in the words a German types: its alias, which works like the name.
    assert answer == said("de", SORRY_WITH_HINT, suggestion="sprache")
    [english] = await personal(bot, BEN, "sprach", "en-US")
    assert english == SORRY_WITH_HINT.format(suggestion="language")
    [plain] = await personal(bot, BEN, "/xyzzy plugh", "de-DE")  # no greeting: a slash
    assert plain == said(
        "de", "Sorry, I don't know that command. Type `help` to see what I can do."
    )


async def test_a_member_typing_an_admin_command_is_refused_in_german(bot):
    await install(bot, ANA, BEN)
    refused = await channel(bot, BEN, "/graph status", "de-DE")
    expected = (
        "Sorry, `{command}` is for admins of {team}. Ask one of them (or the person who "
        "installed me) to run it. Nothing changed."
    )
    assert refused == said("de", expected, command="/graph status", team=DATA.name)
    # The admin herself is answered, in English without a locale of hers.
    shown = await channel(bot, ANA, "/graph status", None)
    assert shown.startswith("Microsoft Graph is not connected")


async def test_a_japanese_stranger_is_refused_in_japanese_and_an_option_error_too(bot):
    await install(bot, ANA, BEN)
    refused = await channel(bot, KEN, "/icebreaker settings", "ja-JP")
    assert refused == said(
        "ja",
        "Sorry, only members of {team} can do that, and it's a team you're not in (as far as "
        "Teams has told me). Nothing was changed.",
        team=DATA.name,
    )
    # The installer writes from a Japanese Teams: a weekday that is none, a time that is none.
    wrong = await channel(bot, ANA, "/icebreaker settings on day=someday time=25:00", "ja-JP")
    assert said("ja", "'{day}' is not a weekday; use e.g. monday", day="someday") in wrong
    time_error = said(
        "ja", "must be a 24-hour time as HH:MM, e.g. 09:30, not {value}", value="'25:00'"
    )
    assert time_error in wrong
    assert "is not a weekday" not in wrong and "must be a 24-hour time" not in wrong
    # A weekday written in Japanese is read as one.
    done = await channel(bot, ANA, "/icebreaker settings on day=月曜日 time=09:30", "ja-JP")
    assert "曜日ではありません" not in done


async def test_after_language_fr_the_very_next_message_is_in_french(bot):
    await personal(bot, BEN, "hi", "de-DE")
    [german] = await personal(bot, BEN, "sprach", "de-DE")
    assert german == said("de", SORRY_WITH_HINT, suggestion="sprache")
    await personal(bot, BEN, "language fr", "de-DE")
    # Still from the German Teams: the choice wins, and the suggestion is the French word.
    [french] = await personal(bot, BEN, "sprach", "de-DE")
    assert french == said("fr", SORRY_WITH_HINT, suggestion="langue")
    [private] = await personal(bot, BEN, "/graph status", "de-DE")
    assert private == said(
        "fr",
        "Sorry, `{command}` is for team admins, and you don't admin any team I'm in. "
        "Nothing changed.",
        command="/graph status",
    )


async def test_graph_status_and_the_missing_permission_notice_in_the_admins_language(gbot, graph):
    await personal(gbot, ANA, "hi", "ja-JP")  # Ana's Teams is Japanese before she installs
    for member in (ANA, BEN):
        graph.add(GraphUser(member.aad, department="Data", zone="W. Europe Standard Time"))
    graph.fail(r"/mailboxSettings$", 403, times=10_000)
    await install(gbot, ANA, BEN)
    await _until_state(gbot, "mailbox", "missing")
    await gbot.settle()
    notice = directory.in_language(
        "ja",
        "Microsoft Graph refused {what} in your organisation: the app needs the application "
        "permission **{permission}**. Until an administrator grants it (with admin consent), "
        "this part works without Graph. `/graph status` shows every feature.",
        what=_.in_language("ja", "time zone, working hours and language"),
        permission="MailboxSettings.Read",
    )
    assert notice in gbot.connector.texts(ANA.personal_conversation)

    shown = await channel(gbot, ANA, "/graph status", "ja-JP")
    with i18n.speaking("ja"):
        header = directory("**Microsoft Graph in {team}'s organisation**", team=DATA.name)
        missing = directory(
            "missing the application permission **{permission}** (grant it with admin consent)",
            permission="MailboxSettings.Read",
        )
        line = directory(
            "- {what}: {state}", what=_("time zone, working hours and language"), state=missing
        )
    assert shown.startswith(header + "\n") and line in shown.split("\n")
    assert "Microsoft Graph in" not in shown and "not tried yet" not in shown

    german = await channel(gbot, BEN, "/graph status", "de-DE")  # a member: refused
    assert "ist nur für Admins von Data Guild" in german


async def test_an_expired_download_link_is_refused_in_its_owners_language(bot):
    await personal(bot, BEN, "hi", "ja-JP")
    await personal(bot, BEN, "my data", "ja-JP")
    [card] = [m for m in bot.connector.messages(BEN.personal_conversation) if m.cards][-1].cards
    path = "/exports/" + card["actions"][0]["url"].rsplit("/exports/", 1)[1]
    bot.clock.advance(minutes=16)
    async with bot.session.get(bot.url + path) as resp:  # a browser: no Teams locale
        assert resp.status == 410
        assert await resp.text() == said(
            "ja", "This download link has expired. Ask Mentorbot for a new one."
        )
    async with bot.session.get(bot.url + "/exports/" + "x" * 43) as resp:  # whose? English
        assert resp.status == 404
        assert await resp.text() == "This download link is unknown. Ask Mentorbot for a new one."


def test_time_zones_are_named_in_the_readers_language_and_english_stays_as_it_was():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert zones.friendly("Asia/Tokyo", now) == "Tokyo, Japan (UTC+9)"
    with i18n.speaking("de"):
        assert zones.friendly("Asia/Tokyo", now) == "Tokio, Japan (UTC+9)"
        assert zones.friendly("Europe/Berlin", now) == "Berlin, Deutschland (UTC+1)"
    with i18n.speaking("ja"):
        assert zones.friendly("Asia/Tokyo", now) == "東京、日本 (UTC+9)"
        assert zones.friendly("UTC", now) == "UTC"  # no place: its IANA name
    assert zones.friendly("Europe/Berlin", now) == "Berlin, Germany (UTC+1)"


async def _until_state(bot: Any, feature: str, state: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.db.unit() as repos:
            row = await repos.session.scalar(
                select(GraphFeature).where(GraphFeature.feature == feature)
            )
        if row is not None and row.state == state:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{feature} never {state}"
        await asyncio.sleep(0.05)
