"""Mentor-mentee matching: who mentors whom in a program. Pure: plain data in, plain data out.

No I/O and no clock: time-zone offsets are taken at the instant `at` the caller passes in
(the zone rules come from the system's tz database). Nothing is random: the same input
always gives the same matches.

Contract
--------
`match(mentors, mentees, weights, at=...)` (people from `parse_people`, weights from
`parse_weights` or None for `DEFAULT_WEIGHTS`):

- Every mentor-mentee pair gets a score from 0 to 1 per criterion (`CRITERIA`); items
  are compared ignoring case, and missing data scores 0:
    skills            wanted skills the mentor offers / min(wanted, 3), at most 1
    goals             shared meaningful words of the goals texts (filler words dropped,
                      plurals merged) / min(either side's words, 3), at most 1
    interests         shared interests / min(either side's, 2), at most 1
    experience        (mentor's seniority - mentee's) / 3, from 0 to 1
    languages         1 with a language in common
    timezone          1 - hours apart / 8 (around the clock, UTC offsets at `at`), >= 0
    meeting_format    1 when equal or either is "any", 0.5 for video and chat, else 0;
                      meeting in person also needs the same location when both are known
    cross_department  1 when both departments are known and differ
  The pair's score is the weighted mean of the criteria with a weight above 0, as a
  percentage in steps of 0.1 %.
- Weights are 0 to 10 per criterion. 10 means must-have: a pair whose score on that
  criterion is 0 is never matched. Nor is a pair that is one person (someone who is both
  mentor and mentee), a manager and their report (either direction, where `manager_id`
  is known), or a pair whose score is 0 (nothing in common).
- Each mentor takes at most `capacity` mentees (1 to 5); each mentee gets at most one
  mentor. Whoever is not matched is in `unmatched` with a code and a reason:
  `no_eligible_mentor` (every mentor is ruled out, and by what) or `no_capacity` (the
  mentors they could have are all full).
- Each match carries its score and the three criteria that add the most to it among
  those strong enough to say (`criteria.REASON_FLOOR`: "7 hours apart" is no reason), in
  plain words addressed to the mentee ("Ana offers SQL, which you want to grow").

Objective, in strict order:

1. The total score of all pairs is the highest possible: exact, over every pair, for the
   scores as rounded to 0.1 %.
2. Fairness guard: among the assignments with that same total, the lowest pair score is
   the highest possible (also exact). Only the lowest is lifted, not the second lowest
   and so on, and the number of matched mentees is not part of the objective (an
   optimal assignment never leaves a mentee unmatched while a mentor they could have has
   a free seat, but two with the same total may match different numbers).

How
---
1. Scores: a block of mentees at a time (about `SCORE_BLOCK` pairs, so the temporaries
   stay in the processor's cache), each criterion in float32 with numpy; shared items
   are counted as popcounts of 64-bit masks (sparse products for vocabularies past
   `BITSET_WORDS` words). Criteria of a few distinct values per side (time zones, years,
   meeting formats with places, departments, language sets) are scored once per pair of
   distinct values by the same steps and then looked up; skills, goals and interests
   likewise from a table by (capped sizes, shared count), indexed per pair. Each table
   is multiplied by its weight once, not each looked-up block. The result is a matrix
   of whole numbers (0.1 % units, int16) where 0 means "may not be matched"; the steps
   per pair are those of the whole-matrix scorer this replaced
   (`bench/scoring_before.py`), so the scores are exactly the same.
2. Total: capacitated assignment is a transportation linear program whose constraint
   matrix is totally unimodular, so a simplex vertex is a whole assignment. HiGHS (its
   own Python interface, `highspy`) solves it on candidate pairs: each mentee's best
   `MENTEE_CANDIDATES` mentors and each mentor's best mentees (most seats +
   `MENTOR_CANDIDATES`). HiGHS starts from an optimal basis of that first program when
   one is found: scipy's sparse assignment solver (LAPJVsp, one row per seat) matches
   the candidates, shortest paths over the mentors (Bellman-Ford in numpy, stopping once
   settled) give that matching's duals, and their tree names the basis; it is only a
   start, never part of the proof. The duals then price every other pair (in int16 when
   they are small enough, still exact); pairs with a positive reduced cost join as
   columns and HiGHS re-solves from its last basis. The matrix is totally unimodular,
   so a vertex's duals are whole numbers: they are rounded and every check after is
   exact integer arithmetic. When no pair prices out, the duals are
   feasible for the whole problem; `_Program._certify` then checks complementary
   slackness with the chosen pairs itself (chosen pairs tight, a mentee's dual above 0
   only if matched, a mentor's only if full), which proves the total optimal over all
   pairs whatever the solver did (LP duality). Duals that are not whole (numerical
   trouble) fall back to tolerances far below one unit.
3. Guard: every optimal assignment uses only pairs whose reduced cost is 0 under those
   duals (complementary slackness). With only those open, pairs scoring at the current
   lowest are closed and the program re-solved: if it still reaches the optimal total,
   the lowest has risen, and again; the first time it does not proves that no optimal
   assignment has a higher lowest. Every accepted step has the optimal total, so the
   guard never costs any total.
4. Explanations: every criterion of all chosen pairs at once, in float64 by the steps of
   the plain-set versions (`criteria._Pair`), sorted by contribution; only the (at most
   three) reasons said are then written, from the pair's facts (the tests check that
   this is exactly what `explain_pair` says of each pair).

`python -m bench.matching` times the whole call at 10,000 mentees x 2,000 mentors
(capacities 1 to 5) against a greedy baseline and an independent optimum
(`scipy.optimize.linear_sum_assignment` on the matrix with one column per seat), the
scoring against the scorer it replaced, and 50,000 x 10,000 alone (time, peak memory).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, repeat
from typing import Any

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from dialogs.mentoring.criteria import (
    CAPACITY_RANGE,
    CRITERIA,
    DEFAULT_CAPACITY,
    DEFAULT_WEIGHTS,
    EXPERIENCE_FULL_GAP,
    FORMAT_WORDS,
    FORMATS,
    GOALS_ENOUGH,
    IN_PERSON,
    INTERESTS_ENOUGH,
    MAX_WEIGHT,
    MUST_HAVE,
    REASON_FLOOR,
    SKILLS_ENOUGH,
    WORKDAY_HOURS,
    Criterion,
    Person,
    _check_instant,
    _key,
    _offsets,
    _Pair,
    explain_pair,
    goal_words,
    parse_people,
    parse_weights,
    reason_words,
)
from dialogs.mentoring.criteria import FORMAT_FIT as _FORMAT_FIT

__all__ = [
    "CRITERIA",
    "CRITERION_MATRIX",
    "DEFAULT_CAPACITY",
    "DEFAULT_WEIGHTS",
    "FORMATS",
    "FORMAT_WORDS",
    "MAX_WEIGHT",
    "MUST_HAVE",
    "UNITS",
    "Assignment",
    "Criterion",
    "MatchResult",
    "Person",
    "ScoreMatrix",
    "assign",
    "explain_pair",
    "goal_words",
    "match",
    "parse_people",
    "parse_weights",
    "score_matrix",
]

# Meeting formats as a matrix, for scoring every pair at once.
FORMAT_FIT = np.array(_FORMAT_FIT, dtype=np.float32)

# Solver settings (see "How" in the module docstring).
MENTEE_CANDIDATES = 3  # best mentors per mentee in the first linear program
MENTOR_CANDIDATES = 4  # best mentees per mentor, on top of the most seats anyone has
PRICE_ADD = 8  # most priced-out pairs added per mentee per round
PRICE_TOL = 1e-6  # reduced costs are whole numbers in theory: this only absorbs rounding
TIGHT_TOL = 1e-6  # the same, for "reduced cost 0"
TRANSPOSE_BLOCK = 1 << 20  # scores per band of mentors copied as rows for their candidates
TRANSPOSE_ROWS = 512  # rows per step of that copy
SCORE_BLOCK = 1 << 16  # pairs scored at a time: small enough for the temporaries to stay cached
BITSET_WORDS = 4  # shared-item vocabularies up to 64 x this are counted with bit masks
UNITS = 1000  # score units per 100 %: the solver works on whole numbers, 0.1 % apart


# --- Scoring all pairs --------------------------------------------------------------


@dataclass
class ScoreMatrix:
    """Scores of every (mentee, mentor) pair in 0.1 % units; 0 = may not be matched."""

    units: np.ndarray  # (mentees, mentors) int16 (scores are 0 to UNITS)
    weights: dict[str, float]
    # Per mentee, how many mentors each rule rules out ("must-have <criterion>",
    # "self or manager", "nothing in common"): the words of `no_eligible_mentor` reasons.
    ruled_out: dict[str, np.ndarray] = field(default_factory=dict)
    # With `keep_misses`: per must-have criterion, which pairs score 0 on it (bool matrix).
    misses: dict[str, np.ndarray] = field(default_factory=dict)
    # The prepared per-person data the scores came from, for explaining chosen pairs.
    scorer: _Scorer | None = field(default=None, repr=False)


class _Items:
    """One side's item sets (skills, interests, ...) over a vocabulary both sides share.

    Up to 64 * BITSET_WORDS items, each set is a few 64-bit masks and a block's shared
    counts are popcounts of ANDs (exact, and no BLAS threads to wait for on a busy
    machine); a larger vocabulary stays a sparse 0/1 matrix and counts are its products.
    """

    def __init__(self, sets: list[set[str]], vocabulary: dict[str, int]) -> None:
        lengths = list(map(len, sets))
        self.sizes = np.array(lengths, dtype=np.float32)
        flat = list(chain.from_iterable(sets))
        found = np.array(list(map(vocabulary.get, flat, repeat(-1, len(flat)))), dtype=np.int64)
        rows = np.repeat(np.arange(len(sets)), lengths)
        known = found >= 0  # items the other side has
        rows, items = rows[known], found[known]
        self.words = -(-max(1, len(vocabulary)) // 64)
        self.masks: np.ndarray | None = None
        self.matrix: Any = None
        if self.words <= BITSET_WORDS:
            masks = np.zeros((len(sets), self.words), dtype=np.uint64)
            bits = np.left_shift(np.uint64(1), (items & 63).astype(np.uint64))
            np.bitwise_or.at(masks, (rows, items >> 6), bits)
            self.masks = masks
        else:
            indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(sets)))])
            data = np.ones(len(items), dtype=np.float32)
            shape = (len(sets), len(vocabulary))
            self.matrix = sparse.csr_matrix((data, items.astype(np.int32), indptr), shape=shape)

    @classmethod
    def of_masks(cls, masks: np.ndarray) -> _Items:
        """Items given as masks alone (for counting shared items only; sizes unknown)."""
        items = cls([], {})
        items.masks, items.words = masks, masks.shape[1]
        return items


def _shared(left: list[set[str]], right: list[set[str]]) -> tuple[_Items, _Items]:
    """Both sides' items over those that both sides have (the others count for nobody)."""
    common = set(chain.from_iterable(left)) & set(chain.from_iterable(right))
    vocabulary = {item: k for k, item in enumerate(sorted(common))}
    return _Items(left, vocabulary), _Items(right, vocabulary)


