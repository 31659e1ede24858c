"""What admins steer about their team's icebreakers (/icebreaker settings|add|list|
remove|approve|now|skip|categories) and members' `suggest <question>`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dialogs.core import forms, outbox, schedule_args
from dialogs.core.admins import team_of
from dialogs.core.local_time import user_zone
from dialogs.core.people import display, member_teams
from dialogs.core.router import Turn
from dialogs.core.words import plural
from dialogs.icebreakers.bank import BY_ID, CATEGORIES, QUESTIONS, category_key, near_duplicate
from dialogs.icebreakers.posts import JOB, in_rotation, post_question, question_key
from scheduler.periods import WEEKDAYS, ScheduleSpec, next_due
from storage.models import IcebreakerQuestion, Team

MIN_QUESTION, MAX_QUESTION = 10, 300
MAX_OPEN_SUGGESTIONS = 5  # per member and team, so suggesting cannot flood the admins
DEFAULT_TIME, DEFAULT_WEEKDAY, DEFAULT_CADENCE = "10:00", 0, "weekly"
SETTINGS_ARGS = ("channel", "day", "time", "timezone", "cadence")


@dataclass
class Timing:
    cadence: str
    weekday: int
    local_time: str
    timezone: str
    enabled: bool


async def overview(turn: Turn) -> None:
    """`/icebreaker`: the settings and the commands."""
    await _show_settings(turn)
    table = turn.env.table
    commands = [c for c in table.commands if c.name.startswith("/icebreaker ")]
    turn.say(
        "Icebreaker commands:\n" + "\n".join(f"- **{c.title}**: {c.summary}" for c in commands)
    )


async def settings_command(turn: Turn) -> None:
    team = team_of(turn)
    words = [w.lower() for w in turn.rest.split()]
    changes = {k: v for k, v in turn.args.items() if k in SETTINGS_ARGS}
    if not words and not changes:
        await _show_settings(turn)
        return
    timing = await _timing(turn, team)
    errors = _apply_switch(timing, words) + _apply_timing(timing, changes)
    channel = _channel_change(turn, changes.get("channel"), errors)
    if errors:
        turn.say(
            "I couldn't change the icebreaker settings:\n"
            + "\n".join(f"- {e}" for e in errors)
            + "\n\nNothing changed."
        )
        return
    await turn.repos.schedules.upsert(team.id, JOB, **vars(timing), now=turn.now)
    if channel is not None:
        settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
        settings.channel_id, settings.channel_name = channel
    await _show_settings(turn, "Saved. ")


def _apply_switch(timing: Timing, words: list[str]) -> list[str]:
    errors = []
    for word in words:
        if word in ("on", "off"):
            timing.enabled = word == "on"
        else:
            errors.append(f"I don't know '{word}'. Use `on`, `off` or options like `time=09:30`.")
    return errors


def _apply_timing(timing: Timing, changes: dict[str, str]) -> list[str]:
    current = schedule_args.Timing(
        timing.cadence, timing.weekday, timing.local_time, timing.timezone
    )
    when, problems = schedule_args.read(changes, current)
    if not problems:
        timing.cadence, timing.weekday, timing.local_time = (
            when.cadence,
            when.weekday,
            when.local_time,
        )
        timing.timezone = when.timezone or timing.timezone
    return [f"**{p.option}**: {p.message}" for p in problems]


def _channel_change(
    turn: Turn, wanted: str | None, errors: list[str]
) -> tuple[str | None, str | None] | None:
    """(channel id, name) to store, (None, None) for General, None for no change."""
    if wanted is None:
        return None
    inbound, team = turn.inbound, team_of(turn)
    if wanted.lower() in ("general", "default"):
        return None, None
    if wanted.lower() != "here":
        errors.append("**channel**: use `channel=here` (in that channel) or `channel=general`.")
        return None
    if inbound.is_personal or not inbound.channel_id:
        errors.append(
            "**channel**: to choose a channel, @mention me there with "
            "`/icebreaker settings channel=here`."
        )
        return None
    if inbound.channel_id == team.team_id:  # General's id is the team's
        return None, None
    return inbound.channel_id, inbound.channel_name


async def _timing(turn: Turn, team: Team) -> Timing:
    row = await turn.repos.schedules.get(team.id, JOB)
    if row is not None:
        return Timing(row.cadence, row.weekday, row.local_time, row.timezone, row.enabled)
    zone = await user_zone(turn.repos, turn.user)
    return Timing(DEFAULT_CADENCE, DEFAULT_WEEKDAY, DEFAULT_TIME, zone, False)


async def _show_settings(turn: Turn, prefix: str = "") -> None:
    team = team_of(turn)
    row = await turn.repos.schedules.get(team.id, JOB)
    settings = await turn.repos.icebreakers.settings(team.id)
    timing = await _timing(turn, team)
    channel = (
        (settings.channel_name or "the chosen channel")
        if settings and settings.channel_id
        else "General"
    )
    lines = [
        f"{prefix}**Icebreakers in {team.name}: {'on' if timing.enabled else 'off'}**",
        f"- When: {_when(timing)}",
        f"- Channel: {channel}",
    ]
    if row is not None and row.enabled:
        lines.append(f"- Next: {_next(row.effective_from, timing, turn.now)}")
    if settings is not None and settings.skip_next:
        lines.append("- The next one will be skipped (`/icebreaker skip undo` to post it).")
    if not timing.enabled:
        lines.append("Turn them on with `/icebreaker settings on`.")
    lines.append(
        "Change with e.g. `/icebreaker settings day=monday time=09:30 "
        "timezone=Europe/Berlin cadence=weekly channel=here`."
    )
    turn.say("\n".join(lines))


def _when(timing: Timing) -> str:
    every = {"weekly": "Every", "biweekly": "Every other", "monthly": "The first"}[timing.cadence]
    month = " of the month" if timing.cadence == "monthly" else ""
    return f"{every} {WEEKDAYS[timing.weekday]}{month} at {timing.local_time} ({timing.timezone})"


def _next(effective_from: datetime, timing: Timing, now: datetime) -> str:
    spec = ScheduleSpec(
        timing.cadence, timing.weekday, timing.local_time, timing.timezone, effective_from
    )
    due = next_due(spec, now).due_at.astimezone(ZoneInfo(timing.timezone))
    return f"{due:%A %d %B %Y at %H:%M} ({timing.timezone})"


async def now_command(turn: Turn) -> None:
    team = team_of(turn)
    period = f"now:{turn.now:%Y-%m-%dT%H:%M:%SZ}"
    await turn.repos.icebreakers.lock_team(team.id)  # a double click waits, then sees the first
    if await turn.repos.icebreakers.post_in_period(team.id, period) is not None:
        turn.say("I've just posted one. Nothing more was posted.")
        return
    post = await post_question(turn.repos, team, period, "now", turn.now, turn.now)
    if post is None:
        turn.say(_nothing_enabled(team))
        return
    turn.result.queued += 1
    turn.say(f"Posting this one now in {await _channel_name(turn, team)}:\n> {post.question_text}")


async def skip_command(turn: Turn) -> None:
    team = team_of(turn)
    row = await turn.repos.schedules.get(team.id, JOB)
    undo = turn.rest.strip().lower() in ("undo", "off", "cancel")
    if row is None or not row.enabled:
        turn.say(f"Icebreakers are off in {team.name}, so there is nothing to skip.")
        return
    settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
    timing = Timing(row.cadence, row.weekday, row.local_time, row.timezone, True)
    when = _next(row.effective_from, timing, turn.now)
    settings.skip_next = not undo
    if undo:
        turn.say(f"OK, the next icebreaker ({when}) will be posted after all.")
    else:
        turn.say(
            f"OK, I'll skip the next icebreaker ({when}). "
            "`/icebreaker skip undo` changes your mind."
        )


async def categories_command(turn: Turn) -> None:
    team = team_of(turn)
    words = turn.rest.split()
    if not words:
        await _show_categories(turn, team)
        return
    switch = words[-1].lower()
    key = category_key(" ".join(words[:-1]))
    if switch not in ("on", "off") or key is None:
        names = ", ".join(f"`{k}`" for k in CATEGORIES)
        turn.say(
            f"Use `/icebreaker categories <category> on|off` with one of {names}. Nothing changed."
        )
        return
    settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
    off = [c for c in settings.categories_off if c != key] + ([key] if switch == "off" else [])
    settings.categories_off = sorted(off)
    await _show_categories(turn, team, f"{CATEGORIES[key]} is now {switch}. ")


async def _show_categories(turn: Turn, team: Team, prefix: str = "") -> None:
    settings = await turn.repos.icebreakers.settings(team.id)
    off = set(settings.categories_off) if settings else set()
    removed = set(settings.questions_off) if settings else set()
    lines = [f"{prefix}**Question categories in {team.name}**"]
    for key, label in CATEGORIES.items():
        count = sum(1 for q in QUESTIONS if q.category == key and q.id not in removed)
        lines.append(
            f"- {label} (`{key}`): {'off' if key in off else 'on'}, {plural(count, 'question')}"
        )
    own = await turn.repos.icebreakers.questions(team.id, "active")
    lines.append(f"- Your team's own questions: always on, {len(own)}")
    lines.append("Switch with e.g. `/icebreaker categories fun off`.")
    turn.say("\n".join(lines))


async def add_command(turn: Turn) -> None:
    team = team_of(turn)
    text = await _checked_question(turn, team, turn.rest)
    if text is None:
        return
    question = await turn.repos.icebreakers.add_question(
        IcebreakerQuestion(
            team_id=team.id,
            text=text,
            status="active",
            added_by_id=turn.user.id,
            created_at=turn.now,
            active_since=turn.now,
        )
    )
    turn.say(
        f"Added as **{question_key(question)}**. Your team's own questions come first, "
        "so it will be among the next ones asked."
    )


async def suggest_command(turn: Turn) -> None:
    team = await _member_team(turn)
    if team is None:
        return
    if (
        await turn.repos.icebreakers.open_suggestions_by(team.id, turn.user.id)
        >= MAX_OPEN_SUGGESTIONS
    ):
        turn.say(
            f"You have {MAX_OPEN_SUGGESTIONS} suggestions waiting for the admins of "
            f"{team.name} already; let them catch up first. Nothing was added."
        )
        return
    text = await _checked_question(turn, team, turn.rest, usage="suggest")
    if text is None:
        return
    question = await turn.repos.icebreakers.add_question(
        IcebreakerQuestion(
            team_id=team.id,
            text=text,
            status="suggested",
            suggested_by_id=turn.user.id,
            created_at=turn.now,
        )
    )
    turn.say(
        f"Thanks! I've passed your question ({question_key(question)}) to the admins of "
        f"{team.name}; "
        "it joins the rotation once one of them approves it."
    )


async def approve_command(turn: Turn) -> None:
    team = team_of(turn)
    question = await _own_question(turn, team, turn.rest)
    if question is None:
        return
    if question.status != "suggested":
        turn.say(
            f"{question_key(question)} is not a suggestion waiting for approval. Nothing changed."
        )
        return
    similar = await _similar(turn, team, question.text, exclude=question.id, bank=False)
    if similar is not None:
        turn.say(f"{question_key(question)} is very close to {similar}. Nothing changed.")
        return
    question.status, question.active_since = "active", turn.now
    question.added_by_id = turn.user.id
    turn.result.queued += await _tell_suggester(turn, team, question, approved=True)
    turn.say(f"Approved {question_key(question)}: it will be among the next questions asked.")


async def remove_command(turn: Turn) -> None:
    team = team_of(turn)
    wanted = turn.rest.strip().lower()
    if wanted in BY_ID:
        settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
        settings.questions_off = sorted(set(settings.questions_off) | {wanted})
        turn.say(f"Removed the built-in question {wanted} from {team.name}'s rotation.")
        return
    question = await _own_question(turn, team, wanted)
    if question is None:
        return
    if question.status in ("removed", "rejected"):
        turn.say(f"{question_key(question)} was removed already. Nothing changed.")
        return
    suggested = question.status == "suggested"
    question.status = "rejected" if suggested else "removed"
    if suggested:
        told = await _tell_suggester(turn, team, question, approved=False)
        turn.result.queued += told
        turn.say(
            f"Declined the suggestion {question_key(question)}."
            + (" I've let the person who suggested it know, kindly." if told else "")
        )
        return
    turn.say(f"Removed {question_key(question)}; it won't be asked again.")


async def list_command(turn: Turn) -> None:
    team = team_of(turn)
    if turn.rest.strip().lower() == "bank":
        await _list_bank(turn, team)
        return
    repos = turn.repos
    own = await repos.icebreakers.questions(team.id, "active")
    waiting = await repos.icebreakers.questions(team.id, "suggested")
    latest = await repos.icebreakers.latest_post(team.id)
    used = await repos.icebreakers.used_in_cycle(team.id, latest.cycle) if latest else set()
    candidates, _ = await in_rotation(repos, team.id)
    lines = [f"**Icebreaker questions in {team.name}**"]
    lines.append("Your team's own (asked first):" if own else "Your team has no own questions yet.")
    lines += [
        f"- **{question_key(q)}**: {q.text}"
        + (" (asked this round)" if question_key(q) in used else "")
        for q in own
    ]
    if waiting:
        lines.append(
            "Suggestions waiting for you (`/icebreaker approve <id>`, `/icebreaker remove <id>`):"
        )
        suggesters = await repos.users.by_ids(
            {q.suggested_by_id for q in waiting if q.suggested_by_id}
        )
        lines += [
            f"- **{question_key(q)}**: {q.text} "
            f"(from {display(suggesters.get(q.suggested_by_id or 0))})"
            for q in waiting
        ]
    fresh = sum(1 for c in candidates if c.key not in used)
    lines.append(
        f"In rotation: {plural(len(candidates), 'question')}; {fresh} not asked yet this round. "
        "`/icebreaker list bank` shows the built-in ones with their ids."
    )
    turn.say("\n".join(lines))


async def _list_bank(turn: Turn, team: Team) -> None:
    settings = await turn.repos.icebreakers.settings(team.id)
    off = set(settings.categories_off) | set(settings.questions_off) if settings else set()
    lines = [f"**Built-in icebreaker questions** ({len(QUESTIONS)})"]
    for key, label in CATEGORIES.items():
        lines.append(f"**{label}**{' (off)' if key in off else ''}")
        lines += [
            f"- {q.id}: {q.text}{' (removed)' if q.id in off else ''}"
            for q in QUESTIONS
            if q.category == key
        ]
    turn.say("\n".join(lines))


async def _checked_question(
    turn: Turn, team: Team, raw: str, usage: str = "/icebreaker add"
) -> str | None:
    text = " ".join(raw.split())
    if len(text) < MIN_QUESTION:
        turn.say(
            f"Please write the question after the command, e.g. `{usage} What made you smile "
            f"this week?` (at least {MIN_QUESTION} characters). Nothing was added."
        )
        return None
    if len(text) > MAX_QUESTION:
        turn.say(
            f"That question is {len(text):,} characters long; keep it under {MAX_QUESTION} "
            "so it reads well on a card. Nothing was added."
        )
        return None
    similar = await _similar(turn, team, text)
    if similar is not None:
        turn.say(f"That's very close to {similar}. Nothing was added.")
        return None
    return text


async def _similar(
    turn: Turn, team: Team, text: str, exclude: int | None = None, bank: bool = True
) -> str | None:
    """The first existing question `text` nearly duplicates, described for a message."""
    own = await turn.repos.icebreakers.questions(team.id, "active", "suggested")
    for q in own:
        if q.id != exclude and near_duplicate(text, q.text):
            return f"**{question_key(q)}** ({q.status}): {q.text}"
    for b in QUESTIONS if bank else ():
        if near_duplicate(text, b.text):
            return f"the built-in **{b.id}**: {b.text}"
    return None


async def _own_question(turn: Turn, team: Team, raw: str) -> IcebreakerQuestion | None:
    number = forms.row_id(raw.strip().lower().lstrip("#c"))
    question = await turn.repos.icebreakers.question(team.id, number) if number else None
    if question is None:
        turn.say(
            f"I don't know a question '{raw.strip()}' in {team.name}. "
            "`/icebreaker list` shows the ids. Nothing changed."
        )
    return question


async def _tell_suggester(
    turn: Turn, team: Team, question: IcebreakerQuestion, approved: bool
) -> int:
    """The member who suggested a question hears what became of it (never who decided)."""
    user = (
        await turn.repos.users.get(question.suggested_by_id) if question.suggested_by_id else None
    )
    if user is None or user.opted_out or not user.teams_id:
        return 0
    if not approved and user.id == turn.user.id:
        return 0  # an admin who declined their own idea knows
    if approved:
        kind, text = (
            "icebreaker:approved",
            f'Your icebreaker question for {team.name} was approved: "{question.text}"',
        )
    else:
        kind, text = (
            "icebreaker:declined",
            f'Thanks for suggesting "{question.text}" for {team.name}! The admins decided not '
            "to add it this time (it may be close to one already asked, or not quite right "
            "for this team). Other ideas are always welcome: type `suggest` and a question.",
        )
    message = outbox.to_user(outbox.key(kind, q=question.id), user.id, text=text, team_id=team.id)
    return await outbox.queue(turn.repos, message, turn.now)


async def _member_team(turn: Turn) -> Team | None:
    """The team a member's suggestion is for: this channel's, or their only/named team."""
    repos, inbound = turn.repos, turn.inbound
    if inbound.team_id:
        team = await repos.teams.by_team_id(inbound.team_id)
        if team is None or not team.active:
            turn.say("I don't have this team registered. Nothing was added.")
            return None
        return team
    teams = await member_teams(repos, turn.user)
    wanted = turn.args.get("team", "").lower()
    if wanted:
        teams = [t for t in teams if (t.name or "").lower() == wanted]
    if len(teams) == 1:
        return teams[0]
    if not teams:
        turn.say("I can't find a team of yours with me in it. Nothing was added.")
    else:
        names = ", ".join(f"'{t.name}'" for t in teams)
        turn.say(f'Which team is it for? Add `team="Team name"` ({names}). Nothing was added.')
    return None


async def _channel_name(turn: Turn, team: Team) -> str:
    settings = await turn.repos.icebreakers.settings(team.id)
    if settings is None or not settings.channel_id:
        return "General"
    return settings.channel_name or "the chosen channel"


def _nothing_enabled(team: Team) -> str:
    return (
        f"Every question category is off in {team.name} and it has no own questions, so "
        "there is nothing to ask. Turn one on with `/icebreaker categories fun on`."
    )
