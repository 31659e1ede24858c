"""Mentor matching: optimal totals against brute force, the rules, explanations, the CLI."""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import cli
from dialogs.mentoring import matching
from dialogs.mentoring.matching import (
    CRITERIA,
    CRITERION_MATRIX,
    DEFAULT_WEIGHTS,
    UNITS,
    assign,
    explain_pair,
    match,
    parse_people,
    parse_weights,
    score_matrix,
)

AT = datetime(2025, 1, 15, 12, tzinfo=UTC)  # winter: London UTC+0, Berlin UTC+1, New York UTC-5


def mentors_of(*dicts: dict) -> list[matching.Person]:
    return parse_people(list(dicts), "mentors")


def mentees_of(*dicts: dict) -> list[matching.Person]:
    return parse_people(list(dicts), "mentees")


# --- Brute force ---------------------------------------------------------------------


def all_assignments(units: np.ndarray, seats: list[int]):
    """Every assignment: each mentee gets an allowed mentor (score > 0) or nobody."""
    n, m = units.shape
    options = [[None, *(j for j in range(m) if units[i, j] > 0)] for i in range(n)]
    for choice in itertools.product(*options):
        taken = [j for j in choice if j is not None]
        if all(taken.count(j) <= seats[j] for j in set(taken)):
            yield choice


def brute_force(units: np.ndarray, seats: list[int]) -> tuple[int, int | None]:
    """(the best total, the best lowest pair score among assignments with that total)."""
    best: tuple[int, int] = (0, -1)
    for choice in all_assignments(units, seats):
        scores = [int(units[i, j]) for i, j in enumerate(choice) if j is not None]
        best = max(best, (sum(scores), min(scores, default=-1)))
    return best[0], (best[1] if best[1] >= 0 else None)


def random_units(rng: random.Random, n: int, m: int) -> np.ndarray:
    """Scores with many ties and some forbidden pairs, like real ones."""
    levels = [0, 0, 100, 250, 250, 400, 500, 500, 650, 800, 1000]
    return np.array([[rng.choice(levels) for _ in range(m)] for _ in range(n)], dtype=np.int32)


def test_the_brute_force_itself():
    units = np.array([[5, 3], [3, 1]], dtype=np.int32)
    # Both full assignments total 6; the one through the 3s has the better lowest.
    assert brute_force(units, [1, 1]) == (6, 3)
    assert brute_force(units, [2, 0]) == (8, 3)
    assert brute_force(np.zeros((2, 2), dtype=np.int32), [1, 1]) == (0, None)


def check_assignment(units: np.ndarray, seats: list[int], result: matching.Assignment) -> None:
    taken = [int(j) for j in result.mentor_of if j >= 0]
    assert all(taken.count(j) <= seats[j] for j in set(taken)), "a mentor over capacity"
    assert all(units[i, j] > 0 for i, j in enumerate(result.mentor_of) if j >= 0)
    scores = [int(units[i, j]) for i, j in enumerate(result.mentor_of) if j >= 0]
    assert result.total == sum(scores)
    assert result.lowest == min(scores, default=None)


@pytest.mark.parametrize("seed", range(60))
def test_optimal_total_and_lowest_match_brute_force(seed):
    rng = random.Random(seed)
    n, m = rng.randint(1, 6), rng.randint(1, 5)
    units = random_units(rng, n, m)
    seats = [rng.randint(1, 2) for _ in range(m)]
    result = assign(units, seats)
    check_assignment(units, seats, result)
    assert (result.total, result.lowest) == brute_force(units, seats)


@pytest.mark.parametrize("seed", range(30))
def test_pricing_finds_the_optimum_from_tiny_candidate_lists(seed, monkeypatch):
    """One candidate per mentee and none extra per mentor: pricing must add the rest."""
    monkeypatch.setattr(matching, "MENTEE_CANDIDATES", 1)
    monkeypatch.setattr(matching, "MENTOR_CANDIDATES", -1)
    monkeypatch.setattr(matching, "PRICE_ADD", 1)
    rng = random.Random(1000 + seed)
    n, m = rng.randint(3, 6), rng.randint(3, 5)
    units = random_units(rng, n, m)
    seats = [rng.randint(1, 2) for _ in range(m)]
    result = assign(units, seats)
    check_assignment(units, seats, result)
    assert (result.total, result.lowest) == brute_force(units, seats)


@pytest.mark.parametrize("seed", range(4))
def test_larger_instances_match_linear_sum_assignment(seed):
    """Beyond brute force: the seat-expanded matrix solved by another method."""
    rng = np.random.default_rng(seed)
    n, m = 150, 30
    units = (rng.integers(0, 40, (n, m)) * 25).astype(np.int32)
    units[rng.random((n, m)) < 0.2] = 0
    seats = list(rng.integers(1, 6, m))
    owner = np.repeat(np.arange(m), seats)
    rows, cols = linear_sum_assignment(units[:, owner], maximize=True)
    result = assign(units, seats)
    check_assignment(units, seats, result)
    assert result.total == int(units[rows, owner[cols]].sum())


