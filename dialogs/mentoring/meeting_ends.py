"""Calendar events that outlive their mentorship: when a pair ends (any way: `end
mentoring`, not a good fit, `/program close`, a run undone, `delete my data`) or a side
is no longer a member of the program's team, the event the bot booked for them is
cancelled if anything of it is still to come.

The decision is committed first (`booked` -> `cancelling`, in the sync worker's unit of
work or in the erasure's); bot/graph/meetings.py then deletes the event through Graph
outside any transaction, and records the outcome in a new one (`settle`). A row of an
erased pair is deleted once Graph confirms, so the organiser's Entra id goes with it.
Also the meetings' part of `my data` and `delete my data`, for mentor pairs and coffee
groups: an erased person's coffee meetings that they organised (the event lives in their
calendar) are cancelled the same way and their rows deleted; a group meeting someone else
organised stays for the others (it holds nothing of the erased person).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.core.i18n import catalog
from dialogs.core.members import active_in
from dialogs.core.people import display
from dialogs.core.router import DataPart, Turn
from storage.models import Meeting, Mentorship, Program
from storage.repos import Repos

_ = catalog(__package__)

LIVE = ("agreeing", "active")


def to_come(meeting: Meeting, program: Program, now: datetime) -> bool:
    """Whether any of it is still ahead: its start, or (repeating) the program's days."""
    return meeting.starts_at > now or (meeting.recurring and program.ends_on >= now.date())


async def mark_ended(repos: Repos, now: datetime) -> int:
    """Booked meetings of pairs that ended or lost a member, with something still to
    come: marked `cancelling` (the job bot/graph/meetings.py does after the commit)."""
    marked = 0
    for meeting, mentorship, program in await repos.programs.booked_with_pairs():
        if not to_come(meeting, program, now) or await _still_on(repos, mentorship, program):
            continue
        meeting.status, meeting.updated_at = "cancelling", now
        marked += 1
    return marked


async def _still_on(repos: Repos, mentorship: Mentorship, program: Program) -> bool:
    people = [mentorship.mentor_id, mentorship.mentee_id]
    return mentorship.status in LIVE and await active_in(repos, program.team_id, people)


async def settle(repos: Repos, meeting_id: int, now: datetime) -> None:
    """Graph says the event is gone (deleted now, or already): cancelled; the row of a
    pair ended by an erasure is deleted."""
    meeting = await repos.programs.meeting(meeting_id)
    if meeting is None or meeting.status != "cancelling":
        return
    ship_id = meeting.mentorship_id
    mentorship = await repos.programs.mentorship(ship_id) if ship_id is not None else None
    # A coffee group's meeting is only cancelled this way when its organiser was erased.
    if ship_id is None or (mentorship is not None and mentorship.end_kind == "erased"):
        await repos.session.delete(meeting)
        return
    meeting.status, meeting.updated_at = "cancelled", now


# --- my data ---------------------------------------------------------------------------
async def export(turn: Turn) -> list[dict[str, Any]]:
    rows = await turn.repos.programs.meetings_of(turn.user.id)
    groups = await turn.repos.programs.group_meetings_of(turn.user.id)
    people = await turn.repos.users.by_ids(
        {ms.mentor_id for _, ms in rows}
        | {ms.mentee_id for _, ms in rows}
        | {u for _, ids in groups for u in ids}
    )
    coffee = [
        {
            "starts_at": m.starts_at,
            "minutes": m.minutes,
            "repeats": m.recurring,
            "with": ", ".join(display(people.get(u)) for u in ids if u != turn.user.id),
            "status": m.status,
            "on_the_calendar": bool(m.event_id) and m.status in ("booked", "cancelling"),
            "coffee_chat": True,
        }
        for m, ids in groups
    ]
    return coffee + [
        {
            "starts_at": m.starts_at,
            "minutes": m.minutes,
            "repeats": m.recurring,
            "with": display(
                people.get(ms.mentee_id if ms.mentor_id == turn.user.id else ms.mentor_id)
            ),
            "status": m.status,
            "on_the_calendar": bool(m.event_id) and m.status in ("booked", "cancelling"),
        }
        for m, ms in rows
    ]


async def erase(turn: Turn) -> None:
    """Events still to come are cancelled through Graph after this commits (the row goes
    once Graph confirms); every other meeting row of theirs goes now."""
    for meeting, mentorship in await turn.repos.programs.meetings_of(turn.user.id):
        program = await turn.repos.programs.get(mentorship.program_id)
        upcoming = program is not None and to_come(meeting, program, turn.now)
        if meeting.status == "booked" and meeting.event_id and upcoming:
            meeting.status, meeting.updated_at = "cancelling", turn.now
        elif meeting.status != "cancelling":
            await turn.repos.session.delete(meeting)
    mine = turn.user.aad_object_id
    for meeting, _ in await turn.repos.programs.group_meetings_of(turn.user.id):
        if not mine or meeting.organizer_aad != mine or meeting.status == "cancelling":
            continue  # someone else's invite to the group: it stays theirs
        if meeting.status == "booked" and meeting.event_id and meeting.starts_at > turn.now:
            meeting.status, meeting.updated_at = "cancelling", turn.now
        else:
            await turn.repos.session.delete(meeting)


def summary(export: list[dict[str, Any]]) -> list[tuple[str, str]]:
    booked = sum(1 for m in export if m["on_the_calendar"])
    return [(_("Meetings on the calendar"), str(booked))] if export else []


DATA = DataPart("meetings", export, erase, summary)
