"""Surveys and exports in the reader's language, end to end on both databases: a session's
survey reaches a participant whose Teams is German as a German card (title, questions,
choices, privacy note, closing date) with a German arrival text and reminder; a German
submit is confirmed in German, a malformed one refused in German with nothing saved; an
English participant of the same pair reads exactly what the code writes, as before.
A CSV a German admin asks for has German headers and labels; the values under them
(codes, dates, yes/no, numbers) are the same as in the English file, so what reads them
keeps working. Stored questions stay English: a survey is translated when it is said."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dialogs.core import i18n
from storage.models import SurveyAnswer, SurveyResponse, SurveyTemplate
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.feedbackkit import (
    SURVEY_JOBS,
    card_text,
    download,
    last_with_card,
    link_of,
    reminders,
    survey_cards,
    tick,
)
from tests.goalkit import ADMIN, MENTEE, MENTOR, OTHER, filled, install, mentorship
from tests.inbox import count

TOM, MIA, EVE = MENTEE, MENTOR, OTHER  # Tom's Teams is German, Mia's English (New York)
NY = "America/New_York"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday: 13:00 in Berlin, 07:00 in New York
TOM_DUE = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, the next day
MIA_DUE = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York, that day
_ = i18n.catalog("dialogs.feedback")


def de(message: str, **values: Any) -> str:
    """The German of a message, which must differ from the English (a missing translation
    fails here rather than passing unnoticed)."""
    german = _.in_language("de", message, **values)
    assert german != message.format(**values), f"no German for {message!r}"
    return german


def german_date(at: datetime, zone: str) -> str:
    with i18n.speaking("de"):
        return i18n.when(at.astimezone(ZoneInfo(zone)), "%A %d %B %Y")


async def say(bot, user: TeamsUser, text: str, locale: str, timezone: str = "Europe/Berlin"):
    """A 1:1 message from a Teams client in `locale`."""
    await bot.settle()
    activity = teams.personal_message(bot.service_url, user, text, timezone)
    activity["locale"] = locale
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


async def submit(bot, user: TeamsUser, value: Any, locale: str, timezone: str = "Europe/Berlin"):
    """A card's submit from a Teams client in `locale`."""
    await bot.settle()
    activity = teams.card_submit(bot.service_url, user, value)
    activity["locale"], activity["localTimezone"] = locale, timezone
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


async def pair_up(bot) -> int:
    await install(bot, TOM, MIA, EVE)
    await say(bot, TOM, "hallo", "de-DE")
    await say(bot, MIA, "hello", "en-US", NY)
    await say(bot, EVE, "hello", "en-US")
    return await mentorship(bot)


