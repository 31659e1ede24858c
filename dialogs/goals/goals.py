"""Goals: a member's own goals (add, edit, done, drop), sharing one with a partner, and
celebrating a goal that is done.

Privacy: commands only ever look up the sender's own goals, by the sender's own
numbering (`goal done 2`); cards carry a goal's id, and every submit checks that the
goal belongs to the sender. A partner (mentor, mentee, coffee partner who keeps meeting)
sees a goal only when its owner shared it with them, and only while they are still
paired. A shout-out in a team channel carries the goal's title and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

from dialogs.core import forms, i18n, outbox
from dialogs.core.i18n import N_
from dialogs.core.local_time import today_of
from dialogs.core.pairs import Pair, choose_pair, pairs_of
from dialogs.core.people import display, language_of_user, member_teams
from dialogs.core.router import DataPart, Turn
from dialogs.goals import checkin_settings
from dialogs.goals.sessions import CARDS
from storage.models import Goal, User
from storage.repos import Repos
from storage.repos.goals import OPEN

_ = i18n.catalog(__package__)

STATUSES = {
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "blocked": N_("blocked"),
    "done": N_("done"),
}
CLOSED = {"done": N_("done"), "dropped": N_("dropped")}
MAX_OPEN = 10  # open goals per member: the check-in card stays readable and small
MAX_TITLE, MAX_TEXT = 120, 500
SAVE_ACTION, SHOUTOUT_ACTION = "goal_save", "goal_shoutout"
USAGE = N_(
    "`goals` (all of them), `goal add`, `goal <#>`, `goal edit <#>`, `goal done <#>`, "
    "`goal drop <#>`, `goal share <#> [name]`, `goal unshare <#> [name]`"
)
# What `own_goal` says when the sender has no goal by that number, per verb.
_NO_GOAL = {
    "see": N_(
        "You have no goal{shown} to see. Type `goals` to see yours, with their numbers. "
        "Nothing changed."
    ),
    "show": N_(
        "You have no goal{shown} to show. Type `goals` to see yours, with their numbers. "
        "Nothing changed."
    ),
    "edit": N_(
        "You have no goal{shown} to edit. Type `goals` to see yours, with their numbers. "
        "Nothing changed."
    ),
    "mark done": N_(  # i18n: not said (the key; the message is marked)
        "You have no goal{shown} to mark done. Type `goals` to see yours, with their numbers. "
        "Nothing changed."
    ),
    "drop": N_(
        "You have no goal{shown} to drop. Type `goals` to see yours, with their numbers. "
        "Nothing changed."
    ),
    "share": N_(
        "You have no goal{shown} to share. Type `goals` to see yours, with their numbers. "
        "Nothing changed."
    ),
    "unshare": N_(
        "You have no goal{shown} to unshare. Type `goals` to see yours, with their numbers. "
        "Nothing changed."
    ),
}


def status_label(status: str) -> str:
    """A goal's status as the reader says it ("on track", "auf Kurs")."""
    label = STATUSES.get(status) or CLOSED.get(status)
    return _(label) if label else status


def day(value: date) -> str:
    """A date in a message: 2027-03-31 in English, the reader's own way otherwise."""
    return i18n.when(value, "%Y-%m-%d")


def joined(names: list[str]) -> str:
    """ "Ana and Ben and Chris", in the reader's language."""
    return reduce(lambda first, then: _("{first} and {then}", first=first, then=then), names)


# --- reading ---------------------------------------------------------------------------
async def list_goals(turn: Turn) -> None:
    """`goals`: mine with progress, status, days to target and last update; then those
    shared with me by partners."""
    repos, user = turn.repos, turn.user
    today = await today_of(repos, user, turn.now)
    mine = await repos.goals.goals_of(user.id)
    lines = []
    open_goals = [g for g in mine if g.status in OPEN]
    closed = [g for g in mine if g.status not in OPEN]
    if open_goals:
        shares = await repos.goals.shared_with_of(g.id for g in open_goals)
        people = await repos.users.by_ids({u for ids in shares.values() for u in ids})
        lines.append(_("**Your goals**"))
        for goal in open_goals:
            names = [display(people.get(u)) for u in shares.get(goal.id, [])]
            line = goal_line(goal, today)
            lines.append(
                _("- {goal}; shared with {names}", goal=line, names=", ".join(names))
                if names
                else _("- {goal}; private", goal=line)
            )
    else:
        lines.append(_("You have no open goals. Add one with `goal add`."))
    if closed:
        done = ", ".join(_closed(g) for g in closed[-10:])
        lines.append(_("Done or dropped: {goals}", goals=done))
    lines += await _shared_with_me(repos, user, today)
    lines.append(_("Commands: {usage}; `checkin`, `checkins`, `checkin settings`.", usage=_(USAGE)))
    turn.say("\n".join(lines))


