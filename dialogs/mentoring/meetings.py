"""Meetings on the calendar for a mentor pair: "Find a time" reads both people's free/busy
for the next two weeks (Graph's getSchedule), offers three slots inside both working
hours (dialogs/core/slots.py), and the slot picked becomes one Outlook event with a Teams
meeting, organised by the mentor, optionally repeating at the program's cadence. The
booked card cancels or moves it.

Exactly one event: the booking row (mentorship + slot) is written while the mentorship
is locked, before Graph is asked, and Graph's `transactionId` carries the same key, so a
repeated click finds the row and a retried turn gets Graph's first event back. The event
id is committed before anyone is told. Without Graph, or when the tenant has not granted
Calendars.ReadBasic / Calendars.ReadWrite (recorded for `/graph status`), the pair gets
the Schedule deep link instead; a throttled or failing Graph changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.core import forms, outbox
from dialogs.core.graph import EventDraft, GraphError
from dialogs.core.links import handle, meeting_link
from dialogs.core.local_time import zone_name
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.core.slots import DAYS, Availability, free_slots
from dialogs.directory.store import record
from dialogs.mentoring.agreements import my_mentorship
from dialogs.mentoring.programs import CADENCES, CARDS
from storage.models import DirectoryEntry, Meeting, Mentorship, Program, User

FIND_ACTION = "meeting_find"
BOOK_ACTION = "meeting_book"
CANCEL_ACTION = "meeting_cancel"
MOVE_ACTION = "meeting_move"
LENGTH = timedelta(minutes=45)
HORIZON = timedelta(days=14)
STEP = timedelta(minutes=30)
LIVE = ("agreeing", "active")


class Pair:
    """A mentorship with its program, both people, and who is reading."""

    def __init__(
        self, mentorship: Mentorship, program: Program, mentor: User, mentee: User, me: User
    ) -> None:
        self.mentorship, self.program = mentorship, program
        self.mentor, self.mentee, self.me = mentor, mentee, me
        self.other = mentee if me.id == mentor.id else mentor
        self.zones: dict[int, str] = {}
        self.entries: dict[int, DirectoryEntry] = {}

    @property
    def addresses(self) -> list[str]:
        return [a for a in (handle(self.mentor), handle(self.mentee)) if a]

    @property
    def tenant(self) -> str:
        return self.mentor.tenant_id or self.mentee.tenant_id or ""


# --- finding a time --------------------------------------------------------------------
async def find_from_card(turn: Turn) -> None:
    """`meeting_find` (the agreement card, `mentoring`) and `meeting_move` (a booked card)."""
    mentorship = await my_mentorship(turn)
    if mentorship is not None:
        await offer(turn, mentorship, forms.row_id(turn.inbound.value.get("meeting")))


async def schedule(turn: Turn) -> None:
    """`schedule [name]`: slots with my mentor or mentee (the one named, when several)."""
    mine = [m for m in await turn.repos.programs.mentorships_of(turn.user.id) if m.status in LIVE]
    if not mine:
        turn.say("You have no mentorship to schedule. `join <program>` enrols you in one.")
        return
    name = turn.rest.strip().lstrip("@").lower()
    others = await turn.repos.users.by_ids(_other_id(m, turn.user.id) for m in mine)
    chosen = [m for m in mine if name in display(others.get(_other_id(m, turn.user.id))).lower()]
    if len(chosen) != 1:
        names = ", ".join(display(others.get(_other_id(m, turn.user.id))) for m in mine)
        turn.say(f"With whom? Type `schedule <name>`, one of: {names}.")
        return
    await offer(turn, chosen[0], None)


async def offer(turn: Turn, mentorship: Mentorship, move: int | None) -> None:
    if mentorship.status not in LIVE:
        turn.say("That mentorship has ended, so there is nothing to schedule.")
        return
    pair = await _pair(turn, mentorship)
    calendar = turn.env.calendar
    if calendar is None or len(pair.addresses) < 2 or not pair.mentor.aad_object_id:
        _fallback(turn, pair, "")
        return
    start, organizer, addresses = turn.now, pair.mentor.aad_object_id, pair.addresses
    turn.after_commit(  # free/busy is asked with no transaction open
        lambda: _outcome(calendar.get_schedule(organizer, addresses, start, start + HORIZON)),
        lambda later, busy: _offer_slots(later, mentorship.id, move, start, busy),
    )


async def _offer_slots(
    turn: Turn, mentorship_id: int, move: int | None, start: datetime, busy: Any
) -> None:
    mentorship = await turn.repos.programs.mentorship(mentorship_id)
    if mentorship is None:
        return
    pair = await _pair(turn, mentorship)
    if isinstance(busy, GraphError):
        await record(turn.repos, pair.tenant, "schedule", busy, turn.now)
        _fallback(turn, pair, _refusal(busy, "read your calendars"))
        return
    await record(turn.repos, pair.tenant, "schedule", None, turn.now)
    people = _availabilities(pair, busy)
    slots = free_slots(people, start, start + HORIZON, LENGTH, count=3, step=STEP)
    if not slots:
        _fallback(
            turn,
            pair,
            "I found no 45 minutes in the next two weeks when you both work and are free.",
        )
        return
    turn.result.show(_slots_card(pair, slots, move))


async def _outcome(call: Awaitable[Any]) -> Any:
    """A Graph call's value, or the GraphError it raised (handled after the commit)."""
    try:
        return await call
    except GraphError as exc:
        return exc


