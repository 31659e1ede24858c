"""Weekly icebreakers end to end: HTTP in, the fake Bot Connector out, both databases."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import SCHEDULER_KEY
from dialogs.icebreakers.answers import MAX_ANSWER
from dialogs.icebreakers.bank import BY_ID, CATEGORIES
from dialogs.jobs import JOBS
from storage.models import IcebreakerAnswer, IcebreakerPost, IcebreakerQuestion, Schedule
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.fakes.wallclock import JumpingWallClock
from tests.inbox import inbox, my_data

# Only the icebreaker job: every other job would run on every simulated tick too.
ICEBREAKER_JOBS = tuple(job for job in JOBS if job.name == "icebreaker")
ANA = TeamsUser("ana", "Ana Lee")  # installs the bot: an admin
BEN = TeamsUser("ben", "Ben Okafor")
CHLOE = TeamsUser("chloe", "Chloe Martin")
DAN = TeamsUser("dan", "Dan Wu")
DATA = TeamsTeam("data", "Data Guild")
OPS = TeamsTeam("ops", "Ops Crew")
PEOPLE = (ANA, BEN, CHLOE, DAN)


# --- helpers -----------------------------------------------------------------------------
async def install(bot, team: TeamsTeam = DATA, members=PEOPLE) -> None:
    bot.connector.set_roster(team.id, [m.member() for m in members], team.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, members[0], team))


async def say(bot, text: str, user=ANA, team=DATA, channel=None, reply_to=None) -> str:
    """A channel message @mentioning the bot; the bot's reply texts, joined."""
    activity = teams.channel_message(
        bot.service_url, user, team, text, channel=channel, reply_to=reply_to
    )
    return "\n".join(await bot.send(activity))


async def private(bot, user) -> list[str]:
    """What reached the user's 1:1 chat (after the outbox went out)."""
    await quiet(bot)
    return [m.text or "" for m in inbox(bot, user)]


async def direct(bot, user, text: str) -> str:
    return "\n".join(await bot.send(teams.personal_message(bot.service_url, user, text)))


async def posts(bot, team: TeamsTeam = DATA) -> list[IcebreakerPost]:
    async with bot.db.unit() as repos:
        row = await repos.teams.by_team_id(team.id)
        return await repos.icebreakers.posts(row.id)


async def latest(bot, team: TeamsTeam = DATA) -> IcebreakerPost:
    return (await posts(bot, team))[-1]


async def card_id(bot, post: IcebreakerPost) -> str:
    """Teams' id of the posted card (the post must have been sent)."""
    async with bot.db.unit() as repos:
        row = (await repos.outbox.by_keys([post.outbox_key]))[post.outbox_key]
    assert row.status == "sent", row.status
    return row.activity_id


async def click(bot, user, data: Any, card: str, team=DATA, channel=None) -> tuple[int, Any]:
    """Press a button on a card in a channel (Action.Execute): the invoke's answer."""
    activity = teams.card_action(bot.service_url, user, team, data, card, channel=channel)
    status, body = await bot.post(activity)
    return status, json.loads(body) if body else None


async def answer(bot, user, post: IcebreakerPost, text: Any, share: Any = "true", **kw) -> str:
    data = {"action": "icebreaker_answer", "post": post.id, "answer": text, "share": share}
    status, body = await click(bot, user, data, await card_id(bot, post), **kw)
    assert status == 200 and body["statusCode"] == 200, body
    assert body["type"] == "application/vnd.microsoft.activity.message"
    return body["value"]


async def answers(bot) -> list[tuple[str, str, bool, str]]:
    """(user's Teams id, text, shared, source) of every stored answer."""
    async with bot.db.unit() as repos:
        rows = await repos.session.scalars(select(IcebreakerAnswer).order_by(IcebreakerAnswer.id))
        users = await repos.users.by_ids({a.user_id for a in rows.all()})
        rows = await repos.session.scalars(select(IcebreakerAnswer).order_by(IcebreakerAnswer.id))
        return [(users[a.user_id].teams_id, a.text, a.share, a.source) for a in rows]


async def count(bot, model) -> int:
    async with bot.db.unit() as repos:
        return int(await repos.session.scalar(select(func.count()).select_from(model)))


