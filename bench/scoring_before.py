"""Scoring every pair as it was before the block-wise scorer (kept to measure against;
`python -m bench.scoring_before` compares the two on its own, last line JSON with
`meets_goal`).

`python -m bench.matching` times this and `dialogs.mentoring.matching.score_matrix` in the
same run ("scoring_speedup"), and tests/test_matching_algorithm.py checks that both give
exactly the same scores. Whole-matrix float32 steps: every temporary is a full matrix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy import sparse

from dialogs.mentoring.criteria import (
    EXPERIENCE_FULL_GAP,
    FORMATS,
    GOALS_ENOUGH,
    IN_PERSON,
    INTERESTS_ENOUGH,
    MUST_HAVE,
    SKILLS_ENOUGH,
    WORKDAY_HOURS,
    Person,
    _check_instant,
    _key,
    _offsets,
    goal_words,
    parse_weights,
)
from dialogs.mentoring.criteria import FORMAT_FIT as _FORMAT_FIT
from dialogs.mentoring.matching import CRITERIA, UNITS, _related_pairs

FORMAT_FIT = np.array(_FORMAT_FIT, dtype=np.float32)


@dataclass
class ScoreMatrix:
    """Scores of every (mentee, mentor) pair in 0.1 % units; 0 = may not be matched."""

    units: np.ndarray  # (mentees, mentors) int32
    weights: dict[str, float]
    # Per mentee, how many mentors each rule rules out ("must-have <criterion>",
    # "self or manager", "nothing in common"): the words of `no_eligible_mentor` reasons.
    ruled_out: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Side:
    """One side's profile fields as keys and arrays, ready for whole-matrix scoring."""

    people: Sequence[Person]
    offset: Callable[[str | None], float]  # UTC offset in hours of a zone at the instant

    def keys(self, attribute: str) -> list[set[str]]:
        return [{_key(x) for x in getattr(p, attribute)} for p in self.people]

    def goal_stems(self) -> list[set[str]]:
        return [set(goal_words(p.goals)) for p in self.people]

    def codes(self, attribute: str) -> list[str | None]:
        return [_key(v) if (v := getattr(p, attribute)) else None for p in self.people]

    def offsets(self) -> np.ndarray:
        return np.array([self.offset(p.timezone) for p in self.people], dtype=np.float32)

    def seniority(self) -> np.ndarray:
        years = [math.nan if p.seniority is None else p.seniority for p in self.people]
        return np.array(years, dtype=np.float32)

    def formats(self) -> np.ndarray:
        return np.array([FORMATS.index(p.meeting_format) for p in self.people], dtype=np.intp)


def score_matrix(
    mentors: Sequence[Person],
    mentees: Sequence[Person],
    weights: Mapping[str, float] | None = None,
    *,
    at: datetime,
) -> ScoreMatrix:
    """Every pair's score (see the module docstring), with what rules pairs out."""
    checked = parse_weights(weights)
    _check_instant(at)
    offsets = _offsets(at)
    left, right = _Side(mentees, offsets), _Side(mentors, offsets)
    shape = (len(mentees), len(mentors))
    # float32 and in-place steps: at 10,000 x 2,000 every temporary matrix costs 80 MB.
    total = np.zeros(shape, dtype=np.float32)
    allowed = np.ones(shape, dtype=bool)
    ruled_out: dict[str, np.ndarray] = {}
    for name in CRITERIA:
        weight = checked[name]
        if weight <= 0:
            continue
        scores = CRITERION_MATRIX[name](left, right)
        if weight >= MUST_HAVE:
            zero = scores <= 0
            ruled_out[f"must-have {name.replace('_', ' ')}"] = zero.sum(axis=1)
            allowed &= ~zero
        scores *= np.float32(weight)
        total += scores
    total *= np.float32(UNITS / sum(checked.values()))
    units = np.rint(total, out=total).astype(np.int32)
    ruled_out["nothing in common"] = (units <= 0).sum(axis=1)
    related = _related_pairs(mentors, mentees)
    allowed[related] = False
    ruled_out["self or manager"] = np.bincount(related[0], minlength=shape[0])
    units *= allowed
    return ScoreMatrix(units, checked, ruled_out)


def _shared_counts(left: list[set[str]], right: list[set[str]]) -> np.ndarray:
    """How many items each left set shares with each right set, as a dense matrix."""
    on_right = set().union(*right)
    vocabulary: dict[str, int] = {}
    for items in left:
        for item in items & on_right:  # items only one side has count for nobody
            vocabulary.setdefault(item, len(vocabulary))
    a, b = _incidence(left, vocabulary), _incidence(right, vocabulary)
    products = float(np.dot(np.asarray(a.sum(axis=0)).ravel(), np.asarray(b.sum(axis=0)).ravel()))
    if products > a.shape[0] * b.shape[0] // 4:  # mostly non-zero: a dense product is faster
        return a.toarray() @ b.toarray().T
    counts = (a @ b.T).tocoo()
    out = np.zeros((a.shape[0], b.shape[0]), dtype=np.float32)
    out[counts.row, counts.col] = counts.data
    return out


