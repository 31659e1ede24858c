"""What each tab page shows, as plain data: no HTTP, no HTML (bot/tab/ renders it).

Every function starts from the signed-in person and checks what they may see, with THE
admin rule (dialogs/core/admins.py): an admin of team A sees team A's programs and
coffee chats and nothing of team B; a member sees only their own page. A program or team
that is not theirs is refused exactly like one that does not exist (NOT_YOURS), so an id
tells nothing. The numbers are the metrics functions' (dialogs/feedback/metrics.py) over
the repository's batched fact reads, the same as the chat report and the CSV files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import dialogs.feedback.exports as exports
import dialogs.feedback.metrics as metrics
import dialogs.goals.checkin_settings as checkin_settings
from dialogs.core import forms, i18n
from dialogs.core.admins import administers, teams_administered
from dialogs.core.i18n import N_
from dialogs.dashboard import health, insights
from dialogs.dashboard.access import ADMINS_ONLY, NOT_YOURS, Refused
from dialogs.feedback.lookup import COFFEE_DAYS, MAX_WINDOW_DAYS, Window, coffee_default
from dialogs.feedback.metrics import Aggregate, Metric, Withheld
from dialogs.feedback.report import COFFEE_HEADLINES, HEADLINES
from storage.models import Program, Team, User
from storage.repos import Repos
from storage.repos.feedback import CoffeeFacts, ProgramFacts

_ = i18n.catalog(__package__)
# The section headings and the files' descriptions are the chat report's (feedback's words).
_feedback = i18n.catalog("dialogs.feedback")
# The downloads' names on their buttons; the keys are what the export asks for.
FILE_NAMES = {
    "pairs": N_("Pairs"),
    "participants": N_("Participants"),
    "metrics": N_("Metrics"),
    "feedback": N_("Feedback"),
}
MAX_BUCKETS = 12
# The early endings' kinds as the chart names them.
ENDINGS = {"not_fit": N_("not fit"), "ended": N_("ended"), "erased": N_("erased")}
RETENTION_DAYS = (30, 60, 90, 120, 150, 180)
SURVEY_NAMES = {
    "session": N_("after a session"),
    "progress": N_("progress check"),
    "day30": N_("day 30"),
    "mid": N_("halfway"),
    "end": N_("end of the program"),
    "after": N_("60 days after"),
    "pulse": N_("coffee pulse"),
}


# --- the shapes the templates get ----------------------------------------------------------
@dataclass(frozen=True)
class Chart:
    """One chart, and the same numbers as a table. `values` are the plotted numbers
    (None: nothing to count or withheld); `shown` how each reads in the table."""

    key: str
    title: str
    desc: str
    unit: str  # count | share | mean | score | percent
    labels: list[str]
    values: list[float | None]
    shown: list[str]
    kind: str = "bar"  # bar | line
    note: str = ""
    axis: str = N_("Month")  # what the labels are (the table's first column)
    # A stacked bar chart: (series name, a value per label) each; `values` are the totals.
    stacks: tuple[tuple[str, tuple[float, ...]], ...] = ()


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    before: str = ""
    arrow: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    rows: list[Row]


@dataclass(frozen=True)
class PairHealth:
    mentor: str
    mentee: str
    state: str
    reason: str
    quiet_days: int | None


@dataclass(frozen=True)
class Unmatched:
    name: str
    role: str
    reason: str
    since: str  # enrolled on


@dataclass(frozen=True)
class ConcernItem:
    id: int
    who: str
    about: str
    text: str
    raised: str


@dataclass
class ProgramPage:
    team: Team
    program: Program
    window: Window
    sections: list[Section]
    charts: list[Chart]
    health: list[PairHealth]
    health_counts: dict[str, int]
    health_filter: str  # "" (all) or one of health.STATES
    health_sort: str  # one of HEALTH_SORTS
    unmatched: dict[str, int]
    unmatched_people: list[Unmatched]
    waiting_approval: int
    concerns: list[ConcernItem]
    insights: list[insights.Insight]
    response_rates: dict[str, float | None] = field(default_factory=dict)
    downloads: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class CoffeePage:
    team: Team
    window: Window
    sections: list[Section]
    charts: list[Chart]
    downloads: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamEntry:
    team: Team
    programs: list[Program]
    open_concerns: int


@dataclass
class MyPage:
    user: User
    mentorships: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    items: list[dict[str, Any]]
    surveys: list[dict[str, Any]]
    coffee: list[dict[str, Any]]
    checkin: str
    is_admin: bool


# --- the date range ------------------------------------------------------------------------
def parse_window(raw_from: str | None, raw_to: str | None, first: date, today: date) -> Window:
    """`from` and `to` (YYYY-MM-DD, inclusive), as the chat commands read them."""
    start = _day(raw_from, first, "from")
    last = _day(raw_to, today, "to")
    if last < start:
        raise Refused(
            400, N_("Check the dates"), N_("The last day is before the first. Nothing shown.")
        )
    if (last - start).days > MAX_WINDOW_DAYS:
        raise Refused(400, N_("Check the dates"), N_("Pick at most three years at once."))
    return Window(start, last)


def _day(raw: str | None, default: date, name: str) -> date:
    if not raw:
        return default
    found = forms.iso_date(raw)
    if found is None or not date(2000, 1, 1) <= found <= date(2100, 1, 1):
        raise Refused(
            400, N_("Check the dates"), _("The {name} date must look like 2027-01-31.", name=name)
        )
    return found


def buckets(window: Window) -> list[Window]:
    """Calendar months of the window (clipped to it); more than 12: equal spans instead."""
    months: list[Window] = []
    day = window.first
    while day <= window.last:
        nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        months.append(Window(day, min(window.last, nxt - timedelta(days=1))))
        day = nxt
    if len(months) <= MAX_BUCKETS:
        return months
    days = (window.last - window.first).days + 1
    span = -(-days // MAX_BUCKETS)
    return [
        Window(
            window.first + timedelta(days=i),
            min(window.last, window.first + timedelta(i + span - 1)),
        )
        for i in range(0, days, span)
    ]


def _label(w: Window) -> str:
    if w.first.day == 1 or w.first.month == w.last.month:
        return i18n.when(w.first, "%b %Y")
    return f"{i18n.when(w.first, '%d %b')}–{i18n.when(w.last, '%d %b %Y')}"


# --- rights --------------------------------------------------------------------------------
async def admin_teams(repos: Repos, admins: frozenset[str], user: User) -> list[Team]:
    return await teams_administered(repos, admins, user)


async def program_of(
    repos: Repos, admins: frozenset[str], user: User, program_id: object
) -> tuple[Program, Team]:
    """The program and its team, when this person administers it; else NOT_YOURS."""
    pid = forms.row_id(program_id)
    program = await repos.programs.get(pid) if pid else None
    team = await repos.teams.get(program.team_id) if program else None
    if program is None or team is None or not team.active:
        raise NOT_YOURS
    if not await administers(repos, admins, team, user):
        raise NOT_YOURS
    return program, team


async def _team_for(repos: Repos, admins: frozenset[str], user: User, team_id: object) -> Team:
    tid = forms.row_id(team_id)
    team = await repos.teams.get(tid) if tid else None
    if team is None or not team.active or not await administers(repos, admins, team, user):
        raise NOT_YOURS
    return team


# --- the admin's home ----------------------------------------------------------------------
async def home(repos: Repos, admins: frozenset[str], user: User) -> list[TeamEntry]:
    teams = await admin_teams(repos, admins, user)
    if not teams:
        raise ADMINS_ONLY
    programs = await repos.tab.programs_of(t.id for t in teams)
    concerns = await _not_involved(repos, await repos.tab.open_concerns(t.id for t in teams), user)
    by_team: dict[int, list[Program]] = defaultdict(list)
    for p in programs:
        by_team[p.team_id].append(p)
    open_by_team: dict[int, int] = defaultdict(int)
    for c, _ship in concerns:
        open_by_team[c.team_id] += 1
    return [TeamEntry(t, by_team[t.id], open_by_team[t.id]) for t in teams]


# --- a program -----------------------------------------------------------------------------
async def program_page(
    repos: Repos,
    admins: frozenset[str],
    user: User,
    program_id: object,
    raw_from: str | None,
    raw_to: str | None,
    now: datetime,
    state: str | None = None,
    sort: str | None = None,
) -> ProgramPage:
    """`state` filters match health to one state; `sort` orders it (HEALTH_SORTS)."""
    program, team = await program_of(repos, admins, user, program_id)
    window = parse_window(raw_from, raw_to, program.starts_on, now.date())
    settings = await repos.feedback.program_settings(program.id)
    k = metrics.k_of(settings.min_answers if settings else None)
    months = buckets(window)
    spans = [window, window.before(), *months]
    end = metrics.program_end(program.ends_on, program.closed_at)
    facts = await repos.feedback.program_facts(program, [(w.start, w.end) for w in spans], end)
    current, previous, monthly = facts[0], facts[1], facts[2:]
    now_metrics = metrics.program_metrics(current, k)
    before_metrics = metrics.program_metrics(previous, k)
    pairs = await _pair_health(repos, current, now)
    concerns = await _concerns(repos, team, program, user)
    unmatched = metrics.unmatched_reasons(current)
    waiting = sum(r.n for r in current.proposals if r.status == "proposed" and r.side == "mentee")
    rates = _response_rates(current)
    verdicts = [health.Verdict(p.state, p.reason) for p in pairs]
    counts = health.counts(verdicts)
    quiet = sum(1 for p in pairs if (p.quiet_days or 0) >= health.QUIET_DAYS)
    activity = metrics.activities(monthly)  # once a month, for two charts
    return ProgramPage(
        team=team,
        program=program,
        window=window,
        sections=_sections(now_metrics, before_metrics, HEADLINES),
        charts=[
            *_program_charts(current, now_metrics, monthly, activity, months, k),
            _health_chart(monthly, activity, months, now),
        ],
        health=_filtered(pairs, state, sort),
        health_counts=counts,
        health_filter=state if state in health.STATES else "",
        health_sort=sort if sort in HEALTH_SORTS else HEALTH_SORTS[0],
        unmatched=unmatched,
        unmatched_people=await _unmatched_people(repos, current),
        waiting_approval=waiting,
        concerns=concerns,
        insights=insights.program_insights(
            program.name, unmatched, waiting, quiet, rates, len(concerns), counts[health.CHECK_IN]
        ),
        response_rates=rates,
        downloads=_downloads(exports.PROGRAM_FILES),
    )


def _downloads(files: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Each file: its name and what it holds, in the reader's language."""
    return {what: (_(FILE_NAMES[what]), _feedback(about)) for what, about in files.items()}


