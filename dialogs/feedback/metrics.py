"""Outcome metrics: pure functions from stored facts to numbers.

Each metric is one function of the rows `storage/repos/feedback.py` reads for a program
(or a team's coffee chats) and a window [start, end): no I/O, no clock, no randomness.
The chat report, the CSV exports and the dashboard call these same functions; each is
defined once, here, and written down in docs/architecture.md ("Metrics").

Values are numbers (counts, shares from 0 to 1, means, days), `None` when there is
nothing to count, or `Withheld` when fewer than k people answered (k is at least 3;
demographic answers need at least 5).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from statistics import median
from typing import Any

from dialogs.core import i18n
from storage.repos.feedback import (
    AnswerRow,
    CoffeeFacts,
    InviteRow,
    PairRow,
    ProgramFacts,
    SeatRow,
)

_ = i18n.catalog(__package__)
N_ = i18n.N_

MIN_K = 3  # never fewer answers than this behind an aggregate
DEMOGRAPHIC_K = 5
CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30}
MONTH_DAYS = 30.0
DAY = 86400.0
CHECK_AFTER = timedelta(days=60)  # "still meeting?" after the end
OPEN_PROPOSALS = ("suggested", "requested", "proposed")
EARLY_ENDS = ("not_fit", "ended", "erased")
# Bands and folds are data (the CSV's values, the keys of counts), said translated.
SENIORITY = ((2, N_("0-2 years")), (5, N_("3-5 years")), (10, N_("6-10 years")))
SENIOR = N_("11+ years")
NOT_GIVEN, OTHER = N_("not given"), N_("other")
_SAID_KEYS = frozenset({NOT_GIVEN, OTHER, SENIOR, *(band for _top, band in SENIORITY)})


def k_of(configured: int | None) -> int:
    """The minimum number of answers behind an aggregate: configurable, never below 3."""
    return max(MIN_K, configured or MIN_K)


@dataclass(frozen=True)
class Withheld:
    """An aggregate of fewer than k answers: not shown."""

    answers: int
    k: int

    def __str__(self) -> str:
        return _("fewer than {k} answers", k=self.k)


@dataclass(frozen=True)
class Aggregate:
    """What admins see of answers: how many, the headline value, and the spread."""

    n: int
    value: float
    distribution: dict[str, Any] = field(default_factory=dict)


Value = Any  # int | float | None | Withheld | Aggregate | dict[str, int]


@dataclass(frozen=True)
class Metric:
    area: str  # participation | activity | goals | feedback | outcomes | reach | coffee
    key: str
    label: str
    unit: str  # count | share | days | mean | score | counts
    value: Value


# --- time helpers -------------------------------------------------------------------------
def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def program_end(ends_on: date, closed_at: datetime | None) -> datetime:
    """When a program ends: its last day's start (00:00 UTC on `ends_on`), or its close
    if that came first. Surveys of the end and "reached the end" both count from here."""
    end = midnight(ends_on)
    return min(end, closed_at) if closed_at is not None else end


def program_middle(starts_on: date, ends_on: date) -> datetime:
    """Halfway: the start plus half the days (rounded down), at 00:00 UTC."""
    return midnight(starts_on + timedelta(days=(ends_on - starts_on).days // 2))


def _days(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds() / DAY)


def _overlap_days(pair: PairRow, start: datetime, end: datetime) -> float:
    """Days the pair was running (agreement confirmed, not ended) inside the window."""
    began = pair.started_at
    if began is None:
        return 0.0
    until = pair.ended_at or end
    a = began if began > start else start
    b = until if until < end else end
    return (b - a).total_seconds() / DAY if b > a else 0.0


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- participation ---------------------------------------------------------------------------
def invited(f: ProgramFacts) -> int:
    """Members of the program's team at the window's end (the invitation is posted to the
    whole team): joined before the end and not left by then."""
    return f.invited


def enrolled(f: ProgramFacts) -> int:
    """Enrolments made before the window's end, people who left since included."""
    return len(f.participants)


def _matched_ids(f: ProgramFacts) -> set[tuple[int, str]]:
    return {(p.mentor_id, "mentor") for p in f.pairs} | {(p.mentee_id, "mentee") for p in f.pairs}


def matched(f: ProgramFacts) -> int:
    """Enrolled participants with a mentorship of the program in their role (proposed to
    both, confirming or running or ended) made before the window's end."""
    ids = _matched_ids(f)
    return sum(1 for p in f.participants if (p.user_id, p.role) in ids)