async def _shared_with_me(repos: Repos, user: User, today: date) -> list[str]:
    partners = {p.partner.id: p for p in await pairs_of(repos, user)}
    shared = [g for g in await repos.goals.shared_to(user.id) if g.user_id in partners]
    if not shared:
        return []
    lines = [_("**Shared with you**")]
    for goal in shared:
        owner = partners[goal.user_id]
        lines.append(f"- {display(owner.partner)} ({owner.role}): {goal_line(goal, today, False)}")
    return lines


def goal_line(goal: Goal, today: date, numbered: bool = True) -> str:
    number = f"#{goal.number} " if numbered else ""
    return _(
        "**{number}{title}**: {progress}%, {status}, {days} (target {target}), "
        "last update {updated}",
        number=number,
        title=goal.title,
        progress=goal.progress,
        status=status_label(goal.status),
        days=days_to_target(goal.target_on, today),
        target=day(goal.target_on),
        updated=i18n.when(goal.updated_at, "%d %b %Y"),
    )


def days_to_target(target: date, today: date) -> str:
    days = (target - today).days
    if days == 0:
        return _("due today")
    if days < 0:
        return _.ngettext("{n} day overdue", "{n} days overdue", -days)
    return _.ngettext("{n} day to go", "{n} days to go", days)


def _closed(goal: Goal) -> str:
    state = _("done ✅") if goal.status == "done" else _("dropped")
    return f"#{goal.number} {goal.title} ({state})"


async def show_goal(turn: Turn) -> None:
    """`goal <#>`: one of my goals in full, with its recent check-ins."""
    if not turn.rest.strip():
        turn.say(_("Goals: {usage}.", usage=_(USAGE)))
        return
    goal = await own_goal(turn, turn.rest, "see")
    if goal is None:
        return
    today = await today_of(turn.repos, turn.user, turn.now)
    lines = [goal_line(goal, today)]
    if goal.why:
        lines.append(_("Why it matters: {why}", why=goal.why))
    if goal.measure:
        lines.append(_("How I'll know: {measure}", measure=goal.measure))
    history = (await turn.repos.goals.history([goal.id])).get(goal.id, [])[:5]
    lines += [
        _(
            "- {day}: {progress}%, {status}",
            day=i18n.when(e.created_at, "%d %b"),
            progress=e.progress,
            status=status_label(e.status),
        )
        + (_("; moved: {moved}", moved=e.moved) if e.moved else "")
        + (_("; next: {next}", next=e.next_step) if e.next_step else "")
        for e in history
    ]
    turn.say("\n".join(lines))


async def own_goal(turn: Turn, text: str, verb: str) -> Goal | None:
    """The sender's goal by their own number ("2" or "#2"); a message when there is none."""
    word = text.strip().split()[0] if text.strip() else ""
    number = word.lstrip("#")
    wanted = forms.row_id(number)
    goal = await turn.repos.goals.goal_by_number(turn.user.id, wanted) if wanted else None
    if goal is None:
        shown = f" #{number}" if number else ""
        turn.say(_(_NO_GOAL[verb], shown=shown))
    return goal


# --- adding and editing --------------------------------------------------------------------
@dataclass(frozen=True)
class Fields:
    title: str
    why: str
    measure: str
    target_on: date