def _sections(
    now: list[Metric], before: list[Metric], headlines: dict[str, tuple[str, ...]] | Any
) -> list[Section]:
    current = {m.key: m for m in now}
    previous = {m.key: m for m in before}
    return [
        Section(
            _feedback(heading),
            [
                Row(
                    current[key].label,
                    metrics.shown(current[key]),
                    metrics.shown(previous[key]),
                    metrics.trend(current[key].value, previous[key].value),
                )
                for key in keys
            ],
        )
        for heading, keys in headlines.items()
    ]


def _number(value: Any) -> float | None:
    return metrics.headline(value)


def _chart(
    key: str,
    title: str,
    desc: str,
    unit: str,
    labels: list[str],
    values: list[Any],
    kind: str = "bar",
    axis: str = N_("Month"),
) -> Chart:
    """`title`, `desc` and `axis` are marked (N_) where the chart is made, said here."""
    withheld = [v for v in values if isinstance(v, Withheld)]
    note = (
        _("Aggregates of fewer than {k} answers are withheld.", k=withheld[0].k) if withheld else ""
    )
    return Chart(
        key,
        _(title),
        _(desc),
        unit,
        labels,
        [_number(v) for v in values],
        [metrics._shown(unit, v) for v in values],
        kind,
        note,
        _(axis),
    )