def _availabilities(pair: Pair, busy: dict[str, list[Any]]) -> list[Availability]:
    found = []
    for user in (pair.mentor, pair.mentee):
        blocks = tuple((b.start, b.end) for b in busy.get(handle(user) or "", []))
        found.append(_availability(pair.entries.get(user.id), pair.zones[user.id], blocks))
    return found


def _availability(
    entry: DirectoryEntry | None, zone: str, busy: tuple[tuple[datetime, datetime], ...]
) -> Availability:
    """Working hours from the directory; without them 09:00-17:00, Monday to Friday."""
    if entry is None or not (entry.work_start and entry.work_end):
        return Availability(zone, time(9), time(17), busy=busy)
    days = frozenset(d for d in entry.work_days if d in DAYS) or frozenset(DAYS[:5])
    return Availability(
        entry.work_zone or zone,
        time.fromisoformat(entry.work_start),
        time.fromisoformat(entry.work_end),
        days,
        busy,
    )


def _slots_card(pair: Pair, slots: list[datetime], move: int | None) -> dict[str, Any]:
    choices = [
        CARDS.part(
            "meeting_slot",
            title=_when(slot, pair.zones[pair.me.id]),
            mentorship=pair.mentorship.id,
            start=slot.isoformat(),
            meeting=move or 0,  # 0: a new booking; else the meeting this moves
        )
        for slot in slots
    ]
    theirs = "; ".join(_when(s, pair.zones[pair.other.id]) for s in slots)
    return CARDS.render(
        "meeting_slots",
        title=f"📅 {'Move your meeting' if move else 'Meet'} with {display(pair.other)}",
        hint="45 minutes when you both work and are free, in your time "
        f"({pair.zones[pair.me.id]}). For {display(pair.other)} that is {theirs} "
        f"({pair.zones[pair.other.id]}).",
        repeat=f"Repeat {CADENCES[pair.program.cadence]} until {pair.program.ends_on}",
        new=not move,
        slots=choices,
    )


def _fallback(turn: Turn, pair: Pair, why: str) -> None:
    """The Schedule deep link: Teams' own new-meeting form with both people."""
    link = meeting_link(pair.addresses, f"Mentoring ({pair.program.name})", "Our mentoring session")
    turn.result.show(
        CARDS.render(
            "meeting_link",
            text=(why + " " if why else "")
            + f"Pick a time with {display(pair.other)} in Teams' meeting form:",
            url=link,
        )
    )


