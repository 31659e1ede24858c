"""The built-in question bank and the rotation: plain data in, plain data out."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest

from dialogs.icebreakers.bank import (
    BY_ID,
    CATEGORIES,
    JACCARD_LIMIT,
    QUESTIONS,
    RATIO_LIMIT,
    category_key,
    near_duplicate,
    similarity,
)
from dialogs.icebreakers.rotation import Candidate, pick


def test_the_bank_has_enough_questions_in_every_category():
    assert len(QUESTIONS) >= 120
    per_category = Counter(q.category for q in QUESTIONS)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 15
    assert set(CATEGORIES.values()) == {
        "Getting to know you",
        "Work and craft",
        "Growth",
        "Fun",
        "Values",
        "Remote life",
    }


def test_ids_are_stable_unique_and_name_their_category():
    assert len(BY_ID) == len(QUESTIONS)
    for question in QUESTIONS:
        assert re.fullmatch(rf"{question.category}-\d\d", question.id)
    # A few pinned ids: posts and admins' removals refer to them, so they never move.
    assert BY_ID["know-01"].text.startswith("What's a small thing that reliably")
    assert BY_ID["fun-10"].text.startswith("Pineapple on pizza")
    assert BY_ID["remote-21"].text == "How do you get outside on a day full of calls?"


def test_questions_read_well_on_a_card():
    for question in QUESTIONS:
        text = question.text
        assert text == text.strip() and "  " not in text
        assert 15 <= len(text) <= 120, question.id
        assert text[0].isupper() and text[-1] in "?.", question.id


def test_no_two_questions_are_near_duplicates():
    close = [
        (a.id, b.id, similarity(a.text, b.text))
        for a, b in itertools.combinations(QUESTIONS, 2)
        if near_duplicate(a.text, b.text)
    ]
    assert close == []
    # And with room to spare: the closest pair is well under both limits.
    jaccard = max(similarity(a.text, b.text)[0] for a, b in itertools.combinations(QUESTIONS, 2))
    ratio = max(similarity(a.text, b.text)[1] for a, b in itertools.combinations(QUESTIONS, 2))
    assert jaccard < JACCARD_LIMIT - 0.1 and ratio < RATIO_LIMIT - 0.05


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What's your favourite book?", "What is your favorite book?"),
        (
            "What's a small thing that makes your day better?",
            "What's a small thing that reliably makes your day better?",
        ),
        ("Which superpower would you like?", "Which superpower would you want to have?"),
        ("If our team were a band, what would we be called?", "If our team was a band, its name?"),
    ],
)
def test_near_duplicates_are_caught(a, b):
    assert near_duplicate(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What's your favourite book?", "What's your favourite meal?"),
        ("How do you recharge after a demanding week?", "How do you ask for help?"),
    ],
)
def test_different_questions_are_not_duplicates(a, b):
    assert not near_duplicate(a, b)


def test_categories_are_found_by_key_or_label():
    assert category_key("fun") == "fun"
    assert category_key("Remote life") == "remote"
    assert category_key("getting to know you") == "know"
    assert category_key("sports") is None


# --- rotation ---------------------------------------------------------------------------
BANK = [Candidate(q.id, q.category) for q in QUESTIONS]


def run(candidates, weeks, seed=7, start_used=(), cycle=0):
    """Pick `weeks` questions in a row, as the job does week after week."""
    used, picks, last = set(start_used), [], None
    for _ in range(weeks):
        chosen = pick(candidates, used, cycle, seed, last)
        assert chosen is not None
        if chosen.cycle != cycle:
            cycle, used = chosen.cycle, set()
        used.add(chosen.candidate.key)
        picks.append(chosen)
        last = chosen.candidate
    return picks


def test_no_question_repeats_until_the_whole_bank_was_used():
    picks = run(BANK, 2 * len(BANK) + 5)
    first, second = picks[: len(BANK)], picks[len(BANK) : 2 * len(BANK)]
    assert {p.candidate.key for p in first} == {c.key for c in BANK}
    assert {p.candidate.key for p in second} == {c.key for c in BANK}
    assert {p.cycle for p in first} == {0} and {p.cycle for p in second} == {1}
    assert first[-1].candidate.key != second[0].candidate.key  # no repeat across the seam


def test_the_order_is_deterministic_per_seed_and_differs_between_teams():
    a = [p.candidate.key for p in run(BANK, 30, seed=1)]
    assert a == [p.candidate.key for p in run(BANK, 30, seed=1)]
    assert a != [p.candidate.key for p in run(BANK, 30, seed=2)]


def test_consecutive_weeks_prefer_a_different_category():
    picks = run(BANK, 60)
    same = sum(
        1 for a, b in itertools.pairwise(picks) if a.candidate.category == b.candidate.category
    )
    assert same == 0


def test_custom_questions_come_first_in_the_order_they_were_added():
    custom = [Candidate(f"c{n}", "custom", True, order) for n, order in ((9, 2), (4, 1))]
    picks = run(custom + BANK[:10], 14)
    assert [p.candidate.key for p in picks[:2]] == ["c4", "c9"]
    assert {p.candidate.key for p in picks[:12]} == {"c4", "c9"} | {c.key for c in BANK[:10]}
    # A new cycle: the team's own questions lead again.
    assert [p.candidate.key for p in picks[12:14]] == ["c4", "c9"]


def test_a_custom_question_added_mid_cycle_is_next():
    used = {c.key for c in BANK[:5]}
    chosen = pick([*BANK[:10], Candidate("c1", "custom", True)], used, 0, 7, BANK[4])
    assert chosen is not None and chosen.candidate.key == "c1" and chosen.cycle == 0


def test_nothing_to_pick_and_a_single_question():
    assert pick([], set(), 0, 1) is None
    only = Candidate("c1", "custom", True)
    chosen = pick([only], {"c1"}, 3, 1, only)
    assert chosen is not None and chosen.candidate == only and chosen.cycle == 4