def median_days_to_match(f: ProgramFacts) -> float | None:
    """The median, over matched mentees, of the days from enrolling to their first
    mentorship of the program (one decimal)."""
    first: dict[int, datetime] = {}
    for pair in f.pairs:
        if pair.mentee_id not in first or pair.created_at < first[pair.mentee_id]:
            first[pair.mentee_id] = pair.created_at
    waits = [
        _days(p.enrolled_at, first[p.user_id])
        for p in f.participants
        if p.role == "mentee" and p.user_id in first
    ]
    return round(median(waits), 1) if waits else None


def unmatched_reasons(f: ProgramFacts) -> dict[str, int]:
    """Enrolled participants without a mentorship, by why (`unmatched_people`)."""
    return dict(sorted(Counter(reason for _, _, reason in unmatched_people(f)).items()))


def unmatched_people(f: ProgramFacts) -> list[tuple[int, str, str]]:
    """(user id, role, reason) of each enrolled participant without a mentorship, by why:
    `left` (their enrolment is off), `waiting_for_answer` (a suggestion, request or
    proposal of theirs is open), `declined_or_expired` (they had proposals, none open
    now), `not_matched_yet` (no proposal at all). Proposal states are as they are now."""
    ids = _matched_ids(f)
    states: dict[tuple[int, str], set[str]] = defaultdict(set)
    for row in f.proposals:
        states[(row.user_id, row.side)].add(row.status)
    found = []
    for p in f.participants:
        if (p.user_id, p.role) in ids:
            continue
        seen = states.get((p.user_id, p.role), set())
        if not p.active:
            reason = "left"
        elif seen & set(OPEN_PROPOSALS):
            reason = "waiting_for_answer"
        elif seen:
            reason = "declined_or_expired"
        else:
            reason = "not_matched_yet"
        found.append((p.user_id, p.role, reason))
    return found


# --- activity ---------------------------------------------------------------------------------
def _sessions(f: ProgramFacts) -> dict[int, Any]:
    return {s.mentorship_id: s for s in f.sessions}


def sessions_per_pair_month(f: ProgramFacts) -> float | None:
    """Sessions held in the window (a session: notes either side saved after meeting)
    divided by the pair-months the program's pairs ran in the window (days running, from
    the confirmed agreement to the end of the mentorship, inside the window, / 30). Two
    decimals."""
    months = sum(_overlap_days(p, f.start, f.end) for p in f.pairs) / MONTH_DAYS
    if months <= 0:
        return None
    held = sum(s.in_window for s in f.sessions)
    return round(held / months, 2)


def _cadence_days(f: ProgramFacts) -> int:
    return CADENCE_DAYS.get(f.program.cadence, 14)


def pair_at_cadence(
    f: ProgramFacts, pair: PairRow, sessions: dict[int, Any] | None = None
) -> bool | None:
    """Whether a pair met at the agreed cadence in the window: None when it ran less than
    one cadence interval (7, 14 or 30 days) there, else whether its sessions in the
    window are at least the number of whole intervals it ran."""
    every = _cadence_days(f)
    running = _overlap_days(pair, f.start, f.end)
    if running < every:
        return None
    row = (sessions if sessions is not None else _sessions(f)).get(pair.id)
    return (row.in_window if row else 0) >= math.floor(running / every)


def at_cadence_share(f: ProgramFacts) -> float | None:
    """Of the pairs that ran at least one cadence interval in the window, the share that
    met at the agreed cadence (`pair_at_cadence`)."""
    sessions = _sessions(f)
    verdicts = [v for v in (pair_at_cadence(f, p, sessions) for p in f.pairs) if v is not None]
    return _share(sum(verdicts), len(verdicts))


@dataclass(frozen=True)
class Activity:
    """`sessions_per_pair_month`, `at_cadence_share` and each pair's `pair_at_cadence`
    of one window, from one pass over its pairs (a page asks them of every month)."""

    sessions_per_pair_month: float | None
    at_cadence_share: float | None
    at_cadence: dict[int, bool | None]


