"""Checks for what a card submit (or a typed option) carries: a card is no trust boundary.

Each check takes the raw value and either returns a clean one or raises `FormError` with
a message that names what was wrong and reads after the field's label ("must be text",
"is 1,001 characters; at most 1,000 fit"). Features put the label in front and collect
the messages, so a form with several problems is answered once, and nothing is saved.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from dialogs.core import i18n

_ = i18n.catalog(__package__)
MAX_ID = 2**31 - 1  # database ids are INTEGER columns
# A typed message longer than this is refused before it is parsed (the longest thing
# anyone types to the bot, a question or a goal with its options, is a few hundred).
MAX_MESSAGE_CHARS = 4000
# NUL and the other C0 controls but tab, newline and carriage return, and DEL: nobody
# types them, PostgreSQL refuses NUL where SQLite stores it, and logs would carry them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormError(ValueError):
    """A value that cannot be used; the message reads after the field's label."""


def has_control_characters(value: str) -> bool:
    """The one rule for characters nobody types (both databases then store the same)."""
    return _CONTROL.search(value) is not None


def control_characters_in(value: Any) -> bool:
    """Whether any string in a submitted value (dicts and lists walked) has them."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if has_control_characters(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def text(raw: Any, limit: int, *, one_line: bool = False) -> str:
    """Text of at most `limit` characters (None is empty), trimmed; `one_line` also
    folds runs of whitespace into single spaces."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise FormError(_("must be text"))
    if has_control_characters(raw):
        raise FormError(_("contains control characters (such as a NUL byte)"))
    cleaned = " ".join(raw.split()) if one_line else raw.strip()
    if len(cleaned) > limit:
        raise FormError(
            _(
                "is {length} characters; at most {limit} fit",
                length=i18n.number(len(cleaned)),
                limit=i18n.number(limit),
            )
        )
    return cleaned


def text_or_problem(raw: Any, limit: int, label: str, problems: list[str]) -> str:
    """`text()` for a form that reports every problem at once: on a bad value, add
    "<label> <what is wrong>" to `problems` and return ""."""
    try:
        return text(raw, limit)
    except FormError as exc:
        problems.append(_("{label} {problem}", label=label, problem=exc))
        return ""


def whole(raw: Any) -> int | None:
    """A whole number from a number or its text ("3", 3, 3.0), else None (never a bool,
    a fraction, inf or nan)."""
    if isinstance(raw, bool):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def whole_in(raw: Any, low: int, high: int) -> int:
    number = whole(raw)
    if number is None or not low <= number <= high:
        shown = _("nothing") if raw in (None, "") else repr(raw)
        raise FormError(
            _(
                "must be a whole number from {low} to {high} (you entered {shown})",
                low=low,
                high=high,
                shown=shown,
            )
        )
    return number


def row_id(raw: Any) -> int | None:
    """A row id a card sent back, or None when it can't be one: a bool, a fraction, a
    negative or a number too big for an INTEGER column is no id."""
    digits = raw.strip() if isinstance(raw, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) < 12:
        raw = int(digits)
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return raw if 0 < raw <= MAX_ID else None


def iso_date(raw: Any) -> date | None:
    """A date written YYYY-MM-DD (as Input.Date sends it), else None."""
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def items(raw: Any, max_items: int, max_length: int) -> list[str]:
    """A comma-separated list (or a JSON list): items trimmed, duplicates dropped
    ignoring case, the first spelling kept."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, list):
        raw = ",".join(str(v) for v in raw)
    if not isinstance(raw, str):
        raise FormError(_("must be a comma-separated list"))
    found: dict[str, str] = {}
    for part in raw.split(","):
        item = " ".join(part.split())
        if item:
            found.setdefault(item.lower(), item)
    if len(found) > max_items:
        raise FormError(
            _(
                "takes at most {limit} items, separated by commas (you gave {count})",
                limit=max_items,
                count=len(found),
            )
        )
    if any(len(item) > max_length for item in found.values()):
        raise FormError(_("takes items of at most {limit} characters each", limit=max_length))
    return list(found.values())


def choice(raw: Any, allowed: dict[str, str]) -> str:
    """One of the allowed keys (ignoring case and spaces around it)."""
    if isinstance(raw, str) and raw.strip().lower() in allowed:
        return raw.strip().lower()
    options = ", ".join(f"{key} ({label})" for key, label in allowed.items())
    shown = _("nothing") if raw in (None, "") else repr(raw)
    raise FormError(_("must be one of {options}; you sent {shown}", options=options, shown=shown))


def flag(raw: Any) -> bool | None:
    """A toggle's value: True/False or "true"/"false"; None for anything else."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None