def test_the_guard_prefers_the_better_lowest_among_equal_totals():
    # Totals: (a->0, b->1) = 900 + 100 = 1000; (a->1, b->0) = 500 + 500 = 1000.
    units = np.array([[900, 500], [500, 100]], dtype=np.int32)
    result = assign(units, [1, 1])
    assert (result.total, result.lowest) == (1000, 500)
    assert list(result.mentor_of) == [1, 0]


def test_the_guard_never_trades_total_for_a_better_lowest():
    units = np.array([[900, 400], [400, 100]], dtype=np.int32)
    result = assign(units, [1, 1])
    assert (result.total, result.lowest) == (1000, 100)  # 800 with lowest 400 is worse


def test_assign_rejects_a_bad_matrix():
    with pytest.raises(ValueError, match="matrix"):
        assign(np.array([[1, -1]]), [1, 1])
    with pytest.raises(ValueError, match="seat count per mentor"):
        assign(np.array([[1, 1]]), [1])


def test_nobody_to_match():
    assert assign(np.zeros((0, 3), dtype=np.int32), [1, 1, 1]).total == 0
    result = match([], mentees_of({"id": "a"}), at=AT)
    assert result.matches == [] and [u.reason for u in result.unmatched] == ["there are no mentors"]
    assert match(mentors_of({"id": "m"}), [], at=AT).summary.matched == 0


# --- Profiles: scores, rules, explanations ------------------------------------------

SKILLS = ["SQL", "Python", "Public speaking", "Negotiation", "Kubernetes", "Design", "Rust"]
WORDS = ["leadership", "data", "engineering", "cloud", "sales", "design", "hiring", "people"]
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "US/Hawaii"]


def random_profile(rng: random.Random, person_id: str, mentor: bool) -> dict:
    profile = {
        "id": person_id,
        "name": person_id.title(),
        "skills_offer" if mentor else "skills_want": rng.sample(SKILLS, rng.randint(0, 3)),
        "goals": " and ".join(rng.sample(WORDS, rng.randint(0, 4))),
        "interests": rng.sample(["Chess", "hiking", "Jazz", "running"], rng.randint(0, 2)),
        "languages": rng.sample(["English", "German", "Hindi"], rng.randint(0, 2)),
        "department": rng.choice([None, "Data", "Sales", "data"]),
        "location": rng.choice([None, "Lisbon", "Berlin"]),
        "timezone": rng.choice([None, *ZONES]),
        "meeting_format": rng.choice([None, *matching.FORMATS]),
        "seniority": rng.choice([None, 0, 2, 5, 7.5, 20]),
    }
    if mentor:
        profile["capacity"] = rng.randint(1, 3)
    return profile


def random_people(seed: int, mentees: int, mentors: int):
    rng = random.Random(seed)
    tutors = [random_profile(rng, f"mentor{k}", True) for k in range(mentors)]
    learners = [random_profile(rng, f"mentee{k}", False) for k in range(mentees)]
    if mentors and mentees:
        learners[0]["manager_id"] = tutors[0]["id"]
        tutors[-1]["manager_id"] = learners[-1]["id"]
    return parse_people(tutors, "mentors"), parse_people(learners, "mentees")


@pytest.mark.parametrize("seed", range(12))
def test_whole_matrix_scores_agree_with_the_pair_explanations(seed):
    weights = {"cross_department": 3, "interests": 0} if seed % 2 else None
    mentors, mentees = random_people(seed, 7, 6)
    scores = score_matrix(mentors, mentees, weights, at=AT)
    checked = parse_weights(weights)
    offsets = matching._offsets(AT)
    left, right = matching._Side(mentees, offsets), matching._Side(mentors, offsets)
    by_matrix = {name: CRITERION_MATRIX[name](left, right) for name in CRITERIA}
    for (i, mentee), (j, mentor) in itertools.product(enumerate(mentees), enumerate(mentors)):
        pair = {c.name: c.score for c in explain_pair(mentor, mentee, weights, at=AT)}
        assert set(pair) == {name for name in CRITERIA if checked[name] > 0}
        for name, score in pair.items():
            assert by_matrix[name][i, j] == pytest.approx(score, abs=1e-6), name
        expected = sum(checked[c] * s for c, s in pair.items()) / sum(checked.values())
        if scores.units[i, j]:
            assert abs(scores.units[i, j] - expected * UNITS) <= 0.5 + 1e-3