def activity(f: ProgramFacts) -> Activity:
    """The same numbers as the three functions, by the same arithmetic in the same
    order (tests/test_metrics.py compares them); each pair's days running are worked out
    once instead of once per function."""
    return activities([f])[0]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def activities(months: list[ProgramFacts]) -> list[Activity]:
    """`activity` of each facts: a dashboard's months share their pairs, so each pair's
    times become whole microseconds once, and the days a pair ran are those microseconds
    / 10**6 / DAY, exactly what timedelta.total_seconds() / DAY gives, without a datetime
    a pair and month."""
    times: dict[int, tuple[int | None, int | None]] = {}
    found = []
    for f in months:
        start, end, every = (f.start - _EPOCH) // _US, (f.end - _EPOCH) // _US, _cadence_days(f)
        held = {s.mentorship_id: s.in_window for s in f.sessions}
        total: float = 0
        cadence: dict[int, bool | None] = {}
        met = counted = 0
        for pair in f.pairs:
            known = times.get(pair.id)
            if known is None:
                began_at, ended_at = pair.started_at, pair.ended_at
                known = times[pair.id] = (
                    None if began_at is None else (began_at - _EPOCH) // _US,
                    None if ended_at is None else (ended_at - _EPOCH) // _US,
                )
            began, ended = known
            if began is None:
                running = 0.0
            else:
                until = end if ended is None else ended
                a = began if began > start else start
                b = until if until < end else end
                running = (b - a) / 1_000_000 / DAY if b > a else 0.0
            total += running
            if running < every:
                cadence[pair.id] = None
                continue
            verdict = held.get(pair.id, 0) >= math.floor(running / every)
            cadence[pair.id] = verdict
            met += verdict
            counted += 1
        total /= MONTH_DAYS
        per_month = round(sum(s.in_window for s in f.sessions) / total, 2) if total > 0 else None
        found.append(Activity(per_month, _share(met, counted), cadence))
    return found


def checkin_response_rate(f: ProgramFacts) -> float | None:
    """Scheduled goal check-ins of enrolled participants due in the window: the share
    answered (manual `checkin`s are left out)."""
    return _share(f.checkins_answered, f.checkins_sent)


def agendas_saved(f: ProgramFacts) -> int:
    """Agendas the program's pairs saved in the window."""
    return sum(s.agendas for s in f.sessions)


def agenda_pair_share(f: ProgramFacts) -> float | None:
    """Of the pairs running in the window, the share that saved at least one agenda."""
    running = [p for p in f.pairs if _overlap_days(p, f.start, f.end) > 0]
    sessions = _sessions(f)
    used = sum(1 for p in running if p.id in sessions and sessions[p.id].agendas > 0)
    return _share(used, len(running))


# --- goals ---------------------------------------------------------------------------------------
def goals_per_participant(f: ProgramFacts) -> float | None:
    """Goals enrolled participants created in the window (dropped ones too), per enrolled
    participant. Two decimals."""
    people = enrolled(f)
    made = sum(g.n for g in f.goals if g.created_in_window)
    return round(made / people, 2) if people else None


def goal_progress(f: ProgramFacts) -> float | None:
    """Mean progress (0-100, as it is now) of the goals created in the window that were
    not dropped. One decimal."""
    kept = [g for g in f.goals if g.created_in_window and g.status != "dropped"]
    n = sum(g.n for g in kept)
    return round(sum(g.progress for g in kept) / n, 1) if n else None


def goals_achieved_by_target(f: ProgramFacts) -> float | None:
    """Of the participants' goals (not dropped) whose target date falls in the window,
    the share marked done on or before the target date (UTC)."""
    due = [g for g in f.goals if g.target_in_window and g.status != "dropped"]
    done = sum(g.n for g in due if g.done_by_target)
    return _share(done, sum(g.n for g in due))


def goals_blocked(f: ProgramFacts) -> int:
    """Participants' goals created before the window's end that are blocked now."""
    return sum(g.n for g in f.goals if g.status == "blocked")


# --- feedback (answers to the program's surveys of the window) ----------------------------------
def _tagged(rows: Iterable[AnswerRow], tag: str) -> list[AnswerRow]:
    return [r for r in rows if r.tag == tag]


def rating_summary(rows: Iterable[AnswerRow], tag: str, k: int, low: int = 1, high: int = 5) -> Any:
    """n, mean (two decimals) and the count of each value of the answers with this tag;
    withheld below k answers."""
    counts: Counter[int] = Counter()
    for r in _tagged(rows, tag):
        if r.number is not None and low <= r.number <= high:
            counts[r.number] += r.n
    n = sum(counts.values())
    if n < k:
        return Withheld(n, k)
    mean = sum(v * c for v, c in counts.items()) / n
    spread = {str(v): counts.get(v, 0) for v in range(low, high + 1)}
    return Aggregate(n, round(mean, 2), spread)


def satisfaction(f: ProgramFacts, k: int) -> Any:
    """Answers (1-5) to "How satisfied are you with the program?" in the mid- and
    end-of-program surveys of both sides: mean and distribution."""
    return rating_summary(f.answers, "satisfaction", k)


