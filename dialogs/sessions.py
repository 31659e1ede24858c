"""Sessions between pairs: agendas before a meeting, notes after it, action items that
remind their owner, and nudges for pairs that went quiet.

A *pair* is an active mentorship (key "m<id>") or two coffee partners who keep meeting:
they shared a coffee group and both answered "yes, we met" (key "c<low id>-<high id>").
Only the two members of a live pair can write or read its agendas and notes; every card
submit names its pair by key and is checked against the sender's own pairs.

Inactivity: a pair whose last activity (notes or an agenda, a check-in of the mentee or
of either coffee partner, the agreement or a "did you meet?" answer) is 21 days old gets
one gentle nudge; a mentorship 35 days quiet is escalated once to its program's team
admins (names and days only). Each happens once per stretch: the stretch is named by
the time of that last activity, and `pair_nudges` is unique on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialogs.cards import render
from dialogs.people import display
from dialogs.router import Turn
from storage.models import ActionItem, Mentorship, Program, SessionAgenda, SessionNotes, User
from storage.repos import Repos

if TYPE_CHECKING:  # scheduler/jobs.py imports this module
    from scheduler.types import JobContext

log = logging.getLogger("mentorbot.sessions")

NUDGE_JOB, ITEMS_JOB = "pair_nudges", "action_items"
NUDGE_AFTER, ESCALATE_AFTER = timedelta(days=21), timedelta(days=35)
MAX_AGENDA, MAX_SUMMARY, MAX_ITEM = 1000, 2000, 300
ITEM_ROWS = 3  # action-item rows on the notes card
REMIND_AT = time(9, 0)  # action items are reminded at 09:00 on their due date, local time
AGENDA_ACTION, NOTES_ACTION, ITEM_DONE_ACTION = "agenda_save", "notes_save", "action_item_done"


# --- time zones and availability (shared by goals and check-ins) -------------------------
def zone_name(*candidates: str | None) -> str:
    """The first valid IANA zone among the candidates, else UTC."""
    for name in candidates:
        if name and name not in ("localtime", "posixrules", "Factory"):
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
            return name
    return "UTC"


async def user_zone(repos: Repos, user: User) -> str:
    """A member's zone: their profile's, else Teams' hint, else UTC."""
    profile = await repos.profiles.get(user.id)
    return zone_name(profile.timezone if profile else None, user.timezone_hint)