@pytest.mark.parametrize("seed", range(8))
def test_profiles_end_to_end_reach_the_brute_force_optimum(seed):
    mentors, mentees = random_people(100 + seed, 6, 4)
    result = match(mentors, mentees, {"languages": 10} if seed % 2 else None, at=AT)
    scores = score_matrix(mentors, mentees, {"languages": 10} if seed % 2 else None, at=AT)
    seats = [p.capacity for p in mentors]
    total, lowest = brute_force(scores.units, seats)
    assert result.summary.total == pytest.approx(total * 100 / UNITS)
    assert result.summary.lowest == (None if lowest is None else pytest.approx(lowest / 10))
    load = {p.id: 0 for p in mentors}
    for m in result.matches:
        load[m.mentor] += 1
        assert 1 <= len(m.reasons) <= 3
    assert all(load[p.id] <= p.capacity for p in mentors)
    assert {m.mentee for m in result.matches} | {u.id for u in result.unmatched} == {
        p.id for p in mentees
    }


def test_same_input_same_matches():
    mentors, mentees = random_people(7, 30, 8)
    first = match(mentors, mentees, at=AT).to_dict()
    assert match(mentors, mentees, at=AT).to_dict() == first


ANA = {
    "id": "ana",
    "name": "Ana",
    "skills_offer": ["SQL", "Data modelling"],
    "goals": "Growing data engineering teams",
    "interests": ["Chess"],
    "languages": ["English", "Portuguese"],
    "department": "Data",
    "timezone": "Europe/Berlin",
    "meeting_format": "video",
    "seniority": 12,
    "capacity": 1,
}
DI = {
    "id": "di",
    "name": "Di",
    "skills_want": ["sql", "Public speaking"],
    "goals": "I want to work on data engineering",
    "interests": ["chess", "hiking"],
    "languages": ["English"],
    "department": "Marketing",
    "timezone": "Europe/London",
    "meeting_format": "any",
    "seniority": 2,
}


def test_explanations_name_the_real_shared_things():
    # Contributions: goals 6 x 1, skills 9 x 0.5 (one of Di's two), time zones 5 x 7/8, ...
    weights = dict.fromkeys(CRITERIA, 1) | {"skills": 9, "goals": 6, "timezone": 5}
    (found,) = match(mentors_of(ANA), mentees_of(DI), weights, at=AT).matches
    assert found.reasons == (
        "your goals are much like Ana's",
        "Ana offers SQL, which you want to grow",
        "your working days overlap almost fully (1 hour apart)",
    )
    assert found.explanation == f"{found.score:g}% match: " + "; ".join(found.reasons)
    assert found.criteria["cross_department"] == 100.0  # Marketing and Data
    criteria = {c.name: c for c in explain_pair(mentors_of(ANA)[0], mentees_of(DI)[0], at=AT)}
    assert criteria["languages"].reason == "you both speak English"
    assert criteria["interests"].reason == "you both enjoy chess"  # in Di's spelling
    assert criteria["experience"].reason == "Ana has 10 more years of experience than you"
    assert criteria["meeting_format"].reason == "you are happy with video calls"
    assert criteria["skills"].score == pytest.approx(0.5)  # 1 of the 2 skills Di wants
    assert "cross_department" not in criteria  # weight 0 by default: not a criterion


def test_nothing_shared_gives_no_reason():
    mentor = {"id": "m", "skills_offer": ["Rust"], "goals": "chess", "languages": ["German"]}
    mentee = {"id": "e", "skills_want": ["SQL"], "goals": "I want to get better", "seniority": 3}
    for c in explain_pair(mentors_of(mentor)[0], mentees_of(mentee)[0], at=AT):
        if c.name != "meeting_format":  # both default to any: that fits
            assert (c.score, c.reason) == (0.0, ""), c.name


def test_time_zones_are_taken_at_the_given_instant():
    new_york = {**DI, "timezone": "America/New_York"}
    london = {**ANA, "timezone": "Europe/London"}

    def apart(at: datetime) -> str:
        pair = explain_pair(mentors_of(london)[0], mentees_of(new_york)[0], at=at)
        return next(c.reason for c in pair if c.name == "timezone")

    assert apart(AT) == "5 hours apart"
    # 10 March 2025: New York is on summer time already, London not yet.
    assert apart(datetime(2025, 3, 10, 12, tzinfo=UTC)) == "4 hours apart"
    with pytest.raises(ValueError, match="timezone-aware"):
        score_matrix(mentors_of(london), mentees_of(new_york), at=datetime(2025, 1, 1))


def test_half_hour_zones_and_the_far_side_of_the_clock():
    def score(a: str, b: str) -> float:
        mentor, mentee = (
            mentors_of({"id": "m", "timezone": a}),
            mentees_of({"id": "e", "timezone": b}),
        )
        pair = next(
            c.score for c in explain_pair(mentor[0], mentee[0], at=AT) if c.name == "timezone"
        )
        offsets = matching._offsets(AT)
        sides = matching._Side(mentee, offsets), matching._Side(mentor, offsets)
        assert CRITERION_MATRIX["timezone"](*sides)[0, 0] == pytest.approx(pair)
        return pair

    assert score("Asia/Kolkata", "Europe/London") == pytest.approx(1 - 5.5 / 8)
    assert score("Pacific/Kiritimati", "Pacific/Honolulu") == 1.0  # UTC+14 and UTC-10
    assert score("Asia/Tokyo", "Europe/London") == 0.0  # 9 hours: no working hours in common


