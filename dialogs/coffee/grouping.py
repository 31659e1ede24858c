"""Coffee-chat grouping: who meets whom this round. Pure: plain data in, plain data out.

No I/O, no clock, no global randomness: every random choice comes from
`random.Random(seed)`, so one seed always gives the same groups.

Contract
--------
`make_groups(members, history, group_size=2, seed=...)`:

- `members` are the people to place this round. The caller leaves out anyone paused,
  opted out or unreachable; everyone passed in is eligible.
- `history` is the past rounds, oldest first; a round is a list of groups, a group a
  list of member ids. Only the last `window` rounds count (age 0 = the last round).
  Ids that are not in `members` (people who left or paused) are ignored.
- `dont_pair` is symmetric: if either of two people lists the other, they are never
  grouped. Ids in it that are not in `members` are ignored.

Objective, in strict order (each level outweighs everything below it at any
realistic size; see the weights below):

1. Hard rules: no don't-pair conflict in a group; sizes as below; nobody dropped
   silently: anyone who cannot be placed is returned in `unplaced` with a reason.
2. Fewest repeats: pairs inside a group who were in one group within the window.
3. Among repeats, the oldest: a repeat costs more the more recent it is.
4. Cross-department, when `prefer_cross_department` is set.
5. Evenness: members who were in an oversized group recently are kept out of one now.

Sizes: n members make n // k groups of k (k = `group_size`, 2 to 4) and the n % k
leftovers join distinct groups, which become groups of k + 1 (an odd count with k = 2
gives one group of three). When a tiny team has more leftovers than groups, one more
group is made and sizes are balanced instead (7 members, k = 4: groups of 4 and 3).

How (the conflict graph is sparse: at most window * (k - 1) recent partners each):

1. People whose don't-pair lists exclude every other member are set aside as unplaced.
2. Seeded shuffle. Small teams fill groups one at a time, each next member being the
   cheapest of the next `LOOKAHEAD` unassigned people; large teams are cut into groups
   in that order, and the pairs are checked against the history in bulk.
3. Local search: for every member who costs something where they are, try swapping
   them with another member of another group (everyone when the team is small, a seeded
   sample when it is large) and keep the best improving swap, until a pass improves
   nothing. On small teams the construction and the search restart a few times with
   derived seeds and the best grouping wins.
4. Pairs (k = 2) on small teams that still have repeats: an exact step. The fewest
   repeats of a perfect pairing is n/2 minus the maximum matching of the "fresh" graph
   (pairs that are neither repeats nor forbidden), which Edmonds' blossom algorithm
   finds, warm-started from the search's fresh pairs. With an odd count the extra
   person is tried in turn. Then the local search polishes levels 3 to 5; it only
   accepts strictly cheaper groupings, so it never adds a repeat.
5. Any group left with a don't-pair conflict (only when the lists make it unavoidable)
   loses a member to another group that can take them, or to `unplaced`.

At 100,000 members with 12 rounds of history the cut meets about ten repeats and the
whole call takes 1.5 to 1.8 s here, most of it reading the history once into a dict of
pairs (`python -m bench.pairing`).
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, compress, islice, repeat
from operator import and_, eq, is_not, itemgetter
from typing import Any, NamedTuple, cast

MIN_GROUP_SIZE, MAX_GROUP_SIZE = 2, 4
DEFAULT_WINDOW = 12

# Weights of the objective's levels (see the module docstring).
FORBID = 10**24
REPEAT = 10**17
RECENCY = 10**10  # times (window - age): a repeat from last round costs the most
SAME_DEPARTMENT = 10**4
OVERSIZED = 1  # times the member's recent oversized groups, weighted by recency

LOOKAHEAD = 48  # candidates the construction looks at for each seat
SMALL = 400  # up to this many members: full neighbourhoods, restarts, the exact step
RESTARTS = 6
# Groups of 3 or 4 on small teams that still have repeats: iterated local search, with
# at most this much work (kicks times members), e.g. 400 kicks for 100 members.
KICK_WORK, MAX_KICKS = 40_000, 400
SAMPLES = 24  # swap partners tried per costly member on a large team
MAX_PASSES = 60
ODD_ALL, ODD_SAMPLE = 80, 24  # odd counts: extras tried in the exact step

History = Sequence[Sequence[Sequence[str]]]


class Member(NamedTuple):
    """One person to place (a tuple: 100,000 of them are made in a blink, unlike a
    frozen dataclass, whose every field is set through object.__setattr__)."""

    id: str
    department: str | None = None
    dont_pair: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Unplaced:
    id: str
    code: str  # "alone" | "all_excluded" | "no_compatible_group"
    reason: str


@dataclass
class Summary:
    repeats: int = 0
    repeats_rounds_ago: list[int] = field(default_factory=list)  # 1 = the last round
    same_department_pairs: int = 0
    cross_department_ratio: float | None = None  # among pairs where both have a department
    group_sizes: dict[int, int] = field(default_factory=dict)
    placed: int = 0
    unplaced: list[Unplaced] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "repeats": self.repeats,
            "repeats_rounds_ago": self.repeats_rounds_ago,
            "same_department_pairs": self.same_department_pairs,
            "cross_department_ratio": self.cross_department_ratio,
            "group_sizes": {str(size): n for size, n in sorted(self.group_sizes.items())},
            "placed": self.placed,
            "unplaced": [{"id": u.id, "code": u.code, "reason": u.reason} for u in self.unplaced],
        }


@dataclass
class PairingResult:
    groups: list[list[str]]
    unplaced: list[Unplaced]
    summary: Summary


def make_groups(
    members: Sequence[Member],
    history: History = (),
    *,
    group_size: int = 2,
    seed: int = 0,
    window: int = DEFAULT_WINDOW,
    prefer_cross_department: bool = False,
) -> PairingResult:
    """This round's groups; see the module docstring for the rules and the method."""
    if not MIN_GROUP_SIZE <= group_size <= MAX_GROUP_SIZE:
        raise ValueError(f"group size must be {MIN_GROUP_SIZE} to {MAX_GROUP_SIZE}")
    if window < 0:
        raise ValueError("window must be >= 0")
    ids = [m.id for m in members]
    if len(set(ids)) != len(ids):
        raise ValueError("member ids must be unique")
    recent = recent_rounds(history, window)
    problem = Problem.build(members, recent, window, prefer_cross_department)
    unplaced = problem.set_aside_excluded()
    groups = problem.solve(group_size, random.Random(seed))
    groups, more = problem.resolve_conflicts(groups)
    unplaced += more
    named = [[problem.ids[i] for i in g] for g in groups]
    summary = problem.summarize(groups)
    summary.unplaced = unplaced
    return PairingResult(named, unplaced, summary)


