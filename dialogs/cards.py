"""Adaptive Cards: JSON templates in dialogs/cards/, filled by one function.

A string that is exactly "${name}" is replaced by the value itself (any JSON type);
"${name}" inside a longer string is replaced by str(value). Objects whose "$when"
names a false value are dropped, so optional parts of a card stay in the template.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from importlib import resources
from typing import Any

CARD_VERSION = "1.5"
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@cache
def _template(name: str) -> dict[str, Any]:
    text = (resources.files("dialogs") / "cards" / f"{name}.json").read_text("utf-8")
    return json.loads(text)


def render(name: str, **values: Any) -> dict[str, Any]:
    card = _fill(copy.deepcopy(_template(name)), values)
    card.setdefault("version", CARD_VERSION)
    return card


def _fill(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$when" in node and not values.get(node["$when"]):
            return _DROP
        return {
            k: v
            for k, v in ((k, _fill(v, values)) for k, v in node.items() if k != "$when")
            if v is not _DROP
        }
    if isinstance(node, list):
        return [v for v in (_fill(item, values) for item in node) if v is not _DROP]
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), node)
    return node


_DROP = object()


MAX_ID = 2**31 - 1  # database ids are INTEGER columns


def card_id(raw: Any) -> int | None:
    """A row id a card sent back, or None when it can't be one (never trust the card:
    a bool, a fraction, a negative or an id too big for the column is no id)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    return raw if isinstance(raw, int) and 0 < raw <= MAX_ID else None
