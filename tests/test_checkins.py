"""Goal check-ins end to end, on both databases: six simulated weeks for members in three
time zones (three daylight-saving changes), one reminder per unanswered check-in, the
mentor told of blocks only for shared goals, a retried run sending nothing twice, and
bad answers that change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import SCHEDULER_KEY
from dialogs.goals import checkins
from dialogs.jobs import JOBS
from scheduler import Job, JobContext
from storage.models import Checkin, CheckinEntry, CheckinSettings, Goal
from tests.conftest import start_bot
from tests.fakes.teams import TeamsUser
from tests.goalkit import (
    MENTEE,
    MENTOR,
    OTHER,
    filled,
    inputs,
    install,
    last_card,
    mentorship,
    say,
    submit,
    user_id,
)
from tests.inbox import count, inbox, keyed, submits

BEA = TeamsUser("bea", "Bea Berlin")  # zone from her profile (Teams says Kolkata)
NAT = TeamsUser("nat", "Nat Newyork")  # no profile: zone from Teams' hint
KAI = TeamsUser("kai", "Kai Sydney")  # chose her zone in `checkin settings`
NY = "America/New_York"
TOM, MIA, EVE = MENTEE, MENTOR, OTHER

# The oracle, worked out by hand (not with scheduler/periods.py):
# Bea: Mondays 09:00 Berlin, CET (+1) until 28 March, then CEST (+2).
BEA_DUE = [datetime(2027, 3, d, 8, 0, tzinfo=UTC) for d in (1, 8, 15, 22)] + [
    datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
    datetime(2027, 4, 5, 7, 0, tzinfo=UTC),
]
# Nat: Wednesdays 18:30 New York, EST (-5) until 14 March, then EDT (-4).
NAT_DUE = [datetime(2027, 3, d, 23, 30, tzinfo=UTC) for d in (3, 10)] + [
    datetime(2027, 3, 17, 22, 30, tzinfo=UTC),
    datetime(2027, 3, 24, 22, 30, tzinfo=UTC),
    datetime(2027, 3, 31, 22, 30, tzinfo=UTC),
    datetime(2027, 4, 7, 22, 30, tzinfo=UTC),
]
# Kai: every other Friday 07:00 Sydney from the week she chose it (22 Feb; that Friday's
# 07:00 had passed), AEDT (+11) until 4 April, then AEST (+10).
KAI_DUE = [
    datetime(2027, 3, 11, 20, 0, tzinfo=UTC),
    datetime(2027, 3, 25, 20, 0, tzinfo=UTC),
    datetime(2027, 4, 8, 21, 0, tzinfo=UTC),
]
START = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)
END = datetime(2027, 4, 10, 0, 0, tzinfo=UTC)

PROFILE = {
    "action": "profile_save",
    "role": "mentee",
    "timezone": "Europe/Berlin",
    "meeting_format": "video",
    "meetings_per_month": "2",
    "languages": "English",
}


async def sent_checkins(bot) -> dict[str, list[Checkin]]:
    async with bot.db.unit() as repos:
        rows = (await repos.session.scalars(select(Checkin).order_by(Checkin.id))).all()
        people = await repos.users.by_ids({c.user_id for c in rows})
    out: dict[str, list[Checkin]] = {}
    for c in rows:
        out.setdefault(people[c.user_id].teams_id[3:], []).append(c)
    return out


def moments() -> list[datetime]:
    """Ticks: every 6 hours, plus a minute before and at each check-in and reminder."""
    ticks = set()
    at = START
    while at < END:
        ticks.add(at)
        at += timedelta(hours=6)
    for due in BEA_DUE + NAT_DUE + KAI_DUE:
        for t in (due, due + timedelta(days=2)):
            ticks |= {t - timedelta(minutes=1), t}
    return sorted(t for t in ticks if t < END)


async def test_six_weeks_in_three_time_zones_across_daylight_saving(settings, connector, clock):
    clock.now = START
    async with start_bot(settings, connector, clock, jobs=JOBS) as bot:
        scheduler = bot.server.app[SCHEDULER_KEY]
        await submit(bot, BEA, PROFILE, timezone="Asia/Kolkata")
        reply = await say(bot, BEA, "goal add Finish the course target=2027-06-30", "Asia/Kolkata")
        assert "every Monday at 09:00 (Europe/Berlin, from your profile)" in reply
        assert "next: Monday 01 March 2027 at 09:00" in reply
        reply = await say(bot, NAT, "goal add Ship the beta target=2027-06-30", NY)
        assert "every Monday at 09:00 (America/New_York, from Teams)" in reply
        reply = await say(bot, NAT, "checkin settings day=wed time=18:30", NY)
        assert "every Wednesday at 18:30 (America/New_York, from Teams)" in reply
        await say(bot, KAI, "goal add Run 10k target=2027-06-30")
        reply = await say(
            bot,
            KAI,
            "checkin settings cadence=biweekly day=friday time=7:00 timezone=Australia/Sydney",
        )
        assert "every other Friday at 07:00 (Australia/Sydney)" in reply
        assert "next: Friday 12 March 2027 at 07:00" in reply

        expected = {"bea": BEA_DUE, "nat": NAT_DUE, "kai": KAI_DUE}
        answered = 0
        for at in moments():
            clock.now = at
            await scheduler.tick()
            await bot.settle()
            sent = await sent_checkins(bot)
            for key, dues in expected.items():
                got = [(c.due_at, c.created_at) for c in sent.get(key, [])]
                # Nothing early, nothing late: each one queued at the tick of its due time.
                assert got == [(d, d) for d in dues if d <= at], (key, at)
            # Bea answers hers at once; Nat and Kai never do.
            for checkin in sent.get("bea", [])[answered:]:
                answered += 1
                card = keyed(bot, BEA, f"checkin:user{checkin.user_id}:")[-1]
                (data,) = submits(card, "checkin_save")
                goal_id = checkin.goal_ids[0]
                reply = await submit(
                    bot,
                    BEA,
                    data | {f"progress_{goal_id}": str(answered * 10), f"moved_{goal_id}": "x"},
                    timezone="Asia/Kolkata",
                )
                assert "Check-in saved (1 goal)" in reply

        sent = await sent_checkins(bot)
        for key, zone, local in (
            ("bea", "Europe/Berlin", (0, "09:00")),
            ("nat", NY, (2, "18:30")),
            ("kai", "Australia/Sydney", (4, "07:00")),
        ):
            rows = sent[key]
            due_local = [c.due_at.astimezone(ZoneInfo(zone)) for c in rows]
            assert {(d.weekday(), f"{d:%H:%M}") for d in due_local} == {local}
            assert len({d.utcoffset() for d in due_local}) == 2  # across the change
            assert [c.period for c in rows] == [d.date().isoformat() for d in due_local]
        # At the connector: each check-in card once; one reminder per unanswered one.
        for person, dues, reminded in ((BEA, BEA_DUE, 0), (NAT, NAT_DUE, 6), (KAI, KAI_DUE, 2)):
            cards = keyed(bot, person, "checkin:")
            assert len(cards) == len(dues) == len({c.body["id"] for c in cards})
            reminders = keyed(bot, person, "checkinreminder:")
            assert len(reminders) == reminded, person
            assert all("gentle reminder" in m.text for m in reminders)
        # A reminder names the day the check-in came in the zone of her check-ins: Kai's
        # Friday 07:00 in Sydney is Thursday in UTC.
        assert all("check-in from Friday" in m.text for m in keyed(bot, KAI, "checkinreminder:"))
        async with bot.db.unit() as repos:
            reminded = (
                await repos.session.scalars(select(Checkin).where(Checkin.reminded_at.is_not(None)))
            ).all()
        # Reminded exactly two days after (the tick a minute before had sent nothing).
        assert sorted(c.reminded_at - c.created_at for c in reminded) == [timedelta(days=2)] * 8
        history = await say(bot, BEA, "checkins", "Asia/Kolkata")
        assert history.count("moved: x") == 6
        assert "05 Apr 2027: 60%, on track; moved: x" in history


async def test_a_failed_run_rolls_back_and_its_retry_sends_each_checkin_once(
    settings, connector, clock
):
    failures = []

    async def flaky(ctx: JobContext) -> None:
        await checkins.send_due(ctx)
        if not failures and ctx.now >= datetime(2026, 11, 23, 8, 0, tzinfo=UTC):
            failures.append(ctx.period)
            raise RuntimeError("crash after queuing")

    clock.now = datetime(2026, 11, 23, 7, 55, tzinfo=UTC)  # Monday 08:55 Berlin
    job = Job("checkins", flaky, "global", every=timedelta(minutes=15))
    async with start_bot(settings, connector, clock, jobs=(job,)) as bot:
        scheduler = bot.server.app[SCHEDULER_KEY]
        await say(bot, TOM, "goal add Learn SQL target=2027-01-31")
        clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
        assert await scheduler.tick() == []  # the run failed: its check-in rolled back
        assert await count(bot, Checkin) == 0
        ran = await scheduler.tick()  # retried in the same period
        assert [job for job, _, _ in ran] == ["checkins"]
        for period in ("again-1", "again-2"):  # other runs that see the same due check-in
            async with bot.db.unit() as repos:
                now = clock()
                await checkins.send_due(JobContext(repos, None, period, now, now))
        clock.advance(minutes=15)
        await scheduler.tick()
        await bot.settle()
        assert await count(bot, Checkin) == 1
        assert len(keyed(bot, TOM, "checkin:")) == 1


async def test_blocks_reach_the_mentor_only_for_shared_goals(bot):
    await install(bot, TOM, MIA, EVE)
    await say(bot, MIA, "hello")
    await mentorship(bot)
    await say(bot, TOM, "goal add Shared goal target=2027-01-31")
    await say(bot, TOM, "goal add Private goal target=2027-01-31")
    shared, private = [g.id for g in await goals(bot, TOM)]
    mias = len(inbox(bot, MIA))

    # Nothing shared yet: no toggle for the blocker, and nobody hears anything.
    await say(bot, TOM, "checkin")
    card = last_card(bot, TOM)
    assert "share_blocker" not in inputs(card)
    (data,) = submits(card, "checkin_save")
    reply = await submit(
        bot, TOM, data | {f"status_{shared}": "blocked", "blocker": "waiting for access"}
    )
    assert "Check-in saved (2 goals)" in reply and "let" not in reply
    assert len(inbox(bot, MIA)) == mias

    assert "Shared goal #1 with Mia Mentor" in await say(bot, TOM, "goal share 1")
    await say(bot, TOM, "checkin")
    card = last_card(bot, TOM)
    assert inputs(card)["share_blocker"] == "true"
    assert "Tell Mia Mentor about it" in json.dumps(card.cards)
    # The private goal blocked (the shared one back on track): the mentor is not told.
    changes = {f"status_{private}": "blocked", f"status_{shared}": "on_track"}
    reply = await submit(bot, TOM, filled(card, "checkin_save", **changes))
    assert "let" not in reply
    assert not keyed(bot, MIA, "checkinblock")
    # The shared goal blocked: told at once; the blocker text too (toggle on).
    reply = await submit(
        bot,
        TOM,
        data | {f"status_{shared}": "blocked", "blocker": "no test data", "share_blocker": "true"},
    )
    assert "I've let Mia Mentor know" in reply
    (blocked,) = keyed(bot, MIA, "checkinblocked:")
    assert "Tom Mentee marked a goal they shared with you as blocked: **Shared goal**" in (
        blocked.text
    )
    (blocker,) = keyed(bot, MIA, "checkinblocker:")
    assert "no test data" in blocker.text
    assert "Private goal" not in json.dumps([m.body for m in inbox(bot, MIA)])
    # The toggle off: the blocker stays private.
    await say(bot, TOM, "checkin")
    changes = {"blocker": "secret worry", "share_blocker": "false"}
    await submit(bot, TOM, filled(last_card(bot, TOM), "checkin_save", **changes))
    assert "secret worry" not in json.dumps([m.body for m in inbox(bot, MIA)])
    assert not keyed(bot, EVE, "checkin")


async def goals(bot, person) -> list[Goal]:
    uid = await user_id(bot, person)
    async with bot.db.unit() as repos:
        return await repos.goals.goals_of(uid)


BAD_ANSWERS = [
    ({"progress": "150"}, "must be a whole number from 0 to 100 (you entered '150')"),
    ({"progress": "-1"}, "must be a whole number from 0 to 100"),
    ({"progress": "55.5"}, "must be a whole number from 0 to 100"),
    ({"progress": "lots"}, "must be a whole number from 0 to 100"),
    ({"progress": True}, "must be a whole number from 0 to 100"),
    ({"status": "great"}, "must be on track, at risk, blocked or done"),
    ({"status": ["done"]}, "must be on track, at risk, blocked or done"),
    ({"moved": "m" * 501}, "What moved of “Goal A” is 501 characters"),
    ({"next": ["a"]}, "Next step of “Goal A” must be text"),
    ({"blocker": "b" * 1001}, "Anything blocking you is 1,001 characters"),
]


@pytest.mark.parametrize(("change", "message"), BAD_ANSWERS)
async def test_bad_answers_get_a_clear_message_and_change_nothing(bot, change, message):
    await say(bot, TOM, "goal add Goal A target=2027-01-31")
    await say(bot, TOM, "checkin")
    card = last_card(bot, TOM)
    (data,) = submits(card, "checkin_save")
    (goal,) = await goals(bot, TOM)
    value = dict(data)
    for field, raw in change.items():
        value[field if field == "blocker" else f"{field}_{goal.id}"] = raw
    value.setdefault(f"status_{goal.id}", "at_risk")  # a valid change that must not stick
    reply = await submit(bot, TOM, value)
    assert message in reply and "Nothing was saved" in reply, reply
    (after,) = await goals(bot, TOM)
    assert (after.progress, after.status) == (0, "on_track")
    assert await count(bot, CheckinEntry) == 0
    assert await count(bot, Checkin, Checkin.answered_at.is_not(None)) == 0


async def test_forged_checkins_and_goal_ids_are_refused(bot):
    await install(bot, TOM, EVE)
    await say(bot, TOM, "goal add Toms goal target=2027-01-31")
    await say(bot, EVE, "goal add Eves goal target=2027-01-31")
    await say(bot, TOM, "checkin")
    (toms_checkin,) = submits(last_card(bot, TOM), "checkin_save")
    await say(bot, EVE, "checkin")
    (eves_checkin,) = submits(last_card(bot, EVE), "checkin_save")
    (toms_goal,) = await goals(bot, TOM)
    cases = [
        (EVE, toms_checkin | {f"progress_{toms_goal.id}": "99"}, "can't find that check-in"),
        (EVE, eves_checkin | {f"progress_{toms_goal.id}": "99"}, "isn't part of this check-in"),
        (EVE, eves_checkin | {f"status_{toms_goal.id}": "done"}, "isn't part of this check-in"),
        (EVE, {"action": "checkin_save", "checkin": "x"}, "can't find that check-in"),
        (EVE, {"action": "checkin_save"}, "can't find that check-in"),
        (EVE, {"action": "checkin_save", "checkin": [1]}, "can't find that check-in"),
        (EVE, {"action": "checkin_save", "checkin": 10**20}, "can't find that check-in"),
        (TOM, eves_checkin, "can't find that check-in"),
    ]
    for person, value, message in cases:
        reply = await submit(bot, person, value)
        assert message in reply and "Nothing was saved" in reply, (value, reply)
    assert (toms_goal.progress, toms_goal.status) == (0, "on_track")
    for person in (TOM, EVE):
        (goal,) = await goals(bot, person)
        assert (goal.progress, goal.status) == (0, "on_track")
    assert await count(bot, CheckinEntry) == 0


async def test_done_in_a_checkin_celebrates_and_history_is_per_goal(bot):
    await install(bot, TOM)
    await say(bot, TOM, "goal add First target=2027-01-31")
    await say(bot, TOM, "goal add Second target=2027-01-31")
    first, second = [g.id for g in await goals(bot, TOM)]
    await say(bot, TOM, "checkin")
    (data,) = submits(last_card(bot, TOM), "checkin_save")
    reply = await submit(
        bot,
        TOM,
        data
        | {
            f"progress_{first}": "100",
            f"status_{first}": "done",
            f"moved_{first}": "shipped it",
            f"progress_{second}": "30",
            f"status_{second}": "at_risk",
            f"next_{second}": "ask for help",
        },
    )
    assert "Check-in saved (2 goals)" in reply
    assert "You did it: First" in json.dumps(last_card(bot, TOM).cards)
    # Answering the same card again updates it.
    again = {f"progress_{second}": "40", f"status_{second}": "at_risk"}
    reply = await submit(bot, TOM, data | again)
    assert reply.startswith("Updated! Check-in saved (1 goal)")
    bot.clock.advance(days=1)
    await say(bot, TOM, "checkin")
    card = last_card(bot, TOM)
    assert f"progress_{first}" not in inputs(card)  # done: no longer asked
    assert inputs(card)[f"progress_{second}"] == 40
    history = await say(bot, TOM, "checkins")
    assert "**#1 First** (now 100%, done)" in history
    assert "21 Nov 2026: 100%, done; moved: shipped it" in history
    assert "**#2 Second** (now 40%, at risk)" in history
    assert "21 Nov 2026: 40%, at risk" in history
    only = await say(bot, TOM, "checkins 2")
    assert "Second" in only and "First" not in only


async def test_settings_validate_turn_off_and_never_reach_back(settings, connector, clock):
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 Berlin
    async with start_bot(settings, connector, clock, jobs=JOBS) as bot:
        scheduler = bot.server.app[SCHEDULER_KEY]
        shown = await say(bot, TOM, "checkin settings")
        assert "start when you add your first goal" in shown
        await say(bot, TOM, "goal add Learn SQL target=2027-01-31")
        before = await stored_settings(bot)
        for text, message in [
            ("checkin settings cadence=daily", "`cadence=` can be weekly, biweekly, monthly"),
            ("checkin settings day=someday", "'someday' is not a weekday"),
            ("checkin settings time=25:00", "`time=` must be a 24-hour time"),
            ("checkin settings timezone=Mars/Olympus", "`timezone=` must be an IANA time zone"),
            ("checkin settings sometimes", "I don't understand 'sometimes'"),
            ("checkin settings every=day", "doesn't know `every=`"),
        ]:
            reply = await say(bot, TOM, text)
            assert message in reply and "Nothing changed" in reply, (text, reply)
        assert await stored_settings(bot) == before
        # 10:00 now; 09:30 today has passed, so the first is next week (never reaching back).
        reply = await say(bot, TOM, "checkin settings day=monday time=09:30")
        assert "next: Monday 30 November 2026 at 09:30" in reply
        await scheduler.tick()
        assert await count(bot, Checkin) == 0
        assert "Your check-ins: off" in await say(bot, TOM, "checkin settings off")
        clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        await scheduler.tick()
        assert await count(bot, Checkin) == 0
        reply = await say(bot, TOM, "checkin settings on timezone=Asia/Tokyo time=18:30")
        assert "every Monday at 18:30 (Asia/Tokyo)" in reply  # 09:00 UTC = 18:00 Tokyo
        clock.now = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
        await scheduler.tick()
        await bot.settle()
        assert len(keyed(bot, TOM, "checkin:")) == 1
        # Paused or without open goals: no check-in.
        await say(bot, TOM, "pause until 2026-12-10")
        clock.now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
        await scheduler.tick()
        await say(bot, TOM, "resume")
        await say(bot, TOM, "goal drop 1")
        clock.now = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
        await scheduler.tick()
        await bot.settle()
        assert len(keyed(bot, TOM, "checkin:")) == 1
        assert await count(bot, Checkin) == 1


async def stored_settings(bot) -> tuple:
    async with bot.db.unit() as repos:
        row = (await repos.session.scalars(select(CheckinSettings))).one()
        return (row.enabled, row.cadence, row.weekday, row.local_time, row.timezone)
