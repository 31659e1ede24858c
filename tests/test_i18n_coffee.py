"""Coffee chats in each member's own language, end to end on both databases: a German
and a French member paired in one round each get their intro (text and card) and their
"did you meet?" in their own language, rendered once per recipient; an English pair's
intro is exactly what it was before translation existed; a Japanese admin's
`/pair settings` shows Japanese weekdays and dates."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from dialogs.coffee import rounds
from dialogs.core import i18n
from scheduler import JobContext
from scheduler.periods import ScheduleSpec, next_due
from storage.models import Schedule
from tests.fakes import teams
from tests.fakes.connector import Member
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import keyed

ANA = TeamsUser("ana", "Ana Lee")  # English (never wrote from a Teams client in another)
BEN = TeamsUser("ben", "Ben Okafor")  # writes from a German Teams
CHLOE = TeamsUser("chloe", "Chloe Martin")  # writes from a French Teams
DAN = TeamsUser("dan", "Dan Wu")  # English
KEN = TeamsUser("ken", "Ken Sato")  # an admin writing from a Japanese Teams
TEAM = TeamsTeam("guild", "Data Guild")
_ = i18n.catalog("dialogs.coffee")


async def install(bot, *members: TeamsUser) -> None:
    """The first member installs the bot (and so is an admin)."""
    roster = [
        Member(m.id, m.name, m.aad, m.email, upn=f"{m.key}@contoso.onmicrosoft.com")
        for m in members
    ]
    bot.connector.set_roster(TEAM.id, roster, TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, members[0], TEAM))


async def hello(bot, user: TeamsUser, locale: str) -> None:
    """A 1:1 message from a Teams client in `locale`: the bot learns the member's locale."""
    activity = teams.personal_message(bot.service_url, user, "hi")
    activity["locale"] = locale
    await bot.send(activity)


async def channel(bot, user: TeamsUser, text: str, locale: str | None = None, mentions=()) -> str:
    activity = teams.channel_message(bot.service_url, user, TEAM, text, mentions)
    activity["locale"] = locale
    return "\n".join(await bot.send(activity))


async def followups(bot) -> None:
    """The "did you meet?" job, five days (the default follow-up delay) after the round."""
    bot.clock.advance(days=5)
    async with bot.db.unit() as repos:
        await rounds.send_followups(JobContext(repos, None, "p", bot.now(), bot.now()))
    bot.delivery.wake()
    await bot.settle()


def texts(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["body"] if b.get("type") == "TextBlock"]


def titles(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in card["actions"]]


def starter_of(card: dict[str, Any], language: str) -> int:
    """Which of the round's starters the card shows (its index), in `language`."""
    label = _.in_language(language, "**Icebreaker:** ${starter}").replace("${starter}", "")
    (shown,) = [t[len(label) :] for t in texts(card) if t.startswith(label)]
    said = [_.in_language(language, s) for s in rounds.STARTERS]
    assert shown in said, shown
    return said.index(shown)


async def test_a_german_and_a_french_member_each_get_their_intro_in_their_own_language(bot):
    await install(bot, BEN, CHLOE)
    await hello(bot, BEN, "de-DE")
    await hello(bot, CHLOE, "fr-FR")
    reply = await channel(bot, BEN, "/pair now")
    new_round = "New round in {team}: intros are on their way"
    assert _.in_language("de", new_round, team=TEAM.name) in reply  # Ben's own language
    await bot.settle()
    (to_ben,) = keyed(bot, BEN, "pairintro:")  # one intro each, rendered for its reader
    (to_chloe,) = keyed(bot, CHLOE, "pairintro:")

    intro = "Your coffee chat in {team} this round: {names}."
    german = _.in_language("de", intro, team=TEAM.name, names="Chloe Martin")
    french = _.in_language("fr", intro, team=TEAM.name, names="Ben Okafor")
    assert german != intro.format(team=TEAM.name, names="Chloe Martin")
    assert french != intro.format(team=TEAM.name, names="Ben Okafor")
    assert to_ben.text == german == "Dein Kaffeechat in Data Guild diese Runde: Chloe Martin."
    assert to_chloe.text == french == "Votre pause café dans Data Guild ce tour-ci : Ben Okafor."

    title = "☕ Your coffee chat in {team}: meet {names}"
    hint = "Not a good time? Type `pause until YYYY-MM-DD` or `leave coffee`."
    for message, language, partner in ((to_ben, "de", CHLOE), (to_chloe, "fr", BEN)):
        (card,) = message.cards
        shown = texts(card)
        assert shown[0] == _.in_language(language, title, team=TEAM.name, names=partner.name)
        assert shown[-1] == _.in_language(language, hint) != hint
        assert "`pause until YYYY-MM-DD`" in shown[-1]  # the command stays as typed
        assert titles(card) == [
            _.in_language(language, "Chat"),
            _.in_language(language, "Schedule"),
        ]
        assert f"**{partner.name}**" in json.dumps(card, ensure_ascii=False)
    assert texts(to_ben.cards[0])[0] == "☕ Dein Kaffeechat in Data Guild: Triff Chloe Martin"
    assert titles(to_ben.cards[0]) == ["Chat", "Planen"]
    assert titles(to_chloe.cards[0]) == ["Discuter", "Planifier"]
    # The round's one starter, each in their language; the chat link greets in it too.
    index = starter_of(to_ben.cards[0], "de")
    assert index == starter_of(to_chloe.cards[0], "fr")
    chat = parse_qs(urlparse(to_ben.cards[0]["actions"][0]["url"]).query)
    greeting = _.in_language(
        "de", "Hi! {starter}", starter=_.in_language("de", rounds.STARTERS[index])
    )
    assert chat["message"] == [greeting] and greeting.startswith("Hallo! ")
    assert chat["topicName"] == ["Kaffeechat (Data Guild)"]

    await followups(bot)
    (ask_ben,) = keyed(bot, BEN, "pairfollow:")
    (ask_chloe,) = keyed(bot, CHLOE, "pairfollow:")
    question = "Did you meet {names}?"
    assert texts(ask_ben.cards[0])[0] == _.in_language("de", question, names="Chloe Martin")
    assert texts(ask_ben.cards[0])[0] == "Hast du Chloe Martin getroffen?"
    assert texts(ask_chloe.cards[0])[0] == _.in_language("fr", question, names="Ben Okafor")
    assert texts(ask_chloe.cards[0])[0] != question.format(names="Ben Okafor")
    met = next(b for b in ask_ben.cards[0]["body"] if b.get("id") == "met")
    assert met["label"] == "Habt ihr euch getroffen?"
    assert [c["title"] for c in met["choices"]] == ["Ja", "Noch nicht", "Nein"]

    # Ben answers from his German Teams: thanked in German.
    data = ask_ben.cards[0]["actions"][0]["data"] | {"met": "yes", "rating": "5"}
    activity = teams.card_submit(bot.service_url, BEN, data)
    activity["locale"] = "de-DE"
    (thanks,) = await bot.send(activity)
    assert thanks == _.in_language("de", "Thanks! Glad you met. ☕") != "Thanks! Glad you met. ☕"