@pytest.mark.parametrize(
    ("mine", "theirs", "places", "fit"),
    [
        ("video", "video", (None, None), 1.0),
        ("video", "chat", (None, None), 0.5),
        ("in_person", "video", (None, None), 0.0),
        ("in_person", "any", ("Lisbon", "lisbon"), 1.0),
        ("in_person", "in_person", ("Lisbon", "Berlin"), 0.0),
        ("any", "in_person", ("Lisbon", "Berlin"), 0.0),
        ("any", "any", ("Lisbon", "Berlin"), 1.0),
    ],
)
def test_meeting_formats(mine, theirs, places, fit):
    mentee = mentees_of({"id": "e", "meeting_format": mine, "location": places[0]})
    mentor = mentors_of({"id": "m", "meeting_format": theirs, "location": places[1]})
    pair = {c.name: c.score for c in explain_pair(mentor[0], mentee[0], at=AT)}
    assert pair["meeting_format"] == fit
    units = score_matrix(mentor, mentee, {"meeting_format": 10}, at=AT).units
    assert (units[0, 0] > 0) == (fit > 0)


def test_a_must_have_excludes_pairs_that_score_zero_on_it():
    speaks_german = {**ANA, "id": "bo", "name": "Bo", "languages": ["German"], "capacity": 3}
    mentors, mentees = mentors_of(speaks_german), mentees_of(DI)
    assert match(mentors, mentees, {"languages": 9}, at=AT).summary.matched == 1
    result = match(mentors, mentees, {"languages": 10}, at=AT)
    assert result.matches == []
    (left_out,) = result.unmatched
    assert left_out.code == "no_eligible_mentor"
    assert left_out.reason == "the only mentor does not fit: must-have languages rules out 1"


def test_must_haves_pick_the_fitting_mentor_even_at_a_lower_score():
    strong = {**ANA, "id": "strong", "skills_offer": ["SQL", "Public speaking"], "timezone": None}
    weak = {"id": "weak", "timezone": "Europe/London", "capacity": 1}
    result = match(mentors_of(strong, weak), mentees_of(DI), {"timezone": 10}, at=AT)
    assert [(m.mentor, m.mentee) for m in result.matches] == [("weak", "di")]


def test_never_oneself_nor_a_manager_in_either_direction():
    both = {**ANA, "id": "cy", "name": "Cy", "role": "both", "skills_want": ["SQL"], "seniority": 1}
    boss = {**ANA, "id": "boss", "capacity": 5}
    report = {**DI, "id": "report", "manager_id": "boss"}
    managed_mentor = {**ANA, "id": "kim", "manager_id": "lead"}
    lead = {**DI, "id": "lead"}
    result = match(mentors_of(both, boss, managed_mentor), mentees_of(both, report, lead), at=AT)
    pairs = {(m.mentor, m.mentee) for m in result.matches}
    assert not pairs & {("cy", "cy"), ("boss", "report"), ("kim", "lead")}
    assert {m.mentee for m in result.matches} == {"cy", "report", "lead"}
    alone = match(mentors_of(boss), mentees_of(report), at=AT).unmatched
    assert [u.reason for u in alone] == [
        "the only mentor does not fit: self or manager rules out 1"
    ]


def test_capacity_runs_out():
    mentors = mentors_of({**ANA, "capacity": 1})
    result = match(mentors, mentees_of(DI, {**DI, "id": "ed", "skills_want": ["SQL"]}), at=AT)
    assert [m.mentee for m in result.matches] == ["ed"]  # ed wants only SQL: a better pair
    assert [(u.id, u.code) for u in result.unmatched] == [("di", "no_capacity")]
    assert result.unmatched[0].reason == "the mentor they could be matched with is full"
    assert result.summary.seats == 1 and result.summary.mentors_used == 1


def test_capacity_comes_from_capacity_then_max_mentees_then_the_default():
    people = [
        {"id": "a", "capacity": 4, "max_mentees": 1},
        {"id": "b", "max_mentees": 3},
        {"id": "c"},
    ]
    assert [p.capacity for p in parse_people(people, "mentors", default_capacity=5)] == [4, 3, 5]
    assert parse_people([{"id": "e", "capacity": 9}], "mentees")[0].capacity == 0  # ignored


def test_goal_words_skip_filler_and_meet_plurals():
    assert list(matching.goal_words("I want to become a better leader of C++ teams in 2025")) == [
        "leader",
        "c++",
        "team",
    ]