def recommend_score(f: ProgramFacts | CoffeeFacts, k: int) -> Any:
    """Net promoter score of the 0-10 "would you recommend" answers: the percentage of
    9s and 10s minus the percentage of 0s to 6s, rounded to a whole number (-100 to
    100)."""
    counts: Counter[int] = Counter()
    for r in _tagged(f.answers, "recommend"):
        if r.number is not None and 0 <= r.number <= 10:
            counts[r.number] += r.n
    n = sum(counts.values())
    if n < k:
        return Withheld(n, k)
    promoters = counts[9] + counts[10]
    detractors = sum(counts[v] for v in range(7))
    score = round(100 * (promoters - detractors) / n)
    spread = {"promoters": promoters, "passives": counts[7] + counts[8], "detractors": detractors}
    return Aggregate(n, score, spread)


def mentee_progress_rating(f: ProgramFacts, k: int) -> Any:
    """Mentors' 1-5 rating of their mentee's progress (mid and end of the program)."""
    return rating_summary(f.answers, "mentee_progress", k)


def goal_achievement_rating(f: ProgramFacts, k: int) -> Any:
    """Mentees' own 1-5 rating of how far they got with their goals (mid and end)."""
    return rating_summary(f.answers, "goal_achievement", k)


def skill_growth(f: ProgramFacts, k: int) -> Any:
    """Self-rated skill growth: for each focus area with at least k answers, the mean of
    (now minus at the start) on the 1-5 scale; the headline is the mean over those
    answers. Areas with fewer answers are left out; none left: withheld."""
    by_area: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in _tagged(f.answers, "skills"):
        if r.number is not None and r.number2 is not None:
            by_area[r.part].append((r.number2 - r.number, r.n))
    shown: dict[str, float] = {}
    total = n = 0
    for area, growth in sorted(by_area.items()):
        answers = sum(c for _, c in growth)
        if answers >= k:
            total += sum(g * c for g, c in growth)
            n += answers
            shown[area] = round(sum(g * c for g, c in growth) / answers, 2)
    if not shown:
        return Withheld(max((sum(c for _, c in g) for g in by_area.values()), default=0), k)
    return Aggregate(n, round(total / n, 2), shown)


def survey_response_rate(invites: Iterable[InviteRow]) -> float | None:
    """Of the survey invitations sent for the window's surveys, the share answered."""
    rows = list(invites)
    return _share(sum(r.answered for r in rows), sum(r.sent for r in rows))


# --- outcomes ------------------------------------------------------------------------------------
def _end_of(f: ProgramFacts) -> datetime:
    return f.program_end


def _lasted(pair: PairRow, until: datetime) -> bool:
    """Still running at that moment; ending by the program's close counts as lasting."""
    return pair.end_kind == "closed" or pair.ended_at is None or pair.ended_at >= until


def retention(f: ProgramFacts, days: int) -> float | None:
    """Of the mentorships whose day `days` (counted from the confirmed agreement) falls
    in the window, the share still running on that day (ended by the program's close
    counts as running)."""
    span = timedelta(days=days)
    # Day N in [start, end) is a start in [start - N, end - N): no sum for every pair.
    first, last = f.start - span, f.end - span
    due = [p for p in f.pairs if p.started_at is not None and first <= p.started_at < last]
    kept = [p for p in due if p.started_at is not None and _lasted(p, p.started_at + span)]
    return _share(len(kept), len(due))


def _reached_end(f: ProgramFacts) -> tuple[list[PairRow], list[PairRow]] | None:
    """(mentorships started before the program's end, those that lasted to it), when the
    end falls in the window."""
    end = _end_of(f)
    if not f.start <= end < f.end:
        return None
    started = [p for p in f.pairs if p.started_at is not None and p.started_at < end]
    return started, [p for p in started if _lasted(p, end)]


def retention_to_end(f: ProgramFacts) -> float | None:
    """When the program's end falls in the window: of the mentorships started before it,
    the share still running at the end."""
    found = _reached_end(f)
    return _share(len(found[1]), len(found[0])) if found else None


def completion(f: ProgramFacts) -> float | None:
    """When the program's end falls in the window: of the mentorships started before it,
    the share that lasted to the end with the agreement kept: sessions over the whole
    mentorship at least its whole cadence intervals (start to end)."""
    found = _reached_end(f)
    if not found:
        return None
    started, lasted = found
    end, every, sessions = _end_of(f), _cadence_days(f), _sessions(f)
    kept = 0
    for pair in lasted:
        life = _days(pair.started_at, end)  # type: ignore[arg-type]
        held = sessions[pair.id].until_end if pair.id in sessions else 0
        kept += held >= math.floor(life / every)
    return _share(kept, len(started))


