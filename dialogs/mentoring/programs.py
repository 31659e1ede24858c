"""Mentoring programs: admins set them up (/program ...), members enrol (join).

Admin commands arrive with `turn.team` resolved and the sender checked. Card actions
carry a program id and are checked here, since a card is no trust boundary.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

from dialogs.core import forms, i18n, members, outbox
from dialogs.core.admins import is_admin, team_of
from dialogs.core.cards import Cards
from dialogs.core.local_time import today_of
from dialogs.core.people import display, language_of, languages_of, member_teams
from dialogs.core.router import Turn
from storage.models import Cohort, Enrolment, Mentorship, Program, Team, User

_ = i18n.catalog(__package__)
N_ = i18n.N_

CARDS = Cards("dialogs.mentoring")
SAVE_ACTION, JOIN_ACTION, ENROL_ACTION = "program_save", "program_join", "enrol_save"
NEW = "new"  # the program field of a new program's form

# The words of these constants are message ids: translate them where they are said
# (`_(CADENCES[program.cadence])`).
OBJECTIVES = {
    "skills": N_("Skill development"),
    "career": N_("Career advancement"),
    "leadership": N_("Leadership"),
    "onboarding": N_("Onboarding"),
    "diversity": N_("Diversity and inclusion"),
}
DEFAULT_RULES = N_("Be on time, be kind, keep what is shared between you.")
CADENCES = {
    "weekly": N_("every week"),
    "biweekly": N_("every 2 weeks"),
    "monthly": N_("every month"),
}
MODES = {
    "automatic": N_("Automatic: both are introduced"),
    "choose": N_("Mentees choose from suggestions"),
    "approve": N_("An admin approves before anyone is told"),
}
# A program's status as people read it ("Spring mentoring (open)").
STATUSES = {"draft": N_("draft"), "open": N_("open"), "closed": N_("closed")}
CAPACITY_RANGE = (1, 5)
MAX_NAME, MAX_AGREEMENT, MAX_WANTS = 100, 2000, 1000
MAX_RESOURCES = 10
MAX_ITEMS, MAX_ITEM_LENGTH = 15, 60  # objectives and focus areas, as on the profile
MAX_YEARS = 60
DEFAULT_MONTHS = 6
_LINK = re.compile(r"https://[^\s|]+")


# --- /program new, the form, saving --------------------------------------------------------------
async def new(turn: Turn) -> None:
    team = team_of(turn)
    name = " ".join((turn.args.get("name") or turn.rest).split())
    if not name or len(name) > MAX_NAME:
        turn.say(
            _(
                "Give the program a name (at most {limit} characters): "
                '`/program new name="Spring mentoring"`. Nothing changed.',
                limit=MAX_NAME,
            )
        )
        return
    if await turn.repos.programs.by_name([team.id], name):
        turn.say(
            _(
                "{team} already has a program called '{name}'. Nothing changed.",
                team=team.name,
                name=name,
            )
        )
        return
    # Nothing is stored until the form is saved: a retry or an abandoned form leaves no
    # program behind (and no "already has a program called ...").
    program = await _draft(turn, team, name)
    await _send_form(turn, program, team, _("New program: {name}", name=name))


async def _draft(turn: Turn, team: Team, name: str) -> Program:
    """A new program's defaults, not stored (its form's submit stores it)."""
    today = await today_of(turn.repos, turn.user, turn.now)
    return Program(
        team_id=team.id,
        name=name,
        status="draft",
        objectives=[],
        focus_areas=[],
        starts_on=today,
        ends_on=add_months(today, DEFAULT_MONTHS),
        cadence="biweekly",
        capacity=2,
        mode="automatic",
        agreement="",
        resources_mentors=[],
        resources_mentees=[],
        created_by_id=turn.user.id,
        created_at=turn.now,
        updated_at=turn.now,
    )


async def edit(turn: Turn) -> None:
    program = await named_program(turn)
    if program is not None:
        await _send_form(turn, program, team_of(turn), _("Edit {name}", name=program.name))


async def _send_form(turn: Turn, program: Program, team: Team, title: str) -> None:
    card = form_card(program, team, title)
    if turn.inbound.is_personal:
        turn.result.show(card)
        return
    form = outbox.to_user(
        outbox.key(
            "programform", program=program.id or NEW, user=turn.user.id, at=turn.now.isoformat()
        ),
        turn.user.id,
        card=card,
        team_id=team.id,
    )
    turn.result.queued += await outbox.queue(turn.repos, form, turn.now)
    turn.say(_("I've sent you the form for '{name}' in our 1:1 chat.", name=program.name))


def form_card(program: Program, team: Team, title: str) -> dict[str, Any]:
    known = [o for o in program.objectives if o in OBJECTIVES]
    other = [o for o in program.objectives if o not in OBJECTIVES]
    return CARDS.render(
        "program_form",
        title=title,
        team=team.name or _("your team"),
        team_id=team.id,
        program=program.id if program.id is not None else NEW,
        pname=program.name,
        objectives=",".join(known),
        objective_choices=_choices(OBJECTIVES),
        objectives_other=", ".join(other),
        focus_areas=", ".join(program.focus_areas),
        starts_on=program.starts_on.isoformat(),
        ends_on=program.ends_on.isoformat(),
        enrol_by=program.enrol_by.isoformat() if program.enrol_by else "",
        cadence=program.cadence,
        cadence_choices=_choices(CADENCES),
        capacity=program.capacity,
        mode=program.mode,
        mode_choices=_choices(MODES),
        agreement=program.agreement,
        resources_mentors=_resource_lines(program.resources_mentors),
        resources_mentees=_resource_lines(program.resources_mentees),
    )


async def save(turn: Turn) -> None:
    """The program form's submit (`program_save`)."""
    program = await _program_from_card(turn)
    if program is None:
        return
    team = await turn.repos.teams.get(program.team_id)
    if team is None or not await is_admin(turn, team, turn.user):
        turn.say(_("Only admins of the program's team can change it. Nothing changed."))
        return
    today = await today_of(turn.repos, turn.user, turn.now)
    values, errors = validate_program(turn.inbound.value, today, program)
    renamed = not errors and values["name"].lower() != program.name.lower()
    if renamed and await turn.repos.programs.by_name([team.id], values["name"]):
        errors.append(_("**Name**: {team} already has a program called that", team=team.name))
    if errors:
        turn.say(
            _(
                "I couldn't save the program. Please fix:\n{problems}\n\nNothing was saved.",
                problems="\n".join(f"- {e}" for e in errors),
            )
        )
        return
    first = program.status == "draft"
    for key, value in values.items():
        setattr(program, key, value)
    program.status = "open" if program.status == "draft" else program.status
    program.updated_at = turn.now
    if program.id is None:
        await turn.repos.programs.add(program)
    done = (
        N_(
            "'{name}' is set up. Invite people with `/program invite {name}`; they can also "
            "type `join {name}` 1:1."
        )
        if first
        else N_(
            "'{name}' is updated. Invite people with `/program invite {name}`; they can also "
            "type `join {name}` 1:1."
        )
    )
    turn.say(_(done, name=program.name))


