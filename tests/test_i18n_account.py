"""The account in other languages, end to end on both databases: a German Teams user
onboards in German (the welcome, the profile card, a refused submit, the save), pauses
and comes back, and asks for `hilfe` in German, the help of other features included;
a Japanese user's time zone and pause replies write dates the Japanese way; `language
es` typed in the middle of onboarding holds from the very next message (the card's
submit, help, a pause). (tests/test_i18n.py covers the `language` command itself, the
profile card's language choice and the catalogs' structure.) Greetings to team members
are in each member's language, the channel's post in the team's."""

from __future__ import annotations

from datetime import date
from typing import Any

from dialogs.account import admin, team_events
from dialogs.core import i18n
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import keyed
from tests.test_i18n import PROFILE

BEN = TeamsUser("ben", "Ben Okafor")  # writes from a German Teams
KAI = TeamsUser("kai", "Kai Sato")  # writes from a Japanese Teams
_ = i18n.catalog("dialogs.account")


def said(lang: str, message: str, /, **values: Any) -> str:
    """The catalog's text in `lang`, checked to be a translation (not the English)."""
    text = _.in_language(lang, message, **values)
    assert text != _.in_language("en", message, **values), f"untranslated: {message!r}"
    return text


def before(lang: str, message: str, cut: str = "known", /, **values: Any) -> str:
    """The translation up to where placeholder `cut` goes (the rest varies)."""
    return said(lang, message, **{cut: "\x00"}, **values, how="").split("\x00")[0]


async def say(bot, user: TeamsUser, text: str, locale: str) -> list[str]:
    activity = teams.personal_message(bot.service_url, user, text)
    activity["locale"] = locale
    return await bot.send(activity)


async def submit(bot, user: TeamsUser, value: dict[str, Any], locale: str) -> list[str]:
    activity = teams.card_submit(bot.service_url, user, value)
    activity["locale"] = locale
    return await bot.send(activity)


def cards(bot, user: TeamsUser) -> list[dict[str, Any]]:
    return [
        card for call in bot.connector.messages(user.personal_conversation) for card in call.cards
    ]


def find(node: Any, wanted: str) -> dict[str, Any] | None:
    """The element of a card whose id is `wanted`."""
    if isinstance(node, dict):
        if node.get("id") == wanted:
            return node
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found = find(item, wanted)
            if found is not None:
                return found
    return None


