"""Meetings on the calendar for a mentor pair or a coffee group: "Find a time" reads
everyone's free/busy for the next two weeks (Graph's getSchedule), offers three slots
inside all their working hours (dialogs/core/slots.py), and the slot picked becomes one
Outlook event with a Teams meeting, organised by the mentor (a group's first member),
for a pair optionally repeating at the program's cadence. The booked card cancels or
moves it. Every card names its pair (`mentorship`) or its coffee group (`group`).

Exactly one event: the booking row (mentorship or group + slot) is written while the
mentorship (the group) is locked and committed before Graph is asked, and Graph's
`transactionId` carries the same key, so a repeated click finds the row and a retried turn
gets Graph's first event back. Every Graph call (free/busy, create, move, cancel) runs after
the turn's commit with no transaction open (`Turn.after_commit`); what Graph answered is
recorded in a new unit of work, and the event id is committed before anyone is told.
Without Graph, or when the tenant has not granted Calendars.ReadBasic /
Calendars.ReadWrite (recorded for `/graph status`), they get the Schedule deep link
instead; a throttled or failing Graph changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.core import forms, i18n, members, outbox
from dialogs.core.graph import EventDraft, GraphError
from dialogs.core.i18n import N_, catalog
from dialogs.core.links import handle, meeting_link
from dialogs.core.local_time import zone_name
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.core.slots import DAYS, Availability, free_slots
from dialogs.directory.store import record
from dialogs.mentoring.agreements import and_list, language_for, my_mentorship
from dialogs.mentoring.programs import CADENCES, CARDS
from storage.models import DirectoryEntry, Meeting, Mentorship, PairGroup, Program, Team, User

_ = catalog(__package__)

FIND_ACTION = "meeting_find"
BOOK_ACTION = "meeting_book"
CANCEL_ACTION = "meeting_cancel"
MOVE_ACTION = "meeting_move"
LENGTH = timedelta(minutes=45)
HORIZON = timedelta(days=14)
STEP = timedelta(minutes=30)
LIVE = ("agreeing", "active")


class Party:
    """Who meets: a mentor pair (`mentorship`, `program`) or a coffee group (`group`),
    the organiser first, and who is reading."""

    def __init__(
        self,
        people: list[User],
        me: User,
        team: Team,
        *,
        mentorship: Mentorship | None = None,
        program: Program | None = None,
        group: PairGroup | None = None,
    ) -> None:
        self.people, self.me, self.team = people, me, team
        self.mentorship, self.program, self.group = mentorship, program, group
        self.others = [u for u in people if u.id != me.id]
        self.zones: dict[int, str] = {}
        self.entries: dict[int, DirectoryEntry] = {}

    @property
    def organizer(self) -> User:
        return self.people[0]

    @property
    def addresses(self) -> list[str]:
        return [a for a in (handle(u) for u in self.people) if a]

    @property
    def tenant(self) -> str:
        return next((u.tenant_id for u in self.people if u.tenant_id), self.team.tenant_id or "")

    @property
    def live(self) -> bool:
        return self.mentorship is None or self.mentorship.status in LIVE

    @property
    def owner(self) -> dict[str, int]:
        """What its cards carry: the mentorship or the group (the other one 0)."""
        return {
            "mentorship": self.mentorship.id if self.mentorship else 0,
            "group": self.group.id if self.group else 0,
        }

    @property
    def mine(self) -> dict[str, Any]:
        """The meeting queries' arguments: this pair's meetings or this group's."""
        if self.group is not None:
            return {"mentorship_id": None, "group_id": self.group.id}
        assert self.mentorship is not None
        return {"mentorship_id": self.mentorship.id}

    @property
    def key(self) -> str:
        """The owner part of Graph's transactionId (a pair's as it always was)."""
        return f"coffee{self.group.id}" if self.group else str(self.owner["mentorship"])

    @property
    def topic(self) -> str:
        if self.program is not None:
            return _("Mentoring ({program})", program=self.program.name)
        return _("Coffee chat ({team})", team=self.team.name or _("your team"))

    @property
    def cadence(self) -> str:
        """A pair's meetings may repeat at the program's cadence; a group's do not."""
        return self.program.cadence if self.program is not None else ""

    def zone(self, user: User) -> str:
        return self.zones[user.id]


