"""Coffee-chat pairing: Mentorbot's algorithm against three baselines, speed and repeats.

    python -m bench.pairing [--sizes 1000,10000,100000] [--rounds 12] [--exact-limit 60]
                            [--cli-size 100000]

For each size: synthetic members (about 20 departments, a few don't-pair entries) and
`--rounds` rounds of history made by random shuffles. Then, on the same input:
Mentorbot (`dialogs.coffee.grouping.make_groups`, median of 3 timed runs), a plain
random shuffle, greedy first-fit that avoids only the previous round, and an exact
maximum weight matching (networkx; weights 2 for a fresh pair, 1 for a repeat, don't-pairs
absent, maximum cardinality) in a child process killed after `--exact-limit` seconds.
The exact method needs the complete graph (n^2 / 2 edges: 50 million at 10,000), so it
is not started above `--exact-max-n` (default 2,000) and reported as not finished.

Then the whole `mentorbot pair` process (start-up, reading and checking the files,
grouping, writing) at `--cli-size` members with `--rounds` rounds, as a child process,
median of 3 after one warm-up: "after" is the real console script; "before" is the command as it was
(`import app` with the whole bot, `json`, the plain member and history checks on frozen
dataclasses, `json.dumps(indent=1)`), run by this file. Both outputs must be the same
bytes. The algorithm alone (`make_groups` on the parsed input, median of 3) is timed in
the same run, and the ratio of the whole process to it reported. CPU seconds of each
child are reported beside the wall time (a loaded machine stretches the wall time).

All repeats are counted the same way (`evaluate`: pairs inside a group who met within
the last 12 rounds). Progress goes to stderr; stdout gets exactly one JSON line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from dialogs.coffee.grouping import Member, evaluate, make_groups

GOALS = {
    "seconds_at_100000": 2.0,
    "repeats": "equal to the exact method's where it finished",
    "pair_100k_whole_process_s": 3.0,
}
DEPARTMENTS = 20
WINDOW = 12


def info(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def synthetic(n: int, rounds: int, seed: int) -> tuple[list[Member], list[list[list[str]]]]:
    rng = random.Random(seed)
    ids = [f"user-{i:06d}" for i in range(n)]
    dont: dict[str, set[str]] = {}
    for _ in range(max(1, n // 200)):  # a few don't-pair entries
        a, b = rng.sample(ids, 2)
        dont.setdefault(a, set()).add(b)
    members = [
        Member(i, f"dept-{rng.randrange(DEPARTMENTS)}", frozenset(dont.get(i, ()))) for i in ids
    ]
    return members, [shuffled_pairs(ids, rng) for _ in range(rounds)]


def shuffled_pairs(ids: list[str], rng: random.Random) -> list[list[str]]:
    order = ids[:]
    rng.shuffle(order)
    groups = [order[i : i + 2] for i in range(0, len(order) - 1, 2)]
    if len(order) % 2:
        groups[-1].append(order[-1])
    return groups


def greedy_previous_round(
    members: list[Member], history: list[list[list[str]]], rng: random.Random
) -> list[list[str]]:
    """First fit in a random order, avoiding only last round's partners (and don't-pairs)."""
    previous: dict[str, set[str]] = {}
    for group in history[-1] if history else []:
        for x in group:
            previous.setdefault(x, set()).update(y for y in group if y != x)
    avoid = {m.id: previous.get(m.id, set()) | m.dont_pair for m in members}
    order = [m.id for m in members]
    rng.shuffle(order)
    taken: set[str] = set()
    groups: list[list[str]] = []
    for i, a in enumerate(order):
        if a in taken:
            continue
        taken.add(a)
        later = range(i + 1, len(order))  # no slicing: that copies, O(n^2) at 100,000
        partner = next(
            (order[j] for j in later if order[j] not in taken and order[j] not in avoid[a]), None
        )
        if partner is None:
            partner = next((order[j] for j in later if order[j] not in taken), None)
        if partner is None:
            groups[-1].append(a) if groups else groups.append([a])
        else:
            taken.add(partner)
            groups.append([a, partner])
    return groups


def exact_worker(members: list[Member], history: list, out: multiprocessing.Queue) -> None:
    import networkx as nx

    started = time.perf_counter()
    met = {frozenset(p) for r in history[-WINDOW:] for g in r for p in _pairs(g)}
    forbidden = {frozenset((m.id, x)) for m in members for x in m.dont_pair}
    ids = [m.id for m in members]
    graph = nx.Graph()
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            pair = frozenset((a, b))
            if pair not in forbidden:
                graph.add_edge(a, b, weight=1 if pair in met else 2)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    groups = [list(p) for p in matching]
    left = [x for x in ids if not any(x in p for p in matching)]
    if left and groups:  # an odd count: the one left joins some pair
        groups[0] += left
    out.put((time.perf_counter() - started, groups))


def _pairs(group: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]


def run_exact(
    members: list[Member], history: list, limit: float, max_n: int
) -> tuple[dict[str, Any], list | None]:
    if len(members) > max_n:
        note = f"not started: the complete graph has {len(members) ** 2 // 2:,} edges"
        return {"finished": False, "limit_s": limit, "note": note}, None
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = context.Queue()
    child = context.Process(target=exact_worker, args=(members, history, out), daemon=True)
    child.start()
    try:
        seconds, groups = out.get(timeout=limit)
    except queue.Empty:
        return {"finished": False, "limit_s": limit}, None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
    return {"seconds": round(seconds, 3)}, groups


def measure(n: int, args: argparse.Namespace) -> dict[str, Any]:
    members, history = synthetic(n, args.rounds, seed=n)
    info(f"n={n}: {len(members)} members, {len(history)} rounds of history")
    block: dict[str, Any] = {}

    def record(name: str, seconds: float, groups: list) -> None:
        summary = evaluate(groups, members, history, window=WINDOW)
        block[name] = {"seconds": round(seconds, 3), "repeats": summary.repeats}
        info(f"n={n} {name}: {seconds:.3f} s, {summary.repeats} repeats")

    times, result = [], None
    for run in range(3):
        started = time.perf_counter()
        result = make_groups(members, history, group_size=2, seed=run, window=WINDOW)
        times.append(time.perf_counter() - started)
    assert result is not None
    record("mentorbot", statistics.median(times), result.groups)
    block["mentorbot"]["unplaced"] = len(result.unplaced)

    rng = random.Random(n)
    started = time.perf_counter()
    shuffled = shuffled_pairs([m.id for m in members], rng)
    record("random", time.perf_counter() - started, shuffled)

    started = time.perf_counter()
    greedy = greedy_previous_round(members, history, rng)
    record("greedy_prev_round", time.perf_counter() - started, greedy)

    info(f"n={n} exact: starting (limit {args.exact_limit:g} s)")
    exact, groups = run_exact(members, history, args.exact_limit, args.exact_max_n)
    if groups is not None:
        exact["repeats"] = evaluate(groups, members, history, window=WINDOW).repeats
    info(f"n={n} exact: {exact}")
    block["exact"] = exact
    return block


# --- the whole `mentorbot pair` process ----------------------------------------------------
@dataclass(frozen=True)
class PlainMember:
    """Member as it was: a frozen dataclass."""

    id: str
    department: str | None = None
    dont_pair: frozenset[str] = frozenset()


def plain_parse_members(data: object) -> list[PlainMember]:
    """The member checks as they were: one plain loop (tests compare the fast ones to it)."""
    if not isinstance(data, list):
        raise ValueError("members must be a JSON list of objects")
    members: list[PlainMember] = []
    seen: set[str] = set()
    for n, item in enumerate(data):
        where = f"members[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise ValueError(f'{where} must be an object with a non-empty string "id"')
        department = item.get("department")
        dont_pair = item.get("dont_pair", [])
        if department is not None and not isinstance(department, str):
            raise ValueError(f'{where} ("{item["id"]}"): "department" must be a string or null')
        if not isinstance(dont_pair, list) or not all(isinstance(x, str) for x in dont_pair):
            raise ValueError(f'{where} ("{item["id"]}"): "dont_pair" must be a list of ids')
        if item["id"] in seen:
            raise ValueError(f'{where}: id "{item["id"]}" appears twice')
        seen.add(item["id"])
        members.append(PlainMember(item["id"], department, frozenset(dont_pair)))
    return members


def plain_parse_history(data: object, members: Sequence[Any]) -> list[list[list[str]]]:
    """The history checks as they were: every group of every round, one by one."""
    ids = {m.id for m in members}
    if not isinstance(data, list):
        raise ValueError("history must be a JSON list of rounds (oldest first)")
    for r, round_ in enumerate(data):
        if not isinstance(round_, list):
            raise ValueError(f"history[{r}] must be a list of groups")
        for g, group in enumerate(round_):
            where = f"history[{r}][{g}]"
            if not isinstance(group, list) or not all(isinstance(x, str) for x in group):
                raise ValueError(f"{where} must be a list of member ids")
            unknown = [x for x in group if x not in ids]
            if unknown:
                what = "an unknown member id" if len(unknown) == 1 else "unknown member ids"
                raise ValueError(f"{where}: {what} {', '.join(unknown)}")
    return cast(list[list[list[str]]], data)


def before_cli(members_path: str, history_path: str, out: str) -> int:
    """`mentorbot pair` as it was: the whole bot imported, plain json and checks."""
    import app  # noqa: F401  (the old entry point loaded the bot for every command)

    members = plain_parse_members(json.loads(Path(members_path).read_text(encoding="utf-8")))
    history = plain_parse_history(
        json.loads(Path(history_path).read_text(encoding="utf-8")), members
    )
    result = make_groups(cast(list[Member], members), history, group_size=2, seed=0)
    text = json.dumps({"groups": result.groups, "summary": result.summary.to_dict()}, indent=1)
    Path(out).write_text(text + "\n")
    return 0


BEFORE = "import sys; from bench.pairing import before_cli; before_cli(*sys.argv[1:])"


def child_env() -> dict[str, str]:
    """This environment, but with byte code written and read: both commands start from
    compiled modules, as an installed one does (a PYTHONDONTWRITEBYTECODE shell would
    otherwise charge "before" for compiling the whole bot at every start)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_child(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=child_env())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def pair_command() -> list[str]:
    """The installed `mentorbot` script beside this interpreter, or the same entry point."""
    script = Path(sys.executable).parent / "mentorbot"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys, cli; sys.exit(cli.main())"]