def early_endings(f: ProgramFacts) -> dict[str, int]:
    """Mentorships that ended in the window before the program's end, by how: `not_fit`
    (either side chose "not a good fit"), `ended` (`end mentoring`), `erased` (a side
    deleted their data). Ends by the program's close are not early."""
    end = _end_of(f)
    kinds: Counter[str] = Counter()
    for p in f.pairs:
        ended = p.ended_at
        if ended is not None and f.start <= ended < min(end, f.end) and p.end_kind in EARLY_ENDS:
            kinds[str(p.end_kind)] += 1
    return {kind: kinds.get(kind, 0) for kind in EARLY_ENDS}


def career_change(f: ProgramFacts, k: int) -> Any:
    """Mentees with a career change: their answers at the end to "Since the program
    started, have you had..." (a new role, new responsibilities, a promotion: a change;
    "none": none), and, for mentees who agreed in their profile and gave no end answer in
    the window, a job title the directory changed between their enrolment and the
    window's end. The share of all of them; the spread has each answer's count and the
    source split (`reported`, `from_directory`)."""
    counts: Counter[str] = Counter()
    for r in _tagged(f.answers, "career"):
        if r.choice:
            counts[r.choice] += r.n
    answered = sum(counts.values())
    reported = answered - counts.get("none", 0)
    moved = len(_title_movers(f))
    n = answered + moved
    if n < k:
        return Withheld(n, k)
    spread = dict(sorted(counts.items())) | {"reported": reported, "from_directory": moved}
    return Aggregate(n, round((reported + moved) / n, 4), spread)


def _title_movers(f: ProgramFacts) -> set[int]:
    """Enrolled mentees (who agreed) whose directory job title changed after enrolling,
    before the window's end, and who did not answer an end survey in the window."""
    enrolled = {p.user_id: p.enrolled_at for p in f.participants if p.role == "mentee"}
    spoke = {a.user_id for a in f.end_answers}
    return {
        t.user_id
        for t in f.title_moves
        if t.role == "mentee"
        and t.user_id in enrolled
        and t.changed_at >= enrolled[t.user_id]
        and t.user_id not in spoke
    }


def continued_relationships(f: ProgramFacts) -> float | None:
    """Of the mentorships that lasted to the program's end, once 60 days have passed
    after it (before the window's end): the share still meeting, i.e. either side
    answered "yes" to the 60-day "still meeting?" check, or the pair saved session notes
    after the end (a program left running past its last day)."""
    end = _end_of(f)
    if end + CHECK_AFTER >= f.end:
        return None
    lasted = [p for p in f.pairs if p.started_at is not None and p.started_at < end]
    lasted = [p for p in lasted if _lasted(p, end)]
    meeting = {c.mentorship_id for c in f.continued if c.still_meeting}
    meeting |= {s.mentorship_id for s in f.sessions if s.after_end}
    return _share(sum(1 for p in lasted if p.id in meeting), len(lasted))


# --- reach --------------------------------------------------------------------------------------
def fold_counts(counts: Mapping[Any, int], k: int) -> dict[Any, int]:
    """Counts per value, with values of fewer than k folded into "other" (shown only when
    the fold itself reaches k), largest first."""
    shown = {v: n for v, n in counts.items() if n >= k}
    small = sum(n for n in counts.values() if n < k)
    if small >= k:
        shown[OTHER] = small
    return dict(sorted(shown.items(), key=lambda item: (-item[1], str(item[0]))))


def _folded(values: Iterable[str], k: int) -> dict[str, int]:
    return fold_counts(Counter(v or NOT_GIVEN for v in values), k)


def _tallied(f: ProgramFacts, field: str, key: Callable[[Any], str], k: int) -> dict[str, int]:
    """`_folded(key(p.<field>) for p in f.participants)`, the same counts: each distinct
    value is counted at C speed, then keyed once (thousands of participants, a few dozen
    values)."""
    found: Counter[str] = Counter()
    for value, n in Counter(map(attrgetter(field), f.participants)).items():
        found[key(value) or NOT_GIVEN] += n
    return fold_counts(found, k)


def departments(f: ProgramFacts, k: int) -> dict[str, int]:
    """Enrolled participants per department (from profiles), groups under k folded."""
    return _tallied(f, "department", str.strip, k)