def _counts(left: _Items, right: _Items, start: int, stop: int) -> np.ndarray:
    """How many items each left row in [start, stop) shares with each right row (float32)."""
    if left.masks is None or right.masks is None:
        product = left.matrix[start:stop] @ right.matrix.T
        return np.asarray(product.toarray(), dtype=np.float32)
    mine, theirs = left.masks[start:stop], right.masks
    shared = np.zeros((stop - start, len(theirs)), dtype=np.uint16)
    both = np.empty(shared.shape, dtype=np.uint64)
    for word in range(left.words):
        np.bitwise_and(mine[:, word, None], theirs[None, :, word], out=both)
        shared += np.bitwise_count(both)
    return shared.astype(np.float32)


def _count_ints(left: _Items, right: _Items, start: int, stop: int) -> np.ndarray:
    """`_counts` as whole numbers (uint8 for one mask word, else uint16), masks only."""
    assert left.masks is not None and right.masks is not None
    mine, theirs = left.masks[start:stop], right.masks
    both = np.bitwise_and(mine[:, 0, None], theirs[None, :, 0])
    if left.words == 1:
        return np.bitwise_count(both)
    shared = np.bitwise_count(both).astype(np.uint16)
    for word in range(1, left.words):
        np.bitwise_and(mine[:, word, None], theirs[None, :, word], out=both)
        shared += np.bitwise_count(both)
    return shared