def _program_charts(
    f: ProgramFacts,
    now: list[Metric],
    monthly: list[ProgramFacts],
    activity: list[metrics.Activity],
    months: list[Window],
    k: int,
) -> list[Chart]:
    by = {m.key: m for m in now}
    labels = [_label(w) for w in months]
    satisfaction = by["satisfaction"].value
    spread = satisfaction.distribution if isinstance(satisfaction, Aggregate) else {}
    endings = metrics.early_endings(f)
    charts = [
        _chart(
            "funnel",
            N_("Participation funnel"),
            N_("Team members invited, participants enrolled and participants matched."),
            "count",
            [_("Invited"), _("Enrolled"), _("Matched")],
            [by["invited"].value, by["enrolled"].value, by["matched"].value],
            axis=N_("Stage"),
        ),
        _chart(
            "sessions",
            N_("Sessions per pair a month, by month"),
            N_("Meeting notes saved per pair-month of running mentorships, each month."),
            "mean",
            labels,
            [a.sessions_per_pair_month for a in activity],
            "line",
        ),
        _chart(
            "cadence",
            N_("Pairs meeting at the agreed cadence, by month"),
            N_(
                "Of the pairs running at least one interval in the month, the share that met "
                "as often as agreed."
            ),
            "share",
            labels,
            [a.at_cadence_share for a in activity],
            "line",
        ),
        _chart(
            "goals",
            N_("Mean goal progress, by month"),
            N_("Mean progress (0 to 100) of the goals participants made each month, as it is now."),
            "percent",
            labels,
            [metrics.goal_progress(m) for m in monthly],
        ),
        _chart(
            "satisfaction",
            N_("Satisfaction, answers by rating"),
            N_("How many answers gave each rating from 1 to 5."),
            "count",
            list(spread) or [_("All ratings")],
            list(spread.values()) if spread else [satisfaction],
            axis=N_("Rating"),
        ),
        _chart(
            "recommend",
            N_("Recommend score (NPS), by month"),
            N_("Net promoter score of the month's answers, from -100 to 100."),
            "score",
            labels,
            [metrics.recommend_score(m, k) for m in monthly],
            "line",
        ),
        _chart(
            "retention",
            N_("Retention curve"),
            N_("Of the pairs whose day N fell in the range, the share still meeting on day N."),
            "share",
            [_("Day {day}", day=d) for d in RETENTION_DAYS],
            [metrics.retention(f, d) for d in RETENTION_DAYS],
            "line",
            axis=N_("Day"),
        ),
        _chart(
            "endings",
            N_("Early endings, by how"),
            N_(
                "Mentorships that ended before the program's end: not a good fit, ended by a "
                "side, or a side deleted their data."
            ),
            "count",
            [_(ENDINGS.get(kind, kind.replace("_", " "))) for kind in endings],
            list(endings.values()),
            axis=N_("How"),
        ),
        _chart(
            "responses",
            N_("Survey response rate, by month"),
            N_("Of the invitations to the month's surveys, the share answered."),
            "share",
            labels,
            [metrics.survey_response_rate(m.invites) for m in monthly],
            "line",
        ),
    ]
    return charts


