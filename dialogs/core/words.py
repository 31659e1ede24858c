"""Counts and lists in plain words, ONE place: "1 proposal", "2 proposals", "two mentors",
"Ana, Ben and Chidi". Every message that counts something says it through `plural`, so
nobody reads "proposal(s)"."""

from __future__ import annotations

from collections.abc import Sequence

_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_IRREGULAR = {"person": "people", "activity": "activities", "reply": "replies"}


def plural(count: int, word: str, many: str | None = None, *, spell: bool = False) -> str:
    """`count` and the word in the right number: plural(1, "hour") -> "1 hour",
    plural(3, "hour") -> "3 hours", plural(2, "mentor", spell=True) -> "two mentors".
    `many` is the plural when it is not the word plus "s" (or a known irregular one)."""
    form = word if count == 1 else (many or _IRREGULAR.get(word) or _plural_of(word))
    shown = _SMALL[count] if spell and 0 <= count < len(_SMALL) else str(count)
    return f"{shown} {form}"


def _plural_of(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def is_are(count: int) -> str:
    return "is" if count == 1 else "are"


def and_list(items: Sequence[str], limit: int = 0) -> str:
    """Items joined as a person writes them: "a", "a and b", "a, b and c"; with `limit`,
    the rest counted: "a, b and 2 more"."""
    shown = list(items[:limit] if limit else items)
    if limit and len(items) > limit:
        shown.append(f"{len(items) - limit} more")
    if not shown:
        return ""
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
