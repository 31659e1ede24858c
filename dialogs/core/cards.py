"""Adaptive Cards: JSON templates kept beside each feature (`dialogs/<feature>/cards/`),
read as package data and filled by one function.

A string that is exactly "${name}" is replaced by the value itself (any JSON type);
"${name}" inside a longer string is replaced by str(value). Objects whose "$when"
names a false value are dropped, so optional parts of a card stay in the template.
A *part* is a template for a piece of a card (a repeated block), filled the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from dialogs.core import i18n

_ = i18n.catalog(__package__)

CARD_VERSION = "1.5"
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
SUMMARY_CHARS = 120
_MARKUP = re.compile(r"[*_`#>]+|\[([^\]]*)\]\([^)]*\)")


class Cards:
    """The card templates of one feature package, e.g. Cards("dialogs.coffee")."""

    def __init__(self, package: str) -> None:
        self.package = package

    def render(self, name: str, /, **values: Any) -> dict[str, Any]:
        card = self.part(name, **values)
        card.setdefault("version", CARD_VERSION)
        return card

    def part(self, name: str, /, **values: Any) -> dict[str, Any]:
        filled = _filler(self.package, name, i18n.current())(values)
        assert isinstance(filled, dict)
        return filled


def summary(card: dict[str, Any]) -> str:
    """What a notification shows for a card sent without text: its first line of text
    (markdown dropped, one line, cut short), else "Mentorbot sent a card"."""
    text = _first_text(card.get("body") or [])
    line = " ".join(_MARKUP.sub(lambda m: m.group(1) or "", text or "").split())
    if not line:
        return _("Mentorbot sent a card")
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1].rstrip() + "…"


def _first_text(node: Any) -> str | None:
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            return str(node["text"])
        children = [v for k, v in node.items() if k in ("items", "columns", "body")]
        return _first_text(children)
    if isinstance(node, list):
        for item in node:
            found = _first_text(item)
            if found:
                return found
    return None


@cache
def template(package: str, name: str) -> dict[str, Any]:
    text = (resources.files(package) / "cards" / f"{name}.json").read_text("utf-8")
    loaded = json.loads(text)
    assert isinstance(loaded, dict), f"{package}/cards/{name}.json is not a JSON object"
    return loaded


Filler = Callable[[dict[str, Any]], Any]


# The card properties people read: what the catalogs hold of a card (infra/catalogs.py
# extracts the same ones), translated once per language when the template is compiled.
TEXT_KEYS = frozenset(
    {"text", "title", "label", "placeholder", "errorMessage", "altText", "fallbackText"}
)


def texts(node: Any) -> list[str]:
    """Every translatable string of a card template, in order (a placeholder alone,
    "${name}", is filled by the code and is not one)."""
    found: list[str] = []
    _walk(node, found.append)
    return found


def translated(node: Any, translate: Callable[[str], str]) -> Any:
    """A copy of the template with its people-read strings translated."""
    if isinstance(node, dict):
        return {
            k: (translate(v) if k in TEXT_KEYS and _readable(v) else translated(v, translate))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [translated(item, translate) for item in node]
    return node


def _walk(node: Any, found: Callable[[str], None]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in TEXT_KEYS and _readable(v):
                found(v)
            else:
                _walk(v, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


def _readable(value: Any) -> bool:
    """Words of the template's own (not only placeholders and markup)."""
    return isinstance(value, str) and any(c.isalpha() for c in _PLACEHOLDER.sub("", value))


@cache
def _filler(package: str, name: str, language: str) -> Filler:
    """The template compiled once into a function of the values (a round renders
    thousands of cards): every object and list of the card is new, strings without a
    placeholder are used as they are, and nothing of the template is ever handed out.
    One per language: the template's strings in that language first (its package's
    catalog; the ${...} placeholders stay as they are in the translation)."""
    card = template(package, name)
    if language != i18n.SOURCE:
        words = i18n.catalog(package)
        card = translated(card, lambda text: words.in_language(language, text))
    return _compile(card)


def _compile(node: Any) -> Filler:
    if isinstance(node, dict):
        return _compile_object(node)
    if isinstance(node, list):
        items = [_compile(item) for item in node]
        return lambda values: [v for v in (f(values) for f in items) if v is not _DROP]
    if isinstance(node, str):
        return _compile_text(node)
    return lambda _values: node  # numbers, booleans, null: immutable


def _compile_object(node: dict[str, Any]) -> Filler:
    conditional, when = "$when" in node, str(node.get("$when"))
    fields = [(k, _compile(v)) for k, v in node.items() if k != "$when"]

    def fill(values: dict[str, Any]) -> Any:
        if conditional and not values.get(when):
            return _DROP
        out = {}
        for k, f in fields:
            v = f(values)
            if v is not _DROP:
                out[k] = v
        return out

    return fill


def _compile_text(text: str) -> Filler:
    whole = _PLACEHOLDER.fullmatch(text)
    if whole:
        name = whole.group(1)
        return lambda values: values[name]
    if _PLACEHOLDER.search(text) is None:
        return lambda _values: text
    return lambda values: _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


_DROP = object()