def parse_members(data: object) -> list[Member]:
    """Members from decoded JSON: [{"id": str, "department": str | null, "dont_pair": [str]}].

    One pass of plain checks per member; the first bad entry, in file order, is named."""
    if not isinstance(data, list):
        raise ValueError("members must be a JSON list of objects")
    members: list[Member] = []
    append = members.append
    seen: set[str] = set()
    add = seen.add
    empty: frozenset[str] = frozenset()
    for n, item in enumerate(data):
        member_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(member_id, str) or not member_id:
            raise ValueError(f'members[{n}] must be an object with a non-empty string "id"')
        department = item.get("department")
        dont_pair = item.get("dont_pair", _NO_IDS)
        if department is not None and not isinstance(department, str):
            raise ValueError(f'members[{n}] ("{member_id}"): "department" must be a string or null')
        if not isinstance(dont_pair, list) or not all(isinstance(x, str) for x in dont_pair):
            raise ValueError(f'members[{n}] ("{member_id}"): "dont_pair" must be a list of ids')
        if member_id in seen:
            raise ValueError(f'members[{n}]: id "{member_id}" appears twice')
        add(member_id)
        append(Member(member_id, department, frozenset(dont_pair) if dont_pair else empty))
    return members


def parse_history(data: object, members: Sequence[Member]) -> list[list[list[str]]]:
    """Past rounds from decoded JSON (oldest first; round = list of groups of ids).

    Every id must be a member: this is the strict, offline form for planning, where an
    unknown id is most likely a typo. (The bot passes departed members' ids freely.)
    Each round is checked whole, in C (types of its groups, types of its ids, the ids
    against the members); only a round that fails is walked group by group, to name
    the first bad group.
    """
    ids = {m.id for m in members}
    if not isinstance(data, list):
        raise ValueError("history must be a JSON list of rounds (oldest first)")
    for r, round_ in enumerate(data):
        if isinstance(round_, list) and set(map(type, round_)) <= _LIST:
            flat = list(chain.from_iterable(round_))
            if set(map(type, flat)) <= _STR and ids.issuperset(flat):
                continue  # every group a list of member ids
        _check_round(r, round_, ids)
    return cast(list[list[list[str]]], data)