async def quiet(bot, timeout: float = 5.0) -> None:
    """Like bot.settle(), but a count update waiting out its minute may stay pending."""
    for _ in range(int(timeout / 0.02)):
        async with bot.db.unit() as repos:
            rows = await repos.outbox.all()
        if all(r.status in ("sent", "failed") or _spaced(r) for r in rows):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"outbox did not quiet down: {[r.status for r in rows]}")


def _spaced(row) -> bool:
    return row.status == "pending" and "after" in row.payload and row.attempts == 0


def puts(bot) -> list:
    return [c for c in bot.connector.calls if c.method == "PUT" and 200 <= c.status < 300]


def count_text(card: dict) -> str:
    return next(b["text"] for b in card["body"] if "answer" in str(b.get("text", "")).lower())


async def posted_now(bot, user=ANA, team=DATA) -> IcebreakerPost:
    reply = await say(bot, "/icebreaker now", user=user, team=team)
    assert "Posting this one now" in reply, reply
    await quiet(bot)
    return await latest(bot, team)


# Every tick runs every job (the 15-minute global ones too), so ten weeks are ticked
# every 2 hours: 840 ticks instead of 3,360, with the same checks.
TICK_MINUTES = 120


# --- the schedule --------------------------------------------------------------------------
async def test_ten_weeks_in_two_time_zones_post_at_local_times_once_a_week(
    settings, connector, clock
):
    """Data Guild: Mondays 09:30 Berlin in General. Ops Crew: Fridays 16:00 Los Angeles in
    their Random channel. Both zones switch to summer time inside the ten weeks. Ben
    answers every Data Guild question on its card; each next post brings the digest."""
    clock.now = datetime(2027, 2, 26, 0, 7, tzinfo=UTC)  # Thursday 16:07 in Los Angeles
    random = teams.channel_of(OPS, "random")
    async with start_bot(settings, connector, clock, jobs=ICEBREAKER_JOBS) as bot:
        await install(bot, DATA)
        await install(bot, OPS, (CHLOE, DAN))
        reply = await say(bot, "/icebreaker settings on day=mon time=9:30 timezone=Europe/Berlin")
        assert "Icebreakers in Data Guild: on" in reply
        assert "Every Monday at 09:30 (Europe/Berlin)" in reply
        assert "Next: Monday 01 March 2027 at 09:30" in reply
        reply = await say(
            bot,
            "/icebreaker settings on day=friday time=16:00 timezone=America/Los_Angeles "
            "channel=here",
            user=CHLOE,
            team=OPS,
            channel=random,
        )
        assert "Channel: Random" in reply and "Next: Friday 26 February 2027 at 16:00" in reply
        scheduler = bot.server.app[SCHEDULER_KEY]
        data_scope = f"team:{await _team(bot, DATA)}"
        end = clock() + timedelta(weeks=10)
        while clock() < end:
            ran = await scheduler.tick()
            if ran:
                await quiet(bot, timeout=20)
            if any(scope == data_scope for _, scope, _ in ran):
                reply = await answer(bot, BEN, await latest(bot), f"my answer on {clock():%d %b}")
                assert reply.startswith("Thanks, your answer is saved!")
            clock.advance(minutes=TICK_MINUTES)
        await quiet(bot, timeout=20)

        data, ops = await posts(bot, DATA), await posts(bot, OPS)
    assert_weekly(data, "Europe/Berlin", 0, "09:30", datetime(2027, 3, 1).date())
    assert_weekly(ops, "America/Los_Angeles", 4, "16:00", datetime(2027, 2, 26).date())
    assert [c.cards[0]["body"][1]["text"] for c in connector.messages(DATA.id)[-10:]] == [
        p.question_text for p in data
    ]
    assert len([c for c in connector.messages(random) if c.cards]) == 10
    assert not [c for c in connector.messages(OPS.id) if c.cards]  # not in Ops' General
    # Nine digests: each in the thread of the week before, when the next question went out.
    digests = [c for c in connector.messages() if (c.text or "").startswith("**What you said**")]
    assert len(digests) == 9
    for digest, post in zip(digests, data[:9], strict=True):
        assert digest.conversation_id.startswith(f"{DATA.id};messageid=")
        assert post.question_text in digest.text and "Ben Okafor" in digest.text
    assert len({p.question_key for p in data}) == len({p.question_key for p in ops}) == 10