def _response_rates(f: ProgramFacts | CoffeeFacts) -> dict[str, float | None]:
    """Per survey moment, by its name as people read it."""
    by_moment: dict[str, list[Any]] = defaultdict(list)
    for row in f.invites:
        by_moment[_(SURVEY_NAMES.get(row.moment, row.moment))].append(row)
    return {m: metrics.survey_response_rate(rows) for m, rows in by_moment.items()}


async def _pair_health(repos: Repos, f: ProgramFacts, now: datetime) -> list[PairHealth]:
    live = [p for p in f.pairs if p.status in ("agreeing", "active")]
    last = await repos.goals.last_session(f"m{p.id}" for p in live)
    blocked = await repos.tab.blocked_goal_owners(
        {u for p in live for u in (p.mentor_id, p.mentee_id)}
    )
    people = await repos.users.by_ids({u for p in live for u in (p.mentor_id, p.mentee_id)})
    sessions = {s.mentorship_id: s for s in f.sessions}
    found = []
    for p in live:
        since = max(x for x in (last.get(f"m{p.id}"), p.started_at, p.created_at) if x is not None)
        quiet = (now - since).total_seconds() / 86400 if p.status == "active" else None
        cadence = metrics.pair_at_cadence(f, p, sessions)
        v = health.verdict(p.status, cadence, quiet, bool({p.mentor_id, p.mentee_id} & blocked))
        found.append(
            PairHealth(
                _name(people.get(p.mentor_id)),
                _name(people.get(p.mentee_id)),
                v.state,
                v.reason,
                int(quiet) if quiet is not None else None,
            )
        )
    order = {health.CHECK_IN: 0, health.TOO_EARLY: 1, health.ON_TRACK: 2}
    return sorted(found, key=lambda h: (order[h.state], -(h.quiet_days or 0), h.mentee))