def measure_cli(n: int, rounds: int) -> dict[str, Any]:
    members, history = synthetic(n, rounds, seed=n)
    with tempfile.TemporaryDirectory(prefix="bench-pair-") as tmp:
        folder = Path(tmp)
        members_path, history_path = folder / "members.json", folder / "history.json"
        rows = [{"id": m.id, "department": m.department, "dont_pair": sorted(m.dont_pair)}
                for m in members]  # fmt: skip
        members_path.write_text(json.dumps(rows))
        history_path.write_text(json.dumps(history))
        files = ["--members", str(members_path), "--history", str(history_path)]
        runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        for run in range(4):  # run 0 warms the byte code and the file cache: not counted
            for name in ("before", "after"):
                out = folder / f"{name}.json"
                if name == "after":
                    argv = [*pair_command(), "pair", *files, "--out", str(out)]
                else:
                    paths = [str(members_path), str(history_path), str(out)]
                    argv = [sys.executable, "-c", BEFORE, *paths]
                wall, cpu = timed_child(argv)
                info(f"cli n={n} run {run} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
                if run:
                    runs[name].append((wall, cpu))
        same = (folder / "before.json").read_bytes() == (folder / "after.json").read_bytes()
        parsed = cast(list[Member], plain_parse_members(json.loads(members_path.read_text())))
        loaded = json.loads(history_path.read_text())
    algo, algo_cpu = [], []
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        make_groups(parsed, loaded, group_size=2, seed=0)
        algo.append(time.perf_counter() - started)
        algo_cpu.append(time.process_time() - cpu)
    block: dict[str, Any] = {"members": n, "rounds": rounds, "same_output": same}
    for name, times in runs.items():
        block[name] = {
            "seconds": round(statistics.median(w for w, _ in times), 3),
            "cpu_seconds": round(statistics.median(c for _, c in times), 3),
        }
    block["algorithm_alone_s"] = round(statistics.median(algo), 3)
    block["algorithm_alone_cpu_s"] = round(statistics.median(algo_cpu), 3)
    block["after_vs_algorithm"] = round(block["after"]["seconds"] / block["algorithm_alone_s"], 2)
    block["after_vs_algorithm_cpu"] = round(
        block["after"]["cpu_seconds"] / block["algorithm_alone_cpu_s"], 2
    )
    block["before_vs_after"] = round(block["before"]["seconds"] / block["after"]["seconds"], 2)
    info(f"cli n={n}: {block}")
    return block


def meets_goal(sizes: dict[str, dict[str, Any]], cli: dict[str, Any] | None) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    if cli is not None:
        checks["pair_100k_under_3s"] = cli["after"]["seconds"] < 3.0
        checks["pair_same_output_as_before"] = cli["same_output"]
        checks["pair_faster_than_before"] = cli["after"]["seconds"] < cli["before"]["seconds"]
    if "100000" in sizes:
        checks["seconds_at_100000"] = sizes["100000"]["mentorbot"]["seconds"] <= 2.0
    for n, block in sizes.items():
        exact = block["exact"]
        if "repeats" in exact:
            checks[f"repeats_equal_exact_{n}"] = block["mentorbot"]["repeats"] == exact["repeats"]
        elif block["mentorbot"]["repeats"] == 0:
            checks[f"repeats_optimal_{n}"] = True  # zero repeats cannot be beaten
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pairing", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--exact-limit", type=float, default=60.0, help="seconds")
    parser.add_argument("--exact-max-n", type=int, default=2000)
    parser.add_argument("--cli-size", type=int, default=100_000, help="0: skip the CLI")
    args = parser.parse_args(argv)
    sizes = {n: measure(int(n), args) for n in args.sizes.split(",") if n}
    cli = measure_cli(args.cli_size, args.rounds) if args.cli_size else None
    result = {"sizes": sizes, "cli": cli, "goal": GOALS, "meets_goal": meets_goal(sizes, cli)}
    print(json_line(result), flush=True)
    return 0


def json_line(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


if __name__ == "__main__":
    sys.exit(main())