# --- booking, moving, cancelling -------------------------------------------------------
async def book(turn: Turn) -> None:
    """`meeting_book`: the slot picked becomes the pair's one event (or moves it there)."""
    start = _slot(turn.inbound.value.get("start"), turn.now)
    mentorship = await my_mentorship(turn)
    if mentorship is None:
        return
    if start is None:
        turn.say("That time isn't one I offered (or it has passed). Nothing was booked.")
        return
    await turn.repos.programs.locked_mentorship(mentorship.id)  # one booking at a time
    if mentorship.status not in LIVE:
        turn.say("That mentorship has ended, so nothing was booked.")
        return
    pair = await _pair(turn, mentorship)
    if turn.env.calendar is None or not pair.mentor.aad_object_id:
        _fallback(turn, pair, "I can't write to calendars here.")
        return
    if not all(a.works(start, start + LENGTH) for a in _availabilities(pair, {})):
        turn.say("That time is outside your working hours or theirs. Nothing was booked.")
        return
    booked = await turn.repos.programs.booked_meeting(mentorship.id)
    if booked is not None and booked.starts_at == start:
        turn.say(f"That's booked already: {_when(start, pair.zones[pair.me.id])}. Nothing changed.")
        return
    if booked is not None and booked.id == forms.row_id(turn.inbound.value.get("meeting")):
        await _move(turn, pair, booked, start)
        return
    if booked is not None:
        turn.say(
            f"You already meet {_when(booked.starts_at, pair.zones[pair.me.id])}; cancel or "
            "move it from its card. Nothing was booked."
        )
        return
    await _create(turn, pair, start, turn.inbound.value.get("recurring") == "true")