async def add_goal(turn: Turn) -> None:
    """`goal add`: the form; or `goal add <title> target=YYYY-MM-DD [why=...] [measure=...]`."""
    if not await _room_for_one_more(turn):
        return
    title = (turn.args.get("title") or turn.rest).strip()
    if not title or "target" not in turn.args:
        turn.result.show(form_card(None, title=title, **_form_args(turn.args)))
        return
    raw = {"title": title, **_form_args(turn.args)}
    fields = await _checked(turn, raw, None)
    if fields is not None:
        await _create(turn, fields)


def _form_args(args: dict[str, str]) -> dict[str, str]:
    return {k: args[k] for k in ("why", "measure", "target") if k in args}


async def _room_for_one_more(turn: Turn) -> bool:
    if len(await turn.repos.goals.goals_of(turn.user.id, open_only=True)) < MAX_OPEN:
        return True
    turn.say(
        _(
            "You have {n} open goals already. Mark one done (`goal done <#>`) or drop "
            "one (`goal drop <#>`) first. Nothing was added.",
            n=MAX_OPEN,
        )
    )
    return False


def form_card(goal: Goal | None, **values: str) -> dict[str, Any]:
    return CARDS.render(
        "goal_form",
        heading=_("🎯 A new goal")
        if goal is None
        else _("🎯 Edit goal #{number}", number=goal.number),
        title=values.get("title", goal.title if goal else ""),
        why=values.get("why", goal.why if goal else ""),
        measure=values.get("measure", goal.measure if goal else ""),
        target=values.get("target", goal.target_on.isoformat() if goal else ""),
        max_title=MAX_TITLE,
        max_text=MAX_TEXT,
        goal_id=goal.id if goal else 0,
    )


async def edit_goal(turn: Turn) -> None:
    goal = await own_goal(turn, turn.rest, "edit")
    if goal is None:
        return
    if goal.status not in OPEN:
        turn.say(
            _(
                "Goal #{number} is {status} already, so it can't change. Nothing changed.",
                number=goal.number,
                status=status_label(goal.status),
            )
        )
        return
    turn.result.show(form_card(goal))


async def save_goal(turn: Turn) -> None:
    """`goal_save` from the form: a new goal (goal id 0) or an edit of one of mine."""
    value = turn.inbound.value
    raw_id = value.get("goal")
    if raw_id in (0, "0", None):
        if not await _room_for_one_more(turn):
            return
        fields = await _checked(turn, value, None)
        if fields is not None:
            await _create(turn, fields)
        return
    goal = await _goal_from_card(turn)
    if goal is None:
        return
    if goal.status not in OPEN:
        turn.say(
            _(
                "Goal #{number} is {status} already. Nothing was saved.",
                number=goal.number,
                status=status_label(goal.status),
            )
        )
        return
    fields = await _checked(turn, value, goal)
    if fields is None:
        return
    goal.title, goal.why, goal.measure = fields.title, fields.why, fields.measure
    goal.target_on, goal.updated_at = fields.target_on, turn.now
    turn.say(_("Saved goal #{number}: **{title}**.", number=goal.number, title=goal.title))


async def _create(turn: Turn, fields: Fields) -> None:
    repos, user = turn.repos, turn.user
    await repos.goals.lock_owner(user.id)
    goal = await repos.goals.add_goal(
        Goal(
            user_id=user.id,
            number=await repos.goals.next_number(user.id),
            title=fields.title,
            why=fields.why,
            measure=fields.measure,
            target_on=fields.target_on,
            progress=0,
            status="on_track",
            created_at=turn.now,
            updated_at=turn.now,
        )
    )
    row, created = await checkin_settings.ensure(repos, user, turn.now)
    text = _(
        "Added goal #{number}: **{title}** (target {target}).",
        number=goal.number,
        title=goal.title,
        target=day(goal.target_on),
    )
    text += _(
        " It's private; `goal share {number}` shares it with your mentor or a partner.",
        number=goal.number,
    )
    if created:
        when = await checkin_settings.describe(repos, user, row, turn.now)
        text += _(
            " I'll check in on your goals {when}. `checkin settings` changes that.", when=when
        )
    turn.say(text)