_LIST, _STR = frozenset({list}), frozenset({str})
_NO_IDS: list[str] = []  # a missing "dont_pair" (only read, never changed)


def _check_round(r: int, round_: object, ids: set[str]) -> None:
    """The first problem of a round, group by group (the slow path, for the message)."""
    if not isinstance(round_, list):
        raise ValueError(f"history[{r}] must be a list of groups")
    for g, group in enumerate(round_):
        where = f"history[{r}][{g}]"
        if not isinstance(group, list) or not all(isinstance(x, str) for x in group):
            raise ValueError(f"{where} must be a list of member ids")
        unknown = [x for x in group if x not in ids]
        if unknown:
            one = len(unknown) == 1
            what = "an unknown member id" if one else "unknown member ids"  # i18n: not said
            raise ValueError(f"{where}: {what} {', '.join(unknown)}")


def recent_rounds(history: History, window: int) -> list[Sequence[Sequence[str]]]:
    """The last `window` rounds, most recent first (index = age)."""
    return list(reversed(history[max(0, len(history) - window) :])) if window else []


def evaluate(
    groups: Sequence[Sequence[str]],
    members: Sequence[Member],
    history: History,
    *,
    window: int = DEFAULT_WINDOW,
) -> Summary:
    """Repeats, their ages, departments and sizes of any grouping (also the baselines')."""
    problem = Problem.build(members, recent_rounds(history, window), window, True)
    index = {member_id: i for i, member_id in enumerate(problem.ids)}
    return problem.summarize([[index[x] for x in g] for g in groups])


def _pairs(group: Sequence[Any]) -> Iterable[tuple[Any, Any]]:
    for i in range(len(group)):
        for j in range(i + 1, len(group)):
            yield group[i], group[j]


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


@dataclass
class Flags:
    """Pairs inside a grouping (a[i], b[i] in group[i]) and what is wrong with them."""

    a: list[int] = field(default_factory=list)
    b: list[int] = field(default_factory=list)
    group: list[int] = field(default_factory=list)
    repeat_age: dict[int, int] = field(default_factory=dict)  # pair -> most recent age
    same_department: list[int] = field(default_factory=list)
    with_departments: int = 0
    forbidden: list[int] = field(default_factory=list)


