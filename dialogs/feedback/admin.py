"""Admins steer surveys: `/survey settings|show|add|reword|remove <program>` and
`/survey pulse` for a team's coffee chats.

Every edit of a template writes a new version (templates.py); surveys already made keep
theirs. Admin commands arrive with `turn.team` resolved and the sender checked.
"""

from __future__ import annotations

from typing import Any

from dialogs.core import forms, i18n
from dialogs.core.admins import team_of
from dialogs.core.router import Turn
from dialogs.feedback import templates
from dialogs.feedback.lookup import program_named
from dialogs.feedback.metrics import MIN_K
from dialogs.feedback.moments import PROGRAM_MOMENTS, remind
from storage.models import Program

_ = i18n.catalog(__package__)
N_ = i18n.N_
ON, OFF = ("on", "yes", "true"), ("off", "no", "false")
K_RANGE, DAYS_RANGE = (MIN_K, 50), (2, 30)
TEXT_RANGE = (5, 200)
MAX_OPTIONS, MAX_OPTION = 8, 60
MOMENT_HELP = {
    "session": N_("after each session whose notes were saved (both sides)"),
    "day30": N_("day 30 of each mentorship (both sides)"),
    "mid": N_("halfway through the program (anonymous)"),
    "end": N_("at the program's end (anonymous)"),
    "progress": N_("mentors rate their mentee's progress (mid and end)"),
    "after": N_("60 days after the end: still meeting? (both sides)"),
}


def _flag(raw: str) -> bool | None:
    value = raw.strip().lower()
    return True if value in ON else False if value in OFF else None


# --- /survey settings ------------------------------------------------------------------------
async def settings(turn: Turn) -> None:
    program = await program_named(turn)
    if program is None:
        return
    row = await turn.repos.feedback.ensure_program_settings(program.id, turn.now)
    problems: list[str] = []
    off = set(row.moments_off)
    for moment in PROGRAM_MOMENTS:
        if moment in turn.args:
            on = _flag(turn.args[moment])
            if on is None:
                problems.append(_("`{moment}=` takes on or off", moment=moment))
            elif on:
                off.discard(moment)
            else:
                off.add(moment)
    k = _number(turn.args.get("k"), K_RANGE, "k=", problems)
    days = _number(turn.args.get("days"), DAYS_RANGE, "days=", problems)
    demographics = _flag(turn.args["demographics"]) if "demographics" in turn.args else None
    if "demographics" in turn.args and demographics is None:
        problems.append(_("`demographics=` takes on or off"))
    if problems:
        turn.say(
            _(
                "I couldn't change the survey settings: {problems}. Nothing changed.",
                problems="; ".join(problems),
            )
        )
        return
    changed = bool(set(turn.args) - {"name", "team"})
    row.moments_off = sorted(off)
    row.min_answers = k if k is not None else row.min_answers
    row.close_days = days if days is not None else row.close_days
    if demographics is not None and demographics != row.demographics:
        row.demographics = demographics
        await _set_demographics(turn, program, demographics)
    if changed:
        row.updated_at = turn.now
    turn.say(_settings_text(program, row, changed))


def _number(raw: str | None, bounds: tuple[int, int], name: str, problems: list[str]) -> int | None:
    if raw is None:
        return None
    try:
        return forms.whole_in(raw, *bounds)
    except forms.FormError as exc:
        problems.append(f"`{name}` {exc}")  # i18n: not said
        return None


async def _set_demographics(turn: Turn, program: Program, on: bool) -> None:
    scope = templates.program_scope(program.id)
    for name in ("end.mentee", "end.mentor"):
        current = await templates.current(turn.repos, scope, name, not on, turn.now)
        questions = templates.with_demographics(current.questions, on)
        if questions != current.questions:
            await templates.new_version(turn.repos, scope, name, questions, turn.user.id, turn.now)


def _settings_text(program: Program, row: Any, changed: bool) -> str:
    name = program.name
    lines = [
        _("**Surveys of {program}** (saved)", program=name)
        if changed
        else _("**Surveys of {program}**", program=name),
        *(
            _(
                N_("- `{moment}`: off, {help}")
                if m in row.moments_off
                else N_("- `{moment}`: on, {help}"),
                moment=m,
                help=_(MOMENT_HELP[m]),
            )
            for m in PROGRAM_MOMENTS
        ),
        _(
            "- Admins see an aggregate from `k={k}` answers (never fewer than 3; "
            "demographics from 5)",
            k=row.min_answers,
        ),
        _(
            "- A survey stays open `days={days}` days, with one reminder after 2",
            days=row.close_days,
        ),
        _("- Demographic questions (optional, self-reported, end of program): on")
        if row.demographics
        else _("- Demographic questions (optional, self-reported, end of program): off"),
        _(
            "Change with `/survey settings {program} session=off k=5 days=10 "
            "demographics=on`; see the questions with `/survey show`.",
            program=name,
        ),
    ]
    return "\n".join(lines)


