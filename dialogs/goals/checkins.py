"""Goal check-ins: the card, answers, one reminder, history, and the jobs that send them.

- The "checkins" job (global, every 15 minutes) finds, for each member with check-ins on,
  the latest due occurrence of their own schedule in their own zone (`latest_due`). A
  check-in row unique on (member, period) and the card's outbox key
  `checkin:user<id>:<period>` make each one go out once, however often the job runs.
  Members paused, opted out, unreachable or without open goals get none.
- The card asks, per open goal, progress 0-100, status (on track, at risk, blocked,
  done), what moved and the next step; then "anything blocking you?".
- The answer (`checkin_save`) is checked on the server: the check-in must be the
  sender's, every goal named on it must be one it asked about, values in range. Any
  problem: a message, and nothing is saved.
- A goal marked blocked tells the partners it is shared with, at once; the blocker
  question tells the partners the member shares goals with (if they leave the toggle on).
- The "checkin_reminders" job reminds once, 2 days after an unanswered scheduled
  check-in (`reminded_at`, key `checkinreminder:<id>`), unless a newer one went out.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dialogs.core import forms, i18n, outbox
from dialogs.core.errors import report
from dialogs.core.local_time import local_day, reachable, user_zone, zone_of
from dialogs.core.pairs import Pair, pairs_of
from dialogs.core.people import display, language_of_user, languages_of
from dialogs.core.router import Turn
from dialogs.goals import checkin_settings, goals
from dialogs.goals.sessions import CARDS
from scheduler.periods import ScheduleError, latest_due
from scheduler.types import JobContext
from storage.models import Checkin, CheckinEntry, Goal, User
from storage.repos import Repos
from storage.repos.goals import OPEN

_ = i18n.catalog(__package__)
log = logging.getLogger("mentorbot.checkins")

JOB, REMINDER_JOB = "checkins", "checkin_reminders"
SAVE_ACTION = "checkin_save"
REMIND_AFTER = timedelta(days=2)
REMIND_WITHIN = timedelta(days=14)  # older unanswered check-ins are left alone
MAX_TEXT, MAX_BLOCKER = 500, 1000
HISTORY_ROWS = 10
_FIELD = re.compile(r"(progress|status|moved|next)_(\d{1,12})")


# --- sending -----------------------------------------------------------------------------
async def send_due(ctx: JobContext) -> None:
    """The "checkins" job: each member's latest due check-in, once."""
    repos, now = ctx.repos, ctx.now
    due: list[tuple[User, str, datetime]] = []
    for row, user, profile_tz in await repos.goals.schedules_on():
        # A pause ends where the person is (their zone, as everywhere); the check-in comes
        # at its time in the zone chosen for check-ins.
        if not reachable(user, local_day(zone_of(user, profile_tz), now)):
            continue
        zone = checkin_settings.zone_of(row, profile_tz, user.timezone_hint)
        try:
            occurrence = latest_due(checkin_settings.spec(row, zone), now)
        except ScheduleError as exc:  # a row written around the validator; others go on
            report(f"job:{JOB}", exc, user=user.id)
            continue
        if occurrence is not None:
            due.append((user, occurrence.period, occurrence.due_at))
    sent = await repos.goals.periods_sent((u.id, period) for u, period, _ in due)
    waiting = [d for d in due if (d[0].id, d[1]) not in sent]
    with_goals = await repos.goals.with_open_goals(u.id for u, _p, _d in waiting)
    sending = [d for d in waiting if d[0].id in with_goals]
    languages = await languages_of(repos, (u for u, _p, _d in sending))
    for user, period, due_at in sending:
        with i18n.speaking(languages[user.id]):  # each member's check-in in their language
            await _send(repos, user, period, due_at, now)


async def _send(repos: Repos, user: User, period: str, due_at: datetime, now: datetime) -> None:
    """One member's scheduled check-in, in the language in force (the caller says theirs)."""
    open_goals = await repos.goals.goals_of(user.id, open_only=True)
    checkin = await repos.goals.add_checkin(
        user.id, period, "schedule", [g.id for g in open_goals], due_at, now
    )
    if checkin is None:  # another replica's run made it meanwhile
        return
    card = await checkin_card(repos, user, checkin, open_goals, now)
    message = outbox.to_user(
        outbox.key("checkin", user=user.id, at=period),
        user.id,
        text=_("Time for your goal check-in. 🌱"),
        card=card,
    )
    await outbox.queue(repos, message, now)