class Problem:
    """Members as indexes, and the sparse pair costs between them."""

    def __init__(
        self,
        ids: list[str],
        departments: list[int],
        met: dict[tuple[str, str], int],
        forbid: dict[int, set[int]],
        oversized: list[int],
        window: int,
        cross: bool,
    ) -> None:
        self.ids, self.departments, self.met, self.forbid = ids, departments, met, forbid
        self.oversized, self.window, self.cross = oversized, window, cross
        self.active = list(range(len(ids)))

    @classmethod
    def build(
        cls,
        members: Sequence[Member],
        recent: list[Sequence[Sequence[str]]],
        window: int,
        prefer_cross_department: bool,
    ) -> Problem:
        ids = [m.id for m in members]
        index = {member_id: i for i, member_id in enumerate(ids)}
        oversized = [0] * len(ids)
        # (x, y) -> age of their latest meeting, in the order the history lists them;
        # oldest round first so that later meetings overwrite earlier ones. Touching each
        # history entry once, in C (dict.update over map), is most of the time at 100,000.
        met: dict[tuple[str, str], int] = {}
        for age in range(len(recent) - 1, -1, -1):
            round_ = recent[age]
            sizes = list(map(len, round_))
            if sizes.count(2) == len(sizes):
                met.update(zip(cast(Iterable[tuple[str, str]], map(tuple, round_)), repeat(age)))
                continue
            usual = Counter(sizes).most_common(1)[0][0]
            for group, size in zip(round_, sizes, strict=True):
                met.update(zip(_pairs(group), repeat(age)))
                if size > usual:
                    for i in cast(Iterable[int], filter(None.__ne__, map(index.get, group))):
                        oversized[i] += window - age
        forbid: dict[int, set[int]] = {}
        for a, member in enumerate(members):
            for other in member.dont_pair:
                b = index.get(other)
                if b is not None and b != a:
                    forbid.setdefault(a, set()).add(b)
                    forbid.setdefault(b, set()).add(a)
        names: dict[str, int] = {}
        departments = [
            -1 - i if m.department is None else names.setdefault(m.department, len(names))
            for i, m in enumerate(members)
        ]
        return cls(ids, departments, met, forbid, oversized, window, prefer_cross_department)

    def flagged_pairs(self, groups: Sequence[Sequence[int]]) -> Flags:
        """Every pair inside the groups, checked against all rounds at once (C-speed maps)."""
        flags = Flags()
        a_side, b_side, group_of = flags.a, flags.b, flags.group
        by_size: dict[int, list[int]] = {}
        for g, size in enumerate(map(len, groups)):
            by_size.setdefault(size, []).append(g)
        for size, numbers in by_size.items():
            same_size = list(map(groups.__getitem__, numbers))
            for i, j in _pairs(range(size)):  # column i against column j, in C
                a_side += map(itemgetter(i), same_size)
                b_side += map(itemgetter(j), same_size)
                group_of += numbers
        positions = range(len(a_side))
        ids = self.ids
        names_a = list(map(ids.__getitem__, a_side))
        names_b = list(map(ids.__getitem__, b_side))
        ages = self.met.get
        forward = list(map(ages, zip(names_a, names_b, strict=True)))
        backward = list(map(ages, zip(names_b, names_a, strict=True)))
        for side in (forward, backward):
            for i in compress(positions, map(is_not, side, repeat(None))):
                age, seen = flags.repeat_age.get(i), cast(int, side[i])  # not None: compressed
                flags.repeat_age[i] = seen if age is None else min(age, seen)
        depts = self.departments
        same = map(eq, map(depts.__getitem__, a_side), map(depts.__getitem__, b_side))
        flags.same_department = list(compress(positions, same))
        flags.with_departments = sum(
            map(and_, map((0).__le__, map(depts.__getitem__, a_side)),
                map((0).__le__, map(depts.__getitem__, b_side)))
        )  # fmt: skip
        forbid = self.forbid
        flags.forbidden = [
            i for i in positions if a_side[i] in forbid and b_side[i] in forbid[a_side[i]]
        ] if forbid else []  # fmt: skip
        return flags

    def summarize(self, groups: Sequence[Sequence[int]]) -> Summary:
        flags = self.flagged_pairs(groups)
        summary = Summary(group_sizes=dict(Counter(map(len, groups))))
        summary.placed = sum(map(len, groups))
        summary.repeats = len(flags.repeat_age)
        summary.repeats_rounds_ago = sorted(age + 1 for age in flags.repeat_age.values())
        summary.same_department_pairs = len(flags.same_department)
        if flags.with_departments:
            cross = flags.with_departments - summary.same_department_pairs
            summary.cross_department_ratio = round(cross / flags.with_departments, 4)
        return summary

    def costly_groups(self, groups: Sequence[Sequence[int]], k: int) -> list[int]:
        flags = self.flagged_pairs(groups)
        costly = {flags.group[i] for i in flags.repeat_age} | {
            flags.group[i] for i in flags.forbidden
        }
        if self.cross:
            costly |= {flags.group[i] for i in flags.same_department}
        costly |= {g for g, group in enumerate(groups) if len(group) > k}
        return sorted(costly)

    # --- costs -----------------------------------------------------------------------
    def conflict(self, a: int, b: int) -> int:
        """FORBID, the cost of a repeat (higher when more recent), or 0."""
        forbidden = self.forbid.get(a)
        if forbidden and b in forbidden:
            return FORBID
        x, y = self.ids[a], self.ids[b]
        ages = self.met
        age = ages.get((x, y))
        other = ages.get((y, x))
        if age is None or (other is not None and other < age):
            age = other
        return 0 if age is None else REPEAT + RECENCY * (self.window - age)

    def pair_cost(self, a: int, b: int) -> int:
        cost = self.conflict(a, b)
        if self.cross:
            d = self.departments[a]
            return cost + SAME_DEPARTMENT if d >= 0 and d == self.departments[b] else cost
        return cost

    def member_cost(self, a: int, others: Iterable[int], size: int, k: int) -> int:
        """What `a` adds to a group of `size` (including a) whose other members are `others`."""
        cost = sum(self.pair_cost(a, b) for b in others)
        return cost + OVERSIZED * self.oversized[a] if size > k else cost

    def group_cost(self, group: Sequence[int], k: int) -> int:
        if len(group) == 2:
            return self.pair_cost(group[0], group[1])
        cost = sum(self.pair_cost(a, b) for a, b in _pairs(group))
        if len(group) > k:
            cost += OVERSIZED * sum(self.oversized[a] for a in group)
        return cost

    def total(self, groups: Sequence[Sequence[int]], k: int) -> int:
        return sum(self.group_cost(g, k) for g in groups)

    # --- step 1: nobody who can never be placed -------------------------------------
    def set_aside_excluded(self) -> list[Unplaced]:
        """Whoever excludes (or is excluded by) every other member, then a lone member."""
        others = len(self.ids) - 1
        excluded = {a for a, forbidden in self.forbid.items() if len(forbidden) >= others}
        unplaced = [Unplaced(self.ids[a], "all_excluded", ALL_EXCLUDED) for a in sorted(excluded)]
        self.active = [a for a in self.active if a not in excluded]
        if len(self.active) == 1:
            unplaced.append(Unplaced(self.ids[self.active[0]], "alone", ALONE))
            self.active = []
        return unplaced

    # --- steps 2 to 4 -----------------------------------------------------------------
    def solve(self, k: int, rng: random.Random) -> list[list[int]]:
        people = self.active
        if not people:
            return []
        sizes = group_sizes(len(people), k)
        small = len(people) <= SMALL
        best: list[list[int]] = []
        best_cost = -1
        for _ in range(RESTARTS if small else 1):
            run_rng = random.Random(rng.getrandbits(64))
            groups = self.construct(people, sizes, k, run_rng)
            self.improve(groups, k, run_rng)
            cost = self.total(groups, k)
            if best_cost < 0 or cost < best_cost:
                best, best_cost = groups, cost
            if cost < REPEAT:
                break  # repeat-free: the rest is polish the search already did
        if k == 2 and small and best_cost >= REPEAT:
            exact = self.exact_pairs(people, sizes, rng)
            if exact is not None:
                self.improve(exact, k, rng)
                if self.total(exact, k) < best_cost:
                    best = exact
        elif small and best_cost >= REPEAT:
            best = self.kick(best, k, rng, min(MAX_KICKS, KICK_WORK // len(people)))
        return best

    def kick(
        self, best: list[list[int]], k: int, rng: random.Random, kicks: int
    ) -> list[list[int]]:
        """Iterated local search: swap two random members (one from a costly group),
        improve, keep the result when it costs no more; stop once repeat-free."""
        best_cost = self.total(best, k)
        for _ in range(kicks):
            if best_cost < REPEAT or len(best) < 2:
                break
            groups = [list(g) for g in best]
            costly = self.costly_groups(groups, k) or list(range(len(groups)))
            for _ in range(2):
                gi, gj = rng.choice(costly), rng.randrange(len(groups))
                if gi != gj:
                    i, j = rng.randrange(len(groups[gi])), rng.randrange(len(groups[gj]))
                    groups[gi][i], groups[gj][j] = groups[gj][j], groups[gi][i]
            self.improve(groups, k, rng)
            cost = self.total(groups, k)
            if cost <= best_cost:  # equal cost too: walking a plateau finds the way out
                best, best_cost = groups, cost
        return best

    def construct(
        self, people: list[int], sizes: list[int], k: int, rng: random.Random
    ) -> list[list[int]]:
        keys = [rng.random() for _ in people]  # a seeded permutation, faster than shuffle
        order = [people[i] for i in sorted(range(len(people)), key=keys.__getitem__)]
        if len(people) > SMALL:  # strangers almost surely: cut the order into groups
            cut = iter(order)
            return [list(islice(cut, size)) for size in sizes if size != k] + list(
                map(list, zip(*[cut] * k, strict=False))
            )
        taken = bytearray(len(self.ids))
        groups: list[list[int]] = []
        start = 0
        for size in sizes:
            while taken[order[start]]:
                start += 1
            group = [order[start]]
            taken[order[start]] = 1
            while len(group) < size:
                pick = self.cheapest_next(order, start, taken, group, size, k)
                taken[pick] = 1
                group.append(pick)
            groups.append(group)
        return groups

    def cheapest_next(
        self, order: list[int], start: int, taken: bytearray, group: list[int], size: int, k: int
    ) -> int:
        best, best_cost, seen = -1, -1, 0
        for j in range(start + 1, len(order)):
            b = order[j]
            if taken[b]:
                continue
            cost = self.member_cost(b, group, size, k)
            if cost == 0:
                return b
            if best_cost < 0 or cost < best_cost:
                best, best_cost = b, cost
            seen += 1
            if seen >= LOOKAHEAD:
                break
        return best

    def improve(self, groups: list[list[int]], k: int, rng: random.Random) -> None:
        """Best-improving swaps of costly members until a pass changes nothing."""
        where = {a: g for g, group in enumerate(groups) for a in group}
        everyone = list(where)
        small = len(everyone) <= SMALL
        dirty = self.costly_groups(groups, k)
        for _ in range(MAX_PASSES):
            costly = [
                a
                for g in dirty
                for a in groups[g]
                if self.member_cost(a, (b for b in groups[g] if b != a), len(groups[g]), k)
            ]
            if not costly:
                return
            rng.shuffle(costly)
            touched: set[int] = set()
            for a in costly:
                if small:
                    b = self.best_swap(a, everyone, groups, where, k)
                else:  # first improving of a few random partners: large teams have plenty
                    sample = (everyone[int(rng.random() * len(everyone))] for _ in range(SAMPLES))
                    b = self.best_swap(a, sample, groups, where, k, first=True)
                if b >= 0:
                    touched |= {where[a], where[b]}
            if not touched:
                return
            dirty = [g for g in touched | set(dirty) if self.group_cost(groups[g], k)]

    def best_swap(
        self,
        a: int,
        candidates: Iterable[int],
        groups: list[list[int]],
        where: dict[int, int],
        k: int,
        first: bool = False,
    ) -> int:
        """Swap `a` with the candidate that lowers the total most; that candidate, or -1."""
        ga = groups[where[a]]
        rest_a = [x for x in ga if x != a]
        here_a = self.member_cost(a, rest_a, len(ga), k)
        best_b, best_delta = -1, 0
        for b in candidates:
            gb = groups[where[b]]
            if gb is ga:
                continue
            rest_b = [x for x in gb if x != b]
            delta = (
                self.member_cost(b, rest_a, len(ga), k)
                + self.member_cost(a, rest_b, len(gb), k)
                - here_a
                - self.member_cost(b, rest_b, len(gb), k)
            )
            if delta < best_delta:
                best_b, best_delta = b, delta
                if first:
                    break
        if best_b >= 0:
            gb = groups[where[best_b]]
            ga[ga.index(a)], gb[gb.index(best_b)] = best_b, a
            where[a], where[best_b] = where[best_b], where[a]
        return best_b

    # --- step 4: exact fewest repeats for pairs on small teams -------------------------
    def exact_pairs(
        self, people: list[int], sizes: list[int], rng: random.Random
    ) -> list[list[int]] | None:
        if len(sizes) * 2 != len(people) and len(sizes) * 2 + 1 != len(people):
            return None  # not plain pairs (a tiny team)
        fresh: dict[int, list[int]] = {a: [] for a in people}
        for a, b in _pairs(people):
            if not self.conflict(a, b):
                fresh[a].append(b)
                fresh[b].append(a)
        base = max_matching(fresh, {})
        if len(people) % 2 == 0:
            return self.complete(base, people)
        # One person joins a pair as the third: try each (or, on larger teams, the
        # unmatched ones and a seeded sample), keeping the cheapest grouping.
        extras = [a for a in people if a not in base]
        if len(people) <= ODD_ALL:
            extras = people
        else:
            extras += rng.sample(people, ODD_SAMPLE)
        best: list[list[int]] | None = None
        best_cost = -1
        for extra in dict.fromkeys(extras):
            start = {a: b for a, b in base.items() if extra not in (a, b)}
            others = [a for a in people if a != extra]
            pairs = self.complete(max_matching(fresh, start, exclude=extra), others)
            host = min(pairs, key=partial(self.host_cost, extra))
            host.append(extra)
            cost = self.total(pairs, 2)
            if best_cost < 0 or cost < best_cost:
                best, best_cost = pairs, cost
        return best

    def complete(self, match: dict[int, int], people: list[int]) -> list[list[int]]:
        """Matched pairs, plus the unmatched paired among themselves, oldest repeats first."""
        pairs = [[a, b] for a, b in match.items() if a < b]
        left = [a for a in people if a not in match]
        while left:
            a = left.pop()
            b = min(left, key=partial(self.pair_cost, a))
            left.remove(b)
            pairs.append([a, b])
        return pairs

    # --- step 5: don't-pair conflicts the lists made unavoidable ----------------------
    def resolve_conflicts(self, groups: list[list[int]]) -> tuple[list[list[int]], list[Unplaced]]:
        homeless: list[int] = []
        restricted = self.forbid.keys()
        for group in (g for g in groups if not restricted.isdisjoint(g)):
            while len(group) > 1 and self.group_cost(group, 99) >= FORBID:
                worst = max(group, key=partial(self.forbidden_by, group))
                group.remove(worst)
                homeless.append(worst)
        kept = [g for g in groups if len(g) > 1]
        homeless += [g[0] for g in groups if len(g) == 1]
        unplaced: list[Unplaced] = []
        for a in homeless:
            hosts = [g for g in kept if self.forbidden_in(a, g) == 0]
            if hosts:
                min(hosts, key=partial(self.fit_for, a)).append(a)
            else:
                unplaced.append(Unplaced(self.ids[a], "no_compatible_group", NO_GROUP))
        return kept, unplaced

    def host_cost(self, extra: int, pair: list[int]) -> int:
        """What joining this pair costs the member left over (odd counts)."""
        return self.member_cost(extra, pair, 3, 2)

    def forbidden_by(self, group: Sequence[int], a: int) -> int:
        return self.forbidden_in(a, group)

    def fit_for(self, a: int, group: list[int]) -> tuple[int, int]:
        """How well a homeless member fits a group: the smaller and cheaper, the better."""
        return len(group), self.member_cost(a, group, 99, 99)

    def forbidden_in(self, a: int, group: Sequence[int]) -> int:
        forbidden = self.forbid.get(a, ())
        return sum(1 for b in group if b in forbidden)


# Why someone was not placed, in `mentorbot pair`'s JSON output (data for tools: the bot
# tells a member in their own language, rounds.UNPLACED_TEXT).
ALONE = "nobody else is taking part in this round"  # i18n: not said
ALL_EXCLUDED = (
    "every other member is on their don't-pair list, or has them on theirs"  # i18n: not said
)
NO_GROUP = (
    "every group has someone on their don't-pair list (or who has them on theirs)"  # i18n: not said
)


def group_sizes(n: int, k: int) -> list[int]:
    """n // k groups of k, the n % k leftovers joining distinct groups (see the docstring)."""
    if n < 2:
        return []
    groups, leftovers = divmod(n, k)
    if leftovers <= groups:
        return [k + 1] * leftovers + [k] * (groups - leftovers)
    groups += 1
    base, extra = divmod(n, groups)
    return [base + 1] * extra + [base] * (groups - extra)


def max_matching(
    adjacency: dict[int, list[int]], start: dict[int, int], exclude: int | None = None
) -> dict[int, int]:
    """Maximum cardinality matching of a general graph (Edmonds' blossoms), from `start`.

    `adjacency` maps each vertex to its neighbours (symmetric); `start` is a valid
    matching (vertex -> partner, both directions) to grow; `exclude` is a vertex to
    treat as absent. Returns the same shape as `start`. A free vertex with no
    augmenting path now never gets one later, so one pass over the free ones is enough.
    """
    match = dict(start)
    for root in adjacency:
        if root not in match and root != exclude:
            end, parent = _augmenting_path(adjacency, match, root, exclude)
            while end is not None:  # flip the path's edges
                prev = parent[end]
                nxt = match.get(prev)
                match[end], match[prev] = prev, end
                end = nxt
    return match


def _augmenting_path(
    adjacency: dict[int, list[int]], match: dict[int, int], root: int, exclude: int | None
) -> tuple[int | None, dict[int, int]]:
    parent: dict[int, int] = {}
    base = {v: v for v in adjacency}
    used = {root}
    queue = deque([root])

    def lca(a: int, b: int) -> int:
        seen = set()
        while True:
            a = base[a]
            seen.add(a)
            if a not in match:
                break
            a = parent[match[a]]
        while True:
            b = base[b]
            if b in seen:
                return b
            b = parent[match[b]]

    def mark(v: int, b: int, child: int, blossom: set[int]) -> None:
        while base[v] != b:
            blossom.add(base[v])
            blossom.add(base[match[v]])
            parent[v] = child
            child = match[v]
            v = parent[match[v]]

    while queue:
        v = queue.popleft()
        for to in adjacency[v]:
            if to == exclude or base[v] == base[to] or match.get(v) == to:
                continue
            if to == root or (to in match and match[to] in parent):
                top = lca(v, to)
                blossom: set[int] = set()
                mark(v, top, to, blossom)
                mark(to, top, v, blossom)
                for i in adjacency:
                    if base[i] in blossom:
                        base[i] = top
                        if i not in used:
                            used.add(i)
                            queue.append(i)
            elif to not in parent:
                parent[to] = v
                if to not in match:
                    return to, parent
                used.add(match[to])
                queue.append(match[to])
    return None, parent


def draw_lottery(
    eligible: Sequence[str],
    wins: dict[str, int],
    winners: int,
    seed: int,
    dont_pair: dict[str, frozenset[str]] | None = None,
    recent: dict[str, frozenset[str]] | None = None,
) -> list[str]:
    """This round's lottery winners: fewest past wins first, ties broken by the seed.

    Nobody wins twice before everyone eligible has won once (in a stable pool): a member
    with more wins is only taken when nobody with fewer is left. Winners meet each other
    too, so a candidate in a don't-pair conflict with one already drawn is skipped, and
    among equally due candidates one who met no drawn winner recently (`recent`: each
    member's partners within the history window) goes first.
    """
    rng = random.Random(seed)
    order = sorted(eligible, key=lambda m: (wins.get(m, 0), rng.random()))
    rules, met = dont_pair or {}, recent or {}
    drawn: list[str] = []
    while len(drawn) < winners:
        open_ = [m for m in order if not any(_excludes(rules, m, d) for d in drawn)]
        open_ = [m for m in open_ if m not in drawn]
        if not open_:
            break
        level = wins.get(open_[0], 0)
        due = [m for m in open_ if wins.get(m, 0) == level]
        fresh = [m for m in due if not any(_excludes(met, m, d) for d in drawn)]
        drawn.append((fresh or due)[0])
    return drawn


def _excludes(rules: dict[str, frozenset[str]], a: str, b: str) -> bool:
    return b in rules.get(a, frozenset()) or a in rules.get(b, frozenset())