def assert_weekly(rows, zone: str, weekday: int, at: str, first) -> None:
    local = ZoneInfo(zone)
    assert len(rows) == 10 and len({r.period for r in rows}) == 10
    dates = [r.due_at.astimezone(local).date() for r in rows]
    assert dates == [first + timedelta(weeks=n) for n in range(10)]
    for row in rows:
        due = row.due_at.astimezone(local)
        assert (due.weekday(), f"{due:%H:%M}") == (weekday, at)
        assert row.period == due.date().isoformat() and row.trigger == "schedule"
        # Posted at the first tick after it was due.
        assert timedelta(0) <= row.posted_at - row.due_at < timedelta(minutes=TICK_MINUTES)
    offsets = {r.due_at.astimezone(local).utcoffset() for r in rows}
    assert len(offsets) == 2  # the same local time before and after the clocks changed


async def _team(bot, team: TeamsTeam) -> int:
    async with bot.db.unit() as repos:
        return (await repos.teams.by_team_id(team.id)).id


async def test_skip_leaves_out_the_next_scheduled_question_only(settings, connector, clock):
    async with start_bot(settings, connector, clock, jobs=ICEBREAKER_JOBS) as bot:
        await install(bot)
        await say(bot, "/icebreaker settings on day=monday time=10:00 timezone=UTC")
        reply = await say(bot, "/icebreaker skip")
        assert "skip the next icebreaker (Monday 23 November 2026 at 10:00 (UTC))" in reply
        scheduler = bot.server.app[SCHEDULER_KEY]
        for _ in range(3 * 7 * 4):  # three weeks, every 6 hours
            await scheduler.tick()
            clock.advance(hours=6)
        periods = [p.period for p in await posts(bot)]
    assert periods == ["2026-11-30", "2026-12-07"]


# --- answers -------------------------------------------------------------------------------
async def test_answers_from_the_card_and_the_thread_are_stored_and_replaced(bot):
    await install(bot)
    post = await posted_now(bot)
    (card,) = bot.connector.messages(DATA.id)[-1].cards
    assert card["version"] == "1.5" and post.question_text in json.dumps(card)
    (button,) = card["actions"]
    assert button["type"] == "Action.Execute"
    assert button["data"] == {"action": "icebreaker_answer", "post": post.id}
    toggle = next(b for b in card["body"] if b.get("id") == "share")
    assert toggle["value"] == "true"  # sharing in the digest is on unless turned off

    reply = await answer(bot, BEN, post, "  Hiking in the Alps  ")
    assert reply == (
        "Thanks, your answer is saved! It will be in the digest when the next question goes out."
    )
    reply = await answer(bot, BEN, post, "Climbing, actually", share="false")
    assert reply == "Updated your answer. It stays out of the digest."
    thread = await card_id(bot, post)
    reply = await say(bot, "Baking sourdough on Sundays", user=CHLOE, reply_to=thread)
    assert reply == ""  # the thread is everyone's: the confirmation goes 1:1 (issue 17)
    assert "Thanks, I saved your reply" in "\n".join(await private(bot, CHLOE))
    # A bare @mention in the thread asks for text (1:1); a slash command stays a command.
    assert await say(bot, "", user=DAN, reply_to=thread) == ""
    assert "empty" in "\n".join(await private(bot, DAN))
    # /help stays a command in the thread, answered 1:1 to the admin (issue 11).
    assert "1:1 chat" in await say(bot, "/help", user=ANA, reply_to=thread)

    assert await answers(bot) == [
        (BEN.id, "Climbing, actually", False, "card"),
        (CHLOE.id, "Baking sourdough on Sundays", True, "thread"),
    ]
    await quiet(bot)
    assert count_text(puts(bot)[-1].body["attachments"][0]["content"]) in (
        "1 answer so far",
        "2 answers so far",
    )


async def test_a_reply_in_an_unrelated_thread_is_not_an_answer(bot):
    await install(bot)
    await posted_now(bot)
    reply = await say(bot, "lunch anyone?", user=BEN, reply_to="some-other-message")
    assert "I don't know that command" in reply
    assert await answers(bot) == []


