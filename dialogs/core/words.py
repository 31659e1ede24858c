"""Counts and lists in plain words, ONE place: "1 proposal", "2 proposals", "two mentors",
"Ana, Ben and Chidi". Every message that counts something says it through `plural`, so
nobody reads "proposal(s)"."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.core import i18n

_ = i18n.catalog(__package__)

_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_IRREGULAR = {"person": "people", "activity": "activities", "reply": "replies"}


def plural(count: int, word: str, many: str | None = None, *, spell: bool = False) -> str:
    """`count` and the word in the right number: plural(1, "hour") -> "1 hour",
    plural(3, "hour") -> "3 hours", plural(2, "mentor", spell=True) -> "two mentors".
    `many` is the plural when it is not the word plus "s" (or a known irregular one).
    English only: a message said in the reader's language counts with `_.ngettext`."""
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
        shown.append(_.ngettext("{n} more", "{n} more", len(items) - limit))
    if not shown:
        return ""
    if len(shown) == 1:
        return shown[0]
    return _("{names} and {last}", names=", ".join(shown[:-1]), last=shown[-1])
