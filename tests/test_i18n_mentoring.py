"""Mentoring in each reader's language, end to end on both databases: a German mentee and
a French mentor matched in a program each get the intro (the agreement card, with the
match explained) in their own language, rendered once per recipient, while the English
pair of the same run reads exactly what it always did; a Japanese participant sees a
scheduled meeting's weekday and date in Japanese, and the English mentor who booked it
the English card as before."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.core import i18n
from storage.models import Mentorship
from tests import goalkit as kit
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.inbox import inbox, keyed, submits
from tests.test_graph_meetings import NEW_YORK, paired, slots_of, titles
from tests.test_programs import ADMIN, MENTEES, MENTORS, PROFILES, TEAM, form

_ = i18n.catalog("dialogs.mentoring")
MIA, MAX = MENTORS  # Mia writes from a French Teams, Max from an English one
TOM, TIA = MENTEES[:2]  # Tom writes from a German Teams, Tia from an English one
LOCALES = {MIA.key: "fr-FR", TOM.key: "de-DE", MAX.key: "en-US", TIA.key: "en-US"}
PROGRAM = "Spring mentoring"


async def send(bot: Any, user: TeamsUser, activity: dict[str, Any]) -> str:
    """One activity from `user`'s Teams client, in its locale; the reply."""
    activity["locale"] = LOCALES.get(user.key, "en-US")
    await bot.settle()
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


async def submit(bot: Any, user: TeamsUser, value: dict[str, Any]) -> str:
    return await send(bot, user, teams.card_submit(bot.service_url, user, value))


async def enrolled(bot: Any) -> None:
    """An automatic program with Mia and Max (one seat each), Tom and Tia enrolled."""
    people = (ADMIN, MIA, MAX, TOM, TIA)
    bot.connector.set_roster(TEAM.id, [p.member() for p in people], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADMIN, TEAM))
    await send(
        bot, ADMIN, teams.personal_message(bot.service_url, ADMIN, f'/program new name="{PROGRAM}"')
    )
    assert f"'{PROGRAM}' is set up" in await submit(bot, ADMIN, form())
    for user in (MIA, MAX, TOM, TIA):
        await send(bot, user, teams.personal_message(bot.service_url, user, "hi"))
        profile = {
            "action": "profile_save",
            "timezone": "Europe/Berlin",
            "meeting_format": "video",
            "meetings_per_month": "2",
            "max_mentees": "1",
            "languages": "English",
        } | PROFILES[user.key]
        await submit(bot, user, profile)
        role = PROFILES[user.key]["role"]
        value = {
            "action": "enrol_save",
            "program": 1,
            "role": role,
            "wants": "grow",
            "capacity": "1",
            "experience_years": "12" if role == "mentor" else "2",
        }
        await submit(bot, user, value)


def card_text(message: Any) -> str:
    return json.dumps(message.cards, ensure_ascii=False)


