"""Profiles from the directory, end to end: a team installs the app, the roster comes in,
the directory sync reads Microsoft Graph (the fake, through msgraph-sdk) in delta pages
and $batch, and members' profiles show what came from the directory; a later delta round
picks up changes; matching never pairs a mentee with their manager; `/graph status`
names a missing permission and admins hear of it once. Both databases."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dialogs.mentoring.runs import run_matching
from storage.models import DirectoryEntry, Enrolment, MatchProposal, Mentorship, Program
from tests.fakes import teams
from tests.fakes.connector import Member
from tests.fakes.graph import FakeGraph, GraphUser
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
BIG = TeamsTeam("big", "Everyone")
PAGE = 200
PROFILE = {
    "action": "profile_save",
    "role": "mentee",
    "timezone": "Europe/Berlin",
    "meeting_format": "video",
    "meetings_per_month": "2",
    "languages": "",
    "department": "typed by hand",
}


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(page_size=PAGE)
    await fake.start()
    yield fake
    await fake.close()


def roster(count: int) -> list[Member]:
    return [ANA.member()] + [
        Member(f"29:m{i:05d}", f"Member {i}", f"aad-m{i:05d}", f"m{i:05d}@contoso.com")
        for i in range(count - 1)
    ]


def directory(graph: FakeGraph, members: list[Member], others: int = 0) -> None:
    """Everyone in the tenant: the team's members (the first one manages the next ten
    and so on) and people in no team of the bot's."""
    for n, m in enumerate(members):
        boss = members[(n // 10) * 10].aad_object_id if n % 10 else None
        graph.add(
            GraphUser(
                m.aad_object_id,
                department=f"Dept {n % 7}",
                job_title=f"Engineer {n % 3}",
                office=f"Building {n % 4}",
                language="de-DE" if n % 2 else "en-US",
                manager=boss,
                zone="Eastern Standard Time" if n % 5 == 1 else "W. Europe Standard Time",
            )
        )
    for i in range(others):
        graph.add(GraphUser(f"aad-outsider{i}", department="Elsewhere"))


async def synced(bot: Any, expected: int, timeout: float = 120.0) -> None:
    """Wait until `expected` entries have their mailbox settings read."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.db.unit() as repos:
            stmt = select(func.count()).select_from(DirectoryEntry)
            done = await repos.session.scalar(stmt.where(DirectoryEntry.mailbox_at.is_not(None)))
        if done >= expected:
            await asyncio.sleep(0.2)  # let the worker finish its round (it notes success last)
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"only {done} of {expected} entries synced")
        await asyncio.sleep(0.05)


async def entry_of(bot: Any, aad: str) -> DirectoryEntry:
    async with bot.db.unit() as repos:
        found = await repos.session.scalar(
            select(DirectoryEntry).where(DirectoryEntry.aad_object_id == aad)
        )
        assert found is not None, aad
        return found


def facts(message: Any) -> dict[str, str]:
    card = message.cards[-1]
    return {
        f["title"]: f["value"]
        for item in card["body"]
        if item["type"] == "FactSet"
        for f in item["facts"]
    }


async def test_install_in_a_team_of_1203_fills_profiles_in_batches(gbot, graph):
    members = roster(1203)
    directory(graph, members, others=297)
    gbot.connector.set_roster(BIG.id, members, BIG.name)
    await gbot.send(teams.bot_installed_in_team(gbot.service_url, ANA, BIG))
    await synced(gbot, 1203)

    async with gbot.db.unit() as repos:
        count = await repos.session.scalar(select(func.count()).select_from(DirectoryEntry))
    assert count == 1203  # nobody outside the bot's teams is kept
    delta_pages = math.ceil(1500 / PAGE)
    batches = graph.top_level(r"^/\$batch")
    assert len(graph.top_level(r"^/users/delta")) == delta_pages
    assert len(batches) == math.ceil(1203 / 20)
    assert all(len(b.body["requests"]) <= 20 for b in batches)
    assert len(graph.top_level()) == delta_pages + math.ceil(1203 / 20)
    assert len(graph.sub_requests(r"/mailboxSettings$")) == 1203

    m1 = await entry_of(gbot, "aad-m00000")  # the roster's second person: n == 1
    assert (m1.department, m1.job_title, m1.office) == ("Dept 1", "Engineer 1", "Building 1")
    assert m1.manager_aad_id == ANA.aad and m1.language == "de-DE"
    assert m1.timezone == "America/New_York" and m1.work_zone == "America/New_York"
    assert (m1.work_start, m1.work_end, m1.work_days[0]) == ("09:00", "17:00", "monday")
    ana = await entry_of(gbot, ANA.aad)
    assert ana.manager_aad_id == "" and ana.timezone == "Europe/Berlin"

    # Ana's profile: what she typed, with the directory's department, and marked so.
    await gbot.send(teams.card_submit(gbot.service_url, ANA, PROFILE))
    await gbot.send(teams.personal_message(gbot.service_url, ANA, "profile"))
    shown = facts(gbot.connector.calls[-1])
    assert shown["Department"] == "Dept 0 (from the directory)"
    assert shown["Time zone"] == "Berlin, Germany (UTC+1) (from the directory)"
    assert shown["Job title"] == "Engineer 0 (from the directory)"
    assert shown["Office"] == "Building 0 (from the directory)"
    assert shown["Working hours"] == "Mon-Fri 09:00-17:00 (Europe/Berlin) (from the directory)"
    assert "Manager" not in shown


async def test_a_delta_round_picks_up_changes_and_corrections_stay(gbot, graph, clock):
    members = roster(30)
    directory(graph, members)
    gbot.connector.set_roster(BIG.id, members, BIG.name)
    await gbot.send(teams.bot_installed_in_team(gbot.service_url, ANA, BIG))
    await synced(gbot, 30)
    await gbot.send(teams.card_submit(gbot.service_url, ANA, PROFILE | {"timezone": "Asia/Tokyo"}))
    before = len(graph.top_level())

    graph.change("aad-m00004", department="Sales", manager="aad-m00020")
    graph.change(ANA.aad, department="Research", zone="GMT Standard Time")
    clock.advance(hours=25)
    await _sync_again(gbot)

    rounds = graph.top_level(r"^/users/delta")[-1:]
    assert "$deltatoken" in rounds[0].path  # changes only, one page
    assert len(graph.top_level()) == before + 1
    m4 = await entry_of(gbot, "aad-m00004")
    assert (m4.department, m4.manager_aad_id) == ("Sales", "aad-m00020")
    ana = await entry_of(gbot, ANA.aad)
    assert ana.department == "Research" and ana.zone_by_person
    async with gbot.db.unit() as repos:
        profile = await repos.profiles.get(ana.user_id)
    assert (profile.department, profile.timezone) == ("Research", "Asia/Tokyo")
    await gbot.send(teams.personal_message(gbot.service_url, ANA, "profile"))
    shown = facts(gbot.connector.calls[-1])
    assert shown["Department"] == "Research (from the directory)"
    assert shown["Time zone"] == "Tokyo, Japan (UTC+9)"  # her correction, not the directory's

    # Someone who leaves the team is not kept in the directory entries.
    gone = TeamsUser("m00009", "Member 9")
    await gbot.send(teams.members_removed(gbot.service_url, BIG, gone))
    await _sync_again(gbot)
    async with gbot.db.unit() as repos:
        left = await repos.session.scalar(
            select(DirectoryEntry).where(DirectoryEntry.aad_object_id == "aad-m00009")
        )
        count = await repos.session.scalar(select(func.count()).select_from(DirectoryEntry))
    assert left is None and count == 29


async def _sync_again(bot: Any) -> None:
    from app import DIRECTORY_KEY

    await bot.server.app[DIRECTORY_KEY].run_once()


async def test_matching_never_pairs_a_mentee_with_their_manager(gbot, graph, clock):
    boss, other, report = (TeamsUser(k, k.title()) for k in ("boss", "other", "report"))
    people = [ANA, boss, other, report]
    for p in people:
        graph.add(GraphUser(p.aad, department="Same", manager=boss.aad if p is report else None))
    gbot.connector.set_roster(BIG.id, [p.member() for p in people], BIG.name)
    await gbot.send(teams.bot_installed_in_team(gbot.service_url, ANA, BIG))
    await synced(gbot, 4)
    now = gbot.now()
    async with gbot.db.unit() as repos:
        users = await repos.users.by_teams_ids(p.id for p in people)
        team = await repos.teams.by_team_id(BIG.id)
        for p, skills in ((boss, ["python", "sql"]), (other, ["cooking"]), (report, [])):
            role = "mentee" if p is report else "mentor"
            values = {
                "role": role,
                "timezone": "UTC",
                "meeting_format": "any",
                "meetings_per_month": 2,
                "skills_offer": skills,
                "skills_want": ["python", "sql"] if p is report else [],
                "goals": "",
                "interests": [],
                "department": "Same",
                "location": "",
                "languages": [],
            }
            await repos.profiles.save(users[p.id].id, values, now)
        program = await repos.programs.add(_program(team.id, now))
        for p in (boss, other, report):
            repos.programs.add_enrolment(_enrolment(program.id, users[p.id].id, now, p is report))
    async with gbot.db.unit() as repos:
        program = await repos.session.get(Program, program.id)
        result = await run_matching(repos, program, now)
        proposals = list(await repos.session.scalars(select(MatchProposal)))
        live = list(await repos.session.scalars(select(Mentorship)))
    pairs = {(p.mentor_id, p.mentee_id) for p in proposals} | {
        (m.mentor_id, m.mentee_id) for m in live
    }
    assert result.matched + result.suggested + result.proposed == 1
    assert pairs == {(users[other.id].id, users[report.id].id)}


def _program(team_id: int, now) -> Program:
    return Program(
        team_id=team_id,
        name="Spring",
        status="open",
        objectives=["skills"],
        focus_areas=[],
        starts_on=now.date(),
        ends_on=now.date() + timedelta(days=300),
        cadence="biweekly",
        capacity=2,
        mode="automatic",
        agreement="",
        resources_mentors=[],
        resources_mentees=[],
        created_at=now,
        updated_at=now,
    )


def _enrolment(program_id: int, user_id: int, now, mentee: bool) -> Enrolment:
    return Enrolment(
        program_id=program_id,
        user_id=user_id,
        role="mentee" if mentee else "mentor",
        wants="",
        active=True,
        priority=False,
        created_at=now,
        updated_at=now,
    )


async def test_graph_status_names_the_missing_permission_and_admins_hear_once(gbot, graph, clock):
    members = roster(5)
    directory(graph, members)
    graph.fail(r"/mailboxSettings$", 403, times=10_000)
    gbot.connector.set_roster(BIG.id, members, BIG.name)
    await gbot.send(teams.bot_installed_in_team(gbot.service_url, ANA, BIG))
    await _until_state(gbot, "mailbox", "missing")
    asked = len(graph.top_level(r"^/\$batch"))
    await _sync_again(gbot)  # a missing permission is not asked about at every pass
    assert len(graph.top_level(r"^/\$batch")) == asked
    clock.advance(hours=25)
    await _sync_again(gbot)  # asked again a day later, refused again: not told again
    assert len(graph.top_level(r"^/\$batch")) == asked + 1
    await gbot.settle()
    said = gbot.connector.texts("a:1on1-29:ana")
    told = [t for t in said if "MailboxSettings.Read" in t]
    assert len(told) == 1 and "time zone, working hours and language" in told[0]

    replies = await gbot.send(teams.channel_message(gbot.service_url, ANA, BIG, "/graph status"))
    text = "\n".join(replies)
    assert "Department, job title, office and manager: working" in text
    assert "missing the application permission **MailboxSettings.Read**" in text
    assert "A group chat per coffee group or mentor pair: not tried yet" in text

    graph.faults.clear()
    clock.advance(hours=25)
    await _sync_again(gbot)
    replies = await gbot.send(teams.channel_message(gbot.service_url, ANA, BIG, "/graph status"))
    assert "Time zone, working hours and language: working" in "\n".join(replies)


async def _until_state(bot: Any, feature: str, state: str, timeout: float = 30.0) -> None:
    from storage.models import GraphFeature

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.db.unit() as repos:
            row = await repos.session.scalar(
                select(GraphFeature).where(GraphFeature.feature == feature)
            )
        if row is not None and row.state == state:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{feature} never became {state}")
        await asyncio.sleep(0.05)


async def test_graph_status_without_graph_says_how_to_connect(bot):
    bot.connector.set_roster(BIG.id, [ANA.member()], BIG.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, BIG))
    replies = await bot.send(teams.channel_message(bot.service_url, ANA, BIG, "/graph status"))
    assert "Microsoft Graph is not connected" in "\n".join(replies)


async def test_graph_status_is_for_admins(gbot, graph):
    bea = TeamsUser("bea", "Bea")
    gbot.connector.set_roster(BIG.id, [ANA.member(), bea.member()], BIG.name)
    await gbot.send(teams.bot_installed_in_team(gbot.service_url, ANA, BIG))
    replies = await gbot.send(teams.channel_message(gbot.service_url, bea, BIG, "/graph status"))
    assert replies and "Microsoft Graph in" not in "\n".join(replies)


async def test_throttling_5xx_and_deleted_users_lose_nothing(gbot, graph):
    members = roster(60)
    directory(graph, members)
    graph.change("aad-m00007", deleted=True)  # listed by Teams, gone from the directory
    graph.fail(r"^/users/delta", 503, retry_after=0)
    graph.fail(r"^/\$batch", 429, retry_after=0)
    graph.fail(r"/users/aad-m00011/mailboxSettings$", 429, times=2, retry_after=0)
    graph.fail(r"/users/aad-m00012/mailboxSettings$", 503, retry_after=0)
    gbot.connector.set_roster(BIG.id, members, BIG.name)
    await gbot.send(teams.bot_installed_in_team(gbot.service_url, ANA, BIG))
    await synced(gbot, 59)
    async with gbot.db.unit() as repos:
        entries = list(await repos.session.scalars(select(DirectoryEntry)))
    assert len(entries) == 60
    removed = [e for e in entries if e.removed_at is not None]
    assert [e.aad_object_id for e in removed] == ["aad-m00007"]
    live = [e for e in entries if e.removed_at is None]
    assert all(e.mailbox_at is not None and e.timezone for e in live)
    m11 = await entry_of(gbot, "aad-m00011")
    assert m11.department == "Dept 5" and m11.work_start == "09:00"  # roster place 12
    statuses = [c.status for c in graph.sub_requests(r"aad-m00011/mailboxSettings$")]
    assert statuses == [429, 429, 200]