async def checkin_now(turn: Turn) -> None:
    """`checkin`: a check-in card right now."""
    repos, user = turn.repos, turn.user
    open_goals = await repos.goals.goals_of(user.id, open_only=True)
    if not open_goals:
        turn.say(_("You have no open goals to check in on. Add one with `goal add`."))
        return
    # Numbered, so two `checkin`s in one second (or a test's frozen clock) are two cards.
    number = await repos.goals.count_checkins(user.id) + 1
    period = f"now:{turn.now:%Y-%m-%dT%H:%M:%SZ}:{number}"
    checkin = await repos.goals.add_checkin(
        user.id, period, "manual", [g.id for g in open_goals], turn.now, turn.now
    )
    if checkin is None:  # the same message twice at once: one card is enough
        turn.say(_("I've just sent you one; it's right above. Nothing more was sent."))
        return
    turn.result.show(await checkin_card(repos, user, checkin, open_goals, turn.now))


async def checkin_card(
    repos: Repos, user: User, checkin: Checkin, open_goals: list[Goal], now: datetime
) -> dict[str, Any]:
    today = local_day(await user_zone(repos, user), now)
    listeners = await _blocker_listeners(repos, user)
    names = goals.joined([display(p.partner) for p in listeners]) if listeners else ""
    return CARDS.render(
        "checkin",
        heading=_("🌱 How are your goals going?"),
        intro=_(
            "A minute per goal is plenty. Your answers stay private unless you shared "
            "a goal; then its partner sees progress and status."
        ),
        goal_blocks=[_goal_block(g, today) for g in open_goals],
        max_blocker=MAX_BLOCKER,
        can_share_blocker=bool(listeners),
        share_blocker_title=_("Tell {names} about it", names=names),
        checkin_id=checkin.id,
    )


def _goal_block(goal: Goal, today: date) -> dict[str, Any]:
    return {
        "type": "Container",
        "separator": True,
        "items": [
            {"type": "TextBlock", "text": f"**#{goal.number} {goal.title}**", "wrap": True},
            {
                "type": "TextBlock",
                "text": _(
                    "Now {progress}%, {status}; {days}",
                    progress=goal.progress,
                    status=goals.status_label(goal.status),
                    days=goals.days_to_target(goal.target_on, today),
                ),
                "isSubtle": True,
                "wrap": True,
            },
            {
                "type": "Input.Number",
                "id": f"progress_{goal.id}",
                "label": _("Progress (0 to 100)"),
                "min": 0,
                "max": 100,
                "value": goal.progress,
                "isRequired": True,
                "errorMessage": _("A whole number from 0 to 100"),
            },
            {
                "type": "Input.ChoiceSet",
                "id": f"status_{goal.id}",
                "label": _("Status"),
                "style": "compact",
                "isRequired": True,
                "errorMessage": _("Please choose a status"),
                "value": goal.status,
                "choices": [{"title": _(t), "value": v} for v, t in goals.STATUSES.items()],
            },
            {
                "type": "Input.Text",
                "id": f"moved_{goal.id}",
                "label": _("What moved?"),
                "isMultiline": True,
                "maxLength": MAX_TEXT,
            },
            {
                "type": "Input.Text",
                "id": f"next_{goal.id}",
                "label": _("Next step"),
                "maxLength": MAX_TEXT,
            },
        ],
    }


# --- answers -------------------------------------------------------------------------------
async def save(turn: Turn) -> None:
    """`checkin_save`. The card is no trust boundary: every id and value is checked."""
    repos, user = turn.repos, turn.user
    value = turn.inbound.value
    checkin_id = forms.row_id(value.get("checkin"))
    checkin = await repos.goals.checkin(checkin_id, lock=True) if checkin_id else None
    if checkin is None or checkin.user_id != user.id:
        turn.say(_("I can't find that check-in of yours. Nothing was saved."))
        return
    named = {int(m.group(2)) for k in value if (m := _FIELD.fullmatch(str(k)))}
    if not named <= set(checkin.goal_ids):
        turn.say(
            _(
                "That card names a goal that isn't part of this check-in (or isn't yours). "
                "Nothing was saved."
            )
        )
        return
    asked = [await repos.goals.goal(i) for i in checkin.goal_ids]
    open_goals = [g for g in asked if g is not None and g.user_id == user.id and g.status in OPEN]
    answers, problems = _answers(value, open_goals)
    blocker, share_blocker = _blocker(value, problems)
    if problems:
        listed = "\n".join(f"- {p}" for p in problems)
        turn.say(
            _(
                "I couldn't save your check-in:\n{problems}\n\n"
                "Nothing was saved; please fix it and press Send again.",
                problems=listed,
            )
        )
        return
    await _store(turn, checkin, answers, blocker, share_blocker)


@dataclass(frozen=True)
class _Answer:
    goal: Goal
    progress: int
    status: str
    moved: str
    next_step: str


