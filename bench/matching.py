"""Mentor matching: Mentorbot's solver against a greedy baseline and an independent optimum.

    python -m bench.matching [--sizes 1000x200,10000x2000] [--large 50000x10000]
                             [--seed 1] [--repeat 1]

For each size (mentees x mentors): seeded synthetic profiles (skills with popular and rare
ones, goals texts, interests, languages, 16 time zones, meeting formats, departments,
seniority, managers, a few people who are both mentor and mentee) and capacities 1 to 5.
The weights are the defaults plus languages as a must-have and a cross-department
preference (`WEIGHTS`). Then, on the same score matrix:

- mentorbot: `dialogs.mentoring.matching.match`, the whole call (scores, HiGHS with
  pricing and its optimality check, the fairness guard, explanations); the best of
  `--repeat` timed runs.
- scoring: `score_matrix` alone, and the whole-matrix scorer it replaced
  (`bench.scoring_before`), which must give exactly the same scores.
- greedy: all pairs by score, best first; a pair is taken when both still can be.
- exact: `scipy.optimize.linear_sum_assignment` on the full matrix with one column per
  mentor seat (a different algorithm on every pair, no pricing), timed without scoring.

`--large` (empty to skip) runs Mentorbot alone, in a child process, on a size whose
seat-expanded matrix the exact peer cannot hold (its float64 copy alone would be
mentees x seats x 8 bytes): the child's time and peak memory (maximum resident set).

Times are wall seconds and CPU seconds of this process (`time.process_time`, all its
threads). The speedups in `meets_goal` are CPU ratios: on a shared machine the wall
clock mostly measures the neighbours (the `_wall` ratios are printed beside them); a
solver using more than one thread would only look slower by CPU.

Totals and lowest pair scores are percentage points (0.1 steps). Progress goes to stderr;
stdout gets exactly one JSON line, `meets_goal` in it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from bench import scoring_before
from bench.common import info
from dialogs.mentoring.matching import UNITS, Person, match, parse_people, score_matrix

GOAL_SIZE = "10000x2000"
GOALS = {
    "speedup_vs_lsa": f"at least 3 at {GOAL_SIZE}: linear_sum_assignment's CPU s / Mentorbot's",
    "scoring_speedup": f"at least 2 at {GOAL_SIZE}: the old scorer's CPU s / the new one's",
    "totals_equal": "Mentorbot's total equals the exact optimum at every size",
    "large_size_ran": "the large size ran to an optimal, checked assignment",
}
WEIGHTS = {"languages": 10, "cross_department": 2}
AT = datetime(2025, 3, 3, 12, tzinfo=UTC)  # a fixed instant: offsets never depend on the day
ZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Warsaw",
    "Africa/Lagos",
    "Europe/Istanbul",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
]
LANGUAGES = ["German", "French", "Spanish", "Portuguese", "Polish", "Hindi", "Japanese"]
FORMATS = (["video", "any", "chat", "in_person"], [40, 30, 15, 15])
_GOAL_TEXT = (
    "leadership public speaking data engineering cloud architecture product management "
    "negotiation career promotion design security analytics machine learning writing "
    "stakeholder management hiring coaching strategy finance operations testing "
    "mobile frontend backend infrastructure research presentation"
)
GOAL_WORDS = _GOAL_TEXT.split()


def synthetic(mentees: int, mentors: int, seed: int) -> tuple[list[Person], list[Person]]:
    """Seeded mentor and mentee profiles, parsed like the CLI's files."""
    rng = random.Random(seed)
    skills = [f"skill {k}" for k in range(80)]
    popularity = [1 / (k + 1) ** 0.7 for k in range(len(skills))]  # a few skills are popular
    interests = [f"interest {k}" for k in range(40)]
    mentor_dicts = [
        _profile(f"mentor-{k:05d}", rng, skills, popularity, interests, mentor=True)
        for k in range(mentors)
    ]
    mentee_dicts = [
        _profile(f"mentee-{k:05d}", rng, skills, popularity, interests, mentor=False)
        for k in range(mentees)
    ]
    for person in mentee_dicts:
        if rng.random() < 0.1:  # their manager mentors in the program
            person["manager_id"] = rng.choice(mentor_dicts)["id"]
    for mentor in rng.sample(mentor_dicts, max(1, mentors // 50)):  # both mentor and mentee
        mentee_dicts[rng.randrange(mentees)] = {**mentor, "role": "both", "seniority": 2}
    return parse_people(mentor_dicts, "mentors"), parse_people(mentee_dicts, "mentees")


def _profile(
    person_id: str,
    rng: random.Random,
    skills: list[str],
    popularity: list[float],
    interests: list[str],
    *,
    mentor: bool,
) -> dict[str, Any]:
    languages = ["English"] if rng.random() < 0.9 else []
    languages += rng.sample(LANGUAGES, rng.choice([0, 0, 1, 2]))
    profile: dict[str, Any] = {
        "id": person_id,
        "name": person_id.replace("-", " ").title(),
        "role": "mentor" if mentor else "mentee",
        "goals": "I want to grow in " + " and ".join(rng.sample(GOAL_WORDS, rng.randint(2, 5))),
        "interests": rng.sample(interests, rng.randint(0, 4)),
        "languages": languages or ["Spanish"],
        "timezone": rng.choice(ZONES),
        "meeting_format": rng.choices(*FORMATS)[0],
        "location": f"city {rng.randrange(12)}",
        "department": f"dept {rng.randrange(20)}",
        "seniority": rng.randint(3, 30) if mentor else rng.randint(0, 10),
    }
    if mentor:
        profile["skills_offer"] = list(set(rng.choices(skills, popularity, k=rng.randint(2, 6))))
        profile["capacity"] = rng.randint(1, 5)
    else:
        profile["skills_want"] = list(set(rng.choices(skills, popularity, k=rng.randint(1, 4))))
    return profile


def greedy(units: np.ndarray, seats: list[int]) -> list[tuple[int, int]]:
    """Best pair first: take it when the mentee is free and the mentor has a seat."""
    n, m = units.shape
    flat = units.ravel()
    order = np.argsort(-flat, kind="stable")[: np.count_nonzero(flat)]  # 0 = not allowed
    left, free, pairs = list(seats), [True] * n, []
    open_seats, open_mentees = sum(seats), n
    for start in range(0, len(order), 100_000):  # a chunk at a time: most runs stop early
        for key in order[start : start + 100_000].tolist():
            mentee, mentor = divmod(key, m)
            if left[mentor] and free[mentee]:
                left[mentor] -= 1
                free[mentee] = False
                pairs.append((mentee, mentor))
                open_seats, open_mentees = open_seats - 1, open_mentees - 1
                if not open_seats or not open_mentees:
                    return pairs
    return pairs


def exact(units: np.ndarray, seats: list[int]) -> list[tuple[int, int]]:
    """The optimum by the Hungarian-type method on every pair: one column per seat."""
    owner = np.repeat(np.arange(units.shape[1]), seats)
    rows, cols = linear_sum_assignment(units[:, owner], maximize=True)
    pairs = [(int(i), int(owner[c])) for i, c in zip(rows, cols, strict=True)]
    return [(i, j) for i, j in pairs if units[i, j] > 0]  # a 0 is "not matched"


def quality(units: np.ndarray, pairs: list[tuple[int, int]], seconds: float) -> dict[str, Any]:
    scores = [int(units[i, j]) for i, j in pairs]
    return {
        "seconds": round(seconds, 3),
        "total": _points(sum(scores)),
        "lowest": _points(min(scores)) if scores else None,
        "matched": len(pairs),
    }


def _points(units: int) -> float:
    return round(units * 100 / UNITS, 1)


def measure(size: str, args: argparse.Namespace) -> dict[str, Any]:
    mentees_n, mentors_n = map(int, size.split("x"))
    mentors, mentees = synthetic(mentees_n, mentors_n, args.seed)
    seats = [p.capacity for p in mentors]
    info(f"{size}: {len(mentees)} mentees, {len(mentors)} mentors, {sum(seats)} seats")
    block: dict[str, Any] = {"seats": sum(seats)}

    times, cpu, result = [], [], None
    for _ in range(args.repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = match(mentors, mentees, WEIGHTS, at=AT)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    assert result is not None
    started, cpu_started = time.perf_counter(), time.process_time()
    units = score_matrix(mentors, mentees, WEIGHTS, at=AT).units
    scoring, scoring_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    index = {p.id: i for i, p in enumerate(mentees)}, {p.id: j for j, p in enumerate(mentors)}
    ours = [(index[0][m.mentee], index[1][m.mentor]) for m in result.matches]
    block["mentorbot"] = quality(units, ours, min(times))
    block["mentorbot"]["cpu_seconds"] = round(min(cpu), 3)
    block["mentorbot"]["scoring_seconds"] = round(scoring, 3)
    block["mentorbot"]["scoring_cpu_seconds"] = round(scoring_cpu, 3)
    block["mentorbot"]["lowest_without_guard"] = result.summary.lowest_without_guard
    info(f"{size} mentorbot: {block['mentorbot']}")
    if args.peers:
        started, cpu_started = time.perf_counter(), time.process_time()
        before = scoring_before.score_matrix(mentors, mentees, WEIGHTS, at=AT).units
        block["scoring_before_seconds"] = round(time.perf_counter() - started, 3)
        block["scoring_before_cpu_seconds"] = round(time.process_time() - cpu_started, 3)
        block["scores_equal_before"] = bool(np.array_equal(before, units))
        block["scoring_speedup_wall"] = round(block["scoring_before_seconds"] / scoring, 2)
        block["scoring_speedup"] = round(block["scoring_before_cpu_seconds"] / scoring_cpu, 2)
        del before
        info(f"{size} scoring: before {block['scoring_before_seconds']} s, now {scoring:.3f} s")
        for name, method in (("greedy", greedy), ("exact_lsa", exact)):
            started, cpu_started = time.perf_counter(), time.process_time()
            pairs = method(units, seats)
            block[name] = quality(units, pairs, time.perf_counter() - started)
            block[name]["cpu_seconds"] = round(time.process_time() - cpu_started, 3)
            info(f"{size} {name}: {block[name]}")
        block["speedup_vs_lsa_wall"] = round(block["exact_lsa"]["seconds"] / min(times), 2)
        block["speedup_vs_lsa"] = round(block["exact_lsa"]["cpu_seconds"] / min(cpu), 2)
    return block


def large(size: str, args: argparse.Namespace) -> dict[str, Any]:
    """Mentorbot alone on `size`, in a child process so that its peak memory is its own."""
    command = [sys.executable, "-m", "bench.matching", "--sizes", size, "--large", ""]
    command += ["--no-peers", "--seed", str(args.seed)]
    info(f"{size}: Mentorbot alone, in a child process")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        return {"ran": False, "returncode": done.returncode}
    block = json.loads(done.stdout.strip().splitlines()[-1])["sizes"][size]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    mentees_n = int(size.split("x")[0])
    block["ran"] = True
    block["peak_memory_mb"] = round(peak / 1024, 1)
    # What the exact peer would need for its float64 seat-expanded copy alone.
    block["exact_lsa_would_need_gb"] = round(mentees_n * block["seats"] * 8 / 1e9, 1)
    info(f"{size}: {block}")
    return block


def meets_goal(sizes: dict[str, dict[str, Any]], big: dict[str, Any] | None) -> dict[str, bool]:
    compared = [b for b in sizes.values() if "exact_lsa" in b]
    goal = sizes.get(GOAL_SIZE, {})
    return {
        "speedup_vs_lsa": goal.get("speedup_vs_lsa", 0) >= 3,
        "scoring_speedup": goal.get("scoring_speedup", 0) >= 2
        and all(b["scores_equal_before"] for b in compared),
        "totals_equal": bool(compared)
        and all(b["mentorbot"]["total"] == b["exact_lsa"]["total"] for b in compared),
        "large_size_ran": bool(big and big.get("ran")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__)
    parser.add_argument("--sizes", default="1000x200,10000x2000", help="mentees x mentors, ...")
    parser.add_argument("--large", default="50000x10000", help="Mentorbot alone ('' to skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of mentorbot (best)")
    parser.add_argument("--no-peers", dest="peers", action="store_false", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = {size: measure(size, args) for size in args.sizes.split(",") if size}
    big = large(args.large, args) if args.large else None
    result: dict[str, Any] = {"sizes": sizes, "weights": WEIGHTS, "goal": GOALS}
    if big is not None:
        result["large"] = {args.large: big}
    result["meets_goal"] = meets_goal(sizes, big)
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