def _pair_counts(left: _Items, right: _Items, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """How many items left row rows[k] shares with right row cols[k], for each k (float64)."""
    if left.masks is None or right.masks is None:
        product = left.matrix[rows].multiply(right.matrix[cols]).sum(axis=1)
        return np.asarray(product, dtype=np.float64).ravel()
    both = np.bitwise_and(left.masks[rows], right.masks[cols])
    return np.bitwise_count(both).sum(axis=1, dtype=np.int64).astype(np.float64)


@dataclass
class _Side:
    """One side's profile fields as keys and arrays, ready for whole-matrix scoring."""

    people: Sequence[Person]
    offset: Callable[[str | None], float]  # UTC offset in hours of a zone at the instant

    def keys(self, attribute: str) -> list[set[str]]:
        values = [getattr(p, attribute) for p in self.people]
        keyed = {x: _key(x) for x in dict.fromkeys(chain.from_iterable(values))}
        return [set(map(keyed.__getitem__, v)) for v in values]

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


class _Scorer:
    """Each criterion's scores for a block of mentees (rows) against every mentor.

    Everything per person is prepared once; a block is then a few array operations that
    stay in the processor's cache. Each criterion is float32 and the same operations in
    the same order for every pair, whatever the block size: block-wise scores are exactly
    the whole-matrix ones.
    """

    def __init__(self, mentees: _Side, mentors: _Side, names: Sequence[str]) -> None:
        self.n, self.m = len(mentees.people), len(mentors.people)
        self.mentees, self.mentors = mentees, mentors
        prepare = {
            "skills": lambda: self._prepare_skills(mentees, mentors),
            "goals": lambda: _shared(mentees.goal_stems(), mentors.goal_stems()),
            "interests": lambda: _shared(mentees.keys("interests"), mentors.keys("interests")),
            "languages": lambda: _shared(mentees.keys("languages"), mentors.keys("languages")),
            "experience": lambda: (mentees.seniority(), mentors.seniority()),
            "timezone": lambda: (mentees.offsets(), mentors.offsets()),
            "meeting_format": lambda: self._prepare_formats(mentees, mentors),
            "cross_department": lambda: _codes(
                mentees.codes("department"), mentors.codes("department")
            ),
        }
        self.data = {name: prepare[name]() for name in names}
        # Criteria of a few distinct values per side (zones, years, formats and places):
        # each pair of distinct values scored once, by the same float32 steps, then looked
        # up per block, so the scores are exactly those of scoring every pair.
        self.tables = {
            name: self._table(name) for name in names if name in TABLED and self.n and self.m
        }
        if "languages" in names and self.n and self.m:
            self._language_table()
        # Skills, goals and interests by their shared-item counts: a score depends only on
        # the count and the two sides' (capped) numbers of items, so a small table of
        # those, scored by the same float32 steps, is looked up by one index per pair.
        self.count_tables = {
            name: table
            for name in names
            if name in COUNTED and self.n and self.m and (table := self._count_table(name))
        }
        self.weighted_tables: dict[tuple[str, np.float32], np.ndarray] = {}

    @staticmethod
    def _prepare_skills(mentees: _Side, mentors: _Side) -> tuple[_Items, _Items, np.ndarray]:
        want, offer = _shared(mentees.keys("skills_want"), mentors.keys("skills_offer"))
        return want, offer, np.clip(want.sizes, 1, SKILLS_ENOUGH)

    @staticmethod
    def _prepare_formats(mentees: _Side, mentors: _Side) -> tuple[np.ndarray, ...]:
        places = _codes(mentees.codes("location"), mentors.codes("location"))
        return mentees.formats(), mentors.formats(), *places

    def criterion(self, name: str, start: int, stop: int) -> np.ndarray:
        """The (stop - start, mentors) float32 scores of one criterion, from 0 to 1."""
        if name in self.tables:
            mine, theirs, table = self.tables[name]
            return np.take(table[mine[start:stop]], theirs, axis=1)
        if name in self.count_tables:
            return np.take(self.count_tables[name][2], self._count_index(name, start, stop))
        return getattr(self, f"_{name}")(self.data[name], start, stop)

    def weighted(self, name: str, start: int, stop: int, weight: np.float32) -> np.ndarray:
        """`criterion` times its weight (float32), from a weighted table when there is one:
        multiplying the table's entries or the looked-up copies gives the same numbers."""
        table = self.tables.get(name, self.count_tables.get(name))
        if table is None:
            scores = self.criterion(name, start, stop)
            scores *= weight
            return scores
        if (name, weight) not in self.weighted_tables:
            self.weighted_tables[name, weight] = table[2] * weight
        weighted = self.weighted_tables[name, weight]
        if name in self.count_tables:
            return np.take(weighted, self._count_index(name, start, stop))
        mine, theirs = table[:2]
        return np.take(weighted[mine[start:stop]], theirs, axis=1)

    def _count_table(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Per mentee and per mentor a base index, and the flat table of scores by
        (mentee's capped size, mentor's capped size, shared count): the steps of `_skills`
        and `_shared_score` on every combination. None for sparse vocabularies."""
        data: Any = self.data[name]
        left, right = data[:2]
        if left.masks is None or right.masks is None:
            return None
        most = int(min(left.sizes.max(), right.sizes.max(), 64 * left.words))
        counts = np.arange(most + 1, dtype=np.float32)
        if name == "skills":
            divisors, mine = np.unique(data[2], return_inverse=True)
            theirs = np.zeros(self.m, dtype=np.intp)
            scores = counts[None, :] / divisors[:, None]
        else:
            enough = GOALS_ENOUGH if name == "goals" else INTERESTS_ENOUGH
            first, mine = np.unique(np.clip(left.sizes, 1, enough), return_inverse=True)
            second, theirs = np.unique(np.clip(right.sizes, 1, enough), return_inverse=True)
            # max(min(a, b, enough), 1) = min(max(min(a, enough), 1), max(min(b, enough), 1))
            divisors = np.minimum(first[:, None], second[None, :])
            scores = counts[None, None, :] / divisors[:, :, None]
        table = np.minimum(scores, 1).astype(np.float32).ravel()
        per_mentor = (int(theirs.max()) + 1) * (most + 1)
        dtype = np.int16 if len(table) < 1 << 15 else np.intp
        return (
            (mine.ravel() * per_mentor).astype(dtype),
            (theirs.ravel() * (most + 1)).astype(dtype),
            table,
        )

    def _count_index(self, name: str, start: int, stop: int) -> np.ndarray:
        mine, theirs, _ = self.count_tables[name]
        data: Any = self.data[name]
        index = np.add(mine[start:stop, None], theirs[None, :])
        np.add(index, _count_ints(data[0], data[1], start, stop), out=index, casting="unsafe")
        return index

    def _table(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per side, a code per person (their distinct values), and the codes' scores."""
        data: Any = self.data[name]  # (mentee array, mentor array), once or twice
        mine, first = _distinct_rows(data[0::2])
        theirs, second = _distinct_rows(data[1::2])
        distinct = tuple(x for pair in zip(first, second, strict=True) for x in pair)
        scores = getattr(self, f"_{name}")(distinct, 0, len(first[0]))
        return mine, theirs, np.ascontiguousarray(scores, dtype=np.float32)

    def _language_table(self) -> None:
        """Languages too, by their distinct sets (as masks), when those are few."""
        data: Any = self.data["languages"]
        left, right = data
        if left.masks is None or right.masks is None:
            return
        mine, first = np.unique(left.masks, axis=0, return_inverse=True)
        theirs, second = np.unique(right.masks, axis=0, return_inverse=True)
        if len(mine) * len(theirs) > TABLE_LIMIT:
            return
        distinct = (_Items.of_masks(mine), _Items.of_masks(theirs))
        scores = self._languages(distinct, 0, len(mine))
        self.tables["languages"] = (first.ravel(), second.ravel(), scores)

    def _skills(self, data: tuple[_Items, _Items, np.ndarray], a: int, b: int) -> np.ndarray:
        want, offer, divisor = data
        counts = _counts(want, offer, a, b)
        counts /= divisor[a:b, None]
        return np.minimum(counts, 1, out=counts)

    def _shared_score(self, data: tuple[_Items, _Items], a: int, b: int, enough: int) -> np.ndarray:
        left, right = data
        counts = _counts(left, right, a, b)
        divisor = np.minimum(left.sizes[a:b, None], right.sizes[None, :])
        np.minimum(divisor, enough, out=divisor)
        counts /= np.maximum(divisor, 1, out=divisor)
        return np.minimum(counts, 1, out=counts)

    def _goals(self, data: tuple[_Items, _Items], a: int, b: int) -> np.ndarray:
        return self._shared_score(data, a, b, GOALS_ENOUGH)

    def _interests(self, data: tuple[_Items, _Items], a: int, b: int) -> np.ndarray:
        return self._shared_score(data, a, b, INTERESTS_ENOUGH)

    def _languages(self, data: tuple[_Items, _Items], a: int, b: int) -> np.ndarray:
        counts = _counts(*data, a, b)
        return np.minimum(counts, 1, out=counts)

    def _experience(self, data: tuple[np.ndarray, np.ndarray], a: int, b: int) -> np.ndarray:
        mentee, mentor = data
        gap = mentor[None, :] - mentee[a:b, None]
        gap /= np.float32(EXPERIENCE_FULL_GAP)
        np.minimum(np.maximum(gap, 0, out=gap), 1, out=gap)
        return np.nan_to_num(gap, copy=False, nan=0.0)  # unknown seniority on either side

    def _timezone(self, data: tuple[np.ndarray, np.ndarray], a: int, b: int) -> np.ndarray:
        mentee, mentor = data
        apart = np.abs(mentee[a:b, None] - mentor[None, :])
        np.minimum(apart, 24 - apart, out=apart)  # around the clock: UTC-11 and UTC+13 are 0 apart
        apart /= np.float32(-WORKDAY_HOURS)
        apart += 1
        np.maximum(apart, 0, out=apart)
        return np.nan_to_num(apart, copy=False, nan=0.0)  # unknown time zone on either side

    def _meeting_format(self, data: tuple[np.ndarray, ...], a: int, b: int) -> np.ndarray:
        mentee, mentor, here, there = data
        fit = np.take(FORMAT_FIT[mentee[a:b]], mentor, axis=1)
        # Someone who meets only in person cannot meet a partner who is somewhere else.
        in_person = (mentee[a:b, None] == IN_PERSON) | (mentor[None, :] == IN_PERSON)
        in_person &= _different(here[a:b], there)
        fit[in_person] = 0
        return fit

    def _cross_department(self, data: tuple[np.ndarray, np.ndarray], a: int, b: int) -> np.ndarray:
        return _different(data[0][a:b], data[1]).astype(np.float32)

    def pairs(self, name: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """One criterion's scores of the pairs (rows[k], cols[k]) alone, in float64 and by
        the plain-set steps of `criteria._Pair`, so they are exactly its scores (what the
        explanations say and sort by); the shared-item counts come from the masks."""
        data: Any = self.data[name]
        if name in ("skills", "goals", "interests", "languages"):
            left, right = data[:2]
            counts = _pair_counts(left, right, rows, cols)
            if name == "languages":
                return np.minimum(counts, 1.0)
            enough = {"skills": SKILLS_ENOUGH, "goals": GOALS_ENOUGH}.get(name, INTERESTS_ENOUGH)
            divisor = np.minimum(left.sizes[rows].astype(np.float64), enough)
            if name != "skills":
                divisor = np.minimum(divisor, right.sizes[cols].astype(np.float64))
            return np.minimum(counts / np.maximum(divisor, 1.0), 1.0)
        if name == "experience":
            gap = _floats(self.mentors.people, cols, "seniority")
            gap -= _floats(self.mentees.people, rows, "seniority")
            with np.errstate(invalid="ignore"):
                return np.where(gap > 0, np.minimum(gap / EXPERIENCE_FULL_GAP, 1.0), 0.0)
        if name == "timezone":
            here = np.array([self.mentees.offset(self.mentees.people[i].timezone) for i in rows])
            there = np.array([self.mentors.offset(self.mentors.people[j].timezone) for j in cols])
            apart = np.abs(here.astype(np.float64) - there.astype(np.float64))
            apart = np.minimum(apart, 24 - apart)
            with np.errstate(invalid="ignore"):
                return np.where(apart < WORKDAY_HOURS, 1 - apart / WORKDAY_HOURS, 0.0)
        if name == "meeting_format":
            mine, theirs, place, other = data
            fit = np.array(_FORMAT_FIT, dtype=np.float64)[mine[rows], theirs[cols]]
            in_person = (mine[rows] == IN_PERSON) | (theirs[cols] == IN_PERSON)
            elsewhere = (place[rows] != other[cols]) & (place[rows] >= 0) & (other[cols] >= 0)
            return np.where(in_person & elsewhere, 0.0, fit)
        mine, theirs = data  # cross_department
        different = (mine[rows] != theirs[cols]) & (mine[rows] >= 0) & (theirs[cols] >= 0)
        return different.astype(np.float64)


def _floats(people: Sequence[Person], at: np.ndarray, attribute: str) -> np.ndarray:
    values = [getattr(people[k], attribute) for k in at.tolist()]
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


TABLED = ("experience", "timezone", "meeting_format", "cross_department")
COUNTED = ("skills", "goals", "interests")
TABLE_LIMIT = 1 << 16  # most pairs of distinct language sets worth a table


def _distinct_rows(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """A code per person for the distinct combinations of these per-person arrays, and
    each array's value per code (NaN counts as one value)."""
    if len(arrays) == 1:
        values, codes = np.unique(arrays[0], return_inverse=True)
        return codes.ravel(), [values]
    stacked = np.stack([a.astype(np.float64) for a in arrays], axis=1)
    values, codes = np.unique(stacked, axis=0, return_inverse=True)
    return codes.ravel(), [values[:, k].astype(a.dtype) for k, a in enumerate(arrays)]


def _codes(left: list[str | None], right: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Both sides' values as shared whole-number codes, -1 for unknown."""
    codes: dict[str | None, int] = {None: -1}
    a = np.array([codes.setdefault(x, len(codes) - 1) for x in left], dtype=np.int32)
    b = np.array([codes.setdefault(x, len(codes) - 1) for x in right], dtype=np.int32)
    return a, b


def _different(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Known on both sides and different, for every pair of a block."""
    return (left[:, None] != right[None, :]) & (left[:, None] >= 0) & (right[None, :] >= 0)


def _block_rows(mentors: int) -> int:
    """Mentee rows per scoring block: about SCORE_BLOCK pairs, so the temporaries stay cached."""
    return max(1, SCORE_BLOCK // max(1, mentors))


def score_matrix(
    mentors: Sequence[Person],
    mentees: Sequence[Person],
    weights: Mapping[str, float] | None = None,
    *,
    at: datetime,
    keep_misses: bool = False,
) -> ScoreMatrix:
    """Every pair's score (see the module docstring), with what rules pairs out (and, with
    `keep_misses`, which pairs each must-have rules out: for telling people why)."""
    checked = parse_weights(weights)
    _check_instant(at)
    offsets = _offsets(at)
    n, m = len(mentees), len(mentors)
    used = [name for name in CRITERIA if checked[name] > 0]
    scorer = _Scorer(_Side(mentees, offsets), _Side(mentors, offsets), used)
    scale = np.float32(UNITS / sum(checked.values()))
    units = np.empty((n, m), dtype=np.int16)
    must = [name for name in used if checked[name] >= MUST_HAVE]
    ruled_out = {f"must-have {name.replace('_', ' ')}": np.zeros(n, np.intp) for name in must}
    nothing = np.zeros(n, dtype=np.intp)
    misses = {name: np.zeros((n, m), dtype=bool) for name in must} if keep_misses else {}
    weight = {name: np.float32(checked[name]) for name in used}
    rows = _block_rows(m)
    for a in range(0, n, rows):
        b = min(n, a + rows)
        total: np.ndarray | None = None
        barred: np.ndarray | None = None  # pairs a must-have rules out
        for name in used:
            # Each criterion times its weight, summed in CRITERIA order from the first
            # (0 + x is x: the same float32 steps as summing into zeros).
            scores = scorer.weighted(name, a, b, weight[name])
            if checked[name] >= MUST_HAVE:
                zero = scores <= 0  # the weight is above 0: zero exactly when the score is
                ruled_out[f"must-have {name.replace('_', ' ')}"][a:b] = np.count_nonzero(
                    zero, axis=1
                )
                barred = zero if barred is None else np.logical_or(barred, zero, out=barred)
                if keep_misses:
                    misses[name][a:b] = zero
            if total is None:
                total = scores
            else:
                total += scores
        assert total is not None  # parse_weights keeps at least one criterion
        total *= scale
        np.rint(total, out=total)
        nothing[a:b] = np.count_nonzero(total <= 0, axis=1)
        block = units[a:b]
        np.copyto(block, total, casting="unsafe")  # whole numbers from 0 to UNITS
        if barred is not None:
            block[barred] = 0
    ruled_out["nothing in common"] = nothing  # i18n: not said
    related = _related_pairs(mentors, mentees)
    units[related] = 0
    ruled_out["self or manager"] = np.bincount(related[0], minlength=n)  # i18n: not said
    return ScoreMatrix(units, checked, ruled_out, misses, scorer)


def _related_pairs(
    mentors: Sequence[Person], mentees: Sequence[Person]
) -> tuple[np.ndarray, np.ndarray]:
    """(mentee, mentor) index pairs that are one person or a manager and their report."""
    mentor_at = {p.id: j for j, p in enumerate(mentors)}
    mentee_at = {p.id: i for i, p in enumerate(mentees)}
    pairs = {(i, mentor_at[p.id]) for i, p in enumerate(mentees) if p.id in mentor_at}
    pairs |= {
        (i, mentor_at[p.manager_id]) for i, p in enumerate(mentees) if p.manager_id in mentor_at
    }
    pairs |= {
        (mentee_at[p.manager_id], j) for j, p in enumerate(mentors) if p.manager_id in mentee_at
    }
    ordered = sorted(pairs)
    return (
        np.array([i for i, _ in ordered], dtype=np.intp),
        np.array([j for _, j in ordered], dtype=np.intp),
    )


def _whole(name: str) -> Callable[[_Side, _Side], np.ndarray]:
    def scores(mentees: _Side, mentors: _Side) -> np.ndarray:
        return _Scorer(mentees, mentors, [name]).criterion(name, 0, len(mentees.people))

    scores.__name__ = f"_{name}_matrix"
    return scores


# Each criterion on the whole matrix at once (the tests compare them with `explain_pair`).
CRITERION_MATRIX: dict[str, Callable[[_Side, _Side], np.ndarray]] = {
    name: _whole(name) for name in CRITERIA
}


# --- Assigning: the exact total, then the fairness guard ----------------------------


@dataclass
class Assignment:
    """Who mentors whom, as indexes: the solver's answer on a score matrix."""

    mentor_of: np.ndarray  # per mentee: the mentor's index, or -1 when unmatched
    total: int  # score units
    lowest: int | None  # the lowest pair score, after the guard
    lowest_without_guard: int | None  # ... and in the first optimal assignment found


def assign(
    units: np.ndarray, capacities: Sequence[int] | np.ndarray, *, guard: bool = True
) -> Assignment:
    """The assignment of the module docstring's objective on a (mentees, mentors) matrix.

    `units` holds whole-number scores, 0 where a pair may not be matched; `capacities`
    the mentors' seats.
    """
    units = np.asarray(units)
    if units.dtype not in (np.int16, np.int32):
        units = units.astype(np.int32)
    units = np.ascontiguousarray(units)
    seats = np.asarray(capacities, dtype=np.float64)
    if (
        units.ndim != 2
        or units.shape[1] != len(seats)
        or (units.size and units.min() < 0)
        or (seats < 0).any()
    ):
        raise ValueError(
            "units must be a (mentees, mentors) matrix of scores >= 0, one seat count per mentor"
        )
    mentor_of = np.full(units.shape[0], -1)
    if not units.size or units.max() <= 0:
        return Assignment(mentor_of, 0, None, None)
    program = _Program(units, seats)
    chosen, tight = program.optimum()
    flat = units.ravel()
    total, first_lowest = int(flat[chosen].sum()), int(flat[chosen].min())
    if guard:
        chosen = program.raise_lowest(chosen, total, tight)
    mentor_of[chosen // units.shape[1]] = chosen % units.shape[1]
    return Assignment(mentor_of, total, int(flat[chosen].min()), first_lowest)


class _Program:
    """The transportation program in HiGHS, grown by pricing (warm starts each time).

    Rows: each mentee takes at most one mentor, then each mentor at most their seats.
    Columns: candidate pairs, as flat keys (mentee * mentors + mentor), in `keys` order.
    """

    def __init__(self, units: np.ndarray, seats: np.ndarray) -> None:
        self.units, self.flat, self.seats = units, units.ravel(), seats
        self.top = int(units.max())
        n, m = units.shape
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)  # one solve at a time: no idle workers
        # A 0/1 matrix with whole scores: nothing for presolve or scaling to win, and both
        # cost a pass over the program each solve.
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("simplex_scale_strategy", 0)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        limits = np.concatenate([np.ones(n), seats])
        empty = np.zeros(n + m, dtype=np.int32)
        self.highs.addRows(n + m, np.full(n + m, -highspy.kHighsInf), limits, 0, empty, [], [])
        self.keys = np.empty(0, dtype=np.int64)
        self.known = np.empty(0, dtype=np.int64)  # the keys, sorted: "is it a column yet?"

    def optimum(self) -> tuple[np.ndarray, np.ndarray]:
        """Chosen keys of a maximum total over ALL pairs, and the pairs with reduced cost 0."""
        self.add(self._first_candidates())
        self._warm_start()
        while True:
            chosen, duals = self.solve()
            more, tight = self._price(duals)
            if tight is not None:  # the duals fit every pair: optimal over all of them
                self._certify(chosen, duals)
                return chosen, tight
            self.add(more)

    def _warm_start(self) -> None:
        """An optimal basis of the first program for HiGHS to start from, when one is found.

        scipy's sparse assignment solver (LAPJVsp, one row per seat) matches the candidate
        pairs; shortest paths over the mentors then give duals for that matching, and the
        shortest-path tree names a basis (each full mentor's group joins the rest through
        one tight pair or a slack). It is only a starting point: HiGHS solves from whatever
        basis it is given, and the proof of optimality is still `_certify`'s.
        """
        if not len(self.keys) or not self.seats.sum():
            return
        try:
            basis = self._basis(self._seat_matching())
        except (ValueError, ArithmeticError):  # none, or not optimal
            return
        if basis is not None:
            self.highs.setBasis(basis)

    def _seat_matching(self) -> np.ndarray:
        """Per mentee, the mentor of a best assignment on the columns (or -1): LAPJVsp."""
        n, m = self.units.shape
        mentees, mentors = np.divmod(self.keys, m)
        scores = self.flat[self.keys].astype(np.int64)
        seats = self.seats.astype(np.int64)
        total = int(seats.sum())
        # One row per seat; columns: the mentees, then one "left empty" column per seat.
        copies = seats[mentors]
        edge = np.repeat(np.arange(len(self.keys)), copies)
        within = np.arange(len(edge)) - np.repeat(_first_of(copies), copies)
        top = int(scores.max()) + 1  # a pair costs top - score >= 1, an empty seat top
        cost = np.concatenate([top - scores[edge], np.full(total, top)]).astype(np.float64)
        rows = np.concatenate([_first_of(seats)[mentors[edge]] + within, np.arange(total)])
        cols = np.concatenate([mentees[edge], n + np.arange(total)])
        graph = sparse.csr_matrix((cost, (rows, cols)), shape=(total, n + total))
        seat, column = min_weight_full_bipartite_matching(graph)
        filled = column < n
        mentor_of = np.full(n, -1)
        mentor_of[column[filled]] = np.repeat(np.arange(m), seats)[seat[filled]]
        return mentor_of

    def _basis(self, mentor_of: np.ndarray) -> highspy.HighsBasis | None:
        """The basis of this matching and its shortest-path duals (None if it is not one).

        Mentor duals v solve difference constraints, so they are shortest paths from a node
        z (= m) with v_z = 0, on arcs (source -> target, length), each standing for a basic
        variable should it join the tree:
          a pair (i, k) whose mentee i has mentor j: v_j - v_k <= s_ij - s_ik: k -> j
              (the pair's column);
          u_i = s_ij - v_j >= 0 for i matched to j: z -> j, s_ij (mentee i's slack);
          a free seat: v_k <= 0: z -> k, 0 (mentor k's slack);
          v_k >= s_ik for a pair of an unmatched mentee, and v_k >= 0: k -> z (never a
              tree arc: only there to detect a negative cycle, a matching not optimal).
        """
        n, m = self.units.shape
        mentees, mentors = np.divmod(self.keys, m)
        scores = self.flat[self.keys].astype(np.int64)
        theirs = mentor_of[mentees]
        other, alone = (theirs >= 0) & (theirs != mentors), theirs < 0
        matched = np.flatnonzero(mentor_of >= 0)
        free = np.flatnonzero(np.bincount(mentor_of[matched], minlength=m) < self.seats)
        arcs = [  # (source, target, length, what is basic: 0 column, 1 row)
            (
                mentors[other],
                theirs[other],
                self.flat[self.keys[other] - mentors[other] + theirs[other]] - scores[other],
                0,
                np.flatnonzero(other),
            ),
            (
                np.full(len(matched), m),
                mentor_of[matched],
                self.flat[matched * m + mentor_of[matched]],
                1,
                matched,
            ),
            (np.full(len(free), m), free, np.zeros(len(free), np.int64), 1, n + free),
            (mentors[alone], np.full(alone.sum(), m), -scores[alone], 1, np.full(alone.sum(), -1)),
            (np.arange(m), np.full(m, m), np.zeros(m, np.int64), 1, np.full(m, -1)),
        ]
        source, target, length = (np.concatenate([a[k] for a in arcs]) for k in range(3))
        is_row = np.repeat([a[3] for a in arcs], [len(a[0]) for a in arcs]).astype(bool)
        basic = np.concatenate([a[4] for a in arcs])
        arc = source * (m + 1) + target
        order = np.lexsort((length, arc))  # the shortest of parallel arcs first
        arc, length, is_row, basic = arc[order], length[order], is_row[order], basic[order]
        keep = np.r_[True, arc[1:] != arc[:-1]]
        arc, length, is_row, basic = arc[keep], length[keep], is_row[keep], basic[keep]
        source, target = np.divmod(arc, m + 1)
        distance, parent = _shortest_paths(source, target, length, m + 1, start=m)
        column_basic = np.zeros(len(self.keys), dtype=bool)
        column_basic[self._columns(matched * m + mentor_of[matched])] = True
        row_basic = np.zeros(n + m, dtype=bool)
        row_basic[:n] = mentor_of < 0  # an unmatched mentee's slack
        reached = np.isfinite(distance[:m]) & (parent[:m] >= 0)
        row_basic[n + np.flatnonzero(~reached)] = True  # no seats, nobody: its slack
        tree = np.searchsorted(arc, parent[:m][reached] * (m + 1) + np.flatnonzero(reached))
        column_basic[basic[tree][~is_row[tree]]] = True
        row_basic[basic[tree][is_row[tree]]] = True
        if column_basic.sum() + row_basic.sum() != n + m:
            return None
        lower, upper, base = (
            highspy.HighsBasisStatus.kLower,
            highspy.HighsBasisStatus.kUpper,
            highspy.HighsBasisStatus.kBasic,
        )
        basis = highspy.HighsBasis()
        basis.col_status = [base if b else lower for b in column_basic.tolist()]
        basis.row_status = [base if b else upper for b in row_basic.tolist()]
        basis.valid = True
        return basis

    def _columns(self, keys: np.ndarray) -> np.ndarray:
        """Where these keys (all columns) stand in `keys` order."""
        order = np.argsort(self.keys)
        return order[np.searchsorted(self.keys[order], keys)]

    def _is_column(self, keys: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.known, keys)
        return (at < len(self.known)) & (self.known[np.minimum(at, len(self.known) - 1)] == keys)

    def add(self, keys: np.ndarray) -> None:
        keys = np.unique(keys)
        if len(self.known):
            keys = keys[~self._is_column(keys)]
        if len(keys) == 0:
            return
        n, m = self.units.shape
        mentees, mentors = np.divmod(keys, m)
        rows = np.empty(2 * len(keys), dtype=np.int32)
        rows[0::2], rows[1::2] = mentees, n + mentors
        starts = np.arange(0, 2 * len(keys), 2, dtype=np.int32)
        scores = self.flat[keys].astype(np.float64)
        lower, upper = np.zeros(len(keys)), np.full(len(keys), highspy.kHighsInf)
        self.highs.addCols(
            len(keys), scores, lower, upper, len(rows), starts, rows, np.ones(len(rows))
        )
        self.keys = np.concatenate([self.keys, keys])
        self.known = np.union1d(self.known, keys)

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        """The chosen keys and the row duals (mentees' first, all >= 0).

        The program's matrix is totally unimodular and its scores whole, so a vertex's
        duals are whole numbers: they come back rounded (int32), which makes every later
        check exact. Should they not be whole (numerical trouble), they stay float64 and
        the checks use tolerances.
        """
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"HiGHS: {self.highs.modelStatusToString(self.highs.getModelStatus())}"
            )
        solution = self.highs.getSolution()
        x = np.asarray(solution.col_value)
        if np.abs(x - np.rint(x)).max() > 1e-6:
            raise RuntimeError("HiGHS returned a fractional assignment")  # a vertex is whole
        duals = np.maximum(np.asarray(solution.row_dual), 0.0)
        whole = np.rint(duals)
        if np.abs(duals - whole).max(initial=0.0) <= 1e-6:
            return self.keys[x > 0.5], whole.astype(np.int32)
        return self.keys[x > 0.5], duals

    def _first_candidates(self) -> np.ndarray:
        """Each mentee's best few mentors and each mentor's best few mentees.

        Mentees often outnumber seats, so each mentor's view matters as much as each
        mentee's; pricing adds whatever these miss. A block of rows (or columns) at a
        time, so no copy of the whole matrix is made.
        """
        n, m = self.units.shape
        keys = []
        rows = max(1, SCORE_BLOCK // max(1, m))
        for start in range(0, n, rows):
            block = self.units[start : start + rows]
            best = _best_columns(block, MENTEE_CANDIDATES)
            keys.append((best + np.arange(start, start + len(block))[:, None] * m).ravel())
        per_mentor = int(self.seats.max()) + MENTOR_CANDIDATES
        columns = max(64, TRANSPOSE_BLOCK // max(1, n))
        for start in range(0, m, columns):
            block = _transposed(self.units[:, start : start + columns])
            best = _best_columns(block, per_mentor)
            keys.append((best * m + np.arange(start, start + len(block))[:, None]).ravel())
        found = np.concatenate(keys).astype(np.int64)
        return np.unique(found[self.flat[found] > 0])

    def _price(self, duals: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Pairs outside the program that would raise the total (each mentee's best few),
        and, when there are none, the allowed pairs whose reduced cost is 0 (`tight`).

        The tight pairs are gathered in the same pass while no pair has priced out yet,
        so the last round (the one that finds none) needs no pass of its own.
        """
        m = self.units.shape[1]
        exact = duals.dtype == np.int32
        tolerance, tight_tolerance = (0, 0) if exact else (PRICE_TOL, TIGHT_TOL)
        priced: list[np.ndarray] = []
        tight: list[np.ndarray] = []
        for start, reduced in self._reduced_costs(duals):
            if reduced.max(initial=0) > tolerance:
                rows, cols = np.nonzero(reduced > tolerance)
                keys = (rows + start).astype(np.int64) * m + cols
                fresh = ~self._is_column(keys)  # in the program already: only rounding
                gain = reduced[rows[fresh], cols[fresh]]
                priced.append(_best_per_row(keys[fresh], rows[fresh], gain, PRICE_ADD))
            elif not priced:
                # Reduced costs are at most 0 here: 0 (or within the tolerance) is tight.
                at = np.flatnonzero(reduced == 0 if exact else reduced >= -tight_tolerance)
                keys = at + start * m
                tight.append(keys[self.flat[keys] > 0])
        if priced:
            return np.concatenate(priced), None
        return np.empty(0, dtype=np.int64), np.concatenate(tight)

    def _reduced_costs(self, duals: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Score - mentee's dual - mentor's dual, a block of mentees at a time (one buffer).

        Pairs that may not be matched (score 0) come out at or below 0: duals are >= 0.
        """
        n, m = self.units.shape
        rows = max(1, SCORE_BLOCK // max(1, m))
        dtype = duals.dtype
        if dtype == np.int32 and 2 * int(duals.max(initial=0)) + self.top < 1 << 15:
            dtype = np.dtype(np.int16)  # half the bytes per pair, and still exact
        duals = duals.astype(dtype, copy=False)
        buffer = np.empty((min(n, rows), m), dtype=dtype)
        for start in range(0, n, rows):
            block = self.units[start : start + rows]
            reduced = np.subtract(block, duals[None, n:], out=buffer[: len(block)])
            reduced -= duals[start : start + len(block), None]
            yield start, reduced

    def _certify(self, chosen: np.ndarray, duals: np.ndarray) -> None:
        """The optimality proof, checked on its own: with no pair's reduced cost above 0
        (just priced), the chosen pairs and the duals must satisfy complementary slackness.
        Then no assignment has a higher total (LP duality), whatever the solver did."""
        if duals.dtype != np.int32:
            return  # float duals: the tolerances above are the check
        n, m = self.units.shape
        mentees, mentors = np.divmod(chosen, m)
        load = np.bincount(mentors, minlength=m)
        slack = self.flat[chosen] - duals[mentees] - duals[n + mentors]
        matched = np.zeros(n, dtype=bool)
        matched[mentees] = True
        if (
            (slack != 0).any()
            or (duals < 0).any()
            or (duals[:n][~matched] != 0).any()
            or (duals[n:][load < self.seats] != 0).any()
            or (load > self.seats).any()
            or len(np.unique(mentees)) != len(mentees)
        ):
            raise RuntimeError("the assignment failed its optimality check")

    def raise_lowest(self, chosen: np.ndarray, total: int, tight: np.ndarray) -> np.ndarray:
        """Among the optimal assignments, one whose lowest pair score is the highest possible.

        Every optimal assignment uses tight pairs only (complementary slackness), so with
        all of them in the program and the others closed, "the best total without pairs
        scoring below t" reaches `total` exactly when an optimal assignment has its lowest
        at t or above. Each success lifts the lowest at least to the next score level;
        the first failure proves the lowest cannot rise further.
        """
        self.add(tight)
        scores = self.flat[self.keys]
        usable = np.isin(self.keys, tight)
        while True:
            above = scores[usable & (scores > self.flat[chosen].min())]
            if len(above) == 0:
                return chosen
            usable &= scores >= above.min()
            found = self._solve_within(usable)
            if int(self.flat[found].sum()) != total:
                return chosen
            chosen = found

    def _solve_within(self, usable: np.ndarray) -> np.ndarray:
        columns = np.arange(len(self.keys), dtype=np.int32)
        upper = np.where(usable, highspy.kHighsInf, 0.0)
        self.highs.changeColsBounds(len(columns), columns, np.zeros(len(columns)), upper)
        return self.solve()[0]


def _shortest_paths(
    source: np.ndarray, target: np.ndarray, length: np.ndarray, nodes: int, *, start: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distances from `start` and each node's parent in a shortest-path tree (-9999 for
    `start` and the unreached), on arcs that may be negative: Bellman-Ford, all arcs out
    of the nodes that changed relaxed at once, until nothing changes.

    Rounds stop as soon as nothing changes (scipy's version always does nodes - 1 of
    them, and the warm start's graphs settle in a few dozen). A node's parent changes
    only on a strict improvement, so the parents form a tree unless there is a negative
    cycle, which shows as a change after `nodes` rounds: ArithmeticError.
    """
    order = np.argsort(target, kind="stable")
    source, target, length = source[order], target[order], length[order].astype(np.float64)
    distance = np.full(nodes, np.inf)
    distance[start] = 0
    parent = np.full(nodes, -9999)
    changed = np.zeros(nodes, dtype=bool)
    changed[start] = True
    arcs = np.arange(len(source))
    for _ in range(nodes):
        live = arcs[changed[source]]
        reach = distance[source[live]] + length[live]
        better = reach < distance[target[live]]
        if not better.any():
            return distance, parent
        live, reach = live[better], reach[better]
        order = np.lexsort((reach, target[live]))  # per target, its shortest first
        live, reach = live[order], reach[order]
        first = np.r_[True, target[live][1:] != target[live][:-1]]
        live, reach = live[first], reach[first]
        distance[target[live]] = reach
        parent[target[live]] = source[live]
        changed[:] = False
        changed[target[live]] = True
    raise ArithmeticError("a negative cycle: the matching is not optimal")  # i18n: not said


def _first_of(counts: np.ndarray) -> np.ndarray:
    """Where each run starts when runs of these lengths are laid end to end."""
    return np.cumsum(counts) - counts


def _transposed(columns: np.ndarray) -> np.ndarray:
    """A C-ordered copy of these columns as rows, a band of rows at a time.

    Copying a narrow column band in one go reads every row's few bytes far apart; bands
    of a few hundred rows stay in the cache while they are written out transposed.
    """
    out = np.empty(columns.shape[::-1], dtype=columns.dtype)
    for start in range(0, len(columns), TRANSPOSE_ROWS):
        out[:, start : start + TRANSPOSE_ROWS] = columns[start : start + TRANSPOSE_ROWS].T
    return out


def _best_columns(matrix: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of its k highest values (first ones on ties), as (rows, k).

    Repeated argmax along rows: much faster than argpartition for a small k.
    """
    if matrix.shape[1] <= k:
        return np.broadcast_to(np.arange(matrix.shape[1]), matrix.shape)
    small = matrix.dtype if matrix.dtype in (np.int16, np.int32) else np.int64
    left = np.array(matrix, order="C", dtype=small)  # a copy: taken ones are set to -1
    rows = np.arange(len(left))
    best = np.empty((len(left), k), dtype=np.int64)
    for rank in range(k):
        best[:, rank] = left.argmax(axis=1)
        left[rows, best[:, rank]] = -1
    return best


def _best_per_row(keys: np.ndarray, rows: np.ndarray, gain: np.ndarray, limit: int) -> np.ndarray:
    order = np.lexsort((-gain, rows))
    rows, keys = rows[order], keys[order]
    first = np.searchsorted(rows, rows)  # rows are sorted: where each row's run starts
    return keys[np.arange(len(rows)) - first < limit]


# --- The whole matching -------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    mentor: str
    mentee: str
    score: float  # percent, in 0.1 steps
    reasons: tuple[str, ...]  # the three strongest, strongest first
    criteria: dict[str, float]  # criterion -> its score in percent

    @property
    def explanation(self) -> str:
        return f"{self.score:g}% match: " + "; ".join(self.reasons)  # i18n: not said

    def to_dict(self) -> dict[str, Any]:
        return {
            "mentor": self.mentor,
            "mentee": self.mentee,
            "score": self.score,
            "reasons": list(self.reasons),
            "explanation": self.explanation,
            "criteria": self.criteria,
        }


@dataclass(frozen=True)
class Unmatched:
    id: str
    code: str  # "no_eligible_mentor" | "no_capacity"
    reason: str


@dataclass
class Summary:
    total: float  # the sum of the pair scores, in percentage points
    lowest: float | None  # the lowest pair score (after the fairness guard)
    lowest_without_guard: float | None  # in the first optimal assignment the solver found
    mean: float | None
    matched: int
    unmatched: int
    mentors_used: int
    seats: int
    weights: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "lowest": self.lowest,
            "lowest_without_guard": self.lowest_without_guard,
            "mean": self.mean,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "mentors_used": self.mentors_used,
            "seats": self.seats,
            "weights": self.weights,
            "must_have": [name for name, w in self.weights.items() if w >= MUST_HAVE],
        }


@dataclass
class MatchResult:
    matches: list[Match]
    unmatched: list[Unmatched]
    summary: Summary

    def to_dict(self) -> dict[str, Any]:
        return {
            "matches": [m.to_dict() for m in self.matches],
            "unmatched": [{"id": u.id, "code": u.code, "reason": u.reason} for u in self.unmatched],
            "summary": self.summary.to_dict(),
        }


def match(
    mentors: Sequence[Person],
    mentees: Sequence[Person],
    weights: Mapping[str, float] | None = None,
    *,
    at: datetime,
) -> MatchResult:
    """Who mentors whom, with explanations; see the module docstring for the rules."""
    with _no_collector_pauses():
        return _match(mentors, mentees, weights, at)


@contextmanager
def _no_collector_pauses() -> Iterator[None]:
    """Python's cycle collector held back for one matching, then as it was.

    A matching builds tens of thousands of small containers (item sets, facts, matches)
    and none of them in cycles; each collection the allocations set off walks every live
    object, the caller's profiles too: at 10,000 x 2,000 that is about a third of the
    time spent preparing the profiles. Whatever the matching leaves is collected later.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _match(
    mentors: Sequence[Person],
    mentees: Sequence[Person],
    weights: Mapping[str, float] | None,
    at: datetime,
) -> MatchResult:
    _check_unique(mentors, "mentors")
    _check_unique(mentees, "mentees")
    if any(not CAPACITY_RANGE[0] <= p.capacity <= CAPACITY_RANGE[1] for p in mentors):
        raise ValueError("every mentor needs a capacity from 1 to 5 (use parse_people)")
    scores = score_matrix(mentors, mentees, weights, at=at)
    assignment = assign(scores.units, [p.capacity for p in mentors])
    matches = _described(scores, assignment.mentor_of, _offsets(at))
    alone = np.flatnonzero(assignment.mentor_of < 0)
    unmatched = [
        _why_unmatched(i, mentees[i], scores, len(mentors), eligible)
        for i, eligible in zip(alone.tolist(), _eligible(scores.units, alone).tolist(), strict=True)
    ]
    summary = _summary(matches, unmatched, assignment, mentors, scores.weights)
    return MatchResult(matches, unmatched, summary)


def no_scores(mentees: int, mentors: int) -> np.ndarray:
    """The score matrix when one side is empty: nobody can be matched."""
    return np.zeros((mentees, mentors), dtype=np.int32)


def _check_unique(people: Sequence[Person], side: str) -> None:
    ids = [p.id for p in people]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{side}: ids must be unique")


def _described(
    scores: ScoreMatrix, mentor_of: np.ndarray, offsets: Callable[[str | None], float]
) -> list[Match]:
    """The matches with their criteria and reasons, as `criteria._criteria` gives them.

    Every criterion of all chosen pairs at once (`_Scorer.pairs`, the plain-set steps in
    numpy); only the (at most three) reasons said are then written from the pair's facts.
    """
    assert scores.scorer is not None
    rows = np.flatnonzero(mentor_of >= 0)
    cols = mentor_of[rows]
    names = [name for name in CRITERIA if scores.weights[name] > 0]
    if not len(rows):
        return []
    values = np.column_stack([scores.scorer.pairs(name, rows, cols) for name in names])
    weights = np.array([scores.weights[name] for name in names])
    # Strongest contribution first; a stable sort keeps equal ones in CRITERIA order.
    order = np.argsort(-weights * values, axis=1, kind="stable")
    offered = values >= np.array([REASON_FLOOR[name] for name in names])
    mentees, mentors = scores.scorer.mentees.people, scores.scorer.mentors.people
    strongest, strong, value = order.tolist(), offered.tolist(), values.tolist()
    percent = {v: round(100 * v, 1) for v in np.unique(values).tolist()}  # few distinct
    found = []
    for k, (i, j, units) in enumerate(
        zip(rows.tolist(), cols.tolist(), scores.units[rows, cols].tolist(), strict=True)
    ):
        pair = _Pair(mentees[i], mentors[j], offsets)
        said = [names[c] for c in strongest[k] if strong[k][c]][:3]
        reasons = tuple(reason_words(getattr(pair, name)()[1], "mentee") for name in said)
        shares = dict(zip(names, map(percent.__getitem__, value[k]), strict=True))
        found.append(Match(mentors[j].id, mentees[i].id, _percent(units), reasons, shares))
    return found


def _eligible(units: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """How many mentors each of these mentees could be matched with, a block at a time."""
    step = _block_rows(units.shape[1])
    counts = [
        np.count_nonzero(units[rows[k : k + step]] > 0, axis=1) for k in range(0, len(rows), step)
    ]
    return np.concatenate(counts) if counts else np.zeros(0, dtype=np.intp)


def _why_unmatched(
    i: int, mentee: Person, scores: ScoreMatrix, mentors: int, eligible: int
) -> Unmatched:
    if eligible:
        who = (
            "mentor they could be matched with is"  # i18n: not said
            if eligible == 1
            else f"{eligible} mentors they could be matched with are"  # i18n: not said
        )
        return Unmatched(mentee.id, "no_capacity", f"the {who} full")  # i18n: not said
    if mentors == 0:
        return Unmatched(mentee.id, "no_eligible_mentor", "there are no mentors")  # i18n: not said
    counts = sorted((-int(c[i]), rule) for rule, c in scores.ruled_out.items() if c[i])
    rules = ", ".join(f"{rule} rules out {-count}" for count, rule in counts)  # i18n: not said
    # The CLI's JSON (`mentorbot match`) is English data; the bot says why in
    # criteria.unmatched_words, in the reader's language.
    one = "the only mentor does not fit"  # i18n: not said
    who = one if mentors == 1 else f"none of the {mentors} mentors fits"  # i18n: not said
    return Unmatched(mentee.id, "no_eligible_mentor", f"{who}: {rules}")


def _summary(
    matches: list[Match],
    unmatched: list[Unmatched],
    assignment: Assignment,
    mentors: Sequence[Person],
    weights: dict[str, float],
) -> Summary:
    return Summary(
        total=_percent(assignment.total),
        lowest=_percent(assignment.lowest),
        lowest_without_guard=_percent(assignment.lowest_without_guard),
        mean=round(assignment.total * 100 / UNITS / len(matches), 2) if matches else None,
        matched=len(matches),
        unmatched=len(unmatched),
        mentors_used=len({m.mentor for m in matches}),
        seats=sum(p.capacity for p in mentors),
        weights=weights,
    )


def _percent(units: int | None) -> Any:
    return None if units is None else round(units * 100 / UNITS, 1)