MALFORMED = [
    ({"answer": "hi", "share": "true"}, "which question"),  # no post id
    ({"post": "abc", "answer": "hi"}, "which question"),
    ({"post": 99999, "answer": "hi"}, "which question"),
    ({"post": True, "answer": "hi"}, "which question"),
    ({"post": "{post}", "answer": "", "share": "true"}, "empty"),
    ({"post": "{post}", "answer": "   \n ", "share": "true"}, "empty"),
    ({"post": "{post}", "share": "true"}, "empty"),  # Teams leaves out an empty input
    ({"post": "{post}", "answer": "x" * 5000, "share": "true"}, "5,000 characters"),
    ({"post": "{post}", "answer": 42, "share": "true"}, "must be text"),
    ({"post": "{post}", "answer": "fine", "share": "maybe"}, "share setting"),
    ({"action": "icebreaker_delete_all", "post": "{post}"}, "didn't understand that card"),
    ({"action": None, "post": "{post}", "answer": "no action"}, "didn't understand that card"),
    ("not an object", "didn't understand that card"),
]


def malformed(spec: Any, post_id: int) -> Any:
    if not isinstance(spec, dict):
        return spec
    data = {"action": "icebreaker_answer"} | {
        k: post_id if v == "{post}" else v for k, v in spec.items()
    }
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(("spec", "expected"), MALFORMED)
async def test_bad_answers_and_malformed_card_actions_change_nothing(bot, spec, expected):
    await install(bot)
    post = await posted_now(bot)
    await bot.settle()
    calls = len(bot.connector.calls)
    status, body = await click(bot, BEN, malformed(spec, post.id), await card_id(bot, post))
    assert status == 200 and expected in body["value"], body
    assert "Nothing was" in body["value"]
    assert await answers(bot) == []
    await bot.settle()
    assert bot.connector.calls[calls:] == []  # no card update, nothing said in the channel


async def test_the_answer_limit_is_the_cards_and_exactly_allowed(bot):
    await install(bot)
    post = await posted_now(bot)
    card = bot.connector.messages(DATA.id)[-1].cards[0]
    box = next(b for b in card["body"] if b.get("id") == "answer")
    assert box["maxLength"] == MAX_ANSWER and box["isRequired"] is True
    assert (await answer(bot, BEN, post, "y" * MAX_ANSWER)).startswith("Thanks")
    assert "1,001 characters" in await answer(bot, CHLOE, post, "y" * (MAX_ANSWER + 1))


async def test_bad_thread_replies_get_a_message_and_change_nothing(bot):
    await install(bot)
    thread = await card_id(bot, await posted_now(bot))
    # Over the answer's limit (1,000) but under a message's (4,000, dispatch refuses more).
    assert await say(bot, "z" * 3000, user=BEN, reply_to=thread) == ""
    told = await private(bot, BEN)
    assert "3,000 characters" in told[-1] and "Nothing was saved" in told[-1]
    assert await say(bot, "  ", user=BEN, reply_to=thread) == ""
    assert "empty" in (await private(bot, BEN))[-1]
    assert await answers(bot) == []


async def test_a_card_from_another_team_is_refused(bot):
    await install(bot, DATA)
    await install(bot, OPS, (CHLOE, DAN))
    ops_post = await posted_now(bot, user=CHLOE, team=OPS)
    data_post = await posted_now(bot)
    # Dan presses Answer on a Data Guild card that names Ops' post.
    data = {"action": "icebreaker_answer", "post": ops_post.id, "answer": "hi", "share": "true"}
    _, body = await click(bot, DAN, data, await card_id(bot, data_post))
    assert "which question" in body["value"]
    assert await answers(bot) == []


async def test_a_card_action_in_a_11_chat_is_refused(bot):
    await install(bot)
    post = await posted_now(bot)
    value = {"action": "icebreaker_answer", "post": post.id, "answer": "hi", "share": "true"}
    reply = await bot.send(teams.card_submit(bot.service_url, BEN, value))
    assert "only works where I posted it" in reply[0]
    assert await answers(bot) == []