def _incidence(sets: list[set[str]], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    columns = [[vocabulary[x] for x in s if x in vocabulary] for s in sets]
    indptr = np.cumsum([0, *map(len, columns)])
    indices = np.fromiter((c for row in columns for c in row), dtype=np.int32, count=indptr[-1])
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(sets), max(1, len(vocabulary))))


def _sizes(sets: list[set[str]]) -> np.ndarray:
    return np.array([len(s) for s in sets], dtype=np.float32)


def _skills_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    want = mentees.keys("skills_want")
    counts = _shared_counts(want, mentors.keys("skills_offer"))
    counts /= np.clip(_sizes(want), 1, SKILLS_ENOUGH)[:, None]
    return np.minimum(counts, 1, out=counts)


def _shared_matrix(left: list[set[str]], right: list[set[str]], enough: int) -> np.ndarray:
    counts = _shared_counts(left, right)
    divisor = np.minimum(_sizes(left)[:, None], _sizes(right)[None, :])
    np.minimum(divisor, enough, out=divisor)
    counts /= np.maximum(divisor, 1, out=divisor)
    return np.minimum(counts, 1, out=counts)


def _goals_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    return _shared_matrix(mentees.goal_stems(), mentors.goal_stems(), GOALS_ENOUGH)


def _interests_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    return _shared_matrix(mentees.keys("interests"), mentors.keys("interests"), INTERESTS_ENOUGH)


def _languages_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    counts = _shared_counts(mentees.keys("languages"), mentors.keys("languages"))
    return np.minimum(counts, 1, out=counts)


def _experience_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    gap = mentors.seniority()[None, :] - mentees.seniority()[:, None]
    gap /= np.float32(EXPERIENCE_FULL_GAP)
    np.minimum(np.maximum(gap, 0, out=gap), 1, out=gap)
    return np.nan_to_num(gap, copy=False, nan=0.0)  # unknown seniority on either side


def _timezone_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    apart = np.abs(mentees.offsets()[:, None] - mentors.offsets()[None, :])
    np.minimum(apart, 24 - apart, out=apart)  # around the clock: UTC-11 and UTC+13 are 0 apart
    apart /= np.float32(-WORKDAY_HOURS)
    apart += 1
    np.maximum(apart, 0, out=apart)
    return np.nan_to_num(apart, copy=False, nan=0.0)  # unknown time zone on either side


def _format_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    left, right = mentees.formats(), mentors.formats()
    fit = FORMAT_FIT[left[:, None], right[None, :]]
    # Someone who meets only in person cannot meet a partner who is somewhere else.
    in_person = (left[:, None] == IN_PERSON) | (right[None, :] == IN_PERSON)
    in_person &= _known_and_different(mentees.codes("location"), mentors.codes("location"))
    fit[in_person] = 0
    return fit


def _department_matrix(mentees: _Side, mentors: _Side) -> np.ndarray:
    different = _known_and_different(mentees.codes("department"), mentors.codes("department"))
    return different.astype(np.float32)


def _known_and_different(left: list[str | None], right: list[str | None]) -> np.ndarray:
    codes: dict[str | None, int] = {None: -1}
    a = np.array([codes.setdefault(x, len(codes) - 1) for x in left])
    b = np.array([codes.setdefault(x, len(codes) - 1) for x in right])
    return (a[:, None] != b[None, :]) & (a[:, None] >= 0) & (b[None, :] >= 0)


CRITERION_MATRIX: dict[str, Callable[[_Side, _Side], np.ndarray]] = {
    "skills": _skills_matrix,
    "goals": _goals_matrix,
    "interests": _interests_matrix,
    "experience": _experience_matrix,
    "languages": _languages_matrix,
    "timezone": _timezone_matrix,
    "meeting_format": _format_matrix,
    "cross_department": _department_matrix,
}


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.scoring_before [--size 10000x2000] [--seed 1]`: this scorer against
    today's `score_matrix` on `bench.matching`'s synthetic profiles; one JSON line."""
    import argparse
    import json
    import time

    from bench.matching import AT, WEIGHTS, synthetic
    from dialogs.mentoring.matching import score_matrix as score_now

    parser = argparse.ArgumentParser(prog="python -m bench.scoring_before")
    parser.add_argument("--size", default="10000x2000", help="mentees x mentors")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    mentees_n, mentors_n = map(int, args.size.split("x"))
    mentors, mentees = synthetic(mentees_n, mentors_n, args.seed)
    cpu: dict[str, float] = {}
    units: dict[str, np.ndarray] = {}
    for name, scorer in (("before", score_matrix), ("now", score_now)):
        started = time.process_time()
        units[name] = scorer(mentors, mentees, WEIGHTS, at=AT).units
        cpu[name] = round(time.process_time() - started, 3)
    speedup = round(cpu["before"] / max(cpu["now"], 1e-9), 2)
    same = bool(np.array_equal(units["before"], units["now"]))
    print(
        json.dumps(
            {
                "size": args.size,
                "cpu_seconds": cpu,
                "speedup": speedup,
                "meets_goal": {"same_scores": same, "scoring_speedup_2x": speedup >= 2},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