async def test_an_english_pair_gets_the_intro_exactly_as_before(bot):
    await install(bot, ANA, DAN)
    await channel(bot, ANA, "/pair now")
    await bot.settle()
    (to_ana,) = keyed(bot, ANA, "pairintro:")
    (to_dan,) = keyed(bot, DAN, "pairintro:")
    assert to_ana.text == "Your coffee chat in Data Guild this round: Dan Wu."
    assert to_dan.text == "Your coffee chat in Data Guild this round: Ana Lee."
    card = to_ana.cards[0]
    starter = rounds.STARTERS[starter_of(card, "en")]
    assert texts(card) == [
        "☕ Your coffee chat in Data Guild: meet Dan Wu",
        f"**Icebreaker:** {starter}",
        "Not a good time? Type `pause until YYYY-MM-DD` or `leave coffee`.",
    ]
    assert card["body"][1]["items"][0]["items"][0]["text"] == "**Dan Wu**"
    chat, meeting = card["actions"]
    assert (chat["title"], meeting["title"]) == ("Chat", "Schedule")
    assert "Coffee%20chat%20%28Data%20Guild%29" in meeting["url"], meeting["url"]
    await followups(bot)
    (ask,) = keyed(bot, ANA, "pairfollow:")
    assert texts(ask.cards[0]) == [
        "Did you meet Dan Wu?",
        "Your coffee chat in Data Guild. Your answer stays private; admins only see counts.",
    ]


async def test_a_japanese_admin_reads_pair_settings_with_japanese_weekdays_and_dates(bot):
    await install(bot, KEN, ANA)
    reply = await channel(
        bot, KEN, "/pair settings pairing=on day=wed time=9:30 timezone=Asia/Tokyo", "ja-JP"
    )
    async with bot.db.unit() as repos:
        schedule = await repos.session.scalar(select(Schedule))
    spec = ScheduleSpec(
        schedule.cadence, 2, schedule.local_time, schedule.timezone, schedule.effective_from
    )
    period = next_due(spec, bot.now()).period
    with i18n.speaking("ja"):
        day = i18n.when(date.fromisoformat(period), "%Y-%m-%d")
    when = _.in_language(
        "ja",
        "every week on {weekday} at {time} ({zone})",
        weekday="水曜日",
        time="09:30",
        zone="Asia/Tokyo",
    )
    line = _.in_language("ja", "- When: {when}; next round {day}", when=when, day=day)
    d = date.fromisoformat(period)
    assert line == f"- 日時：毎週水曜日 09:30（Asia/Tokyo）、次回 {d.year}年{d.month}月{d.day}日"
    assert line in reply
    assert _.in_language("ja", "**Coffee pairing in {team}: on**", team=TEAM.name) in reply
    assert "Wednesday" not in reply and period not in reply  # no English weekday or ISO date

    # The same settings for an English admin: the words and the date as they always were.
    await channel(bot, KEN, "/admin add @ana", "ja-JP", mentions=(ANA,))
    english = await channel(bot, ANA, "/pair settings")
    assert f"- When: every week on Wednesday at 09:30 (Asia/Tokyo); next round {period}" in english
    assert "**Coffee pairing in Data Guild: on**" in english

    # `/pair history` dates rounds the Japanese way too.
    await channel(bot, KEN, "/pair now", "ja-JP")
    await bot.settle()
    history = await channel(bot, KEN, "/pair history", "ja-JP")
    with i18n.speaking("ja"):
        today = i18n.when(bot.now(), "%Y-%m-%d")
    assert f"- {today}（管理者による）" in history


async def test_a_german_member_nobody_could_meet_is_told_why_in_german(bot):
    await install(bot, BEN)
    await hello(bot, BEN, "de-DE")
    await channel(bot, BEN, "/pair now")
    await bot.settle()
    assert keyed(bot, BEN, "pairintro:") == []
    (told,) = keyed(bot, BEN, "pairunplaced:")
    why = _.in_language("de", rounds.UNPLACED_TEXT["alone"])
    sorry = (
        "No coffee partner for you in {team} this round, sorry: {why}. "
        "You're still in, and I'll try again next round."
    )
    assert told.text == _.in_language("de", sorry, team=TEAM.name, why=why)
    assert told.text.startswith("Diese Runde gibt es für dich in Data Guild leider keine")
    assert "du warst diese Runde das einzige verfügbare Mitglied" in told.text