async def _create(turn: Turn, pair: Pair, start: datetime, recurring: bool) -> None:
    repos, mentorship = turn.repos, pair.mentorship
    meeting = await repos.programs.meeting_at(mentorship.id, start)
    fresh = meeting is None
    if meeting is None:
        meeting = await repos.programs.add_meeting(
            Meeting(
                mentorship_id=mentorship.id,
                starts_at=start,
                minutes=int(LENGTH.total_seconds() // 60),
                recurring=recurring,
                organizer_aad=pair.mentor.aad_object_id or "",
                status="booking",
                attempt=1,
                created_at=turn.now,
                updated_at=turn.now,
            )
        )
    elif meeting.status != "booking":  # booked once and cancelled: a new event, a new key
        meeting.attempt, meeting.recurring, meeting.status = (
            meeting.attempt + 1,
            recurring,
            "booking",
        )
    # "booking" already (Outlook was slow last time): the same key, so Graph gives back
    # the event it may have made. The row is committed before Graph is asked.
    assert turn.env.calendar is not None
    calendar, organizer, draft = turn.env.calendar, meeting.organizer_aad, _draft(pair, meeting)
    meeting_id = meeting.id
    turn.after_commit(
        lambda: _outcome(calendar.create_event(organizer, draft)),
        lambda later, made: _booked(later, meeting_id, fresh, made),
    )


async def _booked(turn: Turn, meeting_id: int, fresh: bool, made: Any) -> None:
    """What Graph said about the new event, recorded; then both are told."""
    meeting = await turn.repos.programs.meeting(meeting_id)
    mentorship = await turn.repos.programs.mentorship(meeting.mentorship_id) if meeting else None
    if meeting is None or mentorship is None or meeting.status != "booking":
        return
    pair = await _pair(turn, mentorship)
    if isinstance(made, GraphError):
        await _unbook(turn, meeting, fresh)
        await record(turn.repos, pair.tenant, "events", made, turn.now)
        _fallback(turn, pair, _refusal(made, "put it on your calendars") + " Nothing was booked.")
        return
    meeting.event_id = made
    await record(turn.repos, pair.tenant, "events", None, turn.now)
    meeting.status, meeting.updated_at = "booked", turn.now
    await _announce(turn, pair, meeting, "booked")


async def _unbook(turn: Turn, meeting: Meeting, fresh: bool) -> None:
    """Graph said no: as if never pressed (the same key is used next time)."""
    if fresh:
        await turn.repos.session.delete(meeting)
    else:
        meeting.attempt, meeting.status = meeting.attempt - 1, "cancelled"


async def _move(turn: Turn, pair: Pair, meeting: Meeting, start: datetime) -> None:
    """Graph moves the event after the commit; the row follows when Graph said yes."""
    assert turn.env.calendar is not None
    calendar, organizer, event_id = turn.env.calendar, meeting.organizer_aad, meeting.event_id
    draft = replace(_draft(pair, meeting), start=start, end=start + LENGTH)
    meeting_id = meeting.id
    turn.after_commit(
        lambda: _outcome(calendar.update_event(organizer, event_id, draft)),
        lambda later, moved: _moved(later, meeting_id, start, moved),
    )


async def _moved(turn: Turn, meeting_id: int, start: datetime, moved: Any) -> None:
    meeting = await turn.repos.programs.meeting(meeting_id)
    mentorship = await turn.repos.programs.mentorship(meeting.mentorship_id) if meeting else None
    if meeting is None or mentorship is None or meeting.status != "booked":
        return
    pair = await _pair(turn, mentorship)
    if isinstance(moved, GraphError):
        await record(turn.repos, pair.tenant, "events", moved, turn.now)
        _fallback(turn, pair, _refusal(moved, "move it") + " Your meeting stays as it was.")
        return
    stale = await turn.repos.programs.meeting_at(pair.mentorship.id, start)
    if stale is not None and stale.id != meeting.id:  # a cancelled booking of that slot
        await turn.repos.session.delete(stale)
        await turn.repos.flush()
    meeting.starts_at, meeting.updated_at = start, turn.now
    await record(turn.repos, pair.tenant, "events", None, turn.now)
    await _announce(turn, pair, meeting, "moved")


async def cancel(turn: Turn) -> None:
    """`meeting_cancel`: the event is deleted from both calendars."""
    mentorship = await my_mentorship(turn)
    if mentorship is None:
        return
    await turn.repos.programs.locked_mentorship(mentorship.id)
    meeting = await turn.repos.programs.booked_meeting(mentorship.id)
    if meeting is None or meeting.id != forms.row_id(turn.inbound.value.get("meeting")):
        turn.say("That meeting isn't booked any more. Nothing changed.")
        return
    if turn.env.calendar is None:
        turn.say("I can't reach calendars right now. Nothing changed.")
        return
    calendar, organizer, event_id = turn.env.calendar, meeting.organizer_aad, meeting.event_id
    meeting_id = meeting.id
    turn.after_commit(  # deleted with no transaction open
        lambda: _outcome(calendar.delete_event(organizer, event_id)),
        lambda later, gone: _cancelled(later, meeting_id, gone),
    )


async def _cancelled(turn: Turn, meeting_id: int, gone: Any) -> None:
    meeting = await turn.repos.programs.meeting(meeting_id)
    mentorship = await turn.repos.programs.mentorship(meeting.mentorship_id) if meeting else None
    if meeting is None or mentorship is None or meeting.status != "booked":
        return
    pair = await _pair(turn, mentorship)
    if isinstance(gone, GraphError) and gone.status != 404:  # 404: deleted in Outlook already
        await record(turn.repos, pair.tenant, "events", gone, turn.now)
        turn.say(_refusal(gone, "cancel it") + " Your meeting stays on the calendars.")
        return
    meeting.status, meeting.updated_at = "cancelled", turn.now
    await _announce(turn, pair, meeting, "cancelled")


async def _announce(turn: Turn, pair: Pair, meeting: Meeting, what: str) -> None:
    """The partner hears it (queued in this unit of work), the clicker sees the card."""
    message = outbox.to_user(
        outbox.key(
            "meeting",
            meeting.id,
            what,
            meeting.attempt,
            user=pair.other.id,
            at=meeting.starts_at.strftime("%Y%m%dT%H%M"),
        ),
        pair.other.id,
        card=_booked_card(pair, meeting, what, pair.other, pair.me),
        team_id=pair.program.team_id,
    )
    turn.result.queued += await outbox.queue(turn.repos, message, turn.now)
    turn.result.show(_booked_card(pair, meeting, what, pair.me, pair.other))


def _booked_card(
    pair: Pair, meeting: Meeting, what: str, reader: User, other: User
) -> dict[str, Any]:
    when = _when(meeting.starts_at, pair.zones[reader.id])
    repeat = f", then {CADENCES[pair.program.cadence]}" if meeting.recurring else ""
    text = {
        "booked": f"Your meeting with {display(other)} is on both calendars: {when}{repeat}, "
        "with a Teams meeting link in the invite.",
        "moved": f"Your meeting with {display(other)} moved to {when}{repeat}.",
        "cancelled": f"Your meeting with {display(other)} on {when} is cancelled.",
    }[what]
    return CARDS.render(
        "meeting_booked",
        text=text,
        live=what != "cancelled",
        mentorship=pair.mentorship.id,
        meeting=meeting.id,
    )


# --- helpers ---------------------------------------------------------------------------
async def _pair(turn: Turn, mentorship: Mentorship) -> Pair:
    program = await turn.repos.programs.get(mentorship.program_id)
    people = await turn.repos.users.by_ids([mentorship.mentor_id, mentorship.mentee_id])
    assert program is not None
    pair = Pair(
        mentorship, program, people[mentorship.mentor_id], people[mentorship.mentee_id], turn.user
    )
    ids = [pair.mentor.id, pair.mentee.id]
    pair.entries = await turn.repos.directory.entries(ids)
    profile_zones = await turn.repos.profiles.zones_of(ids)
    for user in (pair.mentor, pair.mentee):  # the profile's, else the directory's, else Teams'
        entry = pair.entries.get(user.id)
        directory_zone = entry.timezone if entry is not None else None
        pair.zones[user.id] = zone_name(
            profile_zones.get(user.id), directory_zone, user.timezone_hint
        )
    return pair


def _draft(pair: Pair, meeting: Meeting) -> EventDraft:
    return EventDraft(
        subject=f"Mentoring: {display(pair.mentor)} and {display(pair.mentee)}",
        start=meeting.starts_at,
        end=meeting.starts_at + timedelta(minutes=meeting.minutes),
        attendees=tuple(pair.addresses),
        body=f"Your mentoring session in '{pair.program.name}', booked by Mentorbot.",
        transaction_id=f"mentorbot-{meeting.mentorship_id}-"
        f"{meeting.starts_at:%Y%m%dT%H%M}-{meeting.attempt}",
        recurrence=pair.program.cadence if meeting.recurring else "",
        until=pair.program.ends_on,
    )


def _slot(value: Any, now: datetime) -> datetime | None:
    """A submitted start: an aware time on the half-hour grid, within the next two weeks."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        return None
    if start.tzinfo is None or start.second or start.microsecond or start.minute % 30:
        return None
    start = start.astimezone(UTC)
    return start if now < start <= now + HORIZON + STEP else None


def _when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def _refusal(exc: GraphError, doing: str) -> str:
    if exc.permission:
        return (
            f"Your organisation hasn't let me {doing} (the app needs the permission "
            f"{exc.permission}; an admin sees it in `/graph status`)."
        )
    return f"Outlook didn't answer just now (Graph {exc.status}); please try again in a minute."


def _other_id(mentorship: Mentorship, me: int) -> int:
    return mentorship.mentee_id if mentorship.mentor_id == me else mentorship.mentor_id