# --- finding a time --------------------------------------------------------------------
async def find_from_card(turn: Turn) -> None:
    """`meeting_find` (the agreement card, `mentoring`, a coffee intro) and
    `meeting_move` (a booked card)."""
    party = await _party_from_card(turn)
    if party is not None:
        await offer(turn, party, forms.row_id(turn.inbound.value.get("meeting")))


async def schedule(turn: Turn) -> None:
    """`schedule [name]`: slots with my mentor or mentee (the one named, when several)."""
    mine = [m for m in await turn.repos.programs.mentorships_of(turn.user.id) if m.status in LIVE]
    if not mine:
        turn.say(_("You have no mentorship to schedule. `join <program>` enrols you in one."))
        return
    name = turn.rest.strip().lstrip("@").lower()
    others = await turn.repos.users.by_ids(_other_id(m, turn.user.id) for m in mine)
    chosen = [m for m in mine if name in display(others.get(_other_id(m, turn.user.id))).lower()]
    if len(chosen) != 1:
        names = ", ".join(display(others.get(_other_id(m, turn.user.id))) for m in mine)
        turn.say(_("With whom? Type `schedule <name>`, one of: {names}.", names=names))
        return
    party = await _pair(turn, chosen[0])
    await offer(turn, party, None)


async def offer(turn: Turn, party: Party, move: int | None) -> None:
    if not party.live:
        turn.say(_("That mentorship has ended, so there is nothing to schedule."))
        return
    calendar = turn.env.calendar
    if calendar is None or len(party.addresses) < len(party.people):
        _fallback(turn, party, "")
        return
    if not party.organizer.aad_object_id:
        _fallback(turn, party, "")
        return
    start, organizer, addresses, owner = (
        turn.now,
        party.organizer.aad_object_id,
        party.addresses,
        party.owner,
    )
    turn.after_commit(  # free/busy is asked with no transaction open
        lambda: _outcome(calendar.get_schedule(organizer, addresses, start, start + HORIZON)),
        lambda later, busy: _offer_slots(later, owner, move, start, busy),
    )


async def _offer_slots(
    turn: Turn, owner: dict[str, int], move: int | None, start: datetime, busy: Any
) -> None:
    party = await _party_of(turn, owner)
    if party is None:
        return
    if isinstance(busy, GraphError):
        await record(turn.repos, party.tenant, "schedule", busy, turn.now)
        _fallback(turn, party, _refusal(busy, READ))
        return
    await record(turn.repos, party.tenant, "schedule", None, turn.now)
    people = _availabilities(party, busy)
    slots = free_slots(people, start, start + HORIZON, LENGTH, count=3, step=STEP)
    if not slots:
        _fallback(
            turn,
            party,
            _("I found no 45 minutes in the next two weeks when you both work and are free.")
            if len(party.people) == 2
            else _("I found no 45 minutes in the next two weeks when you all work and are free."),
        )
        return
    turn.result.show(_slots_card(party, slots, move))


async def _outcome(call: Awaitable[Any]) -> Any:
    """A Graph call's value, or the GraphError it raised (handled after the commit)."""
    try:
        return await call
    except GraphError as exc:
        return exc


def _listed(users: list[User]) -> str:
    """Names in plain words, in the language in force (people.listed in English)."""
    return and_list([display(u) for u in users])


def _availabilities(party: Party, busy: dict[str, list[Any]]) -> list[Availability]:
    found = []
    for user in party.people:
        blocks = tuple((b.start, b.end) for b in busy.get(handle(user) or "", []))
        found.append(_availability(party.entries.get(user.id), party.zone(user), blocks))
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