def validate_program(
    raw: dict[str, Any], today: date, current: Program
) -> tuple[dict[str, Any], list[str]]:
    """Check every field; any error means nothing may be saved."""
    out: dict[str, Any] = {}
    errors: list[str] = []

    def wrong(label: str, problem: str) -> None:
        errors.append(_("**{label}**: {problem}", label=_(label), problem=problem))

    def check(label: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except ValueError as exc:
            wrong(label, str(exc))
            return None

    out["name"] = check(N_("Name"), lambda: _name(raw.get("name")))
    objectives = check(N_("Objectives"), lambda: _objectives(raw.get("objectives")))
    other = check(N_("Other objectives"), lambda: _items(raw.get("objectives_other")))
    out["objectives"] = (objectives or []) + (other or [])
    out["focus_areas"] = check(N_("Focus areas"), lambda: _items(raw.get("focus_areas")))
    starts = check(N_("Starts"), lambda: _date(raw.get("starts_on"), required=True))
    ends = check(N_("Ends"), lambda: _date(raw.get("ends_on"), required=True))
    enrol_by = check(N_("Enrol by"), lambda: _date(raw.get("enrol_by"), required=False))
    out |= {"starts_on": starts, "ends_on": ends, "enrol_by": enrol_by}
    unchanged_start = current.status != "draft" and starts == current.starts_on
    past = N_("{day} is in the past (today is {today})")
    if starts and starts < today and not unchanged_start:
        wrong(N_("Starts"), _(past, day=day_of(starts), today=day_of(today)))
    if starts and ends and ends <= starts:
        problem = _(
            "{day} must be after the start ({start})", day=day_of(ends), start=day_of(starts)
        )
        wrong(N_("Ends"), problem)
    if enrol_by and enrol_by < today and enrol_by != current.enrol_by:
        wrong(N_("Enrol by"), _(past, day=day_of(enrol_by), today=day_of(today)))
    if enrol_by and ends and enrol_by >= ends:
        problem = _("{day} must be before the end ({end})", day=day_of(enrol_by), end=day_of(ends))
        wrong(N_("Enrol by"), problem)
    out["cadence"] = check(N_("Meetings expected"), lambda: _pick(raw.get("cadence"), CADENCES))
    out["capacity"] = check(N_("Mentees per mentor"), lambda: _capacity(raw.get("capacity")))
    out["mode"] = check(N_("Matching"), lambda: _pick(raw.get("mode"), MODES))
    out["agreement"] = check(
        N_("Ground rules"), lambda: forms.text(raw.get("agreement"), MAX_AGREEMENT)
    )
    labels = {"mentors": N_("Resources for mentors"), "mentees": N_("Resources for mentees")}
    for side, label in labels.items():
        key = f"resources_{side}"
        out[key] = check(label, partial(_resources_of, raw, key))
    return out, errors


def day_of(day: date) -> str:
    """A program's date as people read it: ISO in English ("2027-03-01"), the reader's
    language's own way otherwise ("1. März 2027", "2027年3月1日")."""
    if i18n.current() == i18n.SOURCE:
        return day.isoformat()
    return i18n.when(day, "%Y-%m-%d")


def _items(value: Any) -> list[str]:
    return forms.items(value, MAX_ITEMS, MAX_ITEM_LENGTH)


def _name(value: Any) -> str:
    name = " ".join(value.split()) if isinstance(value, str) else ""
    if not name or len(name) > MAX_NAME:
        raise ValueError(_("1 to {limit} characters", limit=MAX_NAME))
    return name


def _objectives(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, str):
        raise ValueError(_("a comma-separated choice"))
    picked = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in picked if v not in OBJECTIVES]
    if unknown:
        raise ValueError(
            _("unknown: {names}; use the 'Other objectives' box", names=", ".join(unknown))
        )
    return picked