# --- the live count -------------------------------------------------------------------------
async def test_count_updates_leave_at_most_once_a_minute_per_post(bot):
    """Answers pour in over three minutes of the delivery worker's clock: each minute at
    most one card update leaves, showing the count when it leaves, and the channel stays
    inside Teams' windows throughout."""
    wall = JumpingWallClock(datetime.now(UTC))
    bot.delivery.wall_clock = wall
    crowd = [TeamsUser(f"m{n:02d}", f"Member {n}") for n in range(15)]
    await install(bot, members=(ANA, *crowd))
    post = await posted_now(bot)
    card = await card_id(bot, post)
    for minute in range(3):
        for user in crowd[minute * 5 : minute * 5 + 5]:
            data = {"action": "icebreaker_answer", "post": post.id, "answer": "hi", "share": "true"}
            status, _ = await click(bot, user, data, card)
            assert status == 200
            if minute == 0 and user is crowd[0]:
                # The first update leaves at once and shows the count when it leaves:
                # the next answers wait until it has, or it could already count two.
                await until(lambda: len(puts(bot)) == 1)
        await quiet(bot)
        # Within the minute only the first answer's update left; the rest are waiting.
        assert len(puts(bot)) == minute + 1
        wall.advance(seconds=61)  # a minute passes for the worker
        bot.delivery.wake()
        await until(lambda m=minute: len(puts(bot)) == m + 2)
    await bot.settle()
    updates = puts(bot)
    texts = [count_text(c.body["attachments"][0]["content"]) for c in updates]
    assert texts == [
        "1 answer so far",
        "5 answers so far",
        "10 answers so far",
        "15 answers so far",
    ]
    async with bot.db.unit() as repos:
        rows = [r for r in await repos.outbox.all() if r.idempotency_key.startswith("icebreaker:c")]
    sent = sorted(r.sent_at for r in rows)
    assert len(rows) == 4 and all(r.status == "sent" and r.attempts == 1 for r in rows)
    assert all(b - a >= timedelta(seconds=60) for a, b in itertools.pairwise(sent))
    assert all(c.path.endswith(f"/activities/{card}") for c in updates)
    assert_inside_teams_limits(bot.connector.calls, DATA.id)


async def test_a_burst_of_answers_is_one_update_per_minute_in_real_time(bot):
    """The worker's real clock, no jumps: 12 answers in a burst give one update at once and
    one more waiting for its minute, whatever the timing of the burst."""
    crowd = [TeamsUser(f"m{n:02d}", f"Member {n}") for n in range(12)]
    await install(bot, members=(ANA, *crowd))
    post = await posted_now(bot)
    card = await card_id(bot, post)
    for user in crowd:
        data = {"action": "icebreaker_answer", "post": post.id, "answer": "hi", "share": "true"}
        await click(bot, user, data, card)
    await quiet(bot)
    assert len(puts(bot)) == 1
    async with bot.db.unit() as repos:
        latest_post = await repos.icebreakers.post(post.id)
        rows = await repos.outbox.by_keys(
            [f"icebreaker:count:post{post.id}:{n}" for n in range(1, latest_post.update_seq + 1)]
        )
    waiting = [r for r in rows.values() if r.status == "pending"]
    assert len(waiting) == 1 and count_text(waiting[0].payload["card"]) == "12 answers so far"
    first = next(r for r in rows.values() if r.status == "sent")
    # Due a minute after the first left, or (if the worker looked while the first was still
    # on its way) due for another look within seconds; never sent before its minute.
    wait = waiting[0].not_before - first.sent_at
    assert wait >= timedelta(seconds=60) or timedelta(0) < wait <= timedelta(seconds=15)


