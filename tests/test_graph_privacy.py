"""Graph and privacy, end to end over HTTP with the fake Graph, on both databases:
job title changes from the directory count in the outcomes' career change only for
people who agreed in their profile (and only theirs are kept); `my data` shows what the
bot keeps of its Graph work (title history, meetings, group chats) and `delete my data`
removes it; ending a mentorship (or leaving, or erasure) cancels its future calendar
event through Graph once, after the change is committed."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from storage.models import DirectoryEntry, Enrolment, GroupChat, JobTitleChange, Meeting, Program
from tests import goalkit as kit
from tests import test_graph_meetings as meetings_kit
from tests.fakes import teams
from tests.fakes.graph import FakeGraph, GraphUser
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
TEAM = TeamsTeam("grow", "Growth")
MENTEES = [TeamsUser(k, k.title()) for k in ("bea", "cal", "dan", "eve")]
AGREED = MENTEES[:3]  # Eve leaves the toggle off
PROFILE = {
    "action": "profile_save",
    "role": "mentee",
    "timezone": "Europe/Berlin",
    "meeting_format": "video",
    "meetings_per_month": "2",
    "languages": "",
}


async def sync(bot: Any) -> None:
    from app import DIRECTORY_KEY

    await bot.server.app[DIRECTORY_KEY].run_once()


async def until_entries(bot: Any, expected: int, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.db.unit() as repos:
            stmt = select(func.count()).select_from(DirectoryEntry)
            done = await repos.session.scalar(stmt.where(DirectoryEntry.mailbox_at.is_not(None)))
        if done >= expected:
            await asyncio.sleep(0.2)
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"only {done} of {expected} entries synced")
        await asyncio.sleep(0.05)


def facts_of(card: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") == "FactSet":
                found.update({f["title"]: f["value"] for f in item["facts"]})
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(card)
    return found


async def my_data_file(bot: Any, person: TeamsUser) -> dict[str, Any]:
    await bot.send(teams.personal_message(bot.service_url, person, "my data"))
    card = bot.connector.calls[-1].cards[-1]
    url = card["actions"][0]["url"]
    async with bot.session.get(bot.url + "/exports/" + url.rsplit("/exports/", 1)[1]) as resp:
        assert resp.status == 200
        return json.loads(await resp.text())


async def histories(bot: Any) -> dict[int, list[tuple[str, str]]]:
    async with bot.db.unit() as repos:
        rows = list(await repos.session.scalars(select(JobTitleChange)))
    found: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).append((row.old_title, row.new_title))
    return found


async def install_with_directory(bot: Any, graph: FakeGraph) -> dict[str, int]:
    people = [ANA, *MENTEES]
    for p in people:
        graph.add(GraphUser(p.aad, department="Data", job_title="Analyst"))
    bot.connector.set_roster(TEAM.id, [p.member() for p in people], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))
    await until_entries(bot, len(people))
    async with bot.db.unit() as repos:
        users = await repos.users.by_teams_ids(p.id for p in people)
    return {p.id: users[p.id].id for p in people}


async def test_title_changes_count_only_for_people_who_agreed(gbot, graph, clock):
    ids = await install_with_directory(gbot, graph)
    for person in MENTEES:  # asked in the profile form, off unless turned on
        agreed = {"title_history": "true"} if person in AGREED else {}
        await gbot.send(teams.card_submit(gbot.service_url, person, PROFILE | agreed))
    await gbot.send(teams.personal_message(gbot.service_url, MENTEES[0], "profile"))
    shown = facts_of(gbot.connector.calls[-1].cards[-1])
    assert shown["Job title changes in program outcomes"] == "counted (in totals only)"
    await _program_with(gbot, [ids[p.id] for p in MENTEES])

    clock.advance(hours=25)
    for person in MENTEES:
        graph.change(person.aad, job_title="Senior Analyst")
    await sync(gbot)

    entry = await _entry(gbot, ids[MENTEES[3].id])
    assert entry.job_title == "Senior Analyst"  # the directory's value is still shown
    kept = await histories(gbot)
    assert kept == {ids[p.id]: [("Analyst", "Senior Analyst")] for p in AGREED}

    report = await _report(gbot)
    assert report["Career change"] == "100% (3 mentees: 0 reported, 3 from the directory)"

    exported = await my_data_file(gbot, MENTEES[0])
    (change,) = exported["directory"]["job_title_changes"]
    assert (change["old_title"], change["new_title"]) == ("Analyst", "Senior Analyst")
    assert exported["profile"]["title_history"] is True
    assert (await my_data_file(gbot, MENTEES[3]))["directory"]["job_title_changes"] == []

    # Turning it off forgets the history at once; the figure falls under k.
    await gbot.send(teams.card_submit(gbot.service_url, MENTEES[0], PROFILE))
    assert ids[MENTEES[0].id] not in await histories(gbot)
    assert (await _report(gbot))["Career change"] == "fewer than 3 answers"


async def _entry(bot: Any, user_id: int) -> DirectoryEntry:
    async with bot.db.unit() as repos:
        found = await repos.directory.get(user_id)
    assert found is not None
    return found


async def _report(bot: Any) -> dict[str, str]:
    said = await bot.send(teams.personal_message(bot.service_url, ANA, "/program report Spring"))
    assert bot.connector.calls[-1].cards, said
    return facts_of(bot.connector.calls[-1].cards[-1])


async def _program_with(bot: Any, mentees: list[int]) -> Program:
    now = bot.now()
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        program = await repos.programs.add(
            Program(
                team_id=team.id,
                name="Spring",
                status="open",
                objectives=["career"],
                focus_areas=[],
                starts_on=now.date(),
                ends_on=now.date() + timedelta(days=120),
                cadence="biweekly",
                capacity=2,
                mode="automatic",
                agreement="",
                resources_mentors=[],
                resources_mentees=[],
                created_at=now,
                updated_at=now,
            )
        )
        for user_id in mentees:
            repos.programs.add_enrolment(
                Enrolment(
                    program_id=program.id,
                    user_id=user_id,
                    role="mentee",
                    wants="",
                    active=True,
                    priority=False,
                    created_at=now,
                    updated_at=now,
                )
            )
    return program


# --- meetings: cancelled when their mentorship ends, in my data, erased ------------------
async def booked(bot: Any, graph: FakeGraph) -> int:
    """Mia and Tom's mentorship with one event booked on both calendars."""
    await meetings_kit.paired(bot, graph)
    await kit.say(bot, kit.MENTOR, "schedule")
    _card, offered = meetings_kit.slots_of(bot, kit.MENTOR)
    await kit.submit(bot, kit.MENTOR, offered[0])
    assert len(graph.events) == 1
    async with bot.db.unit() as repos:
        (meeting,) = list(await repos.session.scalars(select(Meeting)))
    assert meeting.status == "booked"
    return meeting.id


