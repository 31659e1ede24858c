"""The coffee-chat grouping algorithm, checked against an exact method, and its CLI."""

from __future__ import annotations

import gc
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cli
from dialogs.coffee import grouping
from dialogs.coffee.grouping import Member, evaluate, group_sizes, make_groups, max_matching

ROOT = Path(__file__).resolve().parent.parent


def random_history(ids: list[str], rounds: int, rng: random.Random, k: int = 2) -> list:
    history = []
    for _ in range(rounds):
        order = ids[:]
        rng.shuffle(order)
        cut = len(order) - len(order) % k
        groups = [order[i : i + k] for i in range(0, cut, k)]
        if cut < len(order) and groups:
            groups[-1] += order[cut:]
        history.append(groups)
    return history


def met_pairs(history: list, window: int = 12) -> set[frozenset[str]]:
    return {
        frozenset(p)
        for round_ in history[-window:]
        for group in round_
        for p in itertools.combinations(group, 2)
    }


def forbidden_pairs(members: list[Member]) -> set[frozenset[str]]:
    return {frozenset((m.id, x)) for m in members for x in m.dont_pair}


def exact_min_repeats(ids: list[str], met: set, forbidden: set) -> int | None:
    """Fewest repeats of a perfect pairing (networkx blossom), None if none exists."""
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    for a, b in itertools.combinations(ids, 2):
        pair = frozenset((a, b))
        if pair not in forbidden:
            graph.add_edge(a, b, weight=1 if pair in met else 2)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    if 2 * len(matching) != len(ids):
        return None
    return sum(1 for a, b in matching if frozenset((a, b)) in met)


def exact_odd(ids: list[str], met: set, forbidden: set) -> int | None:
    """Odd count: every possible group of three, plus the exact pairing of the rest."""
    best = None
    for triple in itertools.combinations(ids, 3):
        pairs = [frozenset(p) for p in itertools.combinations(triple, 2)]
        if any(p in forbidden for p in pairs):
            continue
        here = sum(p in met for p in pairs)
        if best is not None and here >= best:
            continue
        rest = exact_min_repeats([x for x in ids if x not in triple], met, forbidden)
        if rest is not None and (best is None or here + rest < best):
            best = here + rest
    return best


def instance(n: int, seed: int, rounds: int, dont_pairs: int = 0):
    rng = random.Random(seed)
    ids = [f"m{i:02d}" for i in range(n)]
    history = random_history(ids, rounds, rng)
    dont: dict[str, set[str]] = {i: set() for i in ids}
    for _ in range(dont_pairs):
        a, b = rng.sample(ids, 2)
        dont[a].add(b)
    members = [Member(i, f"d{rng.randrange(3)}", frozenset(dont[i])) for i in ids]
    return ids, members, history


def check_valid(result, members: list[Member], k: int) -> None:
    placed = [x for g in result.groups for x in g]
    assert len(placed) == len(set(placed))
    unplaced = {u.id for u in result.unplaced}
    assert set(placed) | unplaced == {m.id for m in members}
    assert not set(placed) & unplaced
    forbidden = forbidden_pairs(members)
    for group in result.groups:
        assert 2 <= len(group) <= k + 1 or len(members) < 2 * k
        assert not any(frozenset(p) in forbidden for p in itertools.combinations(group, 2))


