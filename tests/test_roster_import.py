"""The roster after an install is read in the background: paged, resumable, and told.

Teams waits at most 15 s for the answer to an install; reading 20,000 members inside the
turn would not fit. The install answers at once and the roster importer reads 500 a page,
storing each page with its continuation token.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from app import ROSTER_KEY
from storage.models import Membership, RosterImport, User
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.connector import Member
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
BIG = TeamsTeam("big", "Everyone")


def members(count: int) -> list[Member]:
    return [ANA.member()] + [
        Member(f"29:m{i:05d}", f"Member {i}", f"aad-m{i:05d}", f"m{i:05d}@contoso.com")
        for i in range(count - 1)
    ]


async def active_members(bot, team_id: str = BIG.id) -> int:
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(team_id)
        return (await repos.members.team_counts(team.id))["active"]


async def latest_import(bot) -> RosterImport:
    async with bot.db.unit() as repos:
        return await repos.session.scalar(select(RosterImport).order_by(RosterImport.id.desc()))


def page_calls(connector) -> list:
    return [c for c in connector.calls if c.path.endswith("/pagedmembers")]


async def test_install_in_a_team_of_20000_answers_at_once_and_all_members_arrive(bot):
    bot.connector.set_roster(BIG.id, members(20_000), BIG.name)
    started = time.perf_counter()
    status, _ = await bot.post(teams.bot_installed_in_team(bot.service_url, ANA, BIG))
    answered = time.perf_counter() - started
    assert status == 200
    assert answered < 1.0, f"the install took {answered:.2f} s to answer"
    welcome = bot.connector.texts(BIG.id)
    assert len(welcome) == 1 and "tell the admins 1:1 when everyone is in" in welcome[0]

    await bot.roster_settled(timeout=180)
    assert await active_members(bot) == 20_000
    job = await latest_import(bot)
    assert (job.status, job.pages, job.members) == ("done", 40, 20_000)
    assert len(page_calls(bot.connector)) == 40
    await bot.settle()
    assert bot.connector.texts("a:1on1-29:ana") == [
        "All 20000 members of Everyone are in: I can pair them for coffee, run icebreakers "
        "and programs there now. Say `/help` to see what you can steer, and `/team welcome` "
        "to greet every member 1:1 (members who joined before me got only the channel post)."
    ]
    async with bot.db.unit() as repos:
        # Every member once, with what Teams said about them.
        users = await repos.session.scalar(select(func.count()).select_from(User))
        m7 = await repos.users.by_teams_id("29:m00007")
    assert users == 20_000 and (m7.name, m7.email) == ("Member 7", "m00007@contoso.com")


async def test_a_crash_mid_import_resumes_from_the_last_stored_page(settings, connector, clock):
    connector.set_roster(BIG.id, members(1203), BIG.name)  # three pages
    connector.latency = 0.2  # slow enough to crash between pages
    async with start_bot(settings, connector, clock) as first:
        await first.post(teams.bot_installed_in_team(first.service_url, ANA, BIG))
        while (await latest_import(first)).pages < 1:
            await asyncio.sleep(0.02)
        importer = first.server.app[ROSTER_KEY]
        importer._task.cancel()  # the process dies: no hand-back, the lease stays
        importer.stop = _nothing  # type: ignore[method-assign]
    stored = await _pages_of(settings)
    assert 1 <= stored < 3
    connector.latency = 0.0
    async with start_bot(settings, connector, clock) as second:
        await second.roster_settled(timeout=30)  # after the dead worker's lease (2 s)
        assert await active_members(second) == 1203
        job = await latest_import(second)
    assert (job.status, job.pages, job.members) == ("done", 3, 1203)
    first_pages = [c for c in page_calls(connector) if "continuationToken" not in c.query]
    assert len(first_pages) == 1, "the first page was read again after the crash"


async def test_an_expired_continuation_token_reads_from_the_first_page_again(bot):
    bot.connector.set_roster(BIG.id, members(1203), BIG.name)
    bot.connector.fail("/pagedmembers", status=400, query={"continuationToken": "1000"})
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, BIG))
    assert await active_members(bot) == 1203
    job = await latest_import(bot)
    assert job.status == "done" and job.last_error is None
    tokens = [c.query.get("continuationToken") for c in page_calls(bot.connector)]
    assert tokens == [None, "500", "1000", None, "500", "1000"]


async def test_teams_busy_is_retried_and_a_refusal_is_told_to_the_admins(bot):
    bot.connector.set_roster(BIG.id, members(700), BIG.name)
    bot.connector.fail("/pagedmembers", status=503, times=2)  # busy twice: tried again
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, BIG))
    assert await active_members(bot) == 700

    other = TeamsTeam("locked", "Locked")
    bot.connector.set_roster(other.id, members(3), other.name)
    bot.connector.fail("/pagedmembers", status=403)  # not allowed: for good
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, other))
    job = await latest_import(bot)
    assert job.status == "failed" and "403" in job.last_error
    await bot.settle()
    notes = bot.connector.texts("a:1on1-29:ana")
    assert any("could not read the member list of Locked" in t for t in notes)
    assert await active_members(bot, other.id) == 1  # the installer, a member at once


async def test_members_the_roster_no_longer_lists_have_left(bot):
    bot.connector.set_roster(BIG.id, members(600), BIG.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, BIG))
    assert await active_members(bot) == 600
    # Removed while the bot was away, then the app is added again: they are gone.
    await bot.send(teams.bot_removed_from_team(bot.service_url, ANA, BIG))
    bot.connector.set_roster(BIG.id, members(550), BIG.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, BIG))
    assert await active_members(bot) == 550
    async with bot.db.unit() as repos:
        left = await repos.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.active.is_(False))
        )
    assert left == 50


async def _nothing() -> None:
    return None


async def _pages_of(settings) -> int:
    from storage import Database

    db = Database(settings.database_url)
    try:
        async with db.unit() as repos:
            job = await repos.session.scalar(select(RosterImport))
            return job.pages
    finally:
        await db.dispose()