def local_day(zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def reachable(user: User, today: date) -> bool:
    """Someone proactive messages may go to: not erased, opted out, paused or unreachable."""
    if user.teams_id is None or user.erased_at is not None or user.opted_out:
        return False
    return user.unreachable_at is None and not _paused(user, today)


def _paused(user: User, today: date) -> bool:
    return user.paused and (user.paused_until is None or today <= user.paused_until)


def on_break(user: User, now: datetime) -> bool:
    """Opted out, or paused (until a date where they are)."""
    return user.opted_out or _paused(user, local_day(zone_name(user.timezone_hint), now))


# --- pairs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    key: str
    partner: User
    kind: str  # mentorship | coffee
    role: str  # the partner seen from me: "your mentor", "your mentee", "your coffee partner"
    team_id: int | None  # the team of the program or coffee round (for the outbox)


def coffee_key(a: int, b: int) -> str:
    return f"c{min(a, b)}-{max(a, b)}"


async def pairs_of(repos: Repos, user: User) -> list[Pair]:
    """The member's live pairs: active mentorships first, then coffee partners who met."""
    mentorships = [m for m in await repos.programs.mentorships_of(user.id) if m.status == "active"]
    coffee = await repos.goals.coffee_partners(user.id)
    people = await repos.users.by_ids(
        {_other(m, user.id) for m in mentorships} | {partner for partner, _ in coffee}
    )
    pairs, seen = [], set()
    for m in mentorships:
        other = people.get(_other(m, user.id))
        program = await repos.programs.get(m.program_id)
        if other is None or other.teams_id is None or program is None or other.id in seen:
            continue
        role = "your mentee" if m.mentor_id == user.id else "your mentor"
        pairs.append(Pair(f"m{m.id}", other, "mentorship", role, program.team_id))
        seen.add(other.id)
    for partner_id, team_id in coffee:
        other = people.get(partner_id)
        if other is None or other.teams_id is None or other.id in seen:
            continue
        key = coffee_key(user.id, other.id)
        pairs.append(Pair(key, other, "coffee", "your coffee partner", team_id))
        seen.add(other.id)
    return pairs


def _other(m: Mentorship, user_id: int) -> int:
    return m.mentee_id if m.mentor_id == user_id else m.mentor_id


async def choose_pair(turn: Turn, verb: str, query: str | None = None) -> Pair | None:
    """The pair a command is about: the only one, or the one named (or @mentioned)."""
    pairs = await pairs_of(turn.repos, turn.user)
    if not pairs:
        turn.say(
            f"`{verb}` is for you and your mentor, mentee or a coffee partner you keep "
            "meeting, and you don't have one right now. Nothing changed."
        )
        return None
    chosen = _named(pairs, turn, turn.rest if query is None else query)
    if chosen is None and len(pairs) == 1 and not _asked_for_someone(turn, query):
        chosen = pairs[0]
    if chosen is None:
        names = ", ".join(f"{display(p.partner)} ({p.role})" for p in pairs)
        turn.say(f"With whom? Type `{verb} <name>`: {names}. Nothing changed.")
    return chosen


def _named(pairs: list[Pair], turn: Turn, query: str) -> Pair | None:
    mentioned = {m.id for m in turn.inbound.mentions}
    if mentioned:
        found = [p for p in pairs if p.partner.teams_id in mentioned]
        return found[0] if len(found) == 1 else None
    wanted = query.strip().lstrip("@").lower()
    if not wanted:
        return None
    found = [p for p in pairs if wanted in display(p.partner).lower()]
    return found[0] if len(found) == 1 else None


def _asked_for_someone(turn: Turn, query: str | None) -> bool:
    return bool(turn.inbound.mentions) or bool((turn.rest if query is None else query).strip())


async def pair_from_card(turn: Turn) -> Pair | None:
    """The pair a card submit names, if the sender is in it and it is still live."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    key = value.get("pair")
    pairs = await pairs_of(turn.repos, turn.user) if isinstance(key, str) else []
    found = [p for p in pairs if p.key == key]
    if not found:
        turn.say(
            "I can't find that pair of yours (it may have ended, or the card isn't yours). "
            "Nothing was saved."
        )
        return None
    return found[0]


# --- agendas -----------------------------------------------------------------------------
async def agenda_command(turn: Turn) -> None:
    pair = await choose_pair(turn, "agenda")
    if pair is None:
        return
    repos = turn.repos
    theirs = await repos.goals.latest_agenda(pair.key, pair.partner.id)
    notes = await repos.goals.latest_notes(pair.key)
    if theirs is not None and notes is not None and notes.created_at > theirs.created_at:
        theirs = None  # that one was for a meeting that already has notes
    items = await _item_lines(repos, pair.key, _names(turn.user, pair.partner))
    turn.result.show(
        render(
            "agenda_form",
            title=f"🗓️ Agenda for your next meeting with {display(pair.partner)}",
            subtitle=f"{display(pair.partner)} is {pair.role}. They'll see what you write here.",
            their_agenda=_agenda_text(theirs, pair.partner) if theirs else "",
            has_their_agenda=theirs is not None,
            items="\n".join(items),
            has_items=bool(items),
            max_text=MAX_AGENDA,
            pair=pair.key,
        )
    )


def _agenda_text(agenda: SessionAgenda, author: User) -> str:
    parts = [f"**{display(author)}'s agenda** ({agenda.created_at:%d %b})"]
    if agenda.achieve:
        parts.append(f"Wants to achieve: {agenda.achieve}")
    if agenda.questions:
        parts.append(f"Questions: {agenda.questions}")
    return "\n\n".join(parts)


async def save_agenda(turn: Turn) -> None:
    pair = await pair_from_card(turn)
    if pair is None:
        return
    value = turn.inbound.value
    achieve, problem1 = _text(value.get("achieve"), MAX_AGENDA, "What you want to achieve")
    questions, problem2 = _text(value.get("questions"), MAX_AGENDA, "The questions")
    problems = [p for p in (problem1, problem2) if p]
    if not problems and not (achieve or questions):
        problems.append("write what you want to achieve or the questions to cover")
    if problems:
        turn.say("I couldn't save the agenda: " + "; ".join(problems) + ". Nothing was saved.")
        return
    agenda = await turn.repos.goals.add_agenda(
        SessionAgenda(
            pair_key=pair.key,
            author_id=turn.user.id,
            partner_id=pair.partner.id,
            achieve=achieve,
            questions=questions,
            created_at=turn.now,
        )
    )
    items = await _item_lines(turn.repos, pair.key, _names(pair.partner, turn.user))
    card = render(
        "agenda_view",
        title=f"🗓️ {display(turn.user)} shared an agenda for your next meeting",
        agenda=_agenda_text(agenda, turn.user),
        items="\n".join(items),
        has_items=bool(items),
        pair=pair.key,
    )
    turn.result.queued += await _send(
        turn.repos, f"agenda:{agenda.id}:user{pair.partner.id}", pair, card, turn.now
    )
    turn.say(f"Saved. I've shown your agenda to {display(pair.partner)}.")


async def _item_lines(repos: Repos, pair_key: str, names: dict[int, str]) -> list[str]:
    """Open action items of the pair (for the next agenda), owners named for the reader."""
    return [
        f"- {item.text} ({names.get(item.owner_id, 'someone')}, due {item.due_on.isoformat()})"
        for item in await repos.goals.open_items(pair_key)
    ]


async def _send(repos: Repos, key: str, pair: Pair, card: dict[str, Any], now: datetime) -> int:
    queued = await repos.outbox.enqueue(
        key,
        {"to": "user", "card": card},
        now,
        user_id=pair.partner.id,
        team_id=pair.team_id,
    )
    return int(queued)


# --- notes and action items --------------------------------------------------------------
async def notes_command(turn: Turn) -> None:
    pair = await choose_pair(turn, "notes")
    if pair is None:
        return
    last = await turn.repos.goals.latest_notes(pair.key)
    first_name = display(pair.partner).split()[0]
    turn.result.show(
        render(
            "notes_form",
            title=f"📝 Notes from your meeting with {display(pair.partner)}",
            last=f"Last notes ({last.created_at:%d %b %Y}): {last.summary}" if last else "",
            has_last=last is not None,
            max_summary=MAX_SUMMARY,
            max_item=MAX_ITEM,
            items=[_item_row(n, first_name) for n in range(1, ITEM_ROWS + 1)],
            pair=pair.key,
        )
    )


def _item_row(n: int, partner_first: str) -> dict[str, Any]:
    return {
        "type": "ColumnSet",
        "columns": [
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                    {
                        "type": "Input.Text",
                        "id": f"item{n}",
                        "label": f"Action item {n}",
                        "maxLength": MAX_ITEM,
                    }
                ],
            },
            {
                "type": "Column",
                "width": "auto",
                "items": [
                    {
                        "type": "Input.ChoiceSet",
                        "id": f"item{n}_owner",
                        "label": "Who",
                        "style": "compact",
                        "value": "me",
                        "choices": [
                            {"title": "Me", "value": "me"},
                            {"title": partner_first, "value": "partner"},
                        ],
                    }
                ],
            },
            {
                "type": "Column",
                "width": "auto",
                "items": [{"type": "Input.Date", "id": f"item{n}_due", "label": "Due"}],
            },
        ],
    }


@dataclass(frozen=True)
class _Item:
    text: str
    owner: User
    due_on: date


async def save_notes(turn: Turn) -> None:
    pair = await pair_from_card(turn)
    if pair is None:
        return
    value = turn.inbound.value
    summary, problem = _text(value.get("summary"), MAX_SUMMARY, "The summary")
    problems = [problem] if problem else []
    if not problem and not summary:
        problems.append("please write a short summary")
    key_points, problem = _text(value.get("key_points"), MAX_SUMMARY, "The key points")
    problems += [problem] if problem else []
    today = local_day(await user_zone(turn.repos, turn.user), turn.now)
    items = _items(value, turn.user, pair.partner, today, problems)
    if problems:
        turn.say("I couldn't save the notes: " + "; ".join(problems) + ". Nothing was saved.")
        return
    notes = await turn.repos.goals.add_notes(
        SessionNotes(
            pair_key=pair.key,
            author_id=turn.user.id,
            partner_id=pair.partner.id,
            summary=summary,
            key_points=key_points,
            created_at=turn.now,
        )
    )
    for item in items:
        await turn.repos.goals.add_item(
            ActionItem(
                notes_id=notes.id,
                pair_key=pair.key,
                owner_id=item.owner.id,
                text=item.text,
                due_on=item.due_on,
                created_at=turn.now,
            )
        )
    card = render(
        "notes_view",
        title=f"📝 {display(turn.user)} wrote notes from your meeting",
        summary=summary,
        key_points=key_points,
        has_key_points=bool(key_points),
        items="\n".join(
            f"- {i.text} ({'you' if i.owner.id == pair.partner.id else display(i.owner)}, "
            f"due {i.due_on.isoformat()})"
            for i in items
        ),
        has_items=bool(items),
    )
    turn.result.queued += await _send(
        turn.repos, f"notes:{notes.id}:user{pair.partner.id}", pair, card, turn.now
    )
    reminders = " I'll remind each owner on the due date." if items else ""
    turn.say(f"Notes saved and shared with {display(pair.partner)}.{reminders}")


def _items(
    value: dict[str, Any], me: User, partner: User, today: date, problems: list[str]
) -> list[_Item]:
    items = []
    for n in range(1, ITEM_ROWS + 1):
        text, problem = _text(value.get(f"item{n}"), MAX_ITEM, f"Action item {n}")
        if problem:
            problems.append(problem)
            continue
        if not text:
            continue
        raw_owner = value.get(f"item{n}_owner") or "me"
        owner = {"me": me, "partner": partner}.get(raw_owner if isinstance(raw_owner, str) else "")
        due = _date(value.get(f"item{n}_due"))
        if owner is None:
            problems.append(f"action item {n} must belong to you or your partner")
        elif due is None:
            problems.append(f"action item {n} needs a due date (YYYY-MM-DD)")
        elif due < today:
            problems.append(f"action item {n} is due {due.isoformat()}, which is in the past")
        else:
            items.append(_Item(text, owner, due))
    return items


async def item_done(turn: Turn) -> None:
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    item_id = row_id(value.get("item"))
    item = await turn.repos.goals.item(item_id) if item_id else None
    if item is None or item.owner_id != turn.user.id:
        turn.say("I can't find that action item of yours. Nothing changed.")
        return
    if item.done_at is not None:
        turn.say("That one is done already. 👍")
        return
    item.done_at = turn.now
    turn.say(f"Marked done: {item.text} 👍")


async def remind_items(ctx: JobContext) -> None:
    """The "action_items" job: remind each open item's owner at 09:00 local on its due day."""
    repos, now = ctx.repos, ctx.now
    # Due by tomorrow in UTC covers every zone's today; each owner's 09:00 decides.
    due = await repos.goals.items_to_remind(now.date() + timedelta(days=1))
    for item, owner, profile_tz in due:
        zone = zone_name(profile_tz, owner.timezone_hint)
        at = datetime.combine(item.due_on, REMIND_AT, tzinfo=ZoneInfo(zone))
        if at > now:
            continue
        item.reminded_at = now
        if not reachable(owner, local_day(zone, now)):
            continue
        card = render(
            "notes_item",
            text=f"⏰ Reminder: **{item.text}** is due {item.due_on.isoformat()}.",
            item_id=item.id,
        )
        await repos.outbox.enqueue(
            f"actionitem:{item.id}", {"to": "user", "card": card}, now, user_id=owner.id
        )


# --- nudges and escalations ---------------------------------------------------------------
@dataclass(frozen=True)
class _Quiet:
    key: str
    members: tuple[User, User]
    since: datetime
    program: Program | None
    team_id: int | None


async def nudge_pairs(ctx: JobContext) -> None:
    """The "pair_nudges" job: one nudge per quiet stretch, one escalation for programs."""
    for quiet in await _quiet_pairs(ctx.repos):
        if any(on_break(m, ctx.now) for m in quiet.members):
            continue  # a pause is a break from nudges too; the stretch counts on after it
        idle = ctx.now - quiet.since
        stretch = quiet.since.replace(microsecond=0).isoformat()
        if idle >= NUDGE_AFTER and await ctx.repos.goals.nudge_once(
            quiet.key, "nudge", stretch, ctx.now
        ):
            await _nudge(ctx.repos, quiet, stretch, ctx.now)
        if (
            quiet.program is not None
            and idle >= ESCALATE_AFTER
            and await ctx.repos.goals.nudge_once(quiet.key, "escalation", stretch, ctx.now)
        ):
            await _escalate(ctx.repos, quiet, stretch, idle.days, ctx.now)


async def _quiet_pairs(repos: Repos) -> list[_Quiet]:
    mentorships = await repos.goals.active_mentorships()
    coffee = sorted(await repos.goals.coffee_session_keys())
    coffee_ids = [tuple(int(x) for x in key[1:].split("-")) for key in coffee]
    user_ids = {m.mentor_id for m, _ in mentorships} | {m.mentee_id for m, _ in mentorships}
    user_ids |= {u for ids in coffee_ids for u in ids}
    people = await repos.users.by_ids(user_ids)
    keys = [f"m{m.id}" for m, _ in mentorships] + coffee
    sessions = await repos.goals.last_session(keys)
    answered = await repos.goals.last_answered(user_ids)
    found = []
    for m, program in mentorships:
        key = f"m{m.id}"
        since = _latest(m.started_at or m.created_at, sessions.get(key), answered.get(m.mentee_id))
        pair = (people.get(m.mentor_id), people.get(m.mentee_id))
        if pair[0] is not None and pair[1] is not None:
            found.append(_Quiet(key, (pair[0], pair[1]), since, program, program.team_id))
    for key, (a, b) in zip(coffee, coffee_ids, strict=True):
        pa, pb = people.get(a), people.get(b)
        if pa is None or pb is None or pa.teams_id is None or pb.teams_id is None:
            continue
        since = _latest(
            sessions.get(key),
            answered.get(a),
            answered.get(b),
            await repos.goals.last_coffee_answer(a, b),
        )
        found.append(_Quiet(key, (pa, pb), since, None, None))
    return found


def _latest(*moments: datetime | None) -> datetime:
    return max(m for m in moments if m is not None)


async def _nudge(repos: Repos, quiet: _Quiet, stretch: str, now: datetime) -> None:
    for me, other in (quiet.members, quiet.members[::-1]):
        if not reachable(me, local_day(zone_name(me.timezone_hint), now)):
            continue
        text = (
            f"👋 It's been a while since you and {display(other)} last caught up here "
            f"({(now - quiet.since).days} days). How about a short meeting? Type `agenda` to "
            "plan it, and `notes` afterwards to keep what you agreed."
        )
        await repos.outbox.enqueue(
            f"pairnudge:{quiet.key}:{stretch}:user{me.id}",
            {"to": "user", "text": text},
            now,
            user_id=me.id,
            team_id=quiet.team_id,
        )


async def _escalate(repos: Repos, quiet: _Quiet, stretch: str, days: int, now: datetime) -> None:
    """Tell the program's team admins: names and days only, never any content."""
    program = quiet.program
    assert program is not None
    admins = await repos.admins.reachable_of_team(program.team_id)
    mentor, mentee = quiet.members
    text = (
        f"Mentoring in '{program.name}': {display(mentor)} (mentor) and {display(mentee)} "
        f"(mentee) have had no meeting notes, check-ins or answers for {days} days. "
        "They might welcome a friendly word."
    )
    for admin in admins:
        await repos.outbox.enqueue(
            f"pairescalation:{quiet.key}:{stretch}:admin{admin.id}",
            {"to": "user", "text": text},
            now,
            user_id=admin.id,
            team_id=program.team_id,
        )
    log.info("pair escalated pair=%s days=%s admins=%s", quiet.key, days, len(admins))


# --- helpers -----------------------------------------------------------------------------
def _names(reader: User, other: User) -> dict[int, str]:
    return {reader.id: "you", other.id: display(other)}


def _text(raw: Any, limit: int, label: str) -> tuple[str, str | None]:
    if raw is None:
        return "", None
    if not isinstance(raw, str):
        return "", f"{label} must be text"
    text = raw.strip()
    if len(text) > limit:
        return "", f"{label} is {len(text):,} characters; at most {limit:,} fit"
    return text, None


def row_id(raw: Any) -> int | None:
    """A positive whole number that fits an INTEGER column (a forged one may not)."""
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) < 12:
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return raw if 0 < raw < 2**31 else None


def _date(raw: Any) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None