async def _checked(turn: Turn, raw: Any, goal: Goal | None) -> Fields | None:
    today = await today_of(turn.repos, turn.user, turn.now)
    fields, problems = validate(raw, today, goal)
    if problems:
        listed = "\n".join(f"- {p}" for p in problems)
        turn.say(_("I couldn't save your goal:\n{problems}\n\nNothing was saved.", problems=listed))
        return None
    return fields


def validate(raw: Any, today: date, goal: Goal | None) -> tuple[Fields | None, list[str]]:
    """The form's values, checked on the server (a card is no trust boundary)."""
    if not isinstance(raw, dict):
        return None, [_("that form was not filled in")]
    problems: list[str] = []
    title = " ".join(
        forms.text_or_problem(raw.get("title"), MAX_TITLE, _("The title"), problems).split()
    )
    if not title and not problems:
        problems.append(_("Please give your goal a title."))
    why = forms.text_or_problem(raw.get("why"), MAX_TEXT, _("Why it matters"), problems)
    measure = forms.text_or_problem(
        raw.get("measure"), MAX_TEXT, _("How success is measured"), problems
    )
    target = forms.iso_date(raw.get("target"))
    if target is None:
        shown = raw.get("target")
        problems.append(
            _(
                "The target date must be a date like 2027-03-31 (you entered {shown}).",
                shown=repr(shown),
            )
            if shown not in (None, "")
            else _("The target date must be a date like 2027-03-31.")
        )
    elif target < today and (goal is None or target != goal.target_on):
        problems.append(
            _(
                "The target date {target} is in the past (today is {today}).",
                target=day(target),
                today=day(today),
            )
        )
    if problems or target is None:
        return None, problems
    return Fields(title, why, measure, target), []


async def _goal_from_card(turn: Turn) -> Goal | None:
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    raw = value.get("goal")
    goal_id = forms.row_id(raw)
    goal = await turn.repos.goals.goal(goal_id) if goal_id else None
    if goal is None or goal.user_id != turn.user.id:
        turn.say(_("I can't find that goal of yours. Nothing was saved."))
        return None
    return goal


# --- done, dropped ------------------------------------------------------------------------
async def mark_done(turn: Turn) -> None:
    goal = await own_goal(turn, turn.rest, "mark done")  # i18n: not said
    if goal is None:
        return
    if goal.status not in OPEN:
        turn.say(_already(goal))
        return
    await finish(turn, goal)


def _already(goal: Goal) -> str:
    return _(
        "Goal #{number} is {status} already. Nothing changed.",
        number=goal.number,
        status=status_label(goal.status),
    )


async def finish(turn: Turn, goal: Goal) -> None:
    """A goal is done: close it, tell those it is shared with, and congratulate the owner
    with a card that offers a shout-out (title only) in one of their teams."""
    goal.status, goal.progress = "done", 100
    goal.closed_at = goal.updated_at = turn.now
    turn.result.queued += await _tell_partners_done(turn, goal)
    teams = await member_teams(turn.repos, turn.user)
    turn.result.show(
        CARDS.render(
            "goal_done",
            heading=_("🎉 You did it: {title}", title=goal.title),
            text=_("Goal done. Well earned! Take a moment to enjoy it."),
            can_share=bool(teams),
            team_choices=[{"title": t.name or _("your team"), "value": str(t.id)} for t in teams],
            first_team=str(teams[0].id) if teams else "",
            goal_id=goal.id,
        )
    )


async def _tell_partners_done(turn: Turn, goal: Goal) -> int:
    partners = {p.partner.id: p for p in await pairs_of(turn.repos, turn.user)}
    shared = (await turn.repos.goals.shared_with_of([goal.id])).get(goal.id, [])
    queued = 0
    for user_id in shared:
        pair = partners.get(user_id)
        if pair is None:
            continue
        with i18n.speaking(await language_of_user(turn.repos, pair.partner)):
            text = _(
                "🎉 {name} reached a goal they shared with you: **{title}**.",
                name=display(turn.user),
                title=goal.title,
            )
        told = outbox.to_user(
            outbox.key("goaldone", goal=goal.id, user=user_id),
            user_id,
            text=text,
            team_id=pair.team_id,
        )
        queued += await outbox.queue(turn.repos, told, turn.now)
    return queued