async def test_a_german_user_onboards_pauses_and_asks_for_help_in_german(bot, clock):
    welcome, with_card = await say(bot, BEN, "hallo", "de-DE")
    assert welcome == said(
        "de",
        "Hi {name}! I'm Mentorbot. I connect people for mentoring and coffee chats. "
        "Tell me a little about yourself to get started (type `help` any time).",
        name="Ben",
    )
    [form] = cards(bot, BEN)
    assert with_card == "" and form["body"][0]["text"] == said("de", "Your profile")
    role = find(form, "role")
    assert role["label"] == said("de", "I'd like to join as")
    assert role["errorMessage"] == said("de", "Please choose a role")
    titles = {c["value"]: c["title"] for c in role["choices"]}
    assert titles["both"] == said("de", "Mentor and mentee")
    assert titles["coffee"] == said("de", "Coffee chats only")
    assert find(form, "skills_offer")["label"] == said(
        "de", "Skills I can offer (comma-separated, at most ${max_items})"
    ).replace("${max_items}", "15")
    formats = {c["value"]: c["title"] for c in find(form, "meeting_format")["choices"]}
    assert formats["any"] == said("de", "No preference")
    assert find(form, "app_language")["choices"][0]["title"] == "Wie in Teams"
    assert form["actions"][0]["title"] == said("de", "Save profile")
    assert form["actions"][0]["data"] == {"action": "profile_save"}  # never translated

    # A refused submit: the header, the field's label and what is wrong, all German.
    [refused] = await submit(bot, BEN, {**PROFILE, "title_history": "maybe"}, "de-DE")
    problem = f"- **{said('de', 'Job title changes in program outcomes')}** " + said(
        "de", "must be on or off"
    )
    assert refused == said(
        "de",
        "I couldn't save your profile. Please fix:\n{errors}\n\nNothing was saved.",
        errors=problem,
    )
    [saved] = await submit(bot, BEN, PROFILE, "de-DE")
    assert saved == said(
        "de",
        "Thanks, your profile is saved! Type `profile` to see or change it, "
        "`help` for everything else.",
    )
    clock.advance(minutes=1)
    [updated] = await submit(bot, BEN, PROFILE, "de-DE")
    assert updated == said("de", "Profile updated.")

    # What I store, on a German card (the export's own keys as the card names them).
    await say(bot, BEN, "meine daten", "de-DE")
    mine = cards(bot, BEN)[-1]
    assert mine["body"][0]["text"] == said("de", "Everything I store about you")
    assert {"title": said("de", "Profile"), "value": said("de", "yes")} in mine["body"][2]["facts"]
    sections = [part["items"][0]["text"] for part in mine["body"][3]["items"]]
    assert f"**{said('de', 'Account')}**" in sections
    assert mine["actions"][0]["title"] == said("de", "Download all my data (JSON)")

    # Pause, for good and until a date (written the German way), and back.
    [paused] = await say(bot, BEN, "pause", "de-DE")
    assert paused == said(
        "de", "Paused. I won't pair you or send you check-ins until you type `resume`."
    )
    [until] = await say(bot, BEN, "pause until 2026-12-31", "de-DE")
    with i18n.speaking("de"):
        german_date = i18n.when(date(2026, 12, 31), "%Y-%m-%d")
    assert german_date != "2026-12-31"
    assert until == said(
        "de",
        "Paused until {until}. I'll pick up again the day after; "
        "type `resume` to come back sooner.",
        until=german_date,
    )
    [back] = await say(bot, BEN, "weiter", "de-DE")  # `resume` in German
    assert back == said("de", "Welcome back! You're active again.")
    [again] = await say(bot, BEN, "resume", "de-DE")
    assert again == said("de", "You're already active.")

    # Help: the overview, its closing note, and the account's own area in detail.
    overview, closing = await say(bot, BEN, "hilfe", "de-DE")
    assert overview.startswith(said("de", "Here's what I can do for you (1:1 with me):"))
    you = said(
        "de",
        "- **{title}**: {summary} More: `{command}`",
        title=said("de", "You"),
        summary=said(
            "de",
            "your profile (`profile`, `timezone <city>`), a break (`pause`, `resume`, "
            "`opt out`) and what I store about you (`my data`).",
        ),
        command="help account",
    )
    assert you in overview.splitlines()
    # Another feature's area comes from that feature's catalog.
    icebreakers = i18n.catalog("dialogs.icebreakers").in_language("de", "Icebreakers")
    assert f"- **{icebreakers}**: " in overview and "Icebreakers" not in overview
    assert closing == said("de", "Team admins: type `/help` for what you can steer.")
    [detail] = await say(bot, BEN, "hilfe account", "de-DE")
    lines = detail.splitlines()
    assert lines[0] == f"**{said('de', 'You')}**"
    assert f"- **profile**: {said('de', 'see and edit your profile')}" in lines
    zone_usage = said("de", "<city, country or IANA name>")
    assert (
        f"- **timezone {zone_usage}**: {said('de', 'find and set your time zone by city')}" in lines
    )
    [unknown] = await say(bot, BEN, "hilfe kochen", "de-DE")
    assert unknown.startswith(
        before("de", "I have no help about '{topic}'. Try {known}.", topic="kochen")
    )
    assert "`help account`" in unknown


async def test_a_japanese_users_time_zone_and_pause_replies_write_japanese_dates(bot):
    [zone] = await say(bot, KAI, "timezone", "ja-JP")  # no profile yet: what Teams says
    how = said("ja", "To change it, type `timezone` and a city, e.g. `timezone Lisbon`.")
    assert zone.startswith(before("ja", "Teams says your time zone is {name}. {how}", "name"))
    assert zone.endswith(how) and "ベルリン" in zone  # the place, named in Japanese too

    with i18n.speaking("ja"):
        new_year, today = (
            i18n.when(date(2027, 1, 15), "%Y-%m-%d"),
            i18n.when(date(2026, 11, 21), "%Y-%m-%d"),
        )
        past = i18n.when(date(2026, 11, 1), "%Y-%m-%d")
    assert new_year == "2027年1月15日" and today == "2026年11月21日"
    [paused] = await say(bot, KAI, "pause until 2027-01-15", "ja-JP")
    assert paused == said(
        "ja",
        "Paused until {until}. I'll pick up again the day after; "
        "type `resume` to come back sooner.",
        until=new_year,
    )
    assert "2027-01-15" not in paused
    [refused] = await say(bot, KAI, "pause until 2026-11-01", "ja-JP")
    assert refused == said(
        "ja",
        "{until} is not in the future (today is {today}). Pick a later date. Nothing changed.",
        until=past,
        today=today,
    )

    await submit(bot, KAI, {**PROFILE, "timezone": "Asia/Tokyo"}, "ja-JP")
    [current] = await say(bot, KAI, "timezone", "ja-JP")
    assert current.startswith("タイムゾーンは ") and current.endswith(how) and "東京" in current
    [same] = await say(bot, KAI, "timezone Asia/Tokyo", "ja-JP")
    assert same.endswith("変更はありません。")