def _slots_card(party: Party, slots: list[datetime], move: int | None) -> dict[str, Any]:
    choices = [
        CARDS.part(
            "meeting_slot",
            title=_when(slot, party.zone(party.me)),
            start=slot.isoformat(),
            meeting=move or 0,  # 0: a new booking; else the meeting this moves
            **party.owner,
        )
        for slot in slots
    ]
    theirs = " ".join(
        _(
            "For {name} that is {times} ({zone}).",
            name=display(o),
            times="; ".join(_when(s, party.zone(o)) for s in slots),
            zone=party.zone(o),
        )
        for o in party.others
    )
    program = party.program
    others = _listed(party.others)
    hint = (
        _(
            "45 minutes when you both work and are free, in your time ({zone}). {theirs}",
            zone=party.zone(party.me),
            theirs=theirs,
        )
        if len(party.people) == 2
        else _(
            "45 minutes when you all work and are free, in your time ({zone}). {theirs}",
            zone=party.zone(party.me),
            theirs=theirs,
        )
    )
    return CARDS.render(
        "meeting_slots",
        title=_("📅 Move your meeting with {names}", names=others)
        if move
        else _("📅 Meet with {names}", names=others),
        hint=hint,
        repeat=_(
            "Repeat {cadence} until {end}",
            cadence=_(CADENCES[program.cadence]),
            end=program.ends_on,
        )
        if program
        else "",
        new=not move and program is not None,
        slots=choices,
    )


def _fallback(turn: Turn, party: Party, why: str) -> None:
    """The Schedule deep link: Teams' own new-meeting form with everyone."""
    first = _("Our mentoring session") if party.program else _("Our coffee chat")
    link = meeting_link(party.addresses, party.topic, first)
    turn.result.show(
        CARDS.render(
            "meeting_link",
            text=(why + " " if why else "")
            + _("Pick a time with {names} in Teams' meeting form:", names=_listed(party.others)),
            url=link,
        )
    )


# --- booking, moving, cancelling -------------------------------------------------------
async def book(turn: Turn) -> None:
    """`meeting_book`: the slot picked becomes the one event (or moves it there)."""
    start = _slot(turn.inbound.value.get("start"), turn.now)
    party = await _party_from_card(turn, lock=True)  # one booking at a time
    if party is None:
        return
    if start is None:
        turn.say(_("That time isn't one I offered (or it has passed). Nothing was booked."))
        return
    if not party.live:
        turn.say(_("That mentorship has ended, so nothing was booked."))
        return
    if turn.env.calendar is None or not party.organizer.aad_object_id:
        _fallback(turn, party, _("I can't write to calendars here."))
        return
    if not all(a.works(start, start + LENGTH) for a in _availabilities(party, {})):
        turn.say(
            _("That time is outside your working hours or theirs. Nothing was booked.")
            if len(party.people) == 2
            else _("That time is outside your working hours or one of theirs. Nothing was booked.")
        )
        return
    booked = await turn.repos.programs.booked_meeting(**_only(party.mine))
    if booked is not None and booked.starts_at == start:
        turn.say(
            _(
                "That's booked already: {when}. Nothing changed.",
                when=_when(start, party.zone(party.me)),
            )
        )
        return
    if booked is not None and booked.id == forms.row_id(turn.inbound.value.get("meeting")):
        await _move(turn, party, booked, start)
        return
    if booked is not None:
        turn.say(
            _(
                "You already meet {when}; cancel or move it from its card. Nothing was booked.",
                when=_when(booked.starts_at, party.zone(party.me)),
            )
        )
        return
    recurring = party.program is not None and turn.inbound.value.get("recurring") == "true"
    await _create(turn, party, start, recurring)


def _only(mine: dict[str, Any]) -> dict[str, Any]:
    """`booked_meeting` takes the pair's id as is, a group's by keyword."""
    return {k: v for k, v in mine.items() if v is not None}