async def shoutout(turn: Turn) -> None:
    """`goal_shoutout`: post "<name> reached a goal: <title>" in a team channel, once."""
    goal = await _goal_from_card(turn)
    if goal is None:
        return
    if goal.status != "done":
        turn.say(_("That goal isn't done yet, so there's nothing to celebrate in public yet."))
        return
    if goal.shoutout_at is not None:
        turn.say(_("Your team has seen this one already. 🎉"))
        return
    teams = {str(t.id): t for t in await member_teams(turn.repos, turn.user)}
    chosen = turn.inbound.value.get("team")
    valid = isinstance(chosen, str | int) and not isinstance(chosen, bool)
    team = teams.get(str(chosen).strip()) if valid else None
    if team is None:
        turn.say(_("Please pick one of your teams for the shout-out. Nothing was posted."))
        return
    goal.shoutout_at = turn.now
    with i18n.speaking(team.language):  # the channel hears the team's language
        text = _(
            "🎉 Shout-out: {name} reached a goal: **{title}**. Congratulations!",
            name=display(turn.user),
            title=goal.title,
        )
    post = outbox.to_team(outbox.key("shoutout", goal=goal.id), team.id, text=text)
    turn.result.queued += await outbox.queue(turn.repos, post, turn.now)
    turn.say(_("Posted in {team}: just the title, nothing else. 🎉", team=team.name))


async def drop_goal(turn: Turn) -> None:
    goal = await own_goal(turn, turn.rest, "drop")
    if goal is None:
        return
    if goal.status not in OPEN:
        turn.say(_already(goal))
        return
    goal.status, goal.closed_at, goal.updated_at = "dropped", turn.now, turn.now
    turn.say(
        _(
            "Dropped goal #{number}: {title}. It stays in your history; "
            "no more check-ins about it.",
            number=goal.number,
            title=goal.title,
        )
    )


# --- sharing ------------------------------------------------------------------------------
async def share_goal(turn: Turn) -> None:
    """`goal share <#> [name]`: with my mentor, mentee or a coffee partner I keep meeting."""
    goal = await own_goal(turn, turn.rest, "share")
    if goal is None:
        return
    if goal.status == "dropped":
        turn.say(_("Goal #{number} was dropped. Nothing changed.", number=goal.number))
        return
    verb = f"goal share {goal.number}"  # i18n: not said
    pair = await choose_pair(turn, verb, _after_number(turn.rest))
    if pair is None:
        return
    share = await turn.repos.goals.share(goal.id, pair.partner.id, turn.now)
    if share is None:
        turn.say(
            _(
                "Goal #{number} is shared with {name} already.",
                number=goal.number,
                name=display(pair.partner),
            )
        )
        return
    turn.result.queued += await _tell_shared(turn, goal, pair, share.id)
    turn.say(
        _(
            "Shared goal #{number} with {name} ({role}). They'll see "
            "its progress and status, and hear from me if it gets blocked. "
            "`goal unshare {number}` takes it back.",
            number=goal.number,
            name=display(pair.partner),
            role=pair.role,
        )
    )


async def _tell_shared(turn: Turn, goal: Goal, pair: Pair, share_id: int) -> int:
    with i18n.speaking(await language_of_user(turn.repos, pair.partner)):
        text = _(
            "{name} shared a goal with you: **{title}** (target "
            "{target}). Type `goals` to follow it.",
            name=display(turn.user),
            title=goal.title,
            target=day(goal.target_on),
        )
    told = outbox.to_user(
        outbox.key("goalshared", share_id), pair.partner.id, text=text, team_id=pair.team_id
    )
    return await outbox.queue(turn.repos, told, turn.now)