HEALTH_SORTS = ("state", "quiet", "mentee", "mentor")


def _filtered(pairs: list[PairHealth], state: str | None, sort: str | None) -> list[PairHealth]:
    """Those in `state` (all when it is none of the states), in the order asked: by state
    (needing a check-in first, the default), longest quiet first, or by name."""
    shown = [p for p in pairs if p.state == state] if state in health.STATES else list(pairs)
    if sort == "quiet":
        return sorted(shown, key=lambda h: (-(h.quiet_days or 0), h.mentee))
    if sort in ("mentee", "mentor"):
        return sorted(shown, key=lambda h: (getattr(h, sort).lower(), h.mentee))
    return shown  # already by state (_pair_health)


def _health_chart(
    monthly: list[ProgramFacts],
    activity: list[metrics.Activity],
    months: list[Window],
    now: datetime,
) -> Chart:
    counted = [
        health.states_at_end(m, now, a.at_cadence) for m, a in zip(monthly, activity, strict=True)
    ]
    totals = [sum(c.values()) for c in counted]
    return replace(
        _chart(
            "health",
            N_("Match health, by month"),
            N_(
                "Pairs on track, needing a check-in and too early to tell at the end of each "
                "month (blocked goals count in today's list only)."
            ),
            "count",
            [_label(w) for w in months],
            totals,
        ),
        stacks=tuple(
            (_(state), tuple(float(c[state]) for c in counted)) for state in health.STATES
        ),
    )


REASONS = {
    "left": N_("left the program"),
    "waiting_for_answer": N_("a proposal or request is open"),
    "declined_or_expired": N_("proposals declined or expired"),
    "not_matched_yet": N_("no proposal yet"),
}
MAX_LISTED = 100


async def _unmatched_people(repos: Repos, f: ProgramFacts) -> list[Unmatched]:
    """Who waits, by name, with why (the metric's rule), mentees first, longest waiting
    first; those who left are counted above, not listed."""
    waiting = [row for row in metrics.unmatched_people(f) if row[2] != "left"]
    enrolled = {(p.user_id, p.role): p.enrolled_at for p in f.participants}
    waiting.sort(key=lambda r: (r[1] != "mentee", enrolled[(r[0], r[1])], r[0]))
    people = await repos.users.by_ids({u for u, _role, _reason in waiting[:MAX_LISTED]})
    return [
        Unmatched(_name(people.get(u)), role, _(REASONS[reason]), f"{enrolled[(u, role)]:%Y-%m-%d}")
        for u, role, reason in waiting[:MAX_LISTED]
    ]


def _name(user: User | None) -> str:
    return (user.name if user else None) or "(deleted)"


async def _not_involved(repos: Repos, rows: list[Any], viewer: User) -> list[Any]:
    """Concerns (with their authors) minus those about a mentorship `viewer` is in: an admin
    who is a mentor or mentee there never sees what was raised about it."""
    kept = []
    for row in rows:
        ship_id = row[0].mentorship_id
        ship = await repos.programs.mentorship(ship_id) if ship_id else None
        if ship is None or viewer.id not in (ship.mentor_id, ship.mentee_id):
            kept.append(row)
    return kept