async def _create(turn: Turn, party: Party, start: datetime, recurring: bool) -> None:
    repos = turn.repos
    meeting = await repos.programs.meeting_at(starts_at=start, **party.mine)
    fresh = meeting is None
    if meeting is None:
        meeting = await repos.programs.add_meeting(
            Meeting(
                **party.mine,
                starts_at=start,
                minutes=int(LENGTH.total_seconds() // 60),
                recurring=recurring,
                organizer_aad=party.organizer.aad_object_id or "",
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
    calendar, organizer, draft = turn.env.calendar, meeting.organizer_aad, _draft(party, meeting)
    meeting_id = meeting.id
    turn.after_commit(
        lambda: _outcome(calendar.create_event(organizer, draft)),
        lambda later, made: _booked(later, meeting_id, fresh, made),
    )


async def _booked(turn: Turn, meeting_id: int, fresh: bool, made: Any) -> None:
    """What Graph said about the new event, recorded; then everyone is told."""
    meeting = await turn.repos.programs.meeting(meeting_id)
    party = await _party_of_meeting(turn, meeting)
    if meeting is None or party is None or meeting.status != "booking":
        return
    if isinstance(made, GraphError):
        await _unbook(turn, meeting, fresh)
        await record(turn.repos, party.tenant, "events", made, turn.now)
        _fallback(turn, party, _refusal(made, PUT) + " " + _("Nothing was booked."))
        return
    meeting.event_id = made
    await record(turn.repos, party.tenant, "events", None, turn.now)
    meeting.status, meeting.updated_at = "booked", turn.now
    await _announce(turn, party, meeting, "booked")


async def _unbook(turn: Turn, meeting: Meeting, fresh: bool) -> None:
    """Graph said no: as if never pressed (the same key is used next time)."""
    if fresh:
        await turn.repos.session.delete(meeting)
    else:
        meeting.attempt, meeting.status = meeting.attempt - 1, "cancelled"


async def _move(turn: Turn, party: Party, meeting: Meeting, start: datetime) -> None:
    """Graph moves the event after the commit; the row follows when Graph said yes."""
    assert turn.env.calendar is not None
    calendar, organizer, event_id = turn.env.calendar, meeting.organizer_aad, meeting.event_id
    draft = replace(_draft(party, meeting), start=start, end=start + LENGTH)
    meeting_id = meeting.id
    turn.after_commit(
        lambda: _outcome(calendar.update_event(organizer, event_id, draft)),
        lambda later, moved: _moved(later, meeting_id, start, moved),
    )


async def _moved(turn: Turn, meeting_id: int, start: datetime, moved: Any) -> None:
    meeting = await turn.repos.programs.meeting(meeting_id)
    party = await _party_of_meeting(turn, meeting)
    if meeting is None or party is None or meeting.status != "booked":
        return
    if isinstance(moved, GraphError):
        await record(turn.repos, party.tenant, "events", moved, turn.now)
        _fallback(turn, party, _refusal(moved, MOVE) + " " + _("Your meeting stays as it was."))
        return
    stale = await turn.repos.programs.meeting_at(starts_at=start, **party.mine)
    if stale is not None and stale.id != meeting.id:  # a cancelled booking of that slot
        await turn.repos.session.delete(stale)
        await turn.repos.flush()
    meeting.starts_at, meeting.updated_at = start, turn.now
    await record(turn.repos, party.tenant, "events", None, turn.now)
    await _announce(turn, party, meeting, "moved")


async def cancel(turn: Turn) -> None:
    """`meeting_cancel`: the event is deleted from everyone's calendar."""
    party = await _party_from_card(turn, lock=True)
    if party is None:
        return
    meeting = await turn.repos.programs.booked_meeting(**_only(party.mine))
    if meeting is None or meeting.id != forms.row_id(turn.inbound.value.get("meeting")):
        turn.say(_("That meeting isn't booked any more. Nothing changed."))
        return
    if turn.env.calendar is None:
        turn.say(_("I can't reach calendars right now. Nothing changed."))
        return
    calendar, organizer, event_id = turn.env.calendar, meeting.organizer_aad, meeting.event_id
    meeting_id = meeting.id
    turn.after_commit(  # deleted with no transaction open
        lambda: _outcome(calendar.delete_event(organizer, event_id)),
        lambda later, gone: _cancelled(later, meeting_id, gone),
    )


async def _cancelled(turn: Turn, meeting_id: int, gone: Any) -> None:
    meeting = await turn.repos.programs.meeting(meeting_id)
    party = await _party_of_meeting(turn, meeting)
    if meeting is None or party is None or meeting.status != "booked":
        return
    if isinstance(gone, GraphError) and gone.status != 404:  # 404: deleted in Outlook already
        await record(turn.repos, party.tenant, "events", gone, turn.now)
        turn.say(_refusal(gone, CANCEL) + " " + _("Your meeting stays on the calendars."))
        return
    meeting.status, meeting.updated_at = "cancelled", turn.now
    await _announce(turn, party, meeting, "cancelled")


async def _announce(turn: Turn, party: Party, meeting: Meeting, what: str) -> None:
    """The others hear it (queued in this unit of work), the clicker sees the card."""
    for other in party.others:
        with i18n.speaking(await language_for(turn.repos, other, party.team.id)):
            card = _booked_card(party, meeting, what, other)
        message = outbox.to_user(
            outbox.key(
                "meeting",
                meeting.id,
                what,
                meeting.attempt,
                user=other.id,
                at=meeting.starts_at.strftime("%Y%m%dT%H%M"),
            ),
            other.id,
            card=card,
            team_id=party.team.id,
        )
        turn.result.queued += await outbox.queue(turn.repos, message, turn.now)
    turn.result.show(_booked_card(party, meeting, what, party.me))


def _booked_card(party: Party, meeting: Meeting, what: str, reader: User) -> dict[str, Any]:
    when = _when(meeting.starts_at, party.zone(reader))
    others = _listed([u for u in party.people if u.id != reader.id])
    if meeting.recurring and party.cadence:
        when = _("{when}, then {cadence}", when=when, cadence=_(CADENCES[party.cadence]))
    if what == "booked" and len(party.people) == 2:
        text = _(
            "Your meeting with {others} is on both calendars: {when}, with a Teams meeting "
            "link in the invite.",
            others=others,
            when=when,
        )
    elif what == "booked":
        text = _(
            "Your meeting with {others} is on everyone's calendar: {when}, with a Teams "
            "meeting link in the invite.",
            others=others,
            when=when,
        )
    elif what == "moved":
        text = _("Your meeting with {others} moved to {when}.", others=others, when=when)
    else:
        text = _("Your meeting with {others} on {when} is cancelled.", others=others, when=when)
    return CARDS.render(
        "meeting_booked", text=text, live=what != "cancelled", meeting=meeting.id, **party.owner
    )


# --- who meets --------------------------------------------------------------------------
async def _party_from_card(turn: Turn, lock: bool = False) -> Party | None:
    """The pair (`mentorship`) or coffee group (`group`) a card names, when the clicker
    is in it (and a member of its team); else they are told and None."""
    group_id = forms.row_id(turn.inbound.value.get("group"))
    if group_id:
        return await _group(turn, group_id, lock)
    mentorship = await my_mentorship(turn)
    if mentorship is None:
        return None
    if lock:
        await turn.repos.programs.locked_mentorship(mentorship.id)
    return await _pair(turn, mentorship)


async def _party_of(turn: Turn, owner: dict[str, int]) -> Party | None:
    """The pair or group again, after the commit (`Party.owner`), or None when gone."""
    if owner["group"]:
        return await _group(turn, owner["group"], lock=False)
    mentorship = await turn.repos.programs.mentorship(owner["mentorship"])
    return await _pair(turn, mentorship) if mentorship is not None else None


async def _party_of_meeting(turn: Turn, meeting: Meeting | None) -> Party | None:
    if meeting is None:
        return None
    return await _party_of(
        turn, {"mentorship": meeting.mentorship_id or 0, "group": meeting.group_id or 0}
    )


async def _pair(turn: Turn, mentorship: Mentorship) -> Party:
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    team = await turn.repos.teams.get(program.team_id)
    people = await turn.repos.users.by_ids([mentorship.mentor_id, mentorship.mentee_id])
    assert team is not None
    party = Party(
        [people[mentorship.mentor_id], people[mentorship.mentee_id]],
        turn.user,
        team,
        mentorship=mentorship,
        program=program,
    )
    return await _zones(turn, party)


async def _group(turn: Turn, group_id: int, lock: bool) -> Party | None:
    group = await turn.repos.pairing.locked_group(group_id) if lock else None
    group = group or await turn.repos.session.get(PairGroup, group_id)
    ids = (await turn.repos.pairing.group_members([group_id])).get(group_id, [])
    if group is None or turn.user.id not in ids:
        turn.say(_("I can't find that coffee group of yours. Nothing changed."))
        return None
    if not await members.require(turn, group.team_id):
        return None
    team = await turn.repos.teams.get(group.team_id)
    found = await turn.repos.users.by_ids(ids)
    people = [found[i] for i in ids if i in found and found[i].erased_at is None]
    assert team is not None
    people.sort(key=lambda u: not u.aad_object_id)  # an organiser Graph can write for
    return await _zones(turn, Party(people, turn.user, team, group=group))


async def _zones(turn: Turn, party: Party) -> Party:
    ids = [u.id for u in party.people]
    party.entries = await turn.repos.directory.entries(ids)
    profile_zones = await turn.repos.profiles.zones_of(ids)
    for user in party.people:  # the profile's, else the directory's, else Teams'
        entry = party.entries.get(user.id)
        directory_zone = entry.timezone if entry is not None else None
        party.zones[user.id] = zone_name(
            profile_zones.get(user.id), directory_zone, user.timezone_hint
        )
    return party


def _draft(party: Party, meeting: Meeting) -> EventDraft:
    if party.program is not None:
        subject = _("Mentoring: {names}", names=_listed(party.people))
        body = _(
            "Your mentoring session in '{program}', booked by Mentorbot.",
            program=party.program.name,
        )
    else:
        subject = _("Coffee chat: {names}", names=_listed(party.people))
        body = _(
            "Your coffee chat in {team}, booked by Mentorbot.",
            team=party.team.name or _("your team"),
        )
    return EventDraft(
        subject=subject,
        start=meeting.starts_at,
        end=meeting.starts_at + timedelta(minutes=meeting.minutes),
        attendees=tuple(party.addresses),
        body=body,
        transaction_id=f"mentorbot-{party.key}-{meeting.starts_at:%Y%m%dT%H%M}-{meeting.attempt}",
        recurrence=party.cadence if meeting.recurring else "",
        until=party.program.ends_on if party.program is not None else None,
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
    """ "Mon 1 Mar, 10:00" in the zone; in another language its own way ("3月1日(月) 10:00")."""
    local = moment.astimezone(ZoneInfo(zone))
    if i18n.current() != i18n.SOURCE:
        return i18n.when(local, "%a %d %b, %H:%M")
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


# What Graph was asked to do, when the organisation has not allowed it.
READ = N_("Your organisation hasn't let me read your calendars")
PUT = N_("Your organisation hasn't let me put it on your calendars")
MOVE = N_("Your organisation hasn't let me move it")
CANCEL = N_("Your organisation hasn't let me cancel it")


def _refusal(exc: GraphError, doing: str) -> str:
    """`doing` is one of READ, PUT, MOVE, CANCEL."""
    if exc.permission:
        return _(
            "{refused} (the app needs the permission {permission}; an admin sees it in "
            "`/graph status`).",
            refused=_(doing),
            permission=exc.permission,
        )
    return _(
        "Outlook didn't answer just now (Graph {status}); please try again in a minute.",
        status=exc.status,
    )


def _other_id(mentorship: Mentorship, me: int) -> int:
    return mentorship.mentee_id if mentorship.mentor_id == me else mentorship.mentor_id