def _answers(value: dict[str, Any], open_goals: list[Goal]) -> tuple[list[_Answer], list[str]]:
    answers, problems = [], []
    for goal in open_goals:
        raw = value.get(f"progress_{goal.id}")
        progress = goal.progress if raw in (None, "") else _percent(raw)
        if progress is None:
            problems.append(
                _(
                    "Progress of “{title}” must be a whole number from 0 to 100 "
                    "(you entered {raw}).",
                    title=goal.title,
                    raw=repr(raw),
                )
            )
        status = value.get(f"status_{goal.id}") or goal.status
        if not isinstance(status, str) or status not in goals.STATUSES:
            problems.append(
                _(
                    "Status of “{title}” must be on track, at risk, blocked or done.",
                    title=goal.title,
                )
            )
        moved = _text(value.get(f"moved_{goal.id}"), MAX_TEXT, _("What moved"), goal, problems)
        next_step = _text(value.get(f"next_{goal.id}"), MAX_TEXT, _("Next step"), goal, problems)
        if progress is not None and isinstance(status, str) and status in goals.STATUSES:
            answers.append(_Answer(goal, progress, status, moved, next_step))
    return answers, problems


def _percent(raw: Any) -> int | None:
    number = forms.whole(raw)
    return number if number is not None and 0 <= number <= 100 else None


def _text(raw: Any, limit: int, label: str, goal: Goal | None, problems: list[str]) -> str:
    named = _("{label} of “{title}”", label=label, title=goal.title) if goal else label
    return forms.text_or_problem(raw, limit, named, problems)


def _blocker(value: dict[str, Any], problems: list[str]) -> tuple[str, bool]:
    label = _("Anything blocking you")
    blocker = _text(value.get("blocker"), MAX_BLOCKER, label, None, problems)
    raw = value.get("share_blocker")
    share = raw is True or (isinstance(raw, str) and raw.strip().lower() == "true")
    return blocker, share


async def _store(
    turn: Turn, checkin: Checkin, answers: list[_Answer], blocker: str, share_blocker: bool
) -> None:
    repos, now = turn.repos, turn.now
    again = checkin.answered_at is not None
    entries = await repos.goals.entries(checkin.id)
    done: list[Goal] = []
    for a in answers:
        entry = entries.get(a.goal.id)
        if entry is None:
            repos.goals.add_entry(
                CheckinEntry(
                    checkin_id=checkin.id,
                    goal_id=a.goal.id,
                    progress=a.progress,
                    status=a.status,
                    moved=a.moved,
                    next_step=a.next_step,
                    created_at=now,
                )
            )
        else:
            entry.progress, entry.status = a.progress, a.status
            entry.moved, entry.next_step = a.moved, a.next_step
        a.goal.progress, a.goal.updated_at = a.progress, now
        if a.status == "done":
            done.append(a.goal)
        else:
            a.goal.status = a.status
    checkin.answered_at, checkin.blocker = now, blocker or None
    told = await _tell_partners(turn, checkin, answers, blocker if share_blocker else "")
    text = (
        _.ngettext(
            "Updated! Check-in saved ({n} goal).",
            "Updated! Check-in saved ({n} goals).",
            len(answers),
        )
        if again
        else _.ngettext(
            "Thanks! Check-in saved ({n} goal).",
            "Thanks! Check-in saved ({n} goals).",
            len(answers),
        )
    )
    if told:
        text += _(" I've let {names} know.", names=goals.joined(sorted(told)))
    turn.say(text)
    for goal in done:
        await goals.finish(turn, goal)


async def _tell_partners(
    turn: Turn, checkin: Checkin, answers: list[_Answer], blocker: str
) -> set[str]:
    """Blocked shared goals go to the partners they are shared with; the blocker text to
    the partners the member shares open goals with. Nobody else hears anything."""
    repos, user = turn.repos, turn.user
    partners = {p.partner.id: p for p in await pairs_of(repos, user)}
    if not partners:
        return set()
    shares = await repos.goals.shared_with_of(
        g.id for g in await repos.goals.goals_of(user.id, open_only=True)
    )
    told: set[str] = set()
    for a in answers:
        if a.status != "blocked":
            continue
        for partner_id in shares.get(a.goal.id, []):
            pair = partners.get(partner_id)
            if pair is None:
                continue
            with i18n.speaking(await language_of_user(repos, pair.partner)):
                text = _(
                    "🚧 {name} marked a goal they shared with you as blocked: "
                    "**{title}** ({progress}%). A word from you might help.",
                    name=display(user),
                    title=a.goal.title,
                    progress=a.progress,
                )
            key = outbox.key("checkinblocked", checkin=checkin.id, goal=a.goal.id, user=partner_id)
            turn.result.queued += await _notify(turn, pair, key, text)
            told.add(display(pair.partner))
    if blocker:
        for pair in _sharing_with(partners, shares):
            with i18n.speaking(await language_of_user(repos, pair.partner)):
                text = _(
                    "🚧 {name} says something is blocking them:\n> {blocker}",
                    name=display(user),
                    blocker=blocker,
                )
            key = outbox.key("checkinblocker", checkin=checkin.id, user=pair.partner.id)
            turn.result.queued += await _notify(turn, pair, key, text)
            told.add(display(pair.partner))
    return told