# --- Parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "data", "message"),
    [
        ("mentors", {"id": "a"}, "mentors must be a JSON list"),
        (
            "mentors",
            [{"name": "No id"}],
            'mentors[0] must be an object with a non-empty string "id"',
        ),
        ("mentors", [{"id": "a"}, {"id": "a"}], 'mentors[1]: id "a" appears twice'),
        (
            "mentors",
            [{"id": "a", "capacity": 0}],
            'mentors[0] ("a"): "capacity" must be a whole number from 1 to 5 (got 0)',
        ),
        (
            "mentors",
            [{"id": "a", "capacity": 9}],
            '("a"): "capacity" must be a whole number from 1 to 5 (got 9)',
        ),
        ("mentors", [{"id": "a", "capacity": 2.5}], '("a"): "capacity"'),
        ("mentors", [{"id": "a", "capacity": True}], '("a"): "capacity"'),
        ("mentors", [{"id": "a", "max_mentees": 6}], '("a"): "max_mentees"'),
        ("mentors", [{"id": "a", "role": "mentee"}], '("a"): "role" must be mentor or both'),
        ("mentees", [{"id": "b", "role": "coffee"}], '("b"): "role" must be mentee or both'),
        ("mentors", [{"id": "a", "skills_offer": "SQL"}], '("a"): "skills_offer" must be a list'),
        ("mentees", [{"id": "b", "languages": ["English", 3]}], '("b"): "languages"'),
        ("mentees", [{"id": "b", "goals": 42}], '("b"): "goals" must be text'),
        ("mentees", [{"id": "b", "timezone": "Mars/Base"}], '("b"): "timezone" must be an IANA'),
        (
            "mentees",
            [{"id": "b", "meeting_format": "phone"}],
            '("b"): "meeting_format" must be one of',
        ),
        ("mentees", [{"id": "b", "seniority": -1}], '("b"): "seniority"'),
        ("mentees", [{"id": "b", "seniority": "senior"}], '("b"): "seniority"'),
        ("mentees", [{"id": "b", "manager_id": 7}], '("b"): "manager_id" must be text'),
    ],
)
def test_bad_people_are_rejected_naming_the_person_and_the_field(side, data, message):
    with pytest.raises(ValueError) as caught:
        parse_people(data, side)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([8], "weights must be a JSON object"),
        ({"skill": 3}, 'unknown criterion "skill"; known: skills, goals'),
        ({"skills": 11}, '"skills" must be a number from 0 to 10 (got 11)'),
        ({"skills": "high"}, '"skills" must be a number from 0 to 10'),
        ({"skills": True}, '"skills" must be a number'),
        (dict.fromkeys(DEFAULT_WEIGHTS, 0), "at least one criterion"),
    ],
)
def test_bad_weights_are_rejected(data, message):
    with pytest.raises(ValueError) as caught:
        parse_weights(data)
    assert message in str(caught.value)


def test_weights_default_and_override():
    assert parse_weights(None) == DEFAULT_WEIGHTS
    assert parse_weights({"skills": 10})["skills"] == 10
    assert max(DEFAULT_WEIGHTS, key=DEFAULT_WEIGHTS.__getitem__) == "skills"  # strongest


# --- The CLI ---------------------------------------------------------------------------