def _date(value: Any, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            raise ValueError(_("a date is needed (YYYY-MM-DD)"))
        return None
    found = forms.iso_date(value)
    if found is None:
        raise ValueError(_("'{value}' is not a date as YYYY-MM-DD", value=value))
    return found


def _pick(value: Any, allowed: dict[str, str]) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    raise ValueError(_("one of {choices}", choices=", ".join(allowed)))


def _capacity(value: Any) -> int:
    low, high = CAPACITY_RANGE
    number = forms.whole(value)
    if number is None or not low <= number <= high:
        shown = _("nothing") if value in (None, "") else repr(value)
        raise ValueError(
            _(
                "a whole number from {low} to {high} (you entered {shown})",
                low=low,
                high=high,
                shown=shown,
            )
        )
    return number


def _resources_of(raw: dict[str, Any], key: str) -> list[dict[str, str]]:
    return _resources(raw.get(key))


def _resources(value: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, str):
        raise ValueError(_("one per line: Title | https://..."))
    out = []
    for line in (ln.strip() for ln in value.splitlines()):
        if not line:
            continue
        title, _bar, url = (part.strip() for part in line.rpartition("|"))
        if not _LINK.fullmatch(url) or not title or len(title) > 100:
            raise ValueError(
                _("'{line}' should read Title | https://... (https only)", line=line[:60])
            )
        out.append({"title": title, "url": url})
    if len(out) > MAX_RESOURCES:
        raise ValueError(_("at most {limit} links", limit=MAX_RESOURCES))
    return out


def _resource_lines(resources: list[dict[str, str]]) -> str:
    return "\n".join(f"{r['title']} | {r['url']}" for r in resources)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- /program list|show|close|invite -------------------------------------------------------------
async def list_programs(turn: Turn) -> None:
    team = team_of(turn)
    programs = await turn.repos.programs.of_team(team.id)
    if not programs:
        turn.say(
            _('No programs in {team} yet. `/program new name="..."` starts one.', team=team.name)
        )
        return
    lines = [_("**Programs in {team}**", team=team.name)]
    for program in programs:
        counts = await turn.repos.programs.counts(program.id)
        lines.append(
            _(
                "- **{name}** ({status}): {start} to {end}; {mentors}, {mentees}, {pairs}",
                name=program.name,
                status=status_of(program),
                start=day_of(program.starts_on),
                end=day_of(program.ends_on),
                mentors=_mentors(counts["mentors"]),
                mentees=_mentees(counts["mentees"]),
                pairs=_.ngettext("{n} active pair", "{n} active pairs", counts["active"]),
            )
        )
    turn.say("\n".join(lines))


def status_of(program: Program) -> str:
    return _(STATUSES[program.status]) if program.status in STATUSES else program.status


def _mentors(count: int) -> str:
    return _.ngettext("{n} mentor", "{n} mentors", count)


def _mentees(count: int) -> str:
    return _.ngettext("{n} mentee", "{n} mentees", count)


def objectives_of(program: Program) -> str:
    """The program's objectives as people read them (its own ones as written)."""
    return ", ".join(_(OBJECTIVES[o]) if o in OBJECTIVES else o for o in program.objectives)


async def show(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    counts = await turn.repos.programs.counts(program.id)
    dates = {"start": day_of(program.starts_on), "end": day_of(program.ends_on)}
    lines = [
        f"**{program.name}** ({status_of(program)})",
        _("- Objectives: {objectives}", objectives=objectives_of(program) or "—"),
        _("- Focus areas: {areas}", areas=", ".join(program.focus_areas) or "—"),
        _(
            "- Dates: {start} to {end}; enrol by {enrol_by}",
            enrol_by=day_of(program.enrol_by),
            **dates,
        )
        if program.enrol_by
        else _("- Dates: {start} to {end}", **dates),
        _("- Meetings expected {cadence}", cadence=_(CADENCES[program.cadence])),
        _("- Mentees per mentor: {n} by default", n=program.capacity),
        _("- Matching: {mode}", mode=_(MODES[program.mode])),
        _(
            "- Enrolled: {mentors}, {mentees}",
            mentors=_mentors(counts["mentors"]),
            mentees=_mentees(counts["mentees"]),
        ),
        _(
            "- Pairs: {active} active, {agreeing} confirming the agreement, {ended} ended; "
            "proposals waiting for review: {proposals}",
            active=counts["active"],
            agreeing=counts["agreeing"],
            ended=counts["ended"],
            proposals=counts["proposals_proposed"],
        ),
        "",
        _("- Group chats: {chats}", chats=chats_line(turn, program)),
        "",
        _("**Ground rules** (every new pair agrees to them)"),
        rules_of(program),
        "",
        _("**Resources for mentors**"),
        _resource_list(program.resources_mentors),
        "",
        _("**Resources for mentees**"),
        _resource_list(program.resources_mentees),
    ]
    turn.say("\n".join(lines))


ON, OFF = ("on", "yes", "true", "1"), ("off", "no", "false", "0")


async def settings(turn: Turn) -> None:
    """`/program settings <program> [groupchat=on|off]`: the program's options (a bad
    value changes nothing)."""
    program = await named_program(turn)
    if program is None:
        return
    raw = turn.args.get("groupchat")
    if raw is not None and raw.lower() not in ON + OFF:
        turn.say(_("`groupchat=`: use on or off, not '{raw}'. Nothing changed.", raw=raw))
        return
    if raw is not None:
        program.group_chats, program.updated_at = raw.lower() in ON, turn.now
    saved = _("Saved.") + " " if raw is not None else ""
    turn.say(
        saved
        + _(
            "**{name}** settings:\n- Group chats: {chats}\nChange with `groupchat=on|off`.",
            name=program.name,
            chats=chats_line(turn, program),
        )
    )


def chats_line(turn: Turn, program: Program) -> str:
    if not program.group_chats:
        return _("off (intros come 1:1)")
    if not turn.env.graph:
        return _("on, but Microsoft Graph is not connected, so intros come 1:1")
    return _(
        "on (a group chat of each new pair for its intro, where Graph allows; see `/graph status`)"
    )


def rules_of(program: Program) -> str:
    """The pair's ground rules: the program's own, else the default in the reader's
    language."""
    return program.agreement or _(DEFAULT_RULES)


def _resource_list(resources: list[dict[str, str]]) -> str:
    if not resources:
        return _("None yet (add them with `/program edit`).")
    return "\n".join(f"- [{r['title']}]({r['url']})" for r in resources)


async def close(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    if program.status == "closed":
        turn.say(_("'{name}' is already closed. Nothing changed.", name=program.name))
        return
    repos, now = turn.repos, turn.now
    ended = 0
    for mentorship in await repos.programs.live_mentorships(program.id):
        await end_politely(turn, program, mentorship, "closed", None)
        ended += 1
    await repos.programs.close_proposals(program.id, None, now)
    program.status, program.closed_at, program.updated_at = "closed", now, now
    enrolled = await repos.programs.enrolments(program.id)
    people = await repos.users.by_ids(e.user_id for e in enrolled)
    participants = [people[e.user_id] for e in enrolled if e.user_id in people]
    # Other features add their part (the feedback feature: the end-of-program survey) and
    # say what follows, so each thank-you promises only what will happen.
    follows: dict[int, list[str]] = {}
    for hook in turn.env.table.program_closed:
        for user_id, sentence in (await hook(repos, program, participants, now)).items():
            follows.setdefault(user_id, []).append(sentence)
    await thank_participants(repos, program, participants, now, follows)
    turn.result.queued += len(participants) + 2 * ended
    turn.say(
        _.ngettext(
            "'{name}' is closed: {mentorships} ended with a thank-you to both sides, and "
            "{n} participant was thanked.",
            "'{name}' is closed: {mentorships} ended with a thank-you to both sides, and "
            "{n} participants were thanked.",
            len(participants),
            name=program.name,
            mentorships=_.ngettext("{n} mentorship", "{n} mentorships", ended),
        )
    )


async def thank_participants(
    repos: Any,
    program: Program,
    participants: list[User],
    now: datetime,
    follows: dict[int, list[str]],
) -> None:
    """A thank-you to everyone enrolled, each in their language, with what other features
    said follows for them."""
    team = await repos.teams.get(program.team_id)
    languages = await languages_of(repos, participants, team)
    for user in participants:
        with i18n.speaking(languages[user.id]):
            thanked = _(
                "'{name}' has come to an end. Thank you for taking part!", name=program.name
            )
        text = " ".join([thanked, *follows.get(user.id, [])])
        thanks = outbox.to_user(
            outbox.key("programclosed", program=program.id, user=user.id),
            user.id,
            text=text,
            team_id=program.team_id,
        )
        await outbox.queue(repos, thanks, now)


async def end_politely(
    turn: Turn, program: Program, mentorship: Mentorship, kind: str, reason: str | None
) -> None:
    """End a mentorship and tell both sides kindly (never the private reason)."""
    mentorship.status, mentorship.ended_at = "ended", turn.now
    mentorship.ended_by_id, mentorship.end_kind, mentorship.end_reason = (
        turn.user.id,
        kind,
        reason,
    )
    people = await turn.repos.users.by_ids([mentorship.mentor_id, mentorship.mentee_id])
    team = await turn.repos.teams.get(program.team_id)
    languages = await languages_of(turn.repos, people.values(), team)
    for me, other in (
        (mentorship.mentor_id, mentorship.mentee_id),
        (mentorship.mentee_id, mentorship.mentor_id),
    ):
        if kind != "closed" and me == turn.user.id:
            continue  # whoever ended it is answered in their own turn
        if kind == "closed":
            words = N_(
                "Your mentorship with {name} in '{program}' ended with the program. "
                "Thank you for the time you gave each other!"
            )
        elif kind == "moved" and me == mentorship.mentee_id:
            words = N_(
                "Your mentorship with {name} in '{program}' has ended: an admin has paired "
                "you with a new mentor. Thank you for the time you gave each other!"
            )
        elif kind == "moved":
            words = N_(
                "Your mentorship with {name} in '{program}' has ended: an admin has paired "
                "them differently. Thank you for the time you gave each other!"
            )
        else:
            words = N_(
                "Your mentorship with {name} in '{program}' has ended. "
                "Thank you for the time you gave each other!"
            )
        with i18n.speaking(languages.get(me) or language_of(None, team=team)):
            text = _(words, name=display(people.get(other)), program=program.name)
        ended = outbox.to_user(
            outbox.key("mentorshipended", mentorship.id, user=me),
            me,
            text=text,
            team_id=program.team_id,
        )
        await outbox.queue(turn.repos, ended, turn.now)


async def invite(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    if program.status != "open":
        turn.say(
            _(
                "'{name}' is {status}; save its form first. Nothing sent.",
                name=program.name,
                status=status_of(program),
            )
        )
        return
    with i18n.speaking(team_of(turn).language):  # a post for the whole team
        card = invite_card(program)
    if turn.inbound.conversation_type == "channel":
        turn.result.show(card)
        return
    post = outbox.to_team(
        outbox.key("programinvite", program=program.id, at=turn.now.isoformat()),
        program.team_id,
        card=card,
    )
    turn.result.queued += await outbox.queue(turn.repos, post, turn.now)
    turn.say(
        _(
            "I've posted the invitation to '{name}' in the team's General channel.",
            name=program.name,
        )
    )


def invite_card(program: Program) -> dict[str, Any]:
    facts = [
        {
            "title": _("Dates"),
            "value": _(
                "{start} to {end}", start=day_of(program.starts_on), end=day_of(program.ends_on)
            ),
        },
        {"title": _("Meetings"), "value": _(CADENCES[program.cadence])},
    ]
    if program.enrol_by:
        facts.append({"title": _("Join by"), "value": day_of(program.enrol_by)})
    if program.focus_areas:
        facts.append({"title": _("Focus"), "value": ", ".join(program.focus_areas)})
    return CARDS.render(
        "program_invite",
        pname=program.name,
        program=program.id,
        objectives=objectives_of(program),
        facts=facts,
    )


# --- /program cohort ------------------------------------------------------------------------------
async def cohort(turn: Turn) -> None:
    """`/program cohort <program> cohort="..."`: enrolments from now on form a new cohort
    of the program. The first split also makes its first cohort, of everyone so far."""
    name = " ".join(str(turn.args.get("cohort") or "").split())
    if not name or len(name) > MAX_NAME:
        turn.say(
            _(
                "Name the new cohort (at most {limit} characters), e.g. "
                '`/program cohort Spring mentoring cohort="Autumn 2027"`. Nothing changed.',
                limit=MAX_NAME,
            )
        )
        return
    program = await named_program(turn)
    if program is None:
        return
    if program.status == "closed":
        turn.say(
            _(
                "'{name}' is closed, so nobody can enrol any more. Nothing changed.",
                name=program.name,
            )
        )
        return
    repos = turn.repos.programs
    cohorts = await repos.cohorts(program.id)
    names = [c.name for c in cohorts] or [first_cohort_name(program)]
    if name.lower() in {n.lower() for n in names}:
        turn.say(
            _(
                "'{program}' already has a cohort called '{name}'. Nothing changed.",
                program=program.name,
                name=name,
            )
        )
        return
    if not cohorts:
        first = Cohort(program_id=program.id, name=names[0], started_at=program.created_at)
        await repos.start_first_cohort(_stamped(first, None, turn.now))
    cohort = Cohort(program_id=program.id, name=name, started_at=turn.now)
    await repos.add_cohort(_stamped(cohort, turn.user.id, turn.now))
    turn.say(
        _(
            "'{program}' has a new cohort, '{name}': everyone who enrols from now on is "
            "in it; earlier enrolments stay in '{earlier}'. The dashboard's program history "
            "shows each cohort.",
            program=program.name,
            name=name,
            earlier=names[-1],
        )
    )


def first_cohort_name(program: Program) -> str:
    """The first cohort is named after the program's start (a name stored as the admin
    who splits the program reads it)."""
    return _("Started {day}", day=day_of(program.starts_on))


def _stamped(cohort: Cohort, by: int | None, now: datetime) -> Cohort:
    cohort.created_by_id, cohort.created_at = by, now
    return cohort


# --- enrolment -----------------------------------------------------------------------------------
async def join(turn: Turn) -> None:
    """`join <program>` 1:1: the program's questions as a card."""
    name = " ".join(turn.rest.split())
    if not name:
        turn.say(_("Which program? Type `join <program name>`."))
        return
    teams = await member_teams(turn.repos, turn.user)
    found = await turn.repos.programs.by_name([t.id for t in teams], name)
    if not found:
        turn.say(_("I can't find a program called '{name}' in your teams.", name=name))
        return
    if len(found) > 1:
        turn.say(
            _(
                "Several of your teams have a program called '{name}'; ask an admin to invite you.",
                name=name,
            )
        )
        return
    card = await _enrol_card_or_reason(turn, found[0])
    if card is not None:
        turn.result.show(card)


async def join_from_card(turn: Turn) -> None:
    """The channel invitation's Join button: the questions go to the member 1:1."""
    program = await _program_from_card(turn)
    if program is None:
        return
    if not await members.require(turn, program.team_id, quiet=True):
        return  # not in the team: a forged or foreign card; nothing to say in a channel
    card = await _enrol_card_or_reason(turn, program, quiet=True)
    if card is None:
        return
    form = outbox.to_user(
        outbox.key("enrolform", program=program.id, user=turn.user.id, at=turn.now.isoformat()),
        turn.user.id,
        card=card,
        team_id=program.team_id,
    )
    turn.result.queued += await outbox.queue(turn.repos, form, turn.now)


async def _enrol_card_or_reason(
    turn: Turn, program: Program, quiet: bool = False
) -> dict[str, Any] | None:
    problem = _closed_for_enrolment(program, await today_of(turn.repos, turn.user, turn.now))
    if problem:
        if not quiet:
            turn.say(problem)
        return None
    current = await turn.repos.programs.enrolment(program.id, turn.user.id)
    about = _(
        "Runs {start} to {end}, meetings {cadence}.",
        start=day_of(program.starts_on),
        end=day_of(program.ends_on),
        cadence=_(CADENCES[program.cadence]),
    )
    if not await turn.repos.profiles.get(turn.user.id):
        about += " " + _("Matching uses your profile: type `profile` to set it up.")
    return CARDS.render(
        "enrol_form",
        pname=program.name,
        program=program.id,
        about=about,
        role=current.role if current and current.active else "",
        wants=current.wants if current else "",
        capacity=(current.capacity if current and current.capacity else program.capacity),
        experience_years=(
            current.experience_years if current and current.experience_years is not None else ""
        ),
    )


def _closed_for_enrolment(program: Program, today: date) -> str:
    if program.status != "open":
        return _("'{name}' isn't open for enrolment.", name=program.name)
    if program.enrol_by and today > program.enrol_by:
        return _(
            "Enrolment for '{name}' closed on {day}.",
            name=program.name,
            day=day_of(program.enrol_by),
        )
    return ""


async def save_enrolment(turn: Turn) -> None:
    """The enrolment card's submit (`enrol_save`)."""
    program = await _program_from_card(turn)
    if program is None:
        return
    if not await members.require(turn, program.team_id):
        return
    problem = _closed_for_enrolment(program, await today_of(turn.repos, turn.user, turn.now))
    if problem:
        turn.say(problem + " " + _("Nothing was saved."))
        return
    value = turn.inbound.value
    role = value.get("role")
    errors = []
    if role not in ("mentor", "mentee"):
        errors.append(_("please choose mentor or mentee"))
    wants = value.get("wants") or ""
    if not isinstance(wants, str) or len(wants.strip()) > MAX_WANTS:
        errors.append(
            _("'what I want' must be text of at most {limit} characters", limit=MAX_WANTS)
        )
    capacity = None
    if role == "mentor":
        try:
            capacity = _capacity(value.get("capacity") or program.capacity)
        except ValueError as exc:
            errors.append(_("mentees at once must be {problem}", problem=exc))
    raw_years = value.get("experience_years")
    years = None if raw_years in (None, "") else forms.whole(raw_years)
    if raw_years not in (None, "") and (years is None or not 0 <= years <= MAX_YEARS):
        errors.append(
            _("years of experience must be a whole number from 0 to {limit}", limit=MAX_YEARS)
        )
    if errors:
        turn.say(
            _("I couldn't enrol you: {problems}. Nothing was saved.", problems="; ".join(errors))
        )
        return
    await _enrol(turn, program, str(role), str(wants).strip(), capacity, years)


async def _enrol(
    turn: Turn,
    program: Program,
    role: str,
    wants: str,
    capacity: int | None,
    years: int | None,
) -> None:
    current = await turn.repos.programs.enrolment(program.id, turn.user.id)
    if current is None:
        current = Enrolment(program_id=program.id, user_id=turn.user.id, created_at=turn.now)
        current.cohort_id = await turn.repos.programs.current_cohort(program.id)
        turn.repos.programs.add_enrolment(current)
    current.role, current.wants, current.capacity = role, wants, capacity
    current.experience_years = years
    current.active, current.priority, current.updated_at = True, False, turn.now
    if program.enrol_by:
        words = (
            N_("You're in '{name}' as a mentor. Matching happens after {day}; I'll message you.")
            if role == "mentor"
            else N_(
                "You're in '{name}' as a mentee. Matching happens after {day}; I'll message you."
            )
        )
        turn.say(_(words, name=program.name, day=day_of(program.enrol_by)))
        return
    words = (
        N_(
            "You're in '{name}' as a mentor. Matching happens when an admin starts matching; "
            "I'll message you."
        )
        if role == "mentor"
        else N_(
            "You're in '{name}' as a mentee. Matching happens when an admin starts matching; "
            "I'll message you."
        )
    )
    turn.say(_(words, name=program.name))


# --- helpers -------------------------------------------------------------------------------------
async def named_program(turn: Turn) -> Program | None:
    """The program an admin command names (`name=` or the words after it) in its team."""
    team = team_of(turn)
    name = " ".join((turn.args.get("name") or turn.rest).split())
    if not name:
        command = turn.command.name if turn.command else "/program show"  # i18n: not said
        turn.say(
            _("Which program? Add its name, e.g. `{command} Spring mentoring`.", command=command)
        )
        return None
    found = await turn.repos.programs.by_name([team.id], name)
    if not found:
        names = ", ".join(f"'{p.name}'" for p in await turn.repos.programs.of_team(team.id))
        if names:
            turn.say(
                _(
                    "No program called '{name}' in {team}. Programs: {names}.",
                    name=name,
                    team=team.name,
                    names=names,
                )
            )
        else:
            turn.say(_("No program called '{name}' in {team}.", name=name, team=team.name))
        return None
    return found[0]


async def _program_from_card(turn: Turn) -> Program | None:
    value = turn.inbound.value
    if value.get("program") == NEW:  # the form of `/program new`: made when saved
        team_id = forms.row_id(value.get("team"))
        team = await turn.repos.teams.get(team_id) if team_id is not None else None
        if team is None:
            turn.say(_("I can't find that program any more. Nothing was saved."))
            return None
        return await _draft(turn, team, "")
    program_id = forms.row_id(value.get("program"))
    program = await turn.repos.programs.get(program_id) if program_id is not None else None
    if program is None:
        turn.say(_("I can't find that program any more. Nothing was saved."))
    return program


def _choices(options: dict[str, str]) -> list[dict[str, str]]:
    return [{"title": _(label), "value": key} for key, label in options.items()]