# --- /survey show --------------------------------------------------------------------------
async def show(turn: Turn) -> None:
    program = await program_named(turn)
    if program is None:
        return
    wanted = turn.args.get("template")
    if wanted is None:
        turn.say(await _overview(turn, program))
        return
    name = await _template_name(turn, wanted)
    if name is None:
        return
    template = await _current(turn, program, name)
    heading = (
        N_("**{program}: {name}** (version {version}, anonymous)")
        if templates.anonymous(name)
        else N_("**{program}: {name}** (version {version}, confidential)")
    )
    lines = [_(heading, program=program.name, name=name, version=template.version)]
    lines += [_question_line(q) for q in template.questions]
    lines.append(
        _(
            "Edit with `/survey add|reword|remove {program} template={name} ...`"
            " (surveys already sent keep their version).",
            program=program.name,
            name=name,
        )
    )
    turn.say("\n".join(lines))


async def _overview(turn: Turn, program: Program) -> str:
    lines = [_("**Survey templates of {program}**", program=program.name)]
    for name in templates.PROGRAM_TEMPLATES:
        found = await turn.repos.feedback.latest_template(templates.program_scope(program.id), name)
        version = (
            _("version {version}", version=found.version) if found else _("built-in, not sent yet")
        )
        count = len(found.questions) if found else len(templates.BUILT_IN[name])
        lines.append(
            _.ngettext(
                "- `{name}`: {n} question, {version}",
                "- `{name}`: {n} questions, {version}",
                count,
                name=name,
                version=version,
            )
        )
    lines.append(
        _("See one with `/survey show {program} template=end.mentee`.", program=program.name)
    )
    return "\n".join(lines)


def _question_line(q: dict[str, Any]) -> str:
    options = ", ".join(_(o["title"]) for o in q.get("options", []))
    extra = f" ({options})" if options else ""
    return f"- `{q['key']}` [{q['kind']}] {_(q['text'])}{extra}"  # i18n: not said


async def _template_name(turn: Turn, raw: str) -> str | None:
    name = raw.strip().lower()
    if name in templates.PROGRAM_TEMPLATES:
        return name
    known = ", ".join(f"`{n}`" for n in templates.PROGRAM_TEMPLATES)
    turn.say(
        _(
            "There's no survey template '{raw}'. Templates: {known}. Nothing changed.",
            raw=raw,
            known=known,
        )
    )
    return None


async def _current(turn: Turn, program: Program, name: str) -> Any:
    row = await turn.repos.feedback.program_settings(program.id)
    demographics = bool(row and row.demographics)
    scope = templates.program_scope(program.id)
    return await templates.current(turn.repos, scope, name, demographics, turn.now)


# --- /survey add|reword|remove ----------------------------------------------------------------
async def _editing(turn: Turn) -> tuple[Program, str, Any] | None:
    program = await program_named(turn)
    if program is None:
        return None
    raw = turn.args.get("template")
    if not raw:
        turn.say(
            _("Say which template: `template=end.mentee` (see `/survey show`). Nothing changed.")
        )
        return None
    name = await _template_name(turn, raw)
    if name is None:
        return None
    return program, name, await _current(turn, program, name)


def _question_text(turn: Turn) -> str | None:
    text = " ".join(str(turn.args.get("text", "")).split())
    low, high = TEXT_RANGE
    if not low <= len(text) <= high:
        turn.say(
            _(
                'Write the question as `text="..."`, {low} to {high} characters. Nothing changed.',
                low=low,
                high=high,
            )
        )
        return None
    return text


async def _write(
    turn: Turn, program: Program, name: str, questions: list[dict[str, Any]], said: str
) -> None:
    scope = templates.program_scope(program.id)
    written = await templates.new_version(
        turn.repos, scope, name, questions, turn.user.id, turn.now
    )
    if written is None:
        turn.say(
            _(
                "Someone changed this template at the same moment; please try again. "
                "Nothing changed."
            )
        )
        return
    turn.say(
        _(
            "{said} `{name}` of {program} is now version {version}; surveys "
            "already sent keep the version they were sent with.",
            said=said,
            name=name,
            program=program.name,
            version=written.version,
        )
    )


async def add(turn: Turn) -> None:
    found = await _editing(turn)
    if found is None:
        return
    program, name, template = found
    kind = str(turn.args.get("kind", "")).strip().lower()
    if kind not in templates.ADMIN_KINDS:
        kinds = "; ".join(f"`{k}` ({_(v)})" for k, v in templates.ADMIN_KINDS.items())
        turn.say(
            _("Say what kind of question with `kind=`: {kinds}. Nothing changed.", kinds=kinds)
        )
        return
    text = _question_text(turn)
    if text is None:
        return
    if len(template.questions) >= templates.MAX_QUESTIONS:
        turn.say(
            _(
                "A survey takes at most {n} questions. Nothing changed.",
                n=templates.MAX_QUESTIONS,
            )
        )
        return
    options = _options(turn) if kind == templates.CHOICE else None
    if kind == templates.CHOICE and options is None:
        return
    used = await turn.repos.feedback.question_keys_ever(templates.program_scope(program.id), name)
    key = templates.next_key(used | {q["key"] for q in template.questions})
    question = templates.question(key, kind, text, "", options)
    await _write(turn, program, name, [*template.questions, question], _("Added `{key}`.", key=key))