def write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_cli_match_writes_matches_unmatched_and_summary(tmp_path, capsys):
    ed = {**DI, "id": "ed", "name": "Ed", "manager_id": "ana"}
    bo = {**ANA, "id": "bo", "languages": ["German"], "capacity": 2}
    mentors = write(tmp_path / "mentors.json", [ANA, bo])
    mentees = write(tmp_path / "mentees.json", [DI, ed, {"id": "fay", "languages": ["French"]}])
    weights = write(tmp_path / "weights.json", {"languages": 10})
    out = tmp_path / "matches.json"
    argv = ["match", "--mentors", str(mentors), "--mentees", str(mentees), "--at", "2025-01-15"]
    assert cli.main([*argv, "--weights", str(weights), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert [(m["mentor"], m["mentee"]) for m in result["matches"]] == [("ana", "di")]
    assert result["matches"][0]["score"] > 0 and len(result["matches"][0]["reasons"]) == 3
    unmatched = {u["id"]: u for u in result["unmatched"]}
    assert set(unmatched) == {"ed", "fay"}
    assert "self or manager rules out 1" in unmatched["ed"]["reason"]
    assert result["summary"]["total"] == result["matches"][0]["score"]
    assert result["summary"]["lowest"] == result["matches"][0]["score"]
    assert result["summary"]["must_have"] == ["languages"]
    assert cli.main(argv) == 0  # default weights, to stdout: German no longer rules bo out
    printed = json.loads(capsys.readouterr().out)
    assert {m["mentee"] for m in printed["matches"]} == {"di", "ed", "fay"}


@pytest.mark.parametrize(
    ("mentors", "weights", "extra", "message"),
    [
        ("[{", None, [], "the mentors file"),
        ([{"id": "a", "capacity": 9}], None, [], '"capacity" must be a whole number from 1 to 5'),
        ([{"id": "a"}], {"langs": 3}, [], 'unknown criterion "langs"'),
        ([{"id": "a"}], "not json", [], "the weights file"),
        ([{"id": "a"}], None, ["--default-capacity", "0"], "default capacity"),
        ([{"id": "a"}], None, ["--at", "yesterday"], "--at must be an ISO 8601"),
    ],
)
def test_cli_match_rejects_bad_files_with_a_message(
    tmp_path, capsys, mentors, weights, extra, message
):
    argv = ["match", "--mentors", str(write(tmp_path / "m.json", mentors))]
    argv += ["--mentees", str(write(tmp_path / "e.json", [{"id": "e"}])), *extra]
    if weights is not None:
        argv += ["--weights", str(write(tmp_path / "w.json", weights))]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("mentorbot match:") and "Traceback" not in err


def test_cli_match_missing_file(tmp_path, capsys):
    argv = ["match", "--mentors", str(tmp_path / "none.json"), "--mentees", str(tmp_path / "x")]
    assert cli.main(argv) == 2
    assert "cannot read the mentors file" in capsys.readouterr().err


# --- Speed work: the block-wise scorer and the checked optimum ------------------------


def wide_people(seed: int, mentees: int, mentors: int, vocabulary: int):
    """Profiles with many distinct skills and goal words (the sparse counting path)."""
    rng = random.Random(seed)
    skills = [f"skill {k}" for k in range(vocabulary)]
    words = [f"word{k}" for k in range(vocabulary)]

    def one(person_id: str, mentor: bool) -> dict:
        profile = random_profile(rng, person_id, mentor)
        profile["skills_offer" if mentor else "skills_want"] = rng.sample(skills, 5)
        profile["goals"] = " ".join(rng.sample(words, 6))
        return profile

    tutors = [one(f"mentor{k}", True) for k in range(mentors)]
    learners = [one(f"mentee{k}", False) for k in range(mentees)]
    return parse_people(tutors, "mentors"), parse_people(learners, "mentees")


WEIGHT_CHOICES = [
    None,
    {"languages": 10, "cross_department": 2},
    {"timezone": 10, "skills": 10, "interests": 0},
    dict.fromkeys(CRITERIA, 1.5) | {"meeting_format": 10},
]


@pytest.mark.parametrize("seed", range(16))
def test_block_wise_scores_equal_the_old_whole_matrix_scores_exactly(seed, monkeypatch):
    from bench import scoring_before

    weights = WEIGHT_CHOICES[seed % len(WEIGHT_CHOICES)]
    if seed % 3 == 2:
        mentors, mentees = wide_people(seed, 40, 17, 300)
        monkeypatch.setattr(matching, "BITSET_WORDS", seed % 2)  # sparse products, or masks
    else:
        mentors, mentees = random_people(200 + seed, 40, 17)
    monkeypatch.setattr(matching, "SCORE_BLOCK", [5, 64, 1 << 16][seed % 3])  # odd blocks
    new = score_matrix(mentors, mentees, weights, at=AT)
    old = scoring_before.score_matrix(mentors, mentees, weights, at=AT)
    assert new.units.dtype == np.int16
    assert np.array_equal(new.units, old.units)
    assert new.ruled_out.keys() == old.ruled_out.keys()
    for rule, counts in old.ruled_out.items():
        assert np.array_equal(new.ruled_out[rule], counts), rule


@pytest.mark.parametrize("words", [0, 4])
def test_a_large_vocabulary_counts_shared_items_exactly(words, monkeypatch):
    """Bit masks of several 64-bit words, or sparse products past BITSET_WORDS."""
    monkeypatch.setattr(matching, "BITSET_WORDS", words)
    mentors, mentees = wide_people(5, 60, 40, 120)
    offsets = matching._offsets(AT)
    left, right = matching._Side(mentees, offsets), matching._Side(mentors, offsets)
    items = matching._shared(left.keys("skills_want"), right.keys("skills_offer"))[0]
    assert (items.masks is None) == (items.words > words)
    assert items.words >= 2  # more than 64 shared skills
    by_matrix = CRITERION_MATRIX["skills"](left, right)
    for (i, mentee), (j, mentor) in itertools.product(enumerate(mentees), enumerate(mentors)):
        pair = {c.name: c.score for c in explain_pair(mentor, mentee, at=AT)}
        assert by_matrix[i, j] == pytest.approx(pair["skills"], abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_match_explanations_equal_the_pair_explanations(seed, monkeypatch):
    """`match` explains all chosen pairs at once (numpy, then words for the reasons said
    only): its criteria, reasons and their order are exactly `explain_pair`'s for the pair."""
    weights = WEIGHT_CHOICES[seed % len(WEIGHT_CHOICES)]
    if seed % 3 == 2:
        mentors, mentees = wide_people(seed, 30, 12, 300)
        monkeypatch.setattr(matching, "BITSET_WORDS", seed % 2)  # sparse products, or masks
    else:
        mentors, mentees = random_people(300 + seed, 30, 12)
    # Years that float32 cannot hold, and zone offsets in odd seconds (before standard time).
    mentees = [
        dataclasses.replace(p, seniority=p.seniority + 0.1) if p.seniority and k % 2 else p
        for k, p in enumerate(mentees)
    ]
    at = AT if seed % 4 else datetime(1890, 6, 1, 12, tzinfo=UTC)
    result = match(mentors, mentees, weights, at=at)
    assert result.matches
    tutor, learner = {p.id: p for p in mentors}, {p.id: p for p in mentees}
    for found in result.matches:
        criteria = explain_pair(tutor[found.mentor], learner[found.mentee], weights, at=at)
        assert found.reasons == tuple(c.reason for c in criteria if c.offered)[:3]
        in_order = sorted(criteria, key=lambda c: CRITERIA.index(c.name))
        assert list(found.criteria.items()) == [(c.name, round(100 * c.score, 1)) for c in in_order]


def lsa_total(units: np.ndarray, seats: list[int]) -> int:
    owner = np.repeat(np.arange(units.shape[1]), seats)
    if len(owner) == 0:
        return 0
    rows, cols = linear_sum_assignment(units[:, owner], maximize=True)
    return int(units[rows, owner[cols]].sum())


def check_duals(units: np.ndarray, seats: list[int], mentor_of: np.ndarray) -> None:
    """An independent proof of optimality: LP duals from scipy's own solver (HiGHS via
    linprog) must price every pair at or below 0 and meet the assignment's total."""
    from scipy.optimize import linprog

    n, m = units.shape
    # Dual: minimise sum(u) + sum(seats * v) with u_i + v_j >= s_ij, u, v >= 0.
    rows, cols = np.nonzero(units > 0)
    matrix = np.zeros((len(rows), n + m))
    matrix[np.arange(len(rows)), rows] = -1
    matrix[np.arange(len(rows)), n + cols] = -1
    cost = np.concatenate([np.ones(n), np.asarray(seats, dtype=float)])
    found = linprog(cost, A_ub=matrix, b_ub=-units[rows, cols].astype(float), bounds=(0, None))
    assert found.status == 0
    total = sum(int(units[i, j]) for i, j in enumerate(mentor_of) if j >= 0)
    assert found.fun == pytest.approx(total, abs=1e-6)  # weak duality met with equality


@pytest.mark.parametrize("seed", range(24))
def test_medium_instances_reach_the_seat_expanded_optimum(seed):
    """Ties, forbidden pairs (a must-have's zeros), more mentees than seats and the other
    way round, mentors without seats or with more seats than mentees."""
    rng = np.random.default_rng(500 + seed)
    n, m = int(rng.integers(20, 120)), int(rng.integers(3, 40))
    levels = np.array([0, 0, 0, 100, 250, 250, 400, 500, 500, 650, 800, 1000])
    units = levels[rng.integers(0, len(levels), (n, m))].astype(np.int16)
    units[:, rng.random(m) < 0.1] = 0  # mentors nobody may have
    units[rng.random(n) < 0.1] = 0  # mentees no mentor fits
    seats = [int(s) for s in rng.integers(0 if seed % 4 == 0 else 1, 6 if seed % 2 else 60, m)]
    result = assign(units, seats)
    check_assignment(units, seats, result)
    assert result.total == lsa_total(units, seats)
    check_duals(units, seats, result.mentor_of)
    same = assign(units.astype(np.int32), seats)
    assert (same.total, same.lowest) == (result.total, result.lowest)


@pytest.mark.parametrize("seed", range(6))
def test_the_guard_still_lifts_the_lowest_exactly(seed):
    rng = random.Random(900 + seed)
    n, m = rng.randint(4, 7), rng.randint(2, 4)
    units = random_units(rng, n, m).astype(np.int16)
    seats = [rng.randint(1, 3) for _ in range(m)]
    result = assign(units, seats)
    assert (result.total, result.lowest) == brute_force(units, seats)
    assert result.lowest_without_guard is None or result.lowest >= result.lowest_without_guard


def test_the_optimality_check_rejects_what_is_not_proven():
    units = np.array([[900, 500], [500, 100]], dtype=np.int16)
    program = matching._Program(units, np.array([1.0, 1.0]))
    program.add(np.arange(4))
    chosen, duals = program.solve()
    assert duals.dtype == np.int32  # whole-number duals: the checks are exact
    program._certify(chosen, duals)  # the real optimum passes
    slack_free = duals.copy()
    with pytest.raises(RuntimeError, match="optimality check"):
        program._certify(np.array([0]), duals)  # b left out while its dual is above 0
    slack_free[0] += 1
    with pytest.raises(RuntimeError, match="optimality check"):
        program._certify(chosen, slack_free)  # a chosen pair no longer tight


def test_pricing_is_exact_with_whole_duals(monkeypatch):
    """Tiny first candidates: the whole-number pricing must still add what is missing."""
    monkeypatch.setattr(matching, "MENTEE_CANDIDATES", 1)
    monkeypatch.setattr(matching, "MENTOR_CANDIDATES", -1)
    monkeypatch.setattr(matching, "SCORE_BLOCK", 7)  # many small pricing blocks
    rng = np.random.default_rng(3)
    units = (rng.integers(0, 40, (60, 9)) * 25).astype(np.int16)
    seats = [1, 2, 3, 1, 5, 2, 1, 1, 4]
    result = assign(units, seats)
    check_assignment(units, seats, result)
    assert result.total == lsa_total(units, seats)


def medium_units(seed: int) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(700 + seed)
    n, m = int(rng.integers(40, 120)), int(rng.integers(5, 30))
    units = (rng.integers(0, 40, (n, m)) * 25).astype(np.int16)
    units[rng.random((n, m)) < 0.3] = 0
    return units, [int(s) for s in rng.integers(0 if seed % 2 else 1, 5, m)]


@pytest.mark.parametrize("seed", range(8))
def test_the_warm_start_is_only_a_start(seed, monkeypatch):
    """HiGHS starts from the basis of scipy's sparse assignment and shortest-path duals;
    without it, or from a matching that is not optimal, the answer is the same optimum."""
    units, seats = medium_units(seed)
    warm = assign(units, seats)
    check_assignment(units, seats, warm)
    assert warm.total == lsa_total(units, seats)
    monkeypatch.setattr(matching._Program, "_warm_start", lambda self: None)
    cold = assign(units, seats)
    monkeypatch.undo()
    nobody = lambda self: np.full(self.units.shape[0], -1)  # noqa: E731 (a bad start)
    monkeypatch.setattr(matching._Program, "_seat_matching", nobody)
    bad = assign(units, seats)
    assert (cold.total, cold.lowest) == (warm.total, warm.lowest) == (bad.total, bad.lowest)


def test_the_warm_start_basis_is_optimal_for_the_first_program():
    units, seats = medium_units(2)
    assert min(seats) >= 1  # (a mentor without seats gets only a slack: HiGHS iterates)
    program = matching._Program(units, np.asarray(seats, dtype=float))
    program.add(program._first_candidates())
    program._warm_start()
    program.solve()
    assert program.highs.getInfo().simplex_iteration_count == 0  # started at an optimum


@pytest.mark.parametrize("seed", range(6))
def test_numpy_shortest_paths_equal_scipy_bellman_ford(seed):
    """The warm start's Bellman-Ford (stops once settled): scipy's distances, and parents
    that form a shortest-path tree; a negative cycle is refused."""
    from scipy import sparse
    from scipy.sparse.csgraph import bellman_ford

    rng = np.random.default_rng(seed)
    nodes = int(rng.integers(5, 40))
    potential = rng.integers(0, 50, nodes)  # arcs >= potential difference: no negative cycle
    pairs = np.unique(rng.integers(0, nodes, (nodes * 4, 2)), axis=0)
    source, target = pairs[pairs[:, 0] != pairs[:, 1]].T
    length = potential[target] - potential[source] + rng.integers(0, 3, len(source))
    graph = sparse.csr_matrix(
        (length.astype(float), (source, target)), shape=(nodes, nodes)
    )  # (lengths of 0 are fine for both: csr keeps explicit zeros)
    expected = bellman_ford(graph, indices=0)
    distance, parent = matching._shortest_paths(source, target, length, nodes, start=0)
    assert np.array_equal(distance, expected)
    arcs = zip(source.tolist(), target.tolist(), strict=True)
    lengths = dict(zip(arcs, length.tolist(), strict=True))
    for node in np.flatnonzero(parent >= 0):
        assert distance[node] == distance[parent[node]] + lengths[parent[node], node]
    assert parent[0] < 0 and (parent[~np.isfinite(distance)] < 0).all()
    cycle = (np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([1, -3, 1]))
    with pytest.raises(ArithmeticError):
        matching._shortest_paths(*cycle, 3, start=0)


@pytest.mark.parametrize("seed", range(4))
def test_large_scores_price_in_int32_and_reach_the_optimum(seed):
    """Scores past what int16 reduced costs can hold: the pricing stays exact."""
    rng = np.random.default_rng(900 + seed)
    units = rng.integers(0, 40, (50, 8)).astype(np.int32) * 1000
    units[rng.random(units.shape) < 0.2] = 0
    seats = [int(s) for s in rng.integers(1, 5, 8)]
    result = assign(units, seats)
    check_assignment(units, seats, result)
    assert result.total == lsa_total(units, seats)


def test_match_leaves_the_cycle_collector_as_it_found_it():
    import gc

    mentors, mentees = random_people(3, 8, 4)
    match(mentors, mentees, at=AT)
    assert gc.isenabled()
    gc.disable()
    try:
        match(mentors, mentees, at=AT)
        assert not gc.isenabled()
    finally:
        gc.enable()