def _sharing_with(partners: dict[int, Pair], shares: dict[int, list[int]]) -> list[Pair]:
    ids = {u for users in shares.values() for u in users}
    return [p for u, p in partners.items() if u in ids]


async def _blocker_listeners(repos: Repos, user: User) -> list[Pair]:
    partners = {p.partner.id: p for p in await pairs_of(repos, user)}
    if not partners:
        return []
    shares = await repos.goals.shared_with_of(
        g.id for g in await repos.goals.goals_of(user.id, open_only=True)
    )
    return _sharing_with(partners, shares)


async def _notify(turn: Turn, pair: Pair, key: str, text: str) -> int:
    message = outbox.to_user(key, pair.partner.id, text=text, team_id=pair.team_id)
    return await outbox.queue(turn.repos, message, turn.now)


# --- reminders -----------------------------------------------------------------------------
async def send_reminders(ctx: JobContext) -> None:
    """The "checkin_reminders" job: one reminder 2 days after an unanswered check-in."""
    repos, now = ctx.repos, ctx.now
    for checkin in await repos.goals.reminders_due(now - REMIND_AFTER, now - REMIND_WITHIN):
        checkin.reminded_at = now  # once, whether or not a message can go
        user = await repos.users.get(checkin.user_id)
        if user is None:
            continue
        profile = await repos.profiles.get(user.id)
        profile_tz = profile.timezone if profile else None
        if not reachable(user, local_day(zone_of(user, profile_tz), now)):
            continue
        # The day it came in the zone check-ins keep (a Sydney morning is the UTC day before).
        row = await repos.goals.settings(user.id)
        zone = (
            checkin_settings.zone_of(row, profile_tz, user.timezone_hint)
            if row is not None
            else zone_of(user, profile_tz)
        )
        asked = [await repos.goals.goal(i) for i in checkin.goal_ids]
        still_open = [g for g in asked if g is not None and g.status in OPEN]
        if not still_open:
            continue
        with i18n.speaking(await language_of_user(repos, user)):
            card = await checkin_card(repos, user, checkin, still_open, now)
            text = _(
                "A gentle reminder: your check-in from {day} is still open. "
                "Here it is again; a minute is enough.",
                day=i18n.when(local_day(zone, checkin.due_at), "%A %d %B"),
            )
        reminder = outbox.to_user(
            outbox.key("checkinreminder", checkin.id), user.id, text=text, card=card
        )
        await outbox.queue(repos, reminder, now)


# --- history --------------------------------------------------------------------------------
async def history(turn: Turn) -> None:
    """`checkins [#]`: each goal's check-ins, newest first."""
    repos, user = turn.repos, turn.user
    if turn.rest.strip():
        goal = await goals.own_goal(turn, turn.rest, "show")
        if goal is None:
            return
        chosen, rows = [goal], 50
    else:
        chosen, rows = await repos.goals.goals_of(user.id), HISTORY_ROWS
    if not chosen:
        turn.say(_("You have no goals yet, so no check-ins either. Start with `goal add`."))
        return
    entries = await repos.goals.history(g.id for g in chosen)
    lines = [_("**Your check-ins**")]
    for goal in chosen:
        lines.append(
            _(
                "**#{number} {title}** (now {progress}%, {status})",
                number=goal.number,
                title=goal.title,
                progress=goal.progress,
                status=goals.status_label(goal.status),
            )
        )
        mine = entries.get(goal.id, [])[:rows]
        lines += [_entry_line(e) for e in mine] or [_("- no check-ins yet")]
    blockers = [c for c in await repos.goals.checkins_of(user.id) if c.blocker][-5:]
    if blockers:
        lines.append(_("**What blocked you lately**"))
        lines += [
            f"- {i18n.when(c.answered_at or c.created_at, '%d %b %Y')}: {c.blocker}"
            for c in blockers
        ]
    turn.say("\n".join(lines))


def _entry_line(entry: CheckinEntry) -> str:
    line = _(
        "- {day}: {progress}%, {status}",
        day=i18n.when(entry.created_at, "%d %b %Y"),
        progress=entry.progress,
        status=goals.status_label(entry.status),
    )
    if entry.moved:
        line += _("; moved: {moved}", moved=entry.moved)
    if entry.next_step:
        line += _("; next: {next}", next=entry.next_step)
    return line