async def until(ready, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if ready():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def assert_inside_teams_limits(calls, channel: str) -> None:
    """Posts, replies and updates in one channel: 7 a second, 8 in 2 s, 60 in 30 s."""
    times = sorted(
        c.at for c in calls if (c.conversation_id or "").split(";")[0] == channel and c.body
    )
    for count_, seconds in ((7, 1.0), (8, 2.0), (60, 30.0)):
        for i, start in enumerate(times):
            assert len([t for t in times[i:] if t < start + seconds]) <= count_
    assert not [c for c in calls if c.status == 429]


async def test_deleting_my_data_recounts_the_card(bot):
    await install(bot)
    post = await posted_now(bot)
    await answer(bot, BEN, post, "Tea over coffee")
    await answer(bot, CHLOE, post, "Coffee over tea", share="false")
    shown, export = await my_data(bot, BEN)
    dumped = json.dumps([shown, export])
    assert "Tea over coffee" in dumped and post.question_text in dumped
    assert "Icebreaker answers" in dumped and "Coffee over tea" not in dumped
    await bot.send(teams.card_submit(bot.service_url, BEN, {"action": "delete_data_confirm"}))
    assert await answers(bot) == [(CHLOE.id, "Coffee over tea", False, "card")]
    async with bot.db.unit() as repos:
        row = await repos.icebreakers.post(post.id)
        update = (await repos.outbox.by_keys([row.update_key]))[row.update_key]
    assert count_text(update.payload["card"]) == "1 answer so far"


# --- rotation --------------------------------------------------------------------------------
async def test_no_question_repeats_until_every_enabled_one_was_asked(bot, clock):
    await install(bot)
    for key in CATEGORIES:
        if key != "values":
            assert "is now off" in await say(bot, f"/icebreaker categories {key} off")
    reply = await say(bot, "/icebreaker categories")
    assert "Values (`values`): on, 21 questions" in reply and "Fun (`fun`): off" in reply
    await say(bot, "/icebreaker add What's the kindest thing a stranger has done for you?")
    await say(bot, "/icebreaker add Which everyday object would you redesign, and how?")
    assert "Removed the built-in" in (await say(bot, "/icebreaker remove values-03"))
    enabled = 21 - 1 + 2
    keys = []
    for _ in range(enabled + 3):
        clock.advance(minutes=1)
        assert "Posting this one now" in await say(bot, "/icebreaker now")
        keys.append((await latest(bot)).question_key)
    first, second = keys[:enabled], keys[enabled:]
    assert len(set(first)) == enabled and "values-03" not in first
    assert all(k.startswith("values-") or k.startswith("c") for k in first)
    own = [k for k in first if k.startswith("c")]
    assert first[:2] == own  # the team's own questions lead the rotation...
    assert second[:2] == own  # ...and lead it again when a new round starts
    assert {p.cycle for p in await posts(bot)} == {0, 1}


# --- the digest ------------------------------------------------------------------------------
async def test_the_digest_goes_in_the_thread_with_only_shared_answers(bot, clock):
    await install(bot)
    post = await posted_now(bot)
    await answer(bot, BEN, post, "Rowing at dawn")
    await answer(bot, CHLOE, post, "My secret answer", share="false")
    await say(bot, "Trail running", user=DAN, reply_to=await card_id(bot, post))
    await answer(bot, ANA, post, "Changed my mind, keep it private", share="false")
    clock.advance(days=7)
    await posted_now(bot)
    thread = f"{DATA.id};messageid={await card_id(bot, post)}"
    (digest,) = bot.connector.messages(thread)[-1:]
    assert digest.text.startswith(f"**What you said** about: {post.question_text}")
    assert "- **Ben Okafor**: Rowing at dawn" in digest.text
    assert "- **Dan Wu**: Trail running" in digest.text
    assert "secret" not in digest.text and "Ana" not in digest.text and "Chloe" not in digest.text
    assert "2 more people answered privately" in digest.text
    # Nobody answered the second question: the third brings no digest.
    second = await latest(bot)
    clock.advance(days=7)
    await posted_now(bot)
    assert bot.connector.messages(f"{DATA.id};messageid={await card_id(bot, second)}") == []


# --- admin commands ---------------------------------------------------------------------------
async def test_non_admins_cannot_steer_icebreakers(bot):
    await install(bot)
    for command in (
        "/icebreaker add What is your favourite sound in the morning?",
        "/icebreaker now",
        "/icebreaker settings on",
        "/icebreaker skip",
        "/icebreaker categories fun off",
    ):
        reply = await say(bot, command, user=BEN)
        assert "is for admins of Data Guild" in reply and "Nothing changed" in reply
    assert await count(bot, IcebreakerQuestion) == 0
    assert await count(bot, IcebreakerPost) == 0
    assert await count(bot, Schedule) == 0


async def test_add_checks_length_and_duplicates(bot):
    await install(bot)
    assert "at least 10 characters" in await say(bot, "/icebreaker add Why?")
    assert "Please write the question" in await say(bot, "/icebreaker add")
    long = "Why " + "really " * 60 + "?"
    assert "keep it under 300" in await say(bot, f"/icebreaker add {long}")
    reply = await say(bot, "/icebreaker add What's a small thing that makes your day better?")
    assert "very close to the built-in **know-01**" in reply and "Nothing was added" in reply
    reply = await say(bot, "/icebreaker add What's Ana's idea of a perfect=lazy Sunday?")
    assert "Added as **c1**" in reply
    assert "very close to **c1**" in await say(
        bot, "/icebreaker add What's Ana's idea of a perfect lazy Sunday?"
    )
    async with bot.db.unit() as repos:
        (question,) = await repos.session.scalars(select(IcebreakerQuestion))
    # Apostrophes and "=" stay as typed: a question is prose, not options.
    assert question.text == "What's Ana's idea of a perfect=lazy Sunday?"
    assert question.status == "active"


async def test_members_suggest_and_admins_approve(bot):
    await install(bot)
    await install(bot, OPS, (ANA, DAN))
    reply = await direct(bot, BEN, "suggest What song would you put on a team playlist?")
    assert "passed your question (c1) to the admins of Data Guild" in reply
    # Ana is in two teams: she must say which one.
    assert 'team="Team name"' in await direct(bot, ANA, "suggest Which city would you visit?")
    reply = await direct(bot, ANA, 'suggest team="Ops Crew" Which city would you visit next?')
    assert "admins of Ops Crew" in reply
    assert "very close to **c1**" in await say(
        bot, "suggest What song would you put on our team playlist?", user=CHLOE
    )
    listing = await say(bot, "/icebreaker list")
    assert "c1**: What song would you put on a team playlist? (from Ben Okafor)" in listing
    assert "Ops" not in listing and "city" not in listing
    reply = await say(bot, "/icebreaker approve c1")
    assert "Approved c1" in reply
    assert "not a suggestion waiting" in await say(bot, "/icebreaker approve c1")
    assert "I don't know a question 'c99'" in await say(bot, "/icebreaker approve c99")
    await bot.settle()
    thanks = bot.connector.texts(BEN.personal_conversation)[-1]
    assert "was approved" in thanks and "team playlist" in thanks
    post = await posted_now(bot)
    assert post.question_key == "c1" and post.category == "custom"
    assert "From your team" in json.dumps(bot.connector.messages(DATA.id)[-1].cards[0])


async def test_suggestions_are_capped_per_member(bot):
    await install(bot)
    for question in (
        "Which river or lake near you is worth a visit?",
        "What bridge, tower or building do you find beautiful?",
        "How do you keep track of time without looking at a clock?",
        "Have you ever flown a kite, and where?",
        "Which festival of lights or lanterns do you enjoy?",
    ):
        reply = await direct(bot, BEN, f"suggest {question}")
        assert "passed your question" in reply, reply
    reply = await direct(bot, BEN, "suggest What was the best gift you ever gave someone?")
    assert "5 suggestions waiting" in reply and "Nothing was added" in reply
    assert await count(bot, IcebreakerQuestion) == 5


async def test_remove_a_team_question_a_built_in_one_and_decline_a_suggestion(bot):
    await install(bot)
    await say(bot, "/icebreaker add What's your favourite way to spend a rainy afternoon?")
    await direct(bot, BEN, "suggest What is the best concert you have ever been to?")
    assert "Removed c1; it won't be asked again" in await say(bot, "/icebreaker remove c1")
    assert "Declined the suggestion c2" in await say(bot, "/icebreaker remove 2")
    assert "removed already" in await say(bot, "/icebreaker remove c1")
    assert "Removed the built-in question fun-10" in await say(bot, "/icebreaker remove fun-10")
    assert "I don't know a question 'fun-99'" in await say(bot, "/icebreaker remove fun-99")
    listing = await say(bot, "/icebreaker list")
    assert "no own questions" in listing and "In rotation: 127 questions" in listing
    bank = await say(bot, "/icebreaker list bank")
    assert f"fun-10: {BY_ID['fun-10'].text} (removed)" in bank and "remote-21" in bank


async def test_settings_show_defaults_validate_and_change_nothing_on_errors(bot):
    await install(bot)
    await direct(bot, ANA, "hi")  # Ana's 1:1 says her time zone (Europe/Berlin)
    reply = await say(bot, "/icebreaker settings")
    assert "Icebreakers in Data Guild: off" in reply
    assert "Every Monday at 10:00 (Europe/Berlin)" in reply and "Channel: General" in reply
    reply = await say(
        bot, "/icebreaker settings on time=25:00 timezone=Mars/Base day=someday cadence=daily"
    )
    assert "**day**: 'someday' is not a weekday" in reply
    assert "**cadence**: must be weekly, biweekly" in reply
    assert "Nothing changed" in reply
    reply = await say(bot, "/icebreaker settings on time=25:00")
    assert "**time**: must be a 24-hour time" in reply
    assert "**timezone**" in await say(bot, "/icebreaker settings timezone=Mars/Base")
    assert "I don't know 'maybe'" in await say(bot, "/icebreaker settings maybe")
    assert "`/icebreaker settings` doesn't know `colour=`" in await say(
        bot, "/icebreaker settings colour=blue"
    )
    reply = await direct(bot, ANA, "/icebreaker settings channel=here")
    assert "@mention me there" in reply
    assert await count(bot, Schedule) == 0
    reply = await direct(bot, ANA, "/icebreaker settings on cadence=biweekly day=wed time=08:15")
    assert "on**" in reply and "Every other Wednesday at 08:15 (Europe/Berlin)" in reply
    async with bot.db.unit() as repos:
        (row,) = await repos.session.scalars(select(Schedule))
    assert (row.job, row.cadence, row.weekday, row.local_time, row.enabled) == (
        "icebreaker",
        "biweekly",
        2,
        "08:15",
        True,
    )
    assert "Icebreakers in Data Guild: off" in await say(bot, "/icebreaker settings off")
    overview = await say(bot, "/icebreaker")
    assert "/icebreaker approve <id>" in overview and "Channel: General" in overview


async def test_posts_follow_the_chosen_channel_and_back_to_general(bot):
    await install(bot)
    random = teams.channel_of(DATA, "random")
    reply = await say(bot, "/icebreaker settings channel=here", channel=random)
    assert "Channel: Random" in reply
    first = await posted_now(bot)
    assert first.channel_id == random and len(bot.connector.messages(random)) >= 1
    assert (await answer(bot, BEN, first, "In random", channel=random)).startswith("Thanks")
    thread = await card_id(bot, first)
    assert await say(bot, "Also here", user=CHLOE, channel=random, reply_to=thread) == ""
    assert "Thanks, I saved your reply" in (await private(bot, CHLOE))[-1]
    assert "Channel: General" in await say(bot, "/icebreaker settings channel=general")
    bot.clock.advance(days=7)
    second = await posted_now(bot)
    assert second.channel_id is None
    assert bot.connector.messages(DATA.id)[-1].cards  # the card went to General
    digest = bot.connector.messages(f"{random};messageid={thread}")[-1]
    assert "In random" in digest.text and "Also here" in digest.text


# --- at the same time ---------------------------------------------------------------------------
async def test_answers_at_the_same_moment_are_all_counted(bot):
    crowd = [TeamsUser(f"m{n:02d}", f"Member {n}") for n in range(10)]
    await install(bot, members=(ANA, *crowd))
    post = await posted_now(bot)
    card = await card_id(bot, post)
    data = {"action": "icebreaker_answer", "post": post.id, "answer": "hi", "share": "true"}
    results = await asyncio.gather(*(click(bot, user, data, card) for user in crowd))
    assert all(status == 200 and "saved" in body["value"] for status, body in results)
    await quiet(bot)
    assert len(await answers(bot)) == 10
    async with bot.db.unit() as repos:
        row = await repos.icebreakers.post(post.id)
        last = (await repos.outbox.by_keys([row.update_key]))[row.update_key]
    # Whatever the interleaving, the newest update carries every answer.
    assert count_text(last.payload["card"]) == "10 answers so far"


async def test_a_double_click_on_now_posts_once(bot):
    await install(bot)
    before = len(bot.connector.calls)
    clicks = [teams.channel_message(bot.service_url, ANA, DATA, "/icebreaker now") for _ in "ab"]
    await asyncio.gather(*(bot.post(activity) for activity in clicks))
    said = [c.text or "" for c in bot.connector.calls[before:] if c.text]
    assert len([t for t in said if t.startswith("Posting this one now")]) == 1
    assert len([t for t in said if t.startswith("I've just posted one")]) == 1
    assert len(await posts(bot)) == 1