async def _concerns(
    repos: Repos, team: Team, program: Program | None, viewer: User
) -> list[ConcernItem]:
    rows = await _not_involved(repos, await repos.tab.open_concerns([team.id]), viewer)
    programs = {p.id: p.name for p in await repos.programs.of_team(team.id)}
    return [
        ConcernItem(
            c.id,
            _name(u),
            _(
                "their mentorship in {program}",
                program=programs.get(c.program_id or 0) or _("a program"),
            )
            if c.mentorship_id
            else (programs.get(c.program_id or 0) or _("the team")),
            c.text,
            f"{c.created_at:%Y-%m-%d}",
        )
        for c, u in rows
        if program is None or c.program_id in (None, program.id)
    ]


# --- program history ---------------------------------------------------------------------
HISTORY = (
    "enrolled",
    "matched",
    "sessions_per_pair_month",
    "satisfaction",
    "recommend",
    "completion",
)


@dataclass(frozen=True)
class HistoryRow:
    program: Program
    cohort: str  # "" for the program's own row
    values: list[str]


@dataclass
class HistoryPage:
    team: Team
    columns: list[str]
    rows: list[HistoryRow]


async def history_page(
    repos: Repos, admins: frozenset[str], user: User, team_id: object, now: datetime
) -> HistoryPage:
    """The team's programs side by side, each over its own run (start to end, or today),
    and under each its cohorts (`/program cohort`), over the same run, with the same
    metrics of the cohort's part of the facts."""
    team = await _team_for(repos, admins, user, team_id)
    rows: list[HistoryRow] = []
    columns: list[str] = []
    for program in await repos.programs.of_team(team.id):
        settings = await repos.feedback.program_settings(program.id)
        k = metrics.k_of(settings.min_answers if settings else None)
        last = min(program.ends_on, now.date())
        window = Window(program.starts_on, max(last, program.starts_on))
        end = metrics.program_end(program.ends_on, program.closed_at)
        for cohort in [None, *await repos.programs.cohorts(program.id)]:
            (facts,) = await repos.feedback.program_facts(
                program, [(window.start, window.end)], end, cohort.id if cohort else None
            )
            by = {m.key: m for m in metrics.program_metrics(facts, k)}
            columns = [by[key].label for key in HISTORY]
            values = [metrics.shown(by[key]) for key in HISTORY]
            rows.append(HistoryRow(program, cohort.name if cohort else "", values))
    return HistoryPage(team, columns, rows)


# --- coffee chats --------------------------------------------------------------------------
async def coffee_page(
    repos: Repos,
    admins: frozenset[str],
    user: User,
    team_id: object,
    raw_from: str | None,
    raw_to: str | None,
    now: datetime,
) -> CoffeePage:
    team = await _team_for(repos, admins, user, team_id)
    window = parse_window(raw_from, raw_to, coffee_default(now.date()), now.date())
    settings = await repos.feedback.coffee_settings(team.id)
    k = metrics.k_of(settings.min_answers if settings else None)
    current = await repos.feedback.coffee_facts(team.id, window.start, window.end)
    earlier = window.before()
    previous = await repos.feedback.coffee_facts(team.id, earlier.start, earlier.end)
    now_m, before_m = metrics.coffee_metrics(current, k), metrics.coffee_metrics(previous, k)
    rounds = _rounds(current)
    labels = [i18n.when(at, "%d %b") for at, _round in rounds]
    return CoffeePage(
        team=team,
        window=window,
        sections=_sections(now_m, before_m, COFFEE_HEADLINES),
        charts=[
            _chart(
                "met",
                N_("Met rate, by round"),
                N_("Of the people asked whether they met, the share who said yes, each round."),
                "share",
                labels,
                [metrics.coffee_met_rate(r) for _at, r in rounds],
                "line",
                axis=N_("Round"),
            ),
            _chart(
                "rating",
                N_("Rating (1-5), by round"),
                N_("Mean rating of the round's chats; withheld below k answers."),
                "mean",
                labels,
                [metrics.coffee_rating(r, k) for _at, r in rounds],
                "line",
                axis=N_("Round"),
            ),
            _chart(
                "people",
                N_("People placed, by round"),
                N_("People placed in a coffee group each round."),
                "count",
                labels,
                [metrics.coffee_people(r) for _at, r in rounds],
                axis=N_("Round"),
            ),
        ],
        downloads=_downloads(exports.COFFEE_FILES),
    )