def deletes(graph: FakeGraph) -> list[Any]:
    return [c for c in graph.calls if c.method == "DELETE"]


async def status_of(bot: Any, meeting_id: int) -> str | None:
    async with bot.db.unit() as repos:
        found = await repos.session.get(Meeting, meeting_id)
    return found.status if found is not None else None


async def test_ending_a_mentorship_cancels_its_event_once_after_the_commit(gbot, graph):
    meeting_id = await booked(gbot, graph)
    mine = (await my_data_file(gbot, kit.MENTEE))["meetings"]
    assert [(m["with"], m["status"], m["on_the_calendar"]) for m in mine] == [
        (kit.MENTOR.name, "booked", True)
    ]

    assert "ended" in await kit.say(gbot, kit.MENTEE, "end mentoring")
    assert deletes(graph) == []  # not inside the turn
    await sync(gbot)
    assert len(deletes(graph)) == 1 and graph.events == {}
    assert await status_of(gbot, meeting_id) == "cancelled"
    await sync(gbot)  # once: nothing left to cancel
    assert len(deletes(graph)) == 1


async def test_an_event_deleted_in_outlook_already_counts_as_cancelled(gbot, graph):
    meeting_id = await booked(gbot, graph)
    graph.events.clear()  # someone deleted it in Outlook
    await kit.say(gbot, kit.MENTOR, "end mentoring")
    await sync(gbot)
    assert len(deletes(graph)) == 1  # answered 404
    assert await status_of(gbot, meeting_id) == "cancelled"


async def test_erasure_cancels_the_event_and_leaves_no_meeting_row(gbot, graph, clock):
    meeting_id = await booked(gbot, graph)
    graph.fail(r"/events/", 403, times=1, method="DELETE")
    await kit.say(gbot, kit.MENTOR, "delete my data")
    await kit.submit(gbot, kit.MENTOR, {"action": "delete_data_confirm"})
    assert await status_of(gbot, meeting_id) == "cancelling"  # committed before Graph
    await sync(gbot)
    await sync(gbot)  # a refusal is asked again once per sync interval, not each pass
    assert len(deletes(graph)) == 1 and len(graph.events) == 1
    await gbot.settle()
    told = [t for t in gbot.connector.texts() if "Calendars.ReadWrite" in t]
    assert len(told) == 1  # the admin, once

    clock.advance(hours=25)
    await sync(gbot)
    assert len(deletes(graph)) == 2 and graph.events == {}
    assert await status_of(gbot, meeting_id) is None  # the row went with her data
    async with gbot.db.unit() as repos:
        rows = (await repos.session.execute(text("SELECT * FROM meetings"))).all()
        chats = list(await repos.session.scalars(select(GroupChat)))
    assert rows == [] and chats == []
    assert "meetings" in await my_data_file(gbot, kit.MENTEE)
