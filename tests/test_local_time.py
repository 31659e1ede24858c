"""One rule for a person's local day: coffee rounds and check-ins agree on when "paused
until" ends, also for someone whose profile zone differs from Teams' hint."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from dialogs.coffee import rounds
from dialogs.core.local_time import is_paused, local_day, zone_name
from dialogs.goals import checkins
from scheduler import JobContext
from storage.models import Checkin
from tests.fakes.teams import TeamsUser
from tests.goalkit import ADMIN, TEAM, install, say, submit, user_id

TOM = TeamsUser("tom", "Tom Kiwi")  # paused until Sunday, Auckland time
ANA = TeamsUser("ana", "Ana Kiwi")  # paused until Monday, Auckland time
HINT = "America/Los_Angeles"  # what Teams says: they travel with a laptop set to LA time
PROFILE = {
    "action": "profile_save",
    "role": "mentee",
    "timezone": "Pacific/Auckland",  # what they chose on their profile
    "meeting_format": "video",
    "meetings_per_month": "2",
}
# Monday 09:00 in Auckland (UTC+13 in summer) is Sunday 12:00 in Los Angeles.
MONDAY_9_AUCKLAND = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


async def test_coffee_and_checkins_agree_on_paused_until_in_the_profile_zone(bot, clock):
    await install(bot, TOM, ANA)
    for person, until in ((TOM, "2026-11-22"), (ANA, "2026-11-23")):
        await say(bot, person, "hi", timezone=HINT)
        assert "saved" in await submit(bot, person, PROFILE, timezone=HINT)
        assert "Added goal" in await say(bot, person, "goal add Run a 10k target=2027-06-30", HINT)
        assert f"Paused until {until}" in await say(bot, person, f"pause until {until}", HINT)

    clock.now = MONDAY_9_AUCKLAND
    # The case that used to split: Sunday where Teams' hint says, Monday on the profile.
    assert local_day(HINT, clock.now) == date(2026, 11, 22)
    assert local_day(zone_name("Pacific/Auckland"), clock.now) == date(2026, 11, 23)

    tom_id, ana_id, admin_id = [await user_id(bot, p) for p in (TOM, ANA, ADMIN)]
    async with bot.db.unit() as repos:
        tom, ana = await repos.users.get(tom_id), await repos.users.get(ana_id)
        assert tom is not None and ana is not None
        assert is_paused(tom, local_day(HINT, clock.now))  # the hint alone would say paused
        team = await repos.teams.by_team_id(TEAM.id)
        pool = await repos.pairing.ensure_pool(team.id, clock.now)
        plan = await rounds.plan_round(repos, team, pool, clock.now, seed=7)
        await checkins.send_due(JobContext(repos, None, "p", clock.now, clock.now))
        checked_in = set(await repos.session.scalars(select(Checkin.user_id)))

    placed = {u.id for g in plan.groups for u in g} | {u.id for u, _ in plan.unplaced}
    # Tom's pause ended with Sunday in Auckland: both features have him back.
    assert tom.id in placed and tom.id in checked_in
    # Ana's pause runs through Monday in Auckland: both features leave her alone.
    assert ana.id not in placed and ana.id not in checked_in
    assert plan.skipped["paused"] == 1
    assert admin_id in placed
