"""rapidfuzz replaced difflib for command suggestions and near-duplicate questions (it is
C, and suggestions run on the event loop): the answers stay the same, checked here
against the difflib versions on every built-in question pair and on thousands of
mistyped commands."""

from __future__ import annotations

import difflib
import itertools
import random
import string

from dialogs.icebreakers import bank
from dialogs.icebreakers.bank import QUESTIONS, near_duplicate, topic_words
from dialogs.routes import build_table


def difflib_near_duplicate(a: str, b: str) -> bool:
    """The check as it was written with difflib."""

    def close(word: str, candidates: set[str]) -> str | None:
        if len(word) < 5:
            return None
        for other in sorted(candidates):
            if len(other) >= 5 and difflib.SequenceMatcher(None, word, other).ratio() >= 0.8:
                return other
        return None

    wa, wb = set(topic_words(a)), set(topic_words(b))
    left, common = set(wb), 0
    for word in sorted(wa):
        match = word if word in left else close(word, left)
        if match is not None:
            left.discard(match)
            common += 1
    union = len(wa) + len(wb) - common
    jaccard = common / union if union else 1.0
    ratio = difflib.SequenceMatcher(
        None, " ".join(topic_words(a)), " ".join(topic_words(b))
    ).ratio()
    return jaccard >= bank.JACCARD_LIMIT or ratio >= bank.RATIO_LIMIT


def difflib_suggest(text: str) -> str | None:
    """Command suggestion as it was written with difflib."""
    table = build_table()
    stripped = text.strip().replace("\u2019", "'")
    slash = stripped.startswith("/")
    words = [w.lower() for w in stripped.lstrip("/").split()]
    best, best_score = None, 0.0
    for command in table.commands:
        typed = ("/" if slash else "") + " ".join(words[: len(command.words)])
        score = difflib.SequenceMatcher(None, typed, command.name).ratio()
        if score > best_score:
            best, best_score = command, score
    return best.name if best and best_score >= 0.6 else None


def typos(name: str, rng: random.Random) -> list[str]:
    """Every single deletion, substitution, insertion and swap of a command name."""
    found = []
    for i in range(len(name)):
        found.append(name[:i] + name[i + 1 :])
        found.append(name[:i] + rng.choice(string.ascii_lowercase) + name[i + 1 :])
        found.append(name[:i] + rng.choice(string.ascii_lowercase) + name[i:])
        if i + 1 < len(name):
            found.append(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
    return [*found, f"{name} with more words", name.upper(), f"  {name}  "]


def test_near_duplicates_answer_as_before_on_every_bank_pair():
    pairs = list(itertools.combinations([q.text for q in QUESTIONS], 2))
    pairs += [
        ("What's your favourite book?", "What is your favorite book?"),
        ("What did you learn this week?", "What did you learn this month?"),
        ("Which tool saves you time?", "What's the best holiday you had?"),
    ]
    assert [near_duplicate(a, b) for a, b in pairs] == [
        difflib_near_duplicate(a, b) for a, b in pairs
    ]
    assert near_duplicate(*pairs[-3]) and not near_duplicate(*pairs[-1])


def test_suggestions_answer_as_before_on_every_single_typo_of_every_command():
    table, rng = build_table(), random.Random(7)
    corpus = [t for c in table.commands for t in typos(c.name, rng)]
    assert len(corpus) > 2500
    assert [table.suggest(t) for t in corpus] == [difflib_suggest(t) for t in corpus]


def test_a_long_message_is_suggested_for_quickly():
    table = build_table()
    assert table.suggest("x" * 500_000) is None
    assert table.suggest("profle " + "y" * 100_000) == "profile"