def locations(f: ProgramFacts, k: int) -> dict[str, int]:
    """Enrolled participants per location (from profiles), groups under k folded."""
    return _tallied(f, "location", str.strip, k)


def seniority_band(years: int | None) -> str:
    if years is None:
        return NOT_GIVEN
    return next((band for top, band in SENIORITY if years <= top), SENIOR)


def seniority(f: ProgramFacts, k: int) -> dict[str, int]:
    """Enrolled participants per band of years of experience (0-2, 3-5, 6-10, 11+, from
    the enrolment), groups under k folded."""
    return _tallied(f, "years", seniority_band, k)


def cross_department_share(f: ProgramFacts) -> float | None:
    """Of the pairs running in the window whose two departments are both known, the share
    from different departments (ignoring case)."""
    dept = {(p.user_id, p.role): p.department.strip().lower() for p in f.participants}
    known = mixed = 0
    for pair in f.pairs:
        if _overlap_days(pair, f.start, f.end) <= 0:
            continue
        a, b = dept.get((pair.mentor_id, "mentor"), ""), dept.get((pair.mentee_id, "mentee"), "")
        if a and b:
            known += 1
            mixed += a != b
    return _share(mixed, known)


def demographics(f: ProgramFacts, k: int) -> dict[str, Any]:
    """Per optional self-reported field (only asked when the program turns them on): the
    count of each answer, shown only from max(5, k) answers, smaller groups folded into
    "other"."""
    floor = max(DEMOGRAPHIC_K, k)
    fields: dict[str, list[str]] = defaultdict(list)
    for r in f.answers:
        if r.tag.startswith("demographic:") and r.choice:
            fields[r.tag.split(":", 1)[1]] += [r.choice] * r.n
    out: dict[str, Any] = {}
    for name, answers in sorted(fields.items()):
        out[name] = (
            _folded(answers, floor) if len(answers) >= floor else Withheld(len(answers), floor)
        )
    return out


# --- coffee -------------------------------------------------------------------------------------
def _coffee_window(f: CoffeeFacts) -> list[SeatRow]:
    return [s for s in f.seats if f.start <= s.round_at < f.end]


def coffee_rounds(f: CoffeeFacts) -> int:
    """Coffee rounds made in the window."""
    return len({s.round_id for s in _coffee_window(f)})


def coffee_people(f: CoffeeFacts) -> int:
    """Distinct members placed in a group in the window's rounds."""
    return len({s.user_id for s in _coffee_window(f)})


def coffee_met_rate(f: CoffeeFacts) -> float | None:
    """Of the seats in the window's rounds that got "Did you meet?", the share answered
    "yes"."""
    asked = [s for s in _coffee_window(f) if s.followed_up]
    return _share(sum(1 for s in asked if s.met == "yes"), len(asked))


def coffee_rating(f: CoffeeFacts, k: int) -> Any:
    """The 1-5 ratings given with "Did you meet?" in the window's rounds."""
    counts = Counter(s.rating for s in _coffee_window(f) if s.rating is not None)
    rows = [AnswerRow("coffee", "rating", "", v, None, None, n) for v, n in counts.items()]
    return rating_summary(rows, "rating", k)


def _groups(seats: Iterable[SeatRow]) -> dict[int, list[SeatRow]]:
    groups: dict[int, list[SeatRow]] = defaultdict(list)
    for seat in seats:
        groups[seat.group_id].append(seat)
    return groups


def coffee_repeat_rate(f: CoffeeFacts) -> float | None:
    """Of the window's groups, the share with two members who had shared a group in an
    earlier round of the team."""
    met: set[tuple[int, int]] = set()
    repeats = total = 0
    by_round: dict[int, list[SeatRow]] = defaultdict(list)
    for seat in f.seats:  # oldest round first
        by_round[seat.round_id].append(seat)
    for seats in sorted(by_round.values(), key=lambda s: (s[0].round_at, s[0].round_id)):
        pairs_now: list[tuple[int, int]] = []
        for group in _groups(seats).values():
            ids = sorted(s.user_id for s in group)
            pairs = {(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]}
            if f.start <= group[0].round_at < f.end:
                total += 1
                repeats += bool(pairs & met)
            pairs_now += pairs
        met.update(pairs_now)
    return _share(repeats, total)


