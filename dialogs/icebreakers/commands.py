"""What admins steer about their team's icebreakers (/icebreaker settings|add|list|
remove|approve|now|skip|categories) and members' `suggest <question>`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dialogs.core import forms, i18n, outbox, schedule_args
from dialogs.core.admins import team_of
from dialogs.core.local_time import user_zone
from dialogs.core.people import display, language_of_user, member_teams
from dialogs.core.router import Turn
from dialogs.icebreakers.bank import BY_ID, CATEGORIES, QUESTIONS, category_key, near_duplicate
from dialogs.icebreakers.posts import JOB, in_rotation, post_question, question_key, question_text
from scheduler.periods import ScheduleSpec, next_due
from storage.models import IcebreakerQuestion, Team

_ = i18n.catalog(__package__)
N_ = i18n.N_

MIN_QUESTION, MAX_QUESTION = 10, 300
MAX_OPEN_SUGGESTIONS = 5  # per member and team, so suggesting cannot flood the admins
DEFAULT_TIME, DEFAULT_WEEKDAY, DEFAULT_CADENCE = "10:00", 0, "weekly"
SETTINGS_ARGS = ("channel", "day", "time", "timezone", "cadence")
# A team question's status as an admin reads it beside a near-duplicate.
STATUSES = {"active": N_("active"), "suggested": N_("suggested")}


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
        _("Icebreaker commands:")
        + "\n"
        + "\n".join(f"- **{c.title}**: {_(c.summary)}" for c in commands)
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
            _("I couldn't change the icebreaker settings:")
            + "\n"
            + "\n".join(f"- {e}" for e in errors)
            + "\n\n"
            + _("Nothing changed.")
        )
        return
    await turn.repos.schedules.upsert(team.id, JOB, **vars(timing), now=turn.now)
    if channel is not None:
        settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
        settings.channel_id, settings.channel_name = channel
    await _show_settings(turn, _("Saved.") + " ")


def _apply_switch(timing: Timing, words: list[str]) -> list[str]:
    errors = []
    for word in words:
        if word in ("on", "off"):
            timing.enabled = word == "on"
        else:
            errors.append(
                _(
                    "I don't know '{word}'. Use `on`, `off` or options like `time=09:30`.",
                    word=word,
                )
            )
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
        errors.append(_("**channel**: use `channel=here` (in that channel) or `channel=general`."))
        return None
    if inbound.is_personal or not inbound.channel_id:
        errors.append(
            _(
                "**channel**: to choose a channel, @mention me there with "
                "`/icebreaker settings channel=here`."
            )
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
        (settings.channel_name or _("the chosen channel"))
        if settings and settings.channel_id
        else "General"
    )
    state = (
        _("**Icebreakers in {team}: on**", team=team.name)
        if timing.enabled
        else _("**Icebreakers in {team}: off**", team=team.name)
    )
    lines = [
        prefix + state,
        _("- When: {when}", when=_when(timing)),
        _("- Channel: {channel}", channel=channel),
    ]
    if row is not None and row.enabled:
        lines.append(_("- Next: {when}", when=_next(row.effective_from, timing, turn.now)))
    if settings is not None and settings.skip_next:
        lines.append(_("- The next one will be skipped (`/icebreaker skip undo` to post it)."))
    if not timing.enabled:
        lines.append(_("Turn them on with `/icebreaker settings on`."))
    lines.append(
        _(
            "Change with e.g. `/icebreaker settings day=monday time=09:30 "
            "timezone=Europe/Berlin cadence=weekly channel=here`."
        )
    )
    turn.say("\n".join(lines))


def _when(timing: Timing) -> str:
    values = {
        "day": i18n.weekday_name(timing.weekday),
        "time": timing.local_time,
        "zone": timing.timezone,
    }
    if timing.cadence == "biweekly":
        return _("Every other {day} at {time} ({zone})", **values)
    if timing.cadence == "monthly":
        return _("The first {day} of the month at {time} ({zone})", **values)
    return _("Every {day} at {time} ({zone})", **values)


def _next(effective_from: datetime, timing: Timing, now: datetime) -> str:
    spec = ScheduleSpec(
        timing.cadence, timing.weekday, timing.local_time, timing.timezone, effective_from
    )
    due = next_due(spec, now).due_at.astimezone(ZoneInfo(timing.timezone))
    return f"{i18n.when(due, '%A %d %B %Y at %H:%M')} ({timing.timezone})"  # i18n: not said


async def now_command(turn: Turn) -> None:
    team = team_of(turn)
    period = f"now:{turn.now:%Y-%m-%dT%H:%M:%SZ}"
    await turn.repos.icebreakers.lock_team(team.id)  # a double click waits, then sees the first
    if await turn.repos.icebreakers.post_in_period(team.id, period) is not None:
        turn.say(_("I've just posted one. Nothing more was posted."))
        return
    post = await post_question(turn.repos, team, period, "now", turn.now, turn.now)
    if post is None:
        turn.say(_nothing_enabled(team))
        return
    turn.result.queued += 1
    channel = await _channel_name(turn, team)
    turn.say(
        _("Posting this one now in {channel}:", channel=channel) + f"\n> {question_text(post)}"
    )


async def skip_command(turn: Turn) -> None:
    team = team_of(turn)
    row = await turn.repos.schedules.get(team.id, JOB)
    undo = turn.rest.strip().lower() in ("undo", "off", "cancel")
    if row is None or not row.enabled:
        turn.say(_("Icebreakers are off in {team}, so there is nothing to skip.", team=team.name))
        return
    settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
    timing = Timing(row.cadence, row.weekday, row.local_time, row.timezone, True)
    when = _next(row.effective_from, timing, turn.now)
    settings.skip_next = not undo
    if undo:
        turn.say(_("OK, the next icebreaker ({when}) will be posted after all.", when=when))
    else:
        turn.say(
            _(
                "OK, I'll skip the next icebreaker ({when}). "
                "`/icebreaker skip undo` changes your mind.",
                when=when,
            )
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
            _(
                "Use `/icebreaker categories <category> on|off` with one of {names}. "
                "Nothing changed.",
                names=names,
            )
        )
        return
    settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
    off = [c for c in settings.categories_off if c != key] + ([key] if switch == "off" else [])
    settings.categories_off = sorted(off)
    label = _(CATEGORIES[key])
    said = (
        _("{category} is now on.", category=label)
        if switch == "on"
        else _("{category} is now off.", category=label)
    )
    await _show_categories(turn, team, said + " ")


async def _show_categories(turn: Turn, team: Team, prefix: str = "") -> None:
    settings = await turn.repos.icebreakers.settings(team.id)
    off = set(settings.categories_off) if settings else set()
    removed = set(settings.questions_off) if settings else set()
    lines = [prefix + _("**Question categories in {team}**", team=team.name)]
    for key, label in CATEGORIES.items():
        count = sum(1 for q in QUESTIONS if q.category == key and q.id not in removed)
        values = {"label": _(label), "key": key}
        lines.append(
            _.ngettext(
                "- {label} (`{key}`): off, {n} question",
                "- {label} (`{key}`): off, {n} questions",
                count,
                **values,
            )
            if key in off
            else _.ngettext(
                "- {label} (`{key}`): on, {n} question",
                "- {label} (`{key}`): on, {n} questions",
                count,
                **values,
            )
        )
    own = await turn.repos.icebreakers.questions(team.id, "active")
    lines.append(_("- Your team's own questions: always on, {n}", n=len(own)))
    lines.append(_("Switch with e.g. `/icebreaker categories fun off`."))
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
        _(
            "Added as **{id}**. Your team's own questions come first, "
            "so it will be among the next ones asked.",
            id=question_key(question),
        )
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
            _(
                "You have {n} suggestions waiting for the admins of "
                "{team} already; let them catch up first. Nothing was added.",
                n=MAX_OPEN_SUGGESTIONS,
                team=team.name,
            )
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
        _(
            "Thanks! I've passed your question ({id}) to the admins of {team}; "
            "it joins the rotation once one of them approves it.",
            id=question_key(question),
            team=team.name,
        )
    )


async def approve_command(turn: Turn) -> None:
    team = team_of(turn)
    question = await _own_question(turn, team, turn.rest)
    if question is None:
        return
    if question.status != "suggested":
        turn.say(
            _(
                "{id} is not a suggestion waiting for approval. Nothing changed.",
                id=question_key(question),
            )
        )
        return
    similar = await _similar(turn, team, question.text, exclude=question.id, bank=False)
    if similar is not None:
        turn.say(
            _(
                "{id} is very close to {similar}. Nothing changed.",
                id=question_key(question),
                similar=similar,
            )
        )
        return
    question.status, question.active_since = "active", turn.now
    question.added_by_id = turn.user.id
    turn.result.queued += await _tell_suggester(turn, team, question, approved=True)
    turn.say(
        _(
            "Approved {id}: it will be among the next questions asked.",
            id=question_key(question),
        )
    )


async def remove_command(turn: Turn) -> None:
    team = team_of(turn)
    wanted = turn.rest.strip().lower()
    if wanted in BY_ID:
        settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
        settings.questions_off = sorted(set(settings.questions_off) | {wanted})
        turn.say(
            _(
                "Removed the built-in question {id} from {team}'s rotation.",
                id=wanted,
                team=team.name,
            )
        )
        return
    question = await _own_question(turn, team, wanted)
    if question is None:
        return
    if question.status in ("removed", "rejected"):
        turn.say(_("{id} was removed already. Nothing changed.", id=question_key(question)))
        return
    suggested = question.status == "suggested"
    question.status = "rejected" if suggested else "removed"
    if suggested:
        told = await _tell_suggester(turn, team, question, approved=False)
        turn.result.queued += told
        declined = _("Declined the suggestion {id}.", id=question_key(question))
        turn.say(
            declined
            + (" " + _("I've let the person who suggested it know, kindly.") if told else "")
        )
        return
    turn.say(_("Removed {id}; it won't be asked again.", id=question_key(question)))


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
    candidates, _texts = await in_rotation(repos, team.id)
    lines = [_("**Icebreaker questions in {team}**", team=team.name)]
    lines.append(
        _("Your team's own (asked first):") if own else _("Your team has no own questions yet.")
    )
    asked = " " + _("(asked this round)")
    lines += [
        f"- **{question_key(q)}**: {q.text}" + (asked if question_key(q) in used else "")
        for q in own
    ]
    if waiting:
        lines.append(
            _(
                "Suggestions waiting for you "
                "(`/icebreaker approve <id>`, `/icebreaker remove <id>`):"
            )
        )
        suggesters = await repos.users.by_ids(
            {q.suggested_by_id for q in waiting if q.suggested_by_id}
        )
        lines += [
            f"- **{question_key(q)}**: {q.text} "
            + _("(from {name})", name=display(suggesters.get(q.suggested_by_id or 0)))
            for q in waiting
        ]
    fresh = sum(1 for c in candidates if c.key not in used)
    lines.append(
        _.ngettext(
            "In rotation: {n} question; {fresh} not asked yet this round.",
            "In rotation: {n} questions; {fresh} not asked yet this round.",
            len(candidates),
            fresh=fresh,
        )
        + " "
        + _("`/icebreaker list bank` shows the built-in ones with their ids.")
    )
    turn.say("\n".join(lines))


async def _list_bank(turn: Turn, team: Team) -> None:
    settings = await turn.repos.icebreakers.settings(team.id)
    off = set(settings.categories_off) | set(settings.questions_off) if settings else set()
    lines = [_("**Built-in icebreaker questions** ({n})", n=len(QUESTIONS))]
    off_note, removed_note = " " + _("(off)"), " " + _("(removed)")
    for key, label in CATEGORIES.items():
        lines.append(f"**{_(label)}**{off_note if key in off else ''}")
        lines += [
            f"- {q.id}: {_(q.text)}{removed_note if q.id in off else ''}"
            for q in QUESTIONS
            if q.category == key
        ]
    turn.say("\n".join(lines))


async def _checked_question(
    turn: Turn,
    team: Team,
    raw: str,
    usage: str = "/icebreaker add",  # i18n: not said
) -> str | None:
    text = " ".join(raw.split())
    if len(text) < MIN_QUESTION:
        turn.say(
            _(
                "Please write the question after the command, e.g. `{usage} What made you smile "
                "this week?` (at least {n} characters). Nothing was added.",
                usage=usage,
                n=MIN_QUESTION,
            )
        )
        return None
    if len(text) > MAX_QUESTION:
        turn.say(
            _(
                "That question is {length} characters long; keep it under {limit} "
                "so it reads well on a card. Nothing was added.",
                length=i18n.number(len(text)),
                limit=MAX_QUESTION,
            )
        )
        return None
    similar = await _similar(turn, team, text)
    if similar is not None:
        turn.say(_("That's very close to {similar}. Nothing was added.", similar=similar))
        return None
    return text


async def _similar(
    turn: Turn, team: Team, text: str, exclude: int | None = None, bank: bool = True
) -> str | None:
    """The first existing question `text` nearly duplicates, described for a message."""
    own = await turn.repos.icebreakers.questions(team.id, "active", "suggested")
    for q in own:
        if q.id != exclude and near_duplicate(text, q.text):
            return f"**{question_key(q)}** ({_(STATUSES.get(q.status, q.status))}): {q.text}"
    for b in QUESTIONS if bank else ():
        if near_duplicate(text, b.text):
            return _("the built-in **{id}**: {question}", id=b.id, question=_(b.text))
    return None


async def _own_question(turn: Turn, team: Team, raw: str) -> IcebreakerQuestion | None:
    number = forms.row_id(raw.strip().lower().lstrip("#c"))
    question = await turn.repos.icebreakers.question(team.id, number) if number else None
    if question is None:
        turn.say(
            _(
                "I don't know a question '{id}' in {team}. "
                "`/icebreaker list` shows the ids. Nothing changed.",
                id=raw.strip(),
                team=team.name,
            )
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
    with i18n.speaking(await language_of_user(turn.repos, user, team)):
        if approved:
            kind, text = (
                "icebreaker:approved",
                _(
                    'Your icebreaker question for {team} was approved: "{question}"',
                    team=team.name,
                    question=question.text,
                ),
            )
        else:
            kind, text = (
                "icebreaker:declined",
                _(
                    'Thanks for suggesting "{question}" for {team}! The admins decided not '
                    "to add it this time (it may be close to one already asked, or not quite "
                    "right for this team). Other ideas are always welcome: type `suggest` and "
                    "a question.",
                    question=question.text,
                    team=team.name,
                ),
            )
    message = outbox.to_user(outbox.key(kind, q=question.id), user.id, text=text, team_id=team.id)
    return await outbox.queue(turn.repos, message, turn.now)


async def _member_team(turn: Turn) -> Team | None:
    """The team a member's suggestion is for: this channel's, or their only/named team."""
    repos, inbound = turn.repos, turn.inbound
    if inbound.team_id:
        team = await repos.teams.by_team_id(inbound.team_id)
        if team is None or not team.active:
            turn.say(_("I don't have this team registered. Nothing was added."))
            return None
        return team
    teams = await member_teams(repos, turn.user)
    wanted = turn.args.get("team", "").lower()
    if wanted:
        teams = [t for t in teams if (t.name or "").lower() == wanted]
    if len(teams) == 1:
        return teams[0]
    if not teams:
        turn.say(_("I can't find a team of yours with me in it. Nothing was added."))
    else:
        names = ", ".join(f"'{t.name}'" for t in teams)
        turn.say(
            _(
                'Which team is it for? Add `team="Team name"` ({names}). Nothing was added.',
                names=names,
            )
        )
    return None


async def _channel_name(turn: Turn, team: Team) -> str:
    settings = await turn.repos.icebreakers.settings(team.id)
    if settings is None or not settings.channel_id:
        return "General"
    return settings.channel_name or _("the chosen channel")


def _nothing_enabled(team: Team) -> str:
    return _(
        "Every question category is off in {team} and it has no own questions, so "
        "there is nothing to ask. Turn one on with `/icebreaker categories fun on`.",
        team=team.name,
    )