def _options(turn: Turn) -> list[dict[str, str]] | None:
    try:
        titles = forms.items(turn.args.get("options"), MAX_OPTIONS, MAX_OPTION)
    except forms.FormError as exc:
        titles, problem = [], f"`options=` {exc}"  # i18n: not said
    else:
        problem = ""
    if not problem and len(titles) < 2:
        problem = _('`options="First, Second, Third"` needs 2 to 8 choices')
    if problem:
        turn.say(_("{problem}. Nothing changed.", problem=problem))
        return None
    return [{"value": f"o{n}", "title": t} for n, t in enumerate(titles, start=1)]


def _find(turn: Turn, template: Any) -> dict[str, Any] | None:
    key = str(turn.args.get("question", "")).strip()
    found = next((q for q in template.questions if q["key"] == key), None)
    if found is None:
        keys = ", ".join(f"`{q['key']}`" for q in template.questions)
        turn.say(
            _("Name the question with `question=`: one of {keys}. Nothing changed.", keys=keys)
        )
    return found


async def reword(turn: Turn) -> None:
    found = await _editing(turn)
    if found is None:
        return
    program, name, template = found
    question = _find(turn, template)
    text = _question_text(turn) if question is not None else None
    if question is None or text is None:
        return
    if text == question["text"]:
        turn.say(_("`{key}` already reads like that. Nothing changed.", key=question["key"]))
        return
    questions = [
        q | {"text": text} if q["key"] == question["key"] else q for q in template.questions
    ]
    await _write(turn, program, name, questions, _("Reworded `{key}`.", key=question["key"]))


async def remove(turn: Turn) -> None:
    found = await _editing(turn)
    if found is None:
        return
    program, name, template = found
    question = _find(turn, template)
    if question is None:
        return
    if len(template.questions) == 1:
        turn.say(
            _(
                "That's the last question of `{name}`; turn the moment off instead. "
                "Nothing changed.",
                name=name,
            )
        )
        return
    questions = [q for q in template.questions if q["key"] != question["key"]]
    await _write(turn, program, name, questions, _("Removed `{key}`.", key=question["key"]))


# --- /survey pulse ------------------------------------------------------------------------------
async def pulse(turn: Turn) -> None:
    team = team_of(turn)
    row = await turn.repos.feedback.ensure_coffee_settings(team.id, turn.now)
    problems: list[str] = []
    word = turn.rest.strip().lower()
    on = _flag(word) if word else None
    if word and on is None:
        problems.append(_("say `on` or `off`"))
    k = _number(turn.args.get("k"), K_RANGE, "k=", problems)
    days = _number(turn.args.get("days"), DAYS_RANGE, "days=", problems)
    if problems:
        turn.say(
            _(
                "I couldn't change the coffee pulse: {problems}. Nothing changed.",
                problems="; ".join(problems),
            )
        )
        return
    if on is not None:
        row.pulse = on
    row.min_answers = k if k is not None else row.min_answers
    row.close_days = days if days is not None else row.close_days
    row.updated_at = turn.now
    values = {"team": team.name, "k": row.min_answers}
    if row.pulse:
        said = _.ngettext(
            'The coffee pulse in {team} is on: after each round\'s "Did you meet?", '
            "one anonymous question (1 to 5), shown to admins from {k} answers, "
            "open {n} day. `/survey pulse on|off [k=] [days=]`.",
            'The coffee pulse in {team} is on: after each round\'s "Did you meet?", '
            "one anonymous question (1 to 5), shown to admins from {k} answers, "
            "open {n} days. `/survey pulse on|off [k=] [days=]`.",
            row.close_days,
            **values,
        )
    else:
        said = _.ngettext(
            'The coffee pulse in {team} is off: after each round\'s "Did you meet?", '
            "one anonymous question (1 to 5), shown to admins from {k} answers, "
            "open {n} day. `/survey pulse on|off [k=] [days=]`.",
            'The coffee pulse in {team} is off: after each round\'s "Did you meet?", '
            "one anonymous question (1 to 5), shown to admins from {k} answers, "
            "open {n} days. `/survey pulse on|off [k=] [days=]`.",
            row.close_days,
            **values,
        )
    turn.say(said)


async def remind_now(turn: Turn) -> None:
    """`/survey remind <program>`: the one reminder of every open, unanswered invite of
    the program's surveys goes out now instead of two mornings later (never a second)."""
    program = await program_named(turn)
    if program is None:
        return
    count = await turn.repos.feedback.remind_now(program.id, turn.now)
    if not count:
        turn.say(
            _(
                "Nobody to remind in '{program}': every open survey is answered or "
                "reminded already. Nothing sent.",
                program=program.name,
            )
        )
        return
    await remind(turn.repos, turn.now)
    turn.result.queued += count
    turn.say(
        _.ngettext(
            "Reminding {n} person of their open surveys in '{program}' (each invitation gets "
            "one reminder; paused people none).",
            "Reminding {n} people of their open surveys in '{program}' (each invitation gets "
            "one reminder; paused people none).",
            count,
            program=program.name,
        )
    )