# --- pairs: never more repeats than the exact optimum ---------------------------------
@pytest.mark.parametrize("n", list(range(4, 41, 2)))
def test_pairs_match_the_exact_minimum_of_repeats(n):
    compared = 0
    for seed in range(6):
        rounds = [2, n // 2, n - 2, 12][seed % 4]  # up to a history where repeats are forced
        ids, members, history = instance(n, seed * 100 + n, rounds, dont_pairs=seed % 3)
        exact = exact_min_repeats(ids, met_pairs(history), forbidden_pairs(members))
        if exact is None:
            continue
        result = make_groups(members, history, group_size=2, seed=seed)
        check_valid(result, members, 2)
        assert not result.unplaced
        assert result.summary.repeats == exact, (n, seed, rounds)
        compared += 1
    assert compared >= 3


@pytest.mark.parametrize("n", [3, 5, 7, 9, 11, 13])
def test_odd_counts_match_the_exact_minimum_with_one_group_of_three(n):
    for seed in range(5):
        ids, members, history = instance(n, seed * 7 + n, [1, n // 2, n, 12, 3][seed])
        exact = exact_odd(ids, met_pairs(history), forbidden_pairs(members))
        result = make_groups(members, history, group_size=2, seed=seed)
        check_valid(result, members, 2)
        assert sorted(map(len, result.groups)) == [2] * (n // 2 - 1) + [3]
        assert result.summary.repeats == exact, (n, seed)


def test_repeats_that_cannot_be_avoided_are_the_oldest():
    ids = ["a", "b", "c", "d"]
    # Everyone has met everyone; a-b / c-d longest ago, a-d / b-c last round.
    history = [[["a", "b"], ["c", "d"]], [["a", "c"], ["b", "d"]], [["a", "d"], ["b", "c"]]]
    result = make_groups([Member(i) for i in ids], history, seed=1)
    assert sorted(map(sorted, result.groups)) == [["a", "b"], ["c", "d"]]
    assert result.summary.repeats == 2
    assert result.summary.repeats_rounds_ago == [3, 3]


def test_only_the_window_counts():
    history = [[["a", "b"], ["c", "d"]]] + [[["x", "y"]]] * 12
    members = [Member(i) for i in "abcd"]
    one_round = make_groups(members, history[:1], seed=3)
    assert one_round.summary.repeats == 0
    assert make_groups(members, history, seed=3, window=12).summary.repeats == 0


def test_same_seed_same_groups_and_another_seed_may_differ():
    _ids, members, history = instance(40, 5, 3)
    first = make_groups(members, history, seed=11)
    assert make_groups(members, history, seed=11).groups == first.groups
    assert any(make_groups(members, history, seed=s).groups != first.groups for s in range(5))


def test_cross_department_when_asked():
    members = [Member(f"e{i}", "Eng") for i in range(10)] + [
        Member(f"s{i}", "Sales") for i in range(10)
    ]
    mixed = make_groups(members, [], seed=2, prefer_cross_department=True)
    assert mixed.summary.cross_department_ratio == 1.0
    assert mixed.summary.same_department_pairs == 0


def test_the_group_of_three_goes_to_someone_new_to_it():
    members = [Member(f"m{i}") for i in range(9)]
    # m0, m1, m2 were the group of three last time; a repeat-free round exists without them.
    history = [[["m0", "m1", "m2"], ["m3", "m4"], ["m5", "m6"], ["m7", "m8"]]]
    for seed in range(5):
        result = make_groups(members, history, seed=seed)
        assert result.summary.repeats == 0
        triple = next(g for g in result.groups if len(g) == 3)
        assert not set(triple) & {"m0", "m1", "m2"}


# --- groups of three and four: properties ---------------------------------------------
@pytest.mark.parametrize("k", [3, 4])
@pytest.mark.parametrize("n", [2, 3, 5, 7, 12, 13, 30, 61, 500, 1001])
def test_bigger_groups_keep_the_rules(k, n):
    ids, members, history = instance(n, n * k, 4, dont_pairs=n // 10)
    history = random_history(ids, 4, random.Random(n), k)
    result = make_groups(members, history, group_size=k, seed=n)
    check_valid(result, members, k)
    assert not result.unplaced
    if n >= 30:  # easy: few rounds, many people
        assert result.summary.repeats == 0
    assert sorted(map(len, result.groups)) == sorted(group_sizes(n, k))


def test_group_sizes():
    assert group_sizes(9, 2) == [3, 2, 2, 2]
    assert group_sizes(10, 3) == [4, 3, 3]
    assert group_sizes(7, 4) == [4, 3]  # more leftovers than groups: balanced
    assert group_sizes(5, 3) == [3, 2]
    assert group_sizes(1, 2) == []


# --- nobody left out silently ----------------------------------------------------------
def test_someone_everyone_excludes_is_returned_with_a_reason():
    members = [Member("loner", dont_pair=frozenset({"a", "b", "c"}))] + [Member(i) for i in "abc"]
    result = make_groups(members, [], seed=1)
    assert [(u.id, u.code) for u in result.unplaced] == [("loner", "all_excluded")]
    assert "don't-pair" in result.unplaced[0].reason
    assert sorted(map(len, result.groups)) == [3]


def test_a_single_member_is_alone():
    result = make_groups([Member("solo")], [], seed=1)
    assert result.groups == []
    assert [(u.id, u.code) for u in result.unplaced] == [("solo", "alone")]


def test_no_group_can_take_them():
    # a must not meet b; with three people the only group would contain both.
    members = [Member("a", dont_pair=frozenset({"b"})), Member("b"), Member("c")]
    result = make_groups(members, [], seed=1)
    check_valid(result, members, 2)
    assert len(result.groups) == 1 and len(result.unplaced) == 1
    assert result.unplaced[0].code == "no_compatible_group"
    assert result.summary.unplaced == result.unplaced


def test_bad_arguments():
    with pytest.raises(ValueError, match="group size"):
        make_groups([Member("a")], [], group_size=5)
    with pytest.raises(ValueError, match="unique"):
        make_groups([Member("a"), Member("a")], [])


def test_evaluate_counts_repeats_of_any_grouping():
    members = [Member(i, "X") for i in "abcd"]
    history = [[["a", "b"], ["c", "d"]], [["a", "c"], ["b", "d"]]]
    summary = evaluate([["a", "b"], ["c", "d"]], members, history)
    assert summary.repeats == 2 and summary.repeats_rounds_ago == [2, 2]
    assert summary.same_department_pairs == 2 and summary.cross_department_ratio == 0.0


def test_edmonds_matching_agrees_with_networkx():
    for seed in range(30):
        rng = random.Random(seed)
        n = rng.randrange(2, 30)
        edges = {(a, b) for a, b in itertools.combinations(range(n), 2) if rng.random() < 0.15}
        adjacency: dict[int, list[int]] = {v: [] for v in range(n)}
        for a, b in edges:
            adjacency[a].append(b)
            adjacency[b].append(a)
        mine = max_matching(adjacency, {})
        assert all(mine[mine[v]] == v and (min(v, mine[v]), max(v, mine[v])) in edges for v in mine)
        graph = nx.Graph(list(edges))
        assert len(mine) // 2 == len(nx.max_weight_matching(graph, maxcardinality=True))


# --- the CLI ------------------------------------------------------------------------------
def write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


MEMBERS = [
    {"id": "ana", "department": "Eng", "dont_pair": ["bo"]},
    {"id": "bo", "department": "Eng"},
    {"id": "cy", "department": "Sales", "dont_pair": []},
    {"id": "di", "department": None},
    {"id": "ed"},
]


def test_cli_pair_writes_groups_and_summary(tmp_path, capsys):
    members = write(tmp_path / "members.json", MEMBERS)
    history = write(tmp_path / "history.json", [[["ana", "cy"], ["bo", "di", "ed"]]])
    out = tmp_path / "groups.json"
    argv = ["pair", "--members", str(members), "--history", str(history)]
    code = cli.main([*argv, "--group-size", "2", "--seed", "7", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert sorted(map(len, result["groups"])) == [2, 3]
    assert sorted(x for g in result["groups"] for x in g) == ["ana", "bo", "cy", "di", "ed"]
    assert {"repeats", "unplaced", "group_sizes"} <= set(result["summary"])
    assert cli.main([*argv, "--seed", "7", "--out", str(tmp_path / "again.json")]) == 0
    assert (tmp_path / "again.json").read_text() == out.read_text()
    assert cli.main(["pair", "--members", str(members), "--cross-department"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["unplaced"] == []
    assert gc.isenabled()  # the command turns the collector off only while it runs


@pytest.mark.parametrize(
    ("members", "history", "extra", "message"),
    [
        ("[{", None, [], "not valid JSON"),
        ({"id": "a"}, None, [], "JSON list"),
        ([{"id": "a"}, {"id": "a"}], None, [], "appears twice"),
        ([{"id": "a", "dont_pair": "b"}], None, [], "dont_pair"),
        (MEMBERS, [[["ana", "zed"]]], [], "an unknown member id zed"),
        (MEMBERS, [["ana"]], [], "history[0][0]"),
        (MEMBERS, None, ["--group-size", "5"], "group size must be 2 to 4"),
    ],
)
def test_cli_pair_rejects_bad_input_with_a_message(
    tmp_path, capsys, members, history, extra, message
):
    argv = ["pair", "--members", str(write(tmp_path / "m.json", members)), *extra]
    if history is not None:
        argv += ["--history", str(write(tmp_path / "h.json", history))]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_pair_missing_file(tmp_path, capsys):
    assert cli.main(["pair", "--members", str(tmp_path / "nope.json")]) == 2
    assert "cannot read the members file" in capsys.readouterr().err


# --- the CLI's fast reading and writing: the same outcome as the plain way ------------------
ids_ = st.sampled_from(["ana", "bo", "cy", "", "zed", "é"])
values = st.one_of(st.none(), st.booleans(), st.integers(), ids_, st.lists(ids_, max_size=3))
member_items = st.one_of(
    st.fixed_dictionaries(
        {"id": st.one_of(ids_, st.integers())},
        optional={"department": st.one_of(st.none(), ids_, st.integers()), "dont_pair": values},
    ),
    values,
)
groups_ = st.one_of(st.lists(st.one_of(ids_, st.integers()), max_size=3), ids_, st.none())
rounds_ = st.lists(st.one_of(st.lists(groups_, max_size=4), ids_), max_size=3)


def outcome(parse, *args):
    try:
        return ("ok", plain(parse(*args)))
    except ValueError as exc:
        return ("error", str(exc))


def plain(value):
    """Members (either kind) as (id, department, dont_pair); anything else as it is."""
    if isinstance(value, list) and value and hasattr(value[0], "dont_pair"):
        return [(m.id, m.department, m.dont_pair) for m in value]
    return value


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(member_items, max_size=5), values), st.one_of(rounds_, values))
def test_member_and_history_checks_say_what_the_plain_checks_say(members, history):
    from bench.pairing import plain_parse_history, plain_parse_members

    fast = outcome(grouping.parse_members, members)
    assert fast == outcome(plain_parse_members, members)
    if fast[0] == "ok":
        parsed = grouping.parse_members(members)
        assert outcome(grouping.parse_history, history, parsed) == outcome(
            plain_parse_history, history, parsed
        )


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([[["ana", "cy"]], "x"], "history[1] must be a list of groups"),
        (
            [[["ana", "cy"]], [["bo", "di"], ["ana", 7]]],
            "history[1][1] must be a list of member ids",
        ),
        ([[["ana", "cy"]], [["bo", "zed", "yo"]]], "history[1][0]: unknown member ids zed, yo"),
        ({"rounds": []}, "history must be a JSON list of rounds (oldest first)"),
    ],
)
def test_history_errors_name_the_first_bad_group(history, message):
    members = grouping.parse_members(MEMBERS)
    with pytest.raises(ValueError) as caught:
        grouping.parse_history(history, members)
    assert str(caught.value).startswith(message)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.text(max_size=6), min_size=1, max_size=4), max_size=6),
    st.dictionaries(
        st.text(max_size=4),
        st.one_of(st.none(), st.floats(allow_nan=False), st.lists(st.integers(), max_size=3)),
        max_size=3,
    ),
)
def test_groups_json_is_json_dumps_with_indent_1(groups, summary):
    expected = json.dumps({"groups": groups, "summary": summary}, indent=1)
    assert cli.groups_json(groups, summary) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"id": "a", "weight": NaN}]',  # json takes NaN, orjson does not
        b'[{"id": "a", "n": 123456789012345678901234567890}]',  # past 64 bits
        b'[{"id": "\\ud800"}]',  # a lone surrogate
        b'[\r\n {"id": "a"},\r\n {"id": "b"}\r\n]',
        b'[\r\n {"id": "a"},\r\n {"id": "b",}\r\n]',  # an error past CRLFs: same position
        b"\xef\xbb\xbf[]",  # a byte order mark: json's own message
        b'["caf\xe9"]',  # not UTF-8
        b"[1, 2",
        b"",
    ],
)
def test_reading_json_accepts_and_refuses_what_json_did(tmp_path, raw):
    """What `mentorbot pair` makes of a file: the same members, or the same message.
    (orjson reads integers past 64 bits as floats: no check can tell, as none takes a
    number; the decoded values are compared where they are both json's.)"""
    from bench.pairing import plain_parse_members

    path = tmp_path / "members.json"
    path.write_bytes(raw)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        expected = outcome(plain_parse_members, data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        expected = ("error", f"the members file {path} is not valid JSON: {exc}")
    got = outcome(lambda p: grouping.parse_members(cli._read_json(p, "members")), path)
    assert got == expected


def test_cli_pair_loads_neither_the_bot_nor_the_database(tmp_path):
    members = write(tmp_path / "members.json", MEMBERS)
    argv = ["pair", "--members", str(members), "--out", str(tmp_path / "o")]
    code = (
        "import sys, cli\n"
        f"assert cli.main({argv!r}) == 0\n"
        "heavy = ('aiohttp', 'botbuilder', 'sqlalchemy', 'storage', 'bot', 'numpy', 'app')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
    assert json.loads((tmp_path / "o").read_text())["summary"]["placed"] == 5