def coffee_cross_department(f: CoffeeFacts) -> float | None:
    """Of the window's groups with at least two members of known department, the share
    with two or more departments (ignoring case)."""
    known = mixed = 0
    for group in _groups(_coffee_window(f)).values():
        depts = [f.departments.get(s.user_id, "").strip().lower() for s in group]
        depts = [d for d in depts if d]
        if len(depts) >= 2:
            known += 1
            mixed += len(set(depts)) > 1
    return _share(mixed, known)


def coffee_ghost_pauses(f: CoffeeFacts) -> int:
    """Members paused in the window for not answering three follow-ups in a row."""
    return f.ghost_pauses


def coffee_pulse(f: CoffeeFacts, k: int) -> Any:
    """The optional per-round pulse (1-5, "How was your coffee chat this round?")."""
    return rating_summary(f.answers, "pulse", k)


# --- the reports ----------------------------------------------------------------------------------
def _m(area: str, key: str, label: str, unit: str, value: Value) -> Metric:
    """`label` is marked (N_) where the metric is listed, and said in the language in force
    (the report card, the CSV's label column, the dashboard)."""
    return Metric(area, key, _(label), unit, value)


def program_metrics(f: ProgramFacts, k: int) -> list[Metric]:
    """Every program metric, in the order reports and exports show them."""
    parts: list[Callable[[], Metric]] = [
        lambda: _m("participation", "invited", N_("Invited (team members)"), "count", invited(f)),
        lambda: _m("participation", "enrolled", N_("Enrolled"), "count", enrolled(f)),
        lambda: _m("participation", "matched", N_("Matched"), "count", matched(f)),
        lambda: _m(
            "participation",
            "days_to_match",
            N_("Median days to match"),
            "days",
            median_days_to_match(f),
        ),
        lambda: _m(
            "participation", "unmatched", N_("Unmatched, by reason"), "counts", unmatched_reasons(f)
        ),
        lambda: _m(
            "activity",
            "sessions_per_pair_month",
            N_("Sessions per pair a month"),
            "mean",
            sessions_per_pair_month(f),
        ),
        lambda: _m(
            "activity",
            "at_cadence",
            N_("Pairs meeting at the agreed cadence"),
            "share",
            at_cadence_share(f),
        ),
        lambda: _m(
            "activity",
            "checkin_rate",
            N_("Check-in response rate"),
            "share",
            checkin_response_rate(f),
        ),
        lambda: _m("activity", "agendas", N_("Agendas saved"), "count", agendas_saved(f)),
        lambda: _m(
            "activity", "agenda_pairs", N_("Pairs using agendas"), "share", agenda_pair_share(f)
        ),
        lambda: _m(
            "goals",
            "goals_per_participant",
            N_("Goals per participant"),
            "mean",
            goals_per_participant(f),
        ),
        lambda: _m("goals", "goal_progress", N_("Mean goal progress"), "percent", goal_progress(f)),
        lambda: _m(
            "goals",
            "achieved_by_target",
            N_("Goals achieved by target date"),
            "share",
            goals_achieved_by_target(f),
        ),
        lambda: _m("goals", "blocked", N_("Goals blocked now"), "count", goals_blocked(f)),
        lambda: _m(
            "feedback", "satisfaction", N_("Satisfaction (1-5)"), "mean", satisfaction(f, k)
        ),
        lambda: _m(
            "feedback", "recommend", N_("Recommend score (NPS)"), "score", recommend_score(f, k)
        ),
        lambda: _m(
            "feedback",
            "mentee_progress",
            N_("Mentors' rating of mentee progress (1-5)"),
            "mean",
            mentee_progress_rating(f, k),
        ),
        lambda: _m(
            "feedback",
            "goal_achievement",
            N_("Self-rated goal achievement (1-5)"),
            "mean",
            goal_achievement_rating(f, k),
        ),
        lambda: _m(
            "feedback",
            "skill_growth",
            N_("Skill growth (now minus start, 1-5)"),
            "mean",
            skill_growth(f, k),
        ),
        lambda: _m(
            "feedback",
            "response_rate",
            N_("Survey response rate"),
            "share",
            survey_response_rate(f.invites),
        ),
        lambda: _m(
            "outcomes", "retention_30", N_("Still meeting at day 30"), "share", retention(f, 30)
        ),
        lambda: _m(
            "outcomes", "retention_90", N_("Still meeting at day 90"), "share", retention(f, 90)
        ),
        lambda: _m(
            "outcomes",
            "retention_end",
            N_("Lasted to the program's end"),
            "share",
            retention_to_end(f),
        ),
        lambda: _m(
            "outcomes",
            "completion",
            N_("Completed with the agreement kept"),
            "share",
            completion(f),
        ),
        lambda: _m(
            "outcomes", "early_endings", N_("Early endings, by how"), "counts", early_endings(f)
        ),
        lambda: _m("outcomes", "career_change", N_("Career change"), "share", career_change(f, k)),
        lambda: _m(
            "outcomes",
            "continued",
            N_("Still meeting 60 days after the end"),
            "share",
            continued_relationships(f),
        ),
        lambda: _m(
            "reach", "departments", N_("Participants by department"), "counts", departments(f, k)
        ),
        lambda: _m("reach", "locations", N_("Participants by location"), "counts", locations(f, k)),
        lambda: _m(
            "reach", "seniority", N_("Participants by experience"), "counts", seniority(f, k)
        ),
        lambda: _m(
            "reach",
            "cross_department",
            N_("Cross-department pairs"),
            "share",
            cross_department_share(f),
        ),
        lambda: _m(
            "reach", "demographics", N_("Self-reported demographics"), "counts", demographics(f, k)
        ),
    ]
    return [part() for part in parts]


