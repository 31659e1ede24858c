"""The metrics are pure functions: plain rows in, numbers out. Edge cases by hand: the k
rule (never below 3; demographics from 5), folding small groups, NPS, retention with the
program's close, skill growth per area, repeats in coffee rounds, trends and display."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dialogs.feedback import metrics
from dialogs.feedback.metrics import Aggregate, Withheld
from storage.repos.feedback import (
    AnswerRow,
    CoffeeFacts,
    EndAnswerRow,
    PairRow,
    ParticipantRow,
    ProgramFacts,
    ProgramInfo,
    SeatRow,
    SessionRow,
    TitleMoveRow,
)

START = datetime(2027, 1, 1, tzinfo=UTC)
END = datetime(2027, 7, 1, tzinfo=UTC)


def facts(**fields) -> ProgramFacts:
    base = dict(
        program=ProgramInfo(1, 1, "P", date(2027, 1, 1), date(2027, 6, 30), "biweekly", None),
        start=START,
        end=END,
        program_end=datetime(2027, 6, 30, tzinfo=UTC),
        invited=0,
        participants=[],
        pairs=[],
        sessions=[],
        proposals=[],
        goals=[],
        checkins_sent=0,
        checkins_answered=0,
        answers=[],
        invites=[],
        continued=[],
    )
    return ProgramFacts(**(base | fields))


def answers(tag: str, *values: int, survey: str = "end.mentee") -> list[AnswerRow]:
    return [AnswerRow(survey, tag, "", v, None, None, 1) for v in values]


def pair(n: int, started: datetime | None, ended: datetime | None = None, kind=None) -> PairRow:
    return PairRow(n, 100 + n, 200 + n, "ended" if ended else "active", START, started, ended, kind)


def test_k_is_never_below_three():
    assert [metrics.k_of(v) for v in (None, 0, 1, 3, 7)] == [3, 3, 3, 3, 7]


def test_an_aggregate_needs_k_answers():
    two = facts(answers=answers("satisfaction", 5, 4))
    assert metrics.satisfaction(two, 3) == Withheld(2, 3)
    assert str(metrics.satisfaction(two, 3)) == "fewer than 3 answers"
    three = facts(answers=answers("satisfaction", 5, 4, 3))
    found = metrics.satisfaction(three, 3)
    assert found == Aggregate(3, 4.0, {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1})
    assert metrics.satisfaction(three, 4) == Withheld(3, 4)


def test_the_recommend_score_is_promoters_minus_detractors():
    # 3 promoters (9, 10, 10), 2 passives (7, 8), 2 detractors (0, 6): (3 - 2) / 7 = +14.
    found = metrics.recommend_score(facts(answers=answers("recommend", 9, 10, 10, 7, 8, 0, 6)), 3)
    assert found.value == 14 and found.distribution == {
        "promoters": 3,
        "passives": 2,
        "detractors": 2,
    }


def test_small_groups_fold_into_other_only_when_the_fold_reaches_k():
    assert metrics.fold_counts({"a": 5, "b": 1, "c": 1}, 3) == {"a": 5}
    assert metrics.fold_counts({"a": 5, "b": 2, "c": 1}, 3) == {"a": 5, "other": 3}
    people = [ParticipantRow(i, "mentee", START, True, d, "", None) for i, d in enumerate("xxxyz")]
    assert metrics.departments(facts(participants=people), 3) == {"x": 3}


def test_demographics_need_five_answers_whatever_k_says():
    rows = [AnswerRow("end.mentee", "demographic:age", "", None, None, "30_44", 4)]
    assert metrics.demographics(facts(answers=rows), 3) == {"age": Withheld(4, 5)}
    rows.append(AnswerRow("end.mentee", "demographic:age", "", None, None, "45_plus", 2))
    assert metrics.demographics(facts(answers=rows), 3) == {"age": {"other": 6}}


def test_retention_counts_the_program_s_close_as_lasting():
    started = START + timedelta(days=1)
    pairs = [
        pair(1, started),
        pair(2, started, started + timedelta(days=10), "not_fit"),
        pair(3, started, started + timedelta(days=20), "closed"),  # the program closed early
        pair(4, None),  # never confirmed: not counted
    ]
    f = facts(pairs=pairs)
    assert metrics.retention(f, 30) == 2 / 3
    assert metrics.early_endings(f) == {"not_fit": 1, "ended": 0, "erased": 0}


def test_the_end_is_the_last_day_or_the_close_if_earlier():
    assert metrics.program_end(date(2027, 6, 30), None) == datetime(2027, 6, 30, tzinfo=UTC)
    closed = datetime(2027, 5, 1, 12, tzinfo=UTC)
    assert metrics.program_end(date(2027, 6, 30), closed) == closed
    late = datetime(2027, 7, 9, tzinfo=UTC)
    assert metrics.program_end(date(2027, 6, 30), late) == datetime(2027, 6, 30, tzinfo=UTC)
    assert metrics.program_middle(date(2027, 1, 1), date(2027, 1, 4)) == datetime(
        2027, 1, 2, tzinfo=UTC
    )


def test_cadence_counts_whole_intervals_run_in_the_window():
    started = END - timedelta(days=29)  # two whole fortnights before the window's end
    f = facts(pairs=[pair(1, started), pair(2, started)], sessions=[SessionRow(1, 2, 2, 0, 0)])
    assert metrics.at_cadence_share(f) == 0.5
    assert metrics.sessions_per_pair_month(f) == round(2 / (2 * 29 / 30), 2)


def test_activity_in_one_pass_equals_the_three_functions():
    """metrics.activity (the dashboard's per-month pass) gives exactly the numbers of
    sessions_per_pair_month, at_cadence_share and pair_at_cadence, over many mixes of
    pairs (not started, ended, started before or inside the window) and sessions; and
    the health chart's count with it equals the one without."""
    import random

    from dialogs.dashboard import health

    rng = random.Random(7)
    for round_ in range(200):
        pairs = []
        for n in range(rng.randint(0, 30)):
            started = (
                None
                if rng.random() < 0.2
                else START + timedelta(days=rng.uniform(-60, 200), seconds=rng.randint(0, 9))
            )
            ended = (
                started + timedelta(days=rng.uniform(0, 120))
                if started and rng.random() < 0.3
                else None
            )
            pairs.append(pair(n, started, ended))
        sessions = [
            SessionRow(p.id, rng.randint(0, 12), 12, 0, 0, START + timedelta(rng.randint(0, 190)))
            for p in pairs
            if rng.random() < 0.7
        ]
        cadence = ("weekly", "biweekly", "monthly")[round_ % 3]
        info = ProgramInfo(1, 1, "P", date(2027, 1, 1), date(2027, 6, 30), cadence, None)
        f = facts(program=info, pairs=pairs, sessions=sessions)
        got = metrics.activity(f)
        # The dashboard's pass over its months (shared pairs, other windows) gives the same.
        later = facts(
            program=info,
            pairs=pairs,
            sessions=sessions[::2],
            start=START + timedelta(days=rng.uniform(-30, 90), microseconds=rng.randint(0, 999)),
            end=END + timedelta(days=rng.uniform(0, 90), microseconds=rng.randint(0, 999)),
        )
        assert metrics.activities([f, later, f]) == [got, metrics.activity(later), got]
        assert got.sessions_per_pair_month == metrics.sessions_per_pair_month(f)
        assert got.at_cadence_share == metrics.at_cadence_share(f)
        assert got.at_cadence == {p.id: metrics.pair_at_cadence(f, p) for p in pairs}
        now = START + timedelta(days=rng.uniform(0, 250))
        by_rule = dict.fromkeys(health.STATES, 0)
        last = {s.mentorship_id: s.last_at for s in sessions}
        until = min(f.end, now)
        for p in pairs:  # the rule as health.verdict states it
            if p.created_at >= until or (p.ended_at is not None and p.ended_at < until):
                continue
            if p.started_at is None or p.started_at >= until:
                by_rule[health.TOO_EARLY] += 1
                continue
            since = max(t for t in (last.get(p.id), p.started_at) if t is not None)
            quiet = (until - since).total_seconds() / 86400
            v = health.verdict("active", metrics.pair_at_cadence(f, p), quiet, False)
            by_rule[v.state] += 1
        assert health.states_at_end(f, now, got.at_cadence) == by_rule
        assert health.states_at_end(f, now) == by_rule


def test_skill_growth_leaves_out_areas_with_fewer_than_k_answers():
    rows = [
        AnswerRow("end.mentee", "skills", "SQL", 2, 4, None, 3),  # +2, three times
        AnswerRow("end.mentee", "skills", "Speaking", 1, 5, None, 2),  # only two answers
    ]
    found = metrics.skill_growth(facts(answers=rows), 3)
    assert found == Aggregate(3, 2.0, {"SQL": 2.0})
    assert metrics.skill_growth(facts(answers=rows[1:]), 3) == Withheld(2, 3)


def test_coffee_repeats_count_pairs_who_met_in_an_earlier_round():
    def seat(r: int, g: int, u: int) -> SeatRow:
        return SeatRow(r, START + timedelta(days=7 * r), g, u, True, "yes", None)

    seats = [
        seat(0, 1, 1),
        seat(0, 1, 2),
        seat(1, 2, 1),
        seat(1, 2, 2),
        seat(1, 3, 3),
        seat(1, 3, 4),
    ]
    f = CoffeeFacts(1, START + timedelta(days=7), END, seats, {}, 0, [], [])
    assert metrics.coffee_repeat_rate(f) == 0.5  # round 1: (1, 2) again, (3, 4) new
    assert metrics.coffee_rounds(f) == 1 and metrics.coffee_people(f) == 4


def test_trends_and_how_numbers_read():
    assert metrics.trend(3, 2) == "▲" and metrics.trend(1, 2) == "▼" and metrics.trend(2, 2) == "="
    assert metrics.trend(Withheld(1, 3), 2) == "" and metrics.trend(None, 2) == ""
    share = metrics.Metric("a", "k", "L", "share", 2 / 3)
    assert metrics.shown(share) == "67%"
    score = metrics.Metric("a", "k", "L", "score", Aggregate(28, -5))
    assert metrics.shown(score) == "-5 (28 answers)"
    assert metrics.shown(metrics.Metric("a", "k", "L", "days", 15.5)) == "15.5 days"
    assert metrics.shown(metrics.Metric("a", "k", "L", "counts", {})) == "—"


def test_career_change_adds_directory_title_changes_without_counting_anyone_twice():
    def mentee(n: int) -> ParticipantRow:
        return ParticipantRow(n, "mentee", START, True, "", "", None)

    said = [AnswerRow("end", "career", "", None, None, c, 1) for c in ("promotion", "none")]
    moves = [
        TitleMoveRow(1, "mentee", START + timedelta(days=30)),  # answered too: their word
        TitleMoveRow(2, "mentee", START + timedelta(days=40)),  # counted from the directory
        TitleMoveRow(3, "mentee", START - timedelta(days=1)),  # before enrolling
        TitleMoveRow(4, "mentor", START + timedelta(days=5)),  # not a mentee
        TitleMoveRow(9, "mentee", START + timedelta(days=5)),  # not enrolled
    ]
    f = facts(
        participants=[mentee(n) for n in (1, 2, 3)]
        + [ParticipantRow(4, "mentor", START, True, "", "", None)],
        answers=said,
        title_moves=moves,
        end_answers=[EndAnswerRow(1, START + timedelta(days=100))],
    )
    found = metrics.career_change(f, 3)
    assert isinstance(found, Aggregate)
    assert (found.n, found.value) == (3, round(2 / 3, 4))
    assert found.distribution == {"none": 1, "promotion": 1, "reported": 1, "from_directory": 1}
    shown = metrics.shown(metrics.Metric("outcomes", "career_change", "", "share", found))
    assert shown == "67% (3 mentees: 1 reported, 1 from the directory)"
    assert metrics.career_change(facts(title_moves=moves[1:2], participants=[mentee(2)]), 3) == (
        Withheld(1, 3)
    )
