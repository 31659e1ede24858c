"""Which icebreaker question a team gets next: pure, deterministic, no I/O.

A team works through *cycles*: within one cycle no question repeats; a new cycle starts
only when every enabled question (the team's own and the bank's turned-on categories)
was used in the current one. Inside a cycle the team's own questions come first, in the
order they were added; then the bank in an order shuffled per team and cycle (a hash of
the seed, cycle and id, so every replica and every retry picks the same), preferring a
category other than last time's, so two weeks in a row rarely feel alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    key: str  # bank id ("fun-07") or a team question ("c12")
    category: str
    custom: bool = False
    order: int = 0  # custom questions: when they were added (smaller first)


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    cycle: int


def pick(
    candidates: Sequence[Candidate],
    used: Collection[str],
    cycle: int,
    seed: int,
    last: Candidate | None = None,
) -> Pick | None:
    """The next question. `used`: keys already posted in `cycle`; `last`: the previous post."""
    if not candidates:
        return None
    fresh = [c for c in candidates if c.key not in used]
    if not fresh:  # everything enabled was used: a new cycle, but not last week's again
        cycle += 1
        fresh = [c for c in candidates if last is None or c.key != last.key] or list(candidates)
    custom = sorted((c for c in fresh if c.custom), key=lambda c: (c.order, c.key))
    if custom:
        return Pick(custom[0], cycle)
    ordered = sorted(fresh, key=lambda c: _shuffle_key(seed, cycle, c.key))
    other = [c for c in ordered if last is None or c.category != last.category]
    return Pick((other or ordered)[0], cycle)


def _shuffle_key(seed: int, cycle: int, key: str) -> bytes:
    # hashlib, not hash(): str hashes differ between processes.
    return hashlib.sha256(f"{seed}:{cycle}:{key}".encode()).digest()