async def test_german_mentee_and_french_mentor_each_get_the_intro_in_their_language(bot):
    await enrolled(bot)
    summary = await send(
        bot, ADMIN, teams.channel_message(bot.service_url, ADMIN, TEAM, f"/match run {PROGRAM}")
    )
    assert "2 new pairs introduced" in summary  # the admin's summary: English as before
    async with bot.db.unit() as repos:
        pairs = {(m.mentor_id, m.mentee_id): m for m in await repos.programs.live_mentorships(1)}
        ids = {u: (await repos.users.by_teams_id(u.id)).id for u in (MIA, MAX, TOM, TIA)}
    mia_tom = pairs[(ids[MIA], ids[TOM])]
    max_tia = pairs[(ids[MAX], ids[TIA])]
    assert isinstance(mia_tom, Mentorship) and mia_tom.status == "agreeing"

    # One intro each (rendered once per recipient), each in its reader's language.
    (tom_intro,) = keyed(bot, TOM, "agreement:")
    (mia_intro,) = keyed(bot, MIA, "agreement:")
    tom_card, mia_card = card_text(tom_intro), card_text(mia_intro)
    german_title = _.in_language(
        "de", "🌱 {program}: meet your mentor, {name}", program=PROGRAM, name=MIA.name
    )
    french_title = _.in_language(
        "fr", "🌱 {program}: meet your mentee, {name}", program=PROGRAM, name=TOM.name
    )
    assert german_title != f"🌱 {PROGRAM}: meet your mentor, {MIA.name}"
    assert german_title in tom_card and french_title in mia_card
    assert french_title not in tom_card and german_title not in mia_card
    # The match explained in each reader's words: "… % Übereinstimmung", "… % de compatibilité".
    score = f"{mia_tom.score:.0f}"
    german_fit = _.in_language("de", "{score:.0f}% match", score=mia_tom.score)
    french_fit = _.in_language("fr", "{score:.0f}% match", score=mia_tom.score)
    assert "Übereinstimmung" in german_fit and "compatibilité" in french_fit
    assert german_fit in tom_card and french_fit in mia_card
    assert f"{score}% match" not in tom_card and f"{score}% match" not in mia_card
    # The card's own words too (its template, from the catalog), and the way to meet.
    assert _.in_language("de", "I agree") in tom_card and "I agree" not in tom_card
    assert _.in_language("fr", "Video call") in mia_card and '"Video call"' not in mia_card
    cadence = _.in_language(
        "de",
        "Meet {cadence}, from {start} to {end}.",
        cadence=_.in_language("de", "every 2 weeks"),
        start="2026-12-01",
        end="2027-05-31",
    )
    assert cadence in tom_card

    # The English pair of the same run reads exactly what it always did.
    (tia_intro,) = keyed(bot, TIA, "agreement:")
    (max_intro,) = keyed(bot, MAX, "agreement:")
    tia_card, max_card = card_text(tia_intro), card_text(max_intro)
    assert f"🌱 {PROGRAM}: meet your mentor, {MAX.name}" in tia_card
    assert f"🌱 {PROGRAM}: meet your mentee, {TIA.name}" in max_card
    assert f"{max_tia.score:.0f}% match" in tia_card
    assert "Meet every 2 weeks, from 2026-12-01 to 2027-05-31." in tia_card
    assert '"I agree"' in tia_card and '"Video call"' in max_card

    # Tom confirms (his reply in German); Mia hears that both agreed in French.
    (data,) = submits(tom_intro, "agreement_confirm")
    reply = await submit(bot, TOM, data | {"channel": "video"})
    assert reply == _.in_language(
        "de", "Thanks! I'll let you know as soon as {name} confirms too.", name=MIA.name
    )
    (data,) = submits(mia_intro, "agreement_confirm")
    reply = await submit(bot, MIA, data | {"channel": "video"})
    how_fr = _.in_language("fr", "by video call")
    assert reply == _.in_language(
        "fr",
        "You've both agreed: your mentorship with {name} starts now, and you'll meet {how}. 🎉",
        name=TOM.name,
        how=how_fr,
    )
    (started,) = keyed(bot, TOM, "mentorshipstarted:")
    expected = _.in_language(
        "de",
        "You and {name} have both agreed: your mentorship in '{program}' starts now, "
        "and you'll meet {how}. Say hi and pick a first date!",
        name=MIA.name,
        program=PROGRAM,
        how=_.in_language("de", "by video call"),
    )
    assert started.text == expected and "starts now" not in expected


JA = {kit.MENTEE.key: "ja-JP"}


async def ja_send(bot: Any, user: TeamsUser, activity: dict[str, Any], zone: str) -> str:
    activity["locale"] = JA.get(user.key, "en-US")
    activity["localTimezone"] = zone
    await bot.settle()
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


def english_when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


async def test_a_japanese_participant_sees_the_meeting_date_and_weekday_in_japanese(gbot, graph):
    await paired(gbot, graph)
    tom, mia = kit.MENTEE, kit.MENTOR
    await ja_send(gbot, tom, teams.personal_message(gbot.service_url, tom, "schedule"), NEW_YORK)
    card, offered = slots_of(gbot, tom)
    starts = [datetime.fromisoformat(s["start"]) for s in offered]
    with i18n.speaking("ja"):
        japanese = [i18n.when(s.astimezone(ZoneInfo(NEW_YORK)), "%a %d %b, %H:%M") for s in starts]
        weekday = i18n.weekday_name(
            starts[0].astimezone(ZoneInfo(NEW_YORK)).weekday(), "abbreviated"
        )
    assert titles(card) == japanese
    assert weekday in japanese[0] and "月" in japanese[0]  # 11月24日(火) 10:00
    assert english_when(starts[0], NEW_YORK) not in json.dumps(card.cards, ensure_ascii=False)

    # Mia (English) books the first slot from her own card: Tom is told in Japanese.
    await kit.say(gbot, mia, "schedule")
    _mine, hers = slots_of(gbot, mia)
    mine = await kit.submit(gbot, mia, hers[0])
    assert mine == ""  # her answer is the booked card
    start = datetime.fromisoformat(hers[0]["start"])
    (told,) = [m for m in inbox(gbot, tom) if submits(m, "meeting_cancel")]
    with i18n.speaking("ja"):
        when = i18n.when(start.astimezone(ZoneInfo(NEW_YORK)), "%a %d %b, %H:%M")
    expected = _.in_language(
        "ja",
        "Your meeting with {others} is on both calendars: {when}, with a Teams meeting "
        "link in the invite.",
        others=mia.name,
        when=when,
    )
    assert expected in json.dumps(told.cards, ensure_ascii=False)
    assert "Your meeting" not in json.dumps(told.cards, ensure_ascii=False)
    # Mia's own card: English, exactly as before.
    (booked,) = [m for m in inbox(gbot, mia) if submits(m, "meeting_cancel")]
    assert (
        f"Your meeting with {tom.name} is on both calendars: "
        f"{english_when(start, 'Europe/Berlin')}, with a Teams meeting link in the invite."
    ) in json.dumps(booked.cards)
