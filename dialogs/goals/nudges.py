"""Pairs that went quiet: a pair whose last activity (notes or an agenda, a check-in of
the mentee or of either coffee partner, the agreement or a "did you meet?" answer) is 21
days old gets one gentle nudge; a mentorship 35 days quiet is escalated once to its
program's team admins (names and days only). Each happens once per stretch: the stretch
is named by the time of that last activity, and `pair_nudges` is unique on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dialogs.core import i18n, outbox
from dialogs.core.admins import uninvolved_admins
from dialogs.core.local_time import local_day, on_break, reachable, zones_of
from dialogs.core.people import display, languages_of
from dialogs.core.router import Turn
from dialogs.feedback.lookup import program_named
from scheduler.types import JobContext
from storage.models import Program, User
from storage.repos import Repos

_ = i18n.catalog(__package__)
log = logging.getLogger("mentorbot.nudges")

NUDGE_JOB = "pair_nudges"
NUDGE_AFTER, ESCALATE_AFTER = timedelta(days=21), timedelta(days=35)


@dataclass(frozen=True)
class _Quiet:
    key: str
    members: tuple[User, User]
    since: datetime
    program: Program | None
    team_id: int | None


async def nudge_pairs(ctx: JobContext) -> None:
    """The "pair_nudges" job: one nudge per quiet stretch, one escalation for programs."""
    pairs = await _quiet_pairs(ctx.repos)
    zones = await zones_of(ctx.repos, {m.id: m for q in pairs for m in q.members}.values())
    for quiet in pairs:
        today = {m.id: local_day(zones[m.id], ctx.now) for m in quiet.members}
        if any(on_break(m, today[m.id]) for m in quiet.members):
            continue  # a pause is a break from nudges too; the stretch counts on after it
        idle = ctx.now - quiet.since
        stretch = quiet.since.replace(microsecond=0).isoformat()
        if idle >= NUDGE_AFTER and await ctx.repos.goals.nudge_once(
            quiet.key, "nudge", stretch, ctx.now
        ):
            await _nudge(ctx.repos, quiet, stretch, ctx.now, today)
        if (
            quiet.program is not None
            and idle >= ESCALATE_AFTER
            and await ctx.repos.goals.nudge_once(quiet.key, "escalation", stretch, ctx.now)
        ):
            await _escalate(ctx.repos, quiet, stretch, idle.days, ctx.now)


async def nudge_program(turn: Turn) -> None:
    """`/program nudge <program>`: the program's pairs quiet for 21+ days get the job's
    nudge now, once per quiet stretch (shared with the job: nobody gets it twice)."""
    program = await program_named(turn)
    if program is None:
        return
    quiet = [
        q for q in await _quiet_pairs(turn.repos, program.id) if turn.now - q.since >= NUDGE_AFTER
    ]
    zones = await zones_of(turn.repos, {m.id: m for q in quiet for m in q.members}.values())
    sent, before = 0, 0
    for q in quiet:
        today = {m.id: local_day(zones[m.id], turn.now) for m in q.members}
        stretch = q.since.replace(microsecond=0).isoformat()
        if any(on_break(m, today[m.id]) for m in q.members):
            continue
        if await turn.repos.goals.nudge_once(q.key, "nudge", stretch, turn.now):
            await _nudge(turn.repos, q, stretch, turn.now, today)
            sent += 1
        else:
            before += 1
    turn.result.queued += 2 * sent
    if not quiet:
        turn.say(
            _(
                "No pair in '{program}' is quiet for 21 days or more. Nothing sent.",
                program=program.name,
            )
        )
        return
    text = _.ngettext(
        "Nudged {n} quiet pair in '{program}'.",
        "Nudged {n} quiet pairs in '{program}'.",
        sent,
        program=program.name,
    )
    if before:
        text += _.ngettext(
            " {n} had their nudge for this quiet spell already.",
            " {n} had their nudge for this quiet spell already.",
            before,
        )
    turn.say(text)


async def _quiet_pairs(repos: Repos, program_id: int | None = None) -> list[_Quiet]:
    mentorships = await repos.goals.active_mentorships()
    coffee = sorted(await repos.goals.coffee_session_keys())
    if program_id is not None:  # one program's mentorships only
        mentorships = [(m, p) for m, p in mentorships if p.id == program_id]
        coffee = []
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


async def _nudge(
    repos: Repos, quiet: _Quiet, stretch: str, now: datetime, today: dict[int, date]
) -> None:
    languages = await languages_of(repos, quiet.members)
    for me, other in (quiet.members, quiet.members[::-1]):
        if not reachable(me, today[me.id]):
            continue
        with i18n.speaking(languages[me.id]):  # each of the two in their own language
            text = _(
                "👋 It's been a while since you and {name} last caught up here "
                "({days} days). How about a short meeting? Type `agenda` to "
                "plan it, and `notes` afterwards to keep what you agreed.",
                name=display(other),
                days=(now - quiet.since).days,
            )
        nudge = outbox.to_user(
            outbox.key("pairnudge", quiet.key, stretch, user=me.id),
            me.id,
            text=text,
            team_id=quiet.team_id,
        )
        await outbox.queue(repos, nudge, now)


async def _escalate(repos: Repos, quiet: _Quiet, stretch: str, days: int, now: datetime) -> None:
    """Tell the program's team admins: names and days only, never any content."""
    program = quiet.program
    assert program is not None
    mentor, mentee = quiet.members
    admins, inside = await uninvolved_admins(repos, program.team_id, (mentor.id, mentee.id))
    team = await repos.teams.get(program.team_id)
    languages = await languages_of(repos, admins + inside, team)
    for admin in admins:
        with i18n.speaking(languages[admin.id]):  # each admin in their own language
            text = _(
                "Mentoring in '{program}': {mentor} (mentor) and {mentee} "
                "(mentee) have had no meeting notes, check-ins or answers for {days} days. "
                "They might welcome a friendly word.",
                program=program.name,
                mentor=display(mentor),
                mentee=display(mentee),
                days=days,
            )
        notice = outbox.to_user(
            outbox.key("pairescalation", quiet.key, stretch, admin=admin.id),
            admin.id,
            text=text,
            team_id=program.team_id,
        )
        await outbox.queue(repos, notice, now)
    if not admins:
        for admin in inside:  # the only admins are in the pair: say so, plainly
            with i18n.speaking(languages[admin.id]):
                note = _own_quiet_note(quiet, stretch, days, admin)
            await outbox.queue(repos, note, now)
    log.info("pair escalated pair=%s days=%s admins=%s", quiet.key, days, len(admins))


def _own_quiet_note(quiet: _Quiet, stretch: str, days: int, admin: User) -> outbox.Message:
    program = quiet.program
    assert program is not None
    other = quiet.members[1] if quiet.members[0].id == admin.id else quiet.members[0]
    text = _(
        "Mentoring in '{program}': you're the only admin I can reach there, and the "
        "quiet pair is your own: you and "
        "{name} have had no meeting notes, check-ins or answers for {days} days. "
        "No other admin was told. A short meeting might be worth it!",
        program=program.name,
        name=display(other),
        days=days,
    )
    return outbox.to_user(
        outbox.key("pairescalation", quiet.key, stretch, admin=admin.id),
        admin.id,
        text=text,
        team_id=program.team_id,
    )
