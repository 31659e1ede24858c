"""Goals and check-ins in each member's language, end to end on both databases: a German
mentee gets the scheduled check-in in German and answers it (the confirmation in German,
while the English mentor hears of the block in English); a Japanese member's check-in
schedule, goal due dates and reminder show Japanese dates and weekdays, and a weekday
typed in Japanese is accepted; an English member's check-in exactly as before; a quiet
pair's nudges and its admin's notice each in the reader's own language."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app import SCHEDULER_KEY
from dialogs.core import i18n
from dialogs.jobs import JOBS
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.goalkit import ADMIN, MENTEE, MENTOR, inputs, install, mentorship
from tests.inbox import inbox, keyed, submits

_ = i18n.catalog("dialogs.goals")
CHECKIN_JOBS = tuple(job for job in JOBS if job.name in ("checkins", "checkin_reminders"))
START = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)  # a Friday
MONDAY_9_BERLIN = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
TARGET = date(2027, 6, 30)
YUKI = TeamsUser("yuki", "Yuki Tanaka")  # writes from a Japanese Teams, in Tokyo
ENZO = TeamsUser("enzo", "Enzo English")


async def say(bot: Any, user: TeamsUser, text: str, locale: str, zone: str) -> str:
    await bot.settle()
    activity = teams.personal_message(bot.service_url, user, text, zone)
    activity["locale"] = locale
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


async def press(bot: Any, user: TeamsUser, value: Any, locale: str) -> str:
    await bot.settle()
    activity = teams.card_submit(bot.service_url, user, value)
    activity["locale"] = locale
    replies = await bot.send(activity)
    await bot.settle()
    return "\n".join(replies)


def in_language(language: str, message: str, **values: Any) -> str:
    text = _.in_language(language, message, **values)
    assert text != message.format(**values), f"no {language} translation: {message!r}"
    return text


def when(language: str, value: Any, pattern: str) -> str:
    with i18n.speaking(language):
        return i18n.when(value, pattern)


def weekly(language: str, weekday: int, time: str, zone: str, source: str, due: datetime) -> str:
    """What describe() says, worked out from the catalog (not by the code under test)."""
    with i18n.speaking(language):
        return _(
            "every {day} at {time} ({zone}{source}); next: {next}",
            day=i18n.weekday_name(weekday),
            time=time,
            zone=zone,
            source=_(source) if source else "",
            next=i18n.when(due.astimezone(ZoneInfo(zone)), "%A %d %B %Y at %H:%M"),
        )


async def tick(bot: Any, clock: Any, at: datetime) -> None:
    clock.now = at
    await bot.server.app[SCHEDULER_KEY].tick()
    await bot.settle()


def texts_of(card: Any) -> str:
    return json.dumps(card.cards, ensure_ascii=False)


async def test_a_german_mentee_gets_and_answers_the_scheduled_checkin_in_german(
    settings, connector, clock
):
    clock.now = START
    async with start_bot(settings, connector, clock, jobs=CHECKIN_JOBS) as bot:
        await install(bot, MENTEE, MENTOR)
        await say(bot, MENTOR, "hello", "en-US", "Europe/London")
        await mentorship(bot)
        reply = await say(
            bot, MENTEE, "goal add SQL lernen target=2027-06-30", "de-DE", "Europe/Berlin"
        )
        schedule = weekly("de", 0, "09:00", "Europe/Berlin", ", from Teams", MONDAY_9_BERLIN)
        assert reply == (
            in_language(
                "de",
                "Added goal #{number}: **{title}** (target {target}).",
                number=1,
                title="SQL lernen",
                target=when("de", TARGET, "%Y-%m-%d"),
            )
            + in_language(
                "de",
                " It's private; `goal share {number}` shares it with your mentor or a partner.",
                number=1,
            )
            + in_language(
                "de",
                " I'll check in on your goals {when}. `checkin settings` changes that.",
                when=schedule,
            )
        )
        assert "30. Juni 2027" in reply and "jeden Montag um 09:00" in reply
        reply = await say(bot, MENTEE, "goal share 1", "de-DE", "Europe/Berlin")
        assert reply.startswith("Ziel #1 mit Mia Mentor (")

        await tick(bot, clock, MONDAY_9_BERLIN)
        (message,) = keyed(bot, MENTEE, "checkin:")
        assert message.text == in_language("de", "Time for your goal check-in. 🌱")
        card = texts_of(message)
        for english in ("🌱 How are your goals going?", "Progress (0 to 100)", "Send check-in"):
            assert json.dumps(in_language("de", english), ensure_ascii=False)[1:-1] in card
            assert english not in card
        assert in_language("de", "on track") in card  # the status choices
        days = (TARGET - MONDAY_9_BERLIN.date()).days
        with i18n.speaking("de"):
            to_go = _.ngettext("{n} day to go", "{n} days to go", days)
        assert to_go in card and to_go.startswith("noch ")

        (goal_id,) = [k.split("_")[1] for k in inputs(message) if k.startswith("progress_")]
        (data,) = submits(message, "checkin_save")
        answer = data | {f"progress_{goal_id}": "40", f"status_{goal_id}": "blocked"}
        reply = await press(bot, MENTEE, answer, "de-DE")
        with i18n.speaking("de"):
            thanks = _.ngettext(
                "Thanks! Check-in saved ({n} goal).", "Thanks! Check-in saved ({n} goals).", 1
            )
        assert reply == thanks + in_language("de", " I've let {names} know.", names="Mia Mentor")
        assert reply.startswith("Danke!")
        # The English mentor hears of it in English, from the same German turn.
        (blocked,) = keyed(bot, MENTOR, "checkinblocked:")
        assert blocked.text == (
            "🚧 Tom Mentee marked a goal they shared with you as blocked: **SQL lernen** (40%)."
            " A word from you might help."
        )
        shared = [m.text for m in inbox(bot, MENTOR) if "shared a goal with you" in (m.text or "")]
        assert shared == [
            "Tom Mentee shared a goal with you: **SQL lernen** (target 2027-06-30). "
            "Type `goals` to follow it."
        ]


async def test_a_japanese_member_sees_japanese_dates_and_types_a_japanese_weekday(
    settings, connector, clock
):
    clock.now = START
    async with start_bot(settings, connector, clock, jobs=CHECKIN_JOBS) as bot:
        reply = await say(
            bot, YUKI, "goal add 英語で発表する target=2027-06-30", "ja-JP", "Asia/Tokyo"
        )
        monday = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
        schedule = weekly("ja", 0, "09:00", "Asia/Tokyo", ", from Teams", monday)
        assert "2027年6月30日" in reply and "毎週月曜日 09:00" in reply
        assert "2027年3月1日月曜日" in schedule and schedule in reply

        # A weekday typed in Japanese, where `day=` asks for one.
        reply = await say(
            bot, YUKI, "checkin settings day=木曜日 time=10:00", "ja-JP", "Asia/Tokyo"
        )
        thursday = datetime(2027, 3, 4, 1, 0, tzinfo=UTC)  # Thu 4 March, 10:00 in Tokyo
        schedule = weekly("ja", 3, "10:00", "Asia/Tokyo", ", from Teams", thursday)
        assert reply == in_language("ja", "Saved. Your check-ins: {when}.", when=schedule)
        assert "毎週木曜日 10:00" in reply and "2027年3月4日木曜日" in reply
        reply = await say(bot, YUKI, "checkin settings day=月", "ja-JP", "Asia/Tokyo")
        assert "毎週月曜日 10:00" in reply

        # The goal's due date in the list, in Japanese.
        listing = await say(bot, YUKI, "goals", "ja-JP", "Asia/Tokyo")
        assert in_language("ja", "**Your goals**") in listing
        assert "（期日 2027年6月30日）" in listing and "2027-06-30" not in listing
        days = (TARGET - date(2027, 2, 26)).days
        assert f"あと{days}日" in listing

        # The scheduled check-in, then its reminder two days on: Japanese weekday and date.
        # (10:00 in Tokyo is the same day in UTC: the reminder names the day of due_at.)
        due = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)  # Monday 1 March, 10:00 in Tokyo
        await tick(bot, clock, due)
        (message,) = keyed(bot, YUKI, "checkin:")
        assert message.text == in_language("ja", "Time for your goal check-in. 🌱")
        await tick(bot, clock, due + timedelta(days=2))
        (reminder,) = keyed(bot, YUKI, "checkinreminder:")
        assert reminder.text == in_language(
            "ja",
            "A gentle reminder: your check-in from {day} is still open. "
            "Here it is again; a minute is enough.",
            day=when("ja", due, "%A %d %B"),
        )
        assert "月曜日" in reminder.text
        with i18n.speaking("ja"):
            to_go = _.ngettext("{n} day to go", "{n} days to go", (TARGET - date(2027, 3, 3)).days)
        assert to_go in texts_of(reminder) and to_go.startswith("あと")
        assert in_language("ja", "Send check-in") in texts_of(reminder)


async def test_an_english_members_checkin_is_exactly_as_before(settings, connector, clock):
    clock.now = START
    async with start_bot(settings, connector, clock, jobs=CHECKIN_JOBS) as bot:
        reply = await say(bot, ENZO, "goal add Run 10k target=2027-06-30", "en-US", "Europe/Berlin")
        assert reply == (
            "Added goal #1: **Run 10k** (target 2027-06-30). It's private; `goal share 1` "
            "shares it with your mentor or a partner. I'll check in on your goals every "
            "Monday at 09:00 (Europe/Berlin, from Teams); next: Monday 01 March 2027 at 09:00. "
            "`checkin settings` changes that."
        )
        reply = await say(bot, ENZO, "checkin settings day=thursday", "en-US", "Europe/Berlin")
        assert reply == (
            "Saved. Your check-ins: every Thursday at 09:00 (Europe/Berlin, from Teams); "
            "next: Thursday 04 March 2027 at 09:00."
        )
        await tick(bot, clock, datetime(2027, 3, 4, 8, 0, tzinfo=UTC))
        (message,) = keyed(bot, ENZO, "checkin:")
        assert message.text == "Time for your goal check-in. 🌱"
        card = texts_of(message)
        for english in (
            "🌱 How are your goals going?",
            "A minute per goal is plenty.",
            "Now 0%, on track; 118 days to go",
            "Progress (0 to 100)",
            '"title": "at risk"',
            "What moved?",
            "Anything blocking you?",
            "Send check-in",
        ):
            assert english in card, english
        (goal_id,) = [k.split("_")[1] for k in inputs(message) if k.startswith("progress_")]
        (data,) = submits(message, "checkin_save")
        reply = await press(bot, ENZO, data | {f"progress_{goal_id}": "25"}, "en-US")
        assert reply == "Thanks! Check-in saved (1 goal)."
        history = await say(bot, ENZO, "checkins", "en-US", "Europe/Berlin")
        assert history == (
            "**Your check-ins**\n**#1 Run 10k** (now 25%, on track)\n- 04 Mar 2027: 25%, on track"
        )
        listing = await say(bot, ENZO, "goals", "en-US", "Europe/Berlin")
        assert listing.startswith(
            "**Your goals**\n- **#1 Run 10k**: 25%, on track, 118 days to go "
            "(target 2027-06-30), last update 04 Mar 2027; private"
        )


async def test_a_quiet_pair_and_its_admin_are_nudged_each_in_their_own_language(
    settings, connector, clock
):
    clock.now = START
    jobs = tuple(job for job in JOBS if job.name == "pair_nudges")
    async with start_bot(settings, connector, clock, jobs=jobs) as bot:
        await install(bot, MENTEE, MENTOR)
        await say(bot, MENTEE, "hallo", "de-DE", "Europe/Berlin")
        await say(bot, MENTOR, "hello", "en-US", "Europe/London")
        await say(bot, ADMIN, "bonjour", "fr-FR", "Europe/Paris")
        await mentorship(bot)
        await tick(bot, clock, START + timedelta(days=21))
        (german,) = keyed(bot, MENTEE, "pairnudge:")
        assert german.text == in_language(
            "de",
            "👋 It's been a while since you and {name} last caught up here ({days} days). "
            "How about a short meeting? Type `agenda` to plan it, and `notes` afterwards to "
            "keep what you agreed.",
            name="Mia Mentor",
            days=21,
        )
        (english,) = keyed(bot, MENTOR, "pairnudge:")
        assert english.text == (
            "👋 It's been a while since you and Tom Mentee last caught up here (21 days). "
            "How about a short meeting? Type `agenda` to plan it, and `notes` afterwards to "
            "keep what you agreed."
        )
        await tick(bot, clock, START + timedelta(days=35))
        (french,) = keyed(bot, ADMIN, "pairescalation:")
        assert french.text == in_language(
            "fr",
            "Mentoring in '{program}': {mentor} (mentor) and {mentee} (mentee) have had no "
            "meeting notes, check-ins or answers for {days} days. They might welcome a "
            "friendly word.",
            program="Spring mentoring",
            mentor="Mia Mentor",
            mentee="Tom Mentee",
            days=35,
        )