async def test_language_es_in_the_middle_of_onboarding_holds_from_the_next_message(bot):
    await say(bot, BEN, "hallo", "de-DE")
    [form] = cards(bot, BEN)
    assert form["body"][0]["text"] == said("de", "Your profile")
    [chosen] = await say(bot, BEN, "language es", "de-DE")
    assert chosen == said(
        "es",
        "Okay, from now on I write to you in {language}. "
        "Type `language auto` to follow your Teams language again.",
        language="Español",
    )
    # The German card's submit is answered in Spanish, though Teams still says de-DE.
    [saved] = await submit(bot, BEN, PROFILE, "de-DE")
    assert saved == said(
        "es",
        "Thanks, your profile is saved! Type `profile` to see or change it, "
        "`help` for everything else.",
    )
    overview, _closing = await say(bot, BEN, "hilfe", "de-DE")  # a German alias still works
    assert overview.startswith(said("es", "Here's what I can do for you (1:1 with me):"))
    [paused] = await say(bot, BEN, "pause", "de-DE")
    assert paused == said(
        "es", "Paused. I won't pair you or send you check-ins until you type `resume`."
    )
    # The profile card now comes in Spanish, its language choice kept.
    await say(bot, BEN, "profil", "de-DE")
    view = cards(bot, BEN)[-1]
    assert view["body"][0]["text"] == said("es", "Your profile")
    facts = {f["title"]: f["value"] for f in view["body"][1]["facts"]}
    assert facts[said("es", "Job title changes in program outcomes")] == said("es", "not used")
    assert facts[said("es", "Preferred meeting format")] == said("es", "Video call")
    assert find(view, "app_language")["value"] == "es"


ANA = TeamsUser("ana", "Ana Lee")  # installs the bot from a German Teams: an admin
CHLOE = TeamsUser("chloe", "Chloe Martin")  # never wrote to me: the team's language
DAN = TeamsUser("dan", "Dan Wu")  # in the roster, never wrote: the team's language
DATA = TeamsTeam("data", "Data Guild")


async def channel(bot, user: TeamsUser, text: str) -> str:
    await bot.settle()
    activity = teams.channel_message(bot.service_url, user, DATA, text)
    activity["locale"] = None  # a channel message says nothing of the sender's Teams
    return "\n".join(await bot.send(activity))


async def test_team_greetings_go_in_each_members_language_and_the_channel_in_the_teams(bot):
    bot.connector.set_roster(DATA.id, [m.member() for m in (ANA, DAN)], DATA.name)
    install = teams.bot_installed_in_team(bot.service_url, ANA, DATA)
    install["locale"] = "de-DE"
    [post] = await bot.send(install)
    # The channel's post is in the team's language (English until an admin sets one),
    # not in the installer's.
    assert post == _(team_events.WELCOME, team="Data Guild")
    await say(bot, ANA, "hallo", "de-DE")  # Ana's own language is German from now on
    done = await channel(bot, ANA, "/team language es")
    assert done.startswith("Die Standardsprache von Data Guild ist jetzt Español")

    await say(bot, KAI, "hi", "ja-JP")  # Kai's Teams is Japanese
    bot.connector.set_roster(DATA.id, [m.member() for m in (ANA, DAN, KAI, CHLOE)], DATA.name)
    await bot.send(teams.members_added(bot.service_url, DATA, KAI, CHLOE, by=ANA))
    await bot.settle()
    [kai] = keyed(bot, KAI, "welcome:")
    assert kai.text == said("ja", team_events.GREETING, name="Kai", team="Data Guild")
    [chloe] = keyed(bot, CHLOE, "welcome:")
    assert chloe.text == said("es", team_events.GREETING, name="Chloe", team="Data Guild")

    # `/team welcome`: Dan's hello in the team's Spanish, the report in Ana's German.
    report = await channel(bot, ANA, "/team welcome")
    with i18n.speaking("de"):
        head = _.ngettext(
            "I'm greeting {n} member of {team} 1:1, {when}.",
            "I'm greeting {n} members of {team} 1:1, {when}.",
            1,
            team="Data Guild",
            when=_("in a moment"),
        )
    assert report.startswith(head + " ") and "I'm greeting" not in report
    await bot.settle()
    [dan] = keyed(bot, DAN, "teamwelcome:")
    assert dan.text == said(
        "es", admin.WELCOME_TEXT, name="Dan", admin="Ana Lee", team="Data Guild"
    )