async def unshare_goal(turn: Turn) -> None:
    goal = await own_goal(turn, turn.rest, "unshare")
    if goal is None:
        return
    shared = (await turn.repos.goals.shared_with_of([goal.id])).get(goal.id, [])
    people = await turn.repos.users.by_ids(shared)
    wanted = _after_number(turn.rest).lower().lstrip("@")
    mentioned = {m.id for m in turn.inbound.mentions}
    chosen = [
        u
        for u in people.values()
        if (not wanted and not mentioned)
        or (wanted and wanted in display(u).lower())
        or u.teams_id in mentioned
    ]
    if not chosen:
        turn.say(
            _(
                "Goal #{number} isn't shared with anyone by that name. Nothing changed.",
                number=goal.number,
            )
        )
        return
    for user in chosen:
        await turn.repos.goals.unshare(goal.id, user.id)
    names = ", ".join(display(u) for u in chosen)
    turn.say(_("Goal #{number} is no longer shared with {names}.", number=goal.number, names=names))


def _after_number(text: str) -> str:
    words = text.strip().split(maxsplit=1)
    return words[1] if len(words) > 1 else ""


# --- your data -----------------------------------------------------------------------------
async def export(turn: Turn) -> dict[str, Any]:
    """Goals, check-ins, settings, agendas, notes and action items, for `my data`."""
    repos, user_id = turn.repos, turn.user.id
    goals = await repos.goals.goals_of(user_id)
    history = await repos.goals.history(g.id for g in goals)
    shares = await repos.goals.shared_with_of(g.id for g in goals)
    settings = await repos.goals.settings(user_id)
    notes = await repos.goals.notes_of(user_id)
    people = await repos.users.by_ids(
        {u for ids in shares.values() for u in ids}
        | {n.author_id for n in notes}
        | {n.partner_id for n in notes}
    )
    return {
        "goals": [
            _goal_export(g, history.get(g.id, []), shares.get(g.id, []), people) for g in goals
        ],
        "checkin_settings": _settings_export(settings),
        "checkins": [
            {"sent": c.created_at, "answered": c.answered_at, "blocker": c.blocker}
            for c in await repos.goals.checkins_of(user_id)
        ],
        "agendas": [
            {"written": a.created_at, "achieve": a.achieve, "questions": a.questions}
            for a in await repos.goals.agendas_by(user_id)
        ],
        "meeting_notes": [
            {
                "written": n.created_at,
                "by": display(people.get(n.author_id)),
                "with": display(people.get(n.partner_id)),
                "summary": n.summary,
                "key_points": n.key_points,
            }
            for n in notes
        ],
        "action_items": [
            {"text": i.text, "due": i.due_on, "done": i.done_at}
            for i in await repos.goals.items_of(user_id)
        ],
    }


def _goal_export(
    goal: Goal, history: list[Any], shared: list[int], people: dict[int, User]
) -> dict[str, Any]:
    return {
        "number": goal.number,
        "title": goal.title,
        "why": goal.why,
        "measure": goal.measure,
        "target": goal.target_on,
        "progress": goal.progress,
        "status": goal.status,
        "shared_with": [display(people.get(u)) for u in shared],
        "check_ins": [
            {
                "at": e.created_at,
                "progress": e.progress,
                "status": e.status,
                "moved": e.moved,
                "next_step": e.next_step,
            }
            for e in history
        ],
    }


def _settings_export(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "on": row.enabled,
        "cadence": row.cadence,
        "weekday": row.weekday,
        "local_time": row.local_time,
        "timezone": row.timezone or "from your profile",  # i18n: not said
    }


async def erase_user(turn: Turn) -> None:
    await turn.repos.goals.erase_user(turn.user.id)


def words(exported: dict[str, Any]) -> list[str]:
    """What the member wrote: goals, check-in answers, blockers, agendas, notes, items."""
    found: list[str] = []
    for goal in exported["goals"]:
        found += [goal["title"], goal["why"], goal["measure"]]
        found += [t for e in goal["check_ins"] for t in (e["moved"], e["next_step"])]
    found += [c["blocker"] or "" for c in exported["checkins"]]
    found += [t for a in exported["agendas"] for t in (a["achieve"], a["questions"])]
    found += [t for n in exported["meeting_notes"] for t in (n["summary"], n["key_points"])]
    return found + [i["text"] for i in exported["action_items"]]


DATA = DataPart(
    "goals_and_checkins",
    export,
    erase_user,
    lambda e: [(_("Goals"), str(len(e["goals"])))],
    words=words,
)