def _rounds(f: CoffeeFacts) -> list[tuple[datetime, CoffeeFacts]]:
    """Each round of the window as facts of its own (its seats and the history before
    it, so repeats still count), for the per-round series."""
    found: dict[int, datetime] = {}
    for s in f.seats:
        if f.start <= s.round_at < f.end:
            found[s.round_id] = s.round_at
    ordered = sorted(found.items(), key=lambda item: item[1])
    return [
        (
            at,
            replace(
                f,
                start=at,
                end=at + timedelta(seconds=1),
                seats=[s for s in f.seats if s.round_at <= at],
                answers=[],
                invites=[],
            ),
        )
        for _key, at in ordered
    ]


# --- icebreakers --------------------------------------------------------------------------
@dataclass
class IcebreakerPage:
    team: Team
    window: Window
    charts: list[Chart]
    posts: list[tuple[str, str, int]]  # (week, question, answers)


async def icebreaker_page(
    repos: Repos,
    admins: frozenset[str],
    user: User,
    team_id: object,
    raw_from: str | None,
    raw_to: str | None,
    now: datetime,
) -> IcebreakerPage:
    """Answers per question over the weeks: one bar per week of the range (its posts'
    answers summed; 0 for a week without a post), each question in the table."""
    team = await _team_for(repos, admins, user, team_id)
    window = parse_window(raw_from, raw_to, coffee_default(now.date()), now.date())
    posts = await repos.icebreakers.answers_per_post(team.id, window.start, window.end)
    weeks = _weeks(window)
    per_week = dict.fromkeys(weeks, 0)
    for at, _question, n in posts:
        per_week[_week_of(at.date())] += n
    labels = [_("Week of {day}", day=i18n.when(w, "%d %b %Y")) for w in weeks]
    return IcebreakerPage(
        team=team,
        window=window,
        charts=[
            _chart(
                "icebreaker_answers",
                N_("Icebreaker answers, by week"),
                N_("Answers to the week's icebreaker questions (on the card or in the thread)."),
                "count",
                labels,
                list(per_week.values()),
                axis=N_("Week"),
            )
        ],
        posts=[(i18n.when(_week_of(at.date()), "%d %b %Y"), q, n) for at, q, n in posts],
    )


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weeks(window: Window) -> list[date]:
    """The Mondays of the weeks the window touches."""
    first = _week_of(window.first)
    return [first + timedelta(weeks=i) for i in range((window.last - first).days // 7 + 1)]


# --- downloads -----------------------------------------------------------------------------
async def program_download(
    repos: Repos,
    admins: frozenset[str],
    user: User,
    program_id: object,
    what: str,
    raw_from: str | None,
    raw_to: str | None,
    now: datetime,
) -> str:
    """A CSV button: a short-lived export link (dialogs/feedback/exports.py) for this
    admin, checked now; the link itself checks again when opened."""
    program, team = await program_of(repos, admins, user, program_id)
    if what not in exports.PROGRAM_FILES:
        raise NOT_YOURS
    window = parse_window(raw_from, raw_to, program.starts_on, now.date())
    return exports.make_link(repos, user, team, program, what, window, now)


async def coffee_download(
    repos: Repos,
    admins: frozenset[str],
    user: User,
    team_id: object,
    what: str,
    raw_from: str | None,
    raw_to: str | None,
    now: datetime,
) -> str:
    team = await _team_for(repos, admins, user, team_id)
    if what not in exports.COFFEE_FILES:
        raise NOT_YOURS
    window = parse_window(raw_from, raw_to, now.date() - timedelta(COFFEE_DAYS - 1), now.date())
    return exports.make_link(repos, user, team, None, what, window, now)


# --- concerns ------------------------------------------------------------------------------
async def handle_concern(
    repos: Repos, admins: frozenset[str], user: User, concern_id: object, now: datetime
) -> tuple[int, int, str] | None:
    """An admin marks a concern handled: (the person's id, the team's id and name) to
    tell them, or None when it was handled already."""
    cid = forms.row_id(concern_id)
    concern = await repos.tab.concern(cid) if cid else None
    team = await repos.teams.get(concern.team_id) if concern else None
    if concern is None or team is None or not await administers(repos, admins, team, user):
        raise NOT_YOURS
    if not await _not_involved(repos, [(concern, None)], user):
        raise NOT_YOURS
    if not await repos.tab.handle(concern.id, user.id, now):
        return None
    return concern.user_id, team.id, team.name or _("your team")


# --- My mentoring --------------------------------------------------------------------------
async def my_page(repos: Repos, admins: frozenset[str], user: User, now: datetime) -> MyPage:
    """The member's own page: only their rows, and their partners' names."""
    ships = await repos.programs.mentorships_of(user.id)
    programs = {s.program_id: await repos.programs.get(s.program_id) for s in ships}
    partner_ids = {_partner(s, user) for s in ships}
    goals = await repos.goals.goals_of(user.id, open_only=True)
    items = [i for s in ships for i in await repos.goals.open_items(f"m{s.id}")]
    items = [i for i in items if i.owner_id == user.id]
    invites = await repos.feedback.open_invites_of(user.id, now)
    coffee = await _coffee_partners(repos, user)
    people = await repos.users.by_ids(partner_ids | {u for c in coffee for u in c["ids"]})
    settings = await repos.goals.settings(user.id)
    return MyPage(
        user=user,
        mentorships=[
            {
                "role": "mentor" if s.mentor_id == user.id else "mentee",
                "partner": _name(people.get(_partner(s, user))),
                "program": getattr(programs.get(s.program_id), "name", ""),
                "status": _("confirming the agreement") if s.status == "agreeing" else _("running"),
                "since": f"{(s.started_at or s.created_at):%Y-%m-%d}",
            }
            for s in ships
        ],
        goals=[
            {
                "number": g.number,
                "title": g.title,
                "progress": g.progress,
                "status": g.status.replace("_", " "),
                "target": g.target_on.isoformat(),
            }
            for g in goals
        ],
        items=[{"text": i.text, "due": i.due_on.isoformat()} for i in items],
        surveys=[
            {"moment": _(SURVEY_NAMES.get(s.moment, s.moment)), "closes": f"{i.closes_at:%Y-%m-%d}"}
            for i, s in invites
        ],
        coffee=[
            {
                "team": c["team"],
                "round": c["round"],
                "partners": ", ".join(_name(people.get(u)) for u in c["ids"]),
            }
            for c in coffee
        ],
        checkin=await _checkin_text(repos, user, settings, now),
        is_admin=bool(await admin_teams(repos, admins, user)),
    )


def _partner(ship: Any, user: User) -> int:
    return int(ship.mentee_id if ship.mentor_id == user.id else ship.mentor_id)


async def _coffee_partners(repos: Repos, user: User) -> list[dict[str, Any]]:
    """Partners of the latest round of each team they were placed in."""
    latest: dict[int, tuple[Any, Any, Team]] = {}
    for seat, pair_round, team in await repos.pairing.seats_of(user.id):
        if team.id not in latest or pair_round.created_at > latest[team.id][1].created_at:
            latest[team.id] = (seat, pair_round, team)
    groups = await repos.pairing.group_members(s.group_id for s, _round, _team in latest.values())
    return [
        {
            "team": team.name or "",
            "round": f"{pair_round.created_at:%Y-%m-%d}",
            "ids": [u for u in groups.get(seat.group_id, []) if u != user.id],
        }
        for seat, pair_round, team in latest.values()
    ]


async def _checkin_text(repos: Repos, user: User, settings: Any, now: datetime) -> str:
    """As `checkin settings` says it: the real schedule in their zone, and the next one."""
    if settings is None:
        return _("Check-ins start when you add your first goal (`goal add`).")
    if not settings.enabled:
        return _("Check-ins are off.")
    return _(
        "Check-ins: {schedule}.",
        schedule=await checkin_settings.describe(repos, user, settings, now),
    )