def coffee_metrics(f: CoffeeFacts, k: int) -> list[Metric]:
    """Every coffee metric of a team, in report order."""
    return [
        _m("coffee", "rounds", N_("Rounds"), "count", coffee_rounds(f)),
        _m("coffee", "people", N_("People placed"), "count", coffee_people(f)),
        _m("coffee", "met_rate", N_("Met (of those asked)"), "share", coffee_met_rate(f)),
        _m("coffee", "rating", N_("Rating (1-5)"), "mean", coffee_rating(f, k)),
        _m("coffee", "repeat_rate", N_("Groups with a repeat"), "share", coffee_repeat_rate(f)),
        _m(
            "coffee",
            "cross_department",
            N_("Cross-department groups"),
            "share",
            coffee_cross_department(f),
        ),
        _m("coffee", "ghost_pauses", N_("Ghost pauses"), "count", coffee_ghost_pauses(f)),
        _m("coffee", "pulse", N_("Pulse (1-5)"), "mean", coffee_pulse(f, k)),
        _m(
            "coffee",
            "pulse_rate",
            N_("Pulse response rate"),
            "share",
            survey_response_rate(f.invites),
        ),
    ]


# --- showing numbers ------------------------------------------------------------------------------
def headline(value: Value) -> float | None:
    """The number a trend compares: a count, share or mean; None for anything else."""
    if isinstance(value, Aggregate):
        return float(value.value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def trend(now: Value, before: Value) -> str:
    """An arrow from the previous window's value to this one's: ▲, ▼ or = ("" when
    either has no number)."""
    a, b = headline(now), headline(before)
    if a is None or b is None:
        return ""
    return "▲" if a > b else "▼" if a < b else "="


def shown(metric: Metric) -> str:
    """A metric's value as people read it."""
    return _shown(metric.unit, metric.value)


def _shown(unit: str, value: Value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Withheld):
        return str(value)
    if isinstance(value, Aggregate) and "from_directory" in value.distribution:
        spread = value.distribution
        return _(
            "{value} ({n} mentees: {reported} reported, {from_directory} from the directory)",
            value=_shown(unit, value.value),
            n=value.n,
            reported=spread["reported"],
            from_directory=spread["from_directory"],
        )
    if isinstance(value, Aggregate):
        return _("{value} ({n} answers)", value=_shown(unit, value.value), n=value.n)
    if isinstance(value, dict):
        return ", ".join(f"{_key(k)}: {_shown('count', v)}" for k, v in value.items()) or "—"
    if unit == "share":
        return i18n.percent(value)  # "42%" as round(100 * value) wrote it
    if unit == "percent":
        return _("{value}%", value=_g(value))
    if unit == "days":
        return _.ngettext("{n} day", "{n} days", 1 if value == 1 else 2, n=_g(value))
    if unit == "score":
        return f"{value:+d}" if isinstance(value, int) else f"{value:+g}"  # i18n: not said
    return _g(value) if isinstance(value, float) else _whole(value)


def _g(value: float) -> str:
    """A number as `{value:g}` writes it in English, the language's way otherwise."""
    return f"{value:g}" if i18n.current() == i18n.SOURCE else i18n.number(value)


def _whole(value: Any) -> str:
    if i18n.current() == i18n.SOURCE or not isinstance(value, int) or isinstance(value, bool):
        return str(value)
    return i18n.number(value)


def _key(key: Any) -> str:
    """A key of counts as said: a band or fold translated, a department or code as it is."""
    return _(key) if key in _SAID_KEYS else str(key)