async def test_a_german_participant_answers_a_german_survey_and_an_english_one_as_before(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        m = await pair_up(bot)
        notes = {"action": "notes_save", "pair": f"m{m}", "summary": "Über den Vortrag"}
        await submit(bot, TOM, notes, "de-DE")
        await tick(bot, T0 + timedelta(minutes=15))

        # Mia (English): exactly what the code writes.
        await tick(bot, MIA_DUE)
        (mia_card,) = survey_cards(bot, MIA)
        english = card_text(mia_card)
        assert mia_card.text == "A short survey (a minute or two). 🙏"
        assert "📝 How was your session with Tom Mentee?" in english
        assert "How useful was this session?" in english and "**Confidential**" in english
        assert "Open until Monday 30 November 2026." in english
        assert '"title": "Send"' in english and '"title": "Yes"' in english
        reply = await submit(
            bot,
            MIA,
            filled(mia_card, "survey_answer", q_useful="4", q_next_step="yes"),
            "en-US",
            NY,
        )
        assert (
            "Thank you, your answers are saved. You can change them until Monday 30 November 2026."
            in reply
        )

        # Tom (German): the same survey, said in German.
        await tick(bot, TOM_DUE)
        (tom_card,) = survey_cards(bot, TOM)
        german = card_text(tom_card)
        closes = german_date(TOM_DUE + timedelta(days=7), "Europe/Berlin")
        assert closes == "Dienstag, 1. Dezember 2026"
        assert tom_card.text == de("A short survey (a minute or two). 🙏")
        assert de("📝 How was your session with {partner}?", partner="Mia Mentor") in german
        for message in (
            "How useful was this session?",
            "Did you leave with a clear next step?",
            "Anything you'd like more of next time? (optional)",
        ):
            assert de(message) in german and message not in german
        assert de("Open until {date}.", date=closes) in german
        assert f'"title": "{de("Send")}"' in german and f'"title": "{de("Yes")}"' in german
        assert (
            de(
                "**Confidential**: admins see only totals of at least {k} answers, never "
                "your name next to an answer. Your own answers are in `my data`.",
                k="3",
            )
            in german
        )
        assert '"value": "yes"' in german  # what the submit carries stays the same

        # Malformed submits: refused in German, nothing saved.
        forged = filled(tom_card, "survey_answer", q_useful="4") | {"q_surprise": "1"}
        refused = await submit(bot, TOM, forged, "de-DE")
        assert (
            de(
                "I couldn't save your answers: {problems}. Nothing was saved.",
                problems=de(
                    "the card answers questions this survey doesn't ask (an old or changed card?)"
                ),
            )
            in refused
        )
        empty = await submit(bot, TOM, filled(tom_card, "survey_answer"), "de-DE")
        assert (
            de(
                "I couldn't save your answers: {problems}. Nothing was saved.",
                problems=de("please answer at least one question"),
            )
            in empty
        )
        assert "Nothing was saved" not in refused + empty
        assert await count(bot, SurveyResponse) == 1  # Mia's alone
        assert await count(bot, SurveyAnswer) == 2

        # Two mornings later: a German reminder for Tom, none for Mia (she answered).
        await tick(bot, MIA_DUE + timedelta(days=2))
        await tick(bot, TOM_DUE + timedelta(days=2))
        assert reminders(bot, MIA) == []
        (reminder,) = reminders(bot, TOM)
        assert reminder.text == de(
            "A gentle reminder: this survey is open until {date}. 🙏", date=closes
        )
        assert de("How useful was this session?") in card_text(reminder)

        # His answer from the reminder's card: confirmed in German, with a German change card.
        values = {"q_useful": "5", "q_next_step": "no", "q_more_of": "Mehr Beispiele"}
        saved = await submit(bot, TOM, filled(reminder, "survey_answer", **values), "de-DE")
        assert (
            de(
                "Thank you, your answers are saved. You can change them until {date}.",
                date=closes,
            )
            in saved
        )
        change = card_text(last_with_card(bot, TOM))
        assert de("Your answers so far are filled in; change what you like.") in change
        assert f'"title": "{de("Change my answers")}"' in change
        async with bot.db.unit() as repos:
            answers = {
                (a.question, a.number, a.text)
                for a in await repos.session.scalars(select(SurveyAnswer))
            }
            (template,) = (await repos.session.scalars(select(SurveyTemplate))).all()
        assert {
            ("useful", 5, None),
            ("next_step", 0, None),
            ("more_of", None, "Mehr Beispiele"),
        } <= answers
        assert await count(bot, SurveyResponse) == 2
        # The template as stored is the English source; it is translated when said.
        assert template.questions[0]["text"] == "How useful was this session?"


PAIRS = [
    "pair",
    "mentor",
    "mentee",
    "status",
    "matched_on",
    "started_on",
    "ended_on",
    "ended_how",
    "sessions_in_window",
    "sessions_to_window_end",
    "agendas_in_window",
    "at_cadence_in_window",
]


async def export(bot, what: str, locale: str) -> tuple[str, list[list[str]]]:
    """`/program export` from the admin's Teams in `locale`: the link card's text and the
    downloaded file's rows."""
    await say(bot, ADMIN, f"/program export Spring mentoring what={what}", locale)
    card = last_with_card(bot, ADMIN)
    status, body, headers = await download(bot, link_of(card))
    assert status == 200 and headers["Content-Type"].startswith("text/csv"), body
    return card_text(card), list(csv.reader(io.StringIO(body)))


async def test_a_german_admin_s_csv_has_german_headers_and_the_same_values(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock) as bot:
        await pair_up(bot)

        card, english = await export(bot, "pairs", "en-US")
        assert "Download CSV" in card and "⬇️ Pairs of Spring mentoring" in card
        assert english[0] == PAIRS
        card, german = await export(bot, "pairs", "de-DE")
        assert de("Download CSV") in card and "Download CSV" not in card
        assert de("Pairs") in card
        assert german[0] == [de(header) for header in PAIRS]
        assert german[0][:3] == ["Paar", "Mentor:in", "Mentee"]
        assert german[1:] == english[1:]  # codes, names, dates, yes/no: unchanged
        assert german[1][1:4] == ["Mia Mentor", "Tom Mentee", "active"]

        _card, english = await export(bot, "metrics", "en-US")
        _card, german = await export(bot, "metrics", "de-DE")
        head_en, head_de = english[0], german[0]
        assert head_de == [de(h) for h in head_en]
        en_rows = [dict(zip(head_en, r, strict=True)) for r in english[1:]]
        de_rows = [dict(zip(head_en, r, strict=True)) for r in german[1:]]  # same columns
        for column in ("area", "metric", "value", "answers", "trend", "unit"):
            assert [r[column] for r in de_rows] == [r[column] for r in en_rows], column
        by_key = {r["metric"]: r for r in de_rows}
        assert by_key["enrolled"]["label"] == de("Enrolled")
        assert by_key["satisfaction"]["label"] == de("Satisfaction (1-5)")
        english_by_key = {r["metric"]: r for r in en_rows}
        assert english_by_key["enrolled"]["label"] == "Enrolled"
        assert english_by_key["satisfaction"]["shown"] == "fewer than 3 answers"
        assert by_key["satisfaction"]["shown"] == de("fewer than {k} answers", k=3)


async def test_an_english_admin_s_reminder_reaches_each_participant_in_their_language(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        m = await pair_up(bot)
        notes = {"action": "notes_save", "pair": f"m{m}", "summary": "Über den Vortrag"}
        await submit(bot, TOM, notes, "de-DE")
        await tick(bot, T0 + timedelta(minutes=15))
        await tick(bot, MIA_DUE)
        await tick(bot, TOM_DUE)
        assert len(survey_cards(bot, TOM)) == len(survey_cards(bot, MIA)) == 1

        said = await say(bot, ADMIN, "/survey remind Spring mentoring", "en-US")
        assert said == (
            "Reminding 2 people of their open surveys in 'Spring mentoring' (each invitation "
            "gets one reminder; paused people none)."
        )
        (mia,) = reminders(bot, MIA)
        assert (
            mia.text == "A gentle reminder: this survey is open until Monday 30 November 2026. 🙏"
        )
        assert "📝 How was your session with Tom Mentee?" in card_text(mia)
        (tom,) = reminders(bot, TOM)
        closes = german_date(TOM_DUE + timedelta(days=7), "Europe/Berlin")
        assert tom.text == de(
            "A gentle reminder: this survey is open until {date}. 🙏", date=closes
        )
        assert de("📝 How was your session with {partner}?", partner="Mia Mentor") in card_text(tom)

        # `surveys`: Tom's list is German, Mia's English.
        await say(bot, TOM, "surveys", "de-DE")
        listing = card_text(last_with_card(bot, TOM))
        assert de("Your open surveys") in listing
        assert de("Not answered yet; open until {date}.", date=closes) in listing
        await say(bot, MIA, "surveys", "en-US", NY)
        listing = card_text(last_with_card(bot, MIA))
        assert "Your open surveys" in listing
        assert "Not answered yet; open until Monday 30 November 2026." in listing
