"""Mentorbot in the reader's language: message catalogs, the language in force, and
dates, times and numbers written the way that language writes them.

English is the source: every message is written in English in the code, marked for the
catalogs, and looked up in the reader's language when it is said. Each feature package
(and dialogs.core, bot, manifest) has its own catalog in `<package>/locale/<lang>/
LC_MESSAGES/messages.po`, compiled to `messages.mo` beside it (`python infra/catalogs.py
compile`), so a feature keeps its words with its code and its cards.

In a module:

    from dialogs.core.i18n import catalog
    _ = catalog(__package__)
    ...
    turn.say(_("You are paired with {name}.", name=partner))
    turn.say(_.ngettext("One goal is open.", "{n} goals are open.", count))

`_()` formats with str.format after the look-up, so a translation may move the
placeholders; `N_()` only marks a message for the catalogs (a constant translated where
it is said: `_(CONSTANT)`). The language in force is a context variable: a turn speaks
the sender's (dialogs/core/dispatch.py), and code that writes to someone else says
`with speaking(language):` around what it builds for them, so one proactive message to a
German and a French user is rendered once per recipient.

Catalogs are read once per language and package (stdlib gettext on the compiled file);
English needs no file. Babel (dates, numbers, weekday names) is imported on first use,
and never for English, whose forms stay exactly what the code writes.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from typing import Any, Literal

log = logging.getLogger(__name__)

SOURCE = "en"
# Each language in its own name, as the language command and the profile card list them.
LANGUAGES: Mapping[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "ja": "日本語",
}
DOMAIN = "messages"
# The packages with a catalog of their own (`<package>/locale/`); a module uses the one
# of the nearest package listed (bot/graph/ -> bot). infra/catalogs.py extracts each.
DOMAINS = (
    "dialogs.core",
    "dialogs.account",
    "dialogs.coffee",
    "dialogs.icebreakers",
    "dialogs.mentoring",
    "dialogs.goals",
    "dialogs.feedback",
    "dialogs.dashboard",
    "dialogs.directory",
    "bot",
    "bot.tab",
    "manifest",
)

Width = Literal["abbreviated", "narrow", "short", "wide"]
_current: ContextVar[str] = ContextVar("mentorbot_language", default=SOURCE)


def supported(tag: str | None) -> str | None:
    """The language Mentorbot writes for a tag ("de-DE", "de_AT", "DE", "ja-JP"), or None
    when it writes none of that language."""
    if not tag:
        return None
    base = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def pick(*tags: str | None) -> str:
    """The first tag of a language Mentorbot writes, else English: the order of the
    candidates is the order of preference (see dialogs/core/people.py `language_of`)."""
    for tag in tags:
        found = supported(tag)
        if found is not None:
            return found
    return SOURCE


def current() -> str:
    return _current.get()


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Everything said inside is in `language` (a supported code, or a tag `pick` reads);
    the language before is back afterwards."""
    chosen = pick(language)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def switch(language: str | None) -> None:
    """`language` for the rest of this turn (a person just chose it): the `speaking`
    block the turn runs in (dialogs/core/dispatch.py) puts the one before back."""
    _current.set(pick(language))


def N_(message: str) -> str:
    """Marks `message` for the catalogs without translating it (a constant)."""
    return message


class Catalog:
    """One domain's messages: `_(message, **values)`, `_.ngettext(singular, plural, n)`."""

    def __init__(self, package: str) -> None:
        self.package = domain_of(package)

    def __call__(self, message: str, /, **values: Any) -> str:
        language = _current.get()
        text = (
            message
            if language == SOURCE
            else _translations(self.package, language).gettext(message)
        )
        return _format(text, message, values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        """The form for `count` in the language in force; `{n}` is the count unless
        `values` names it otherwise."""
        language = _current.get()
        if language == SOURCE:
            text = singular if count == 1 else plural
        else:
            text = _translations(self.package, language).ngettext(singular, plural, count)
        values.setdefault("n", count)
        return _format(text, singular if count == 1 else plural, values)

    def in_language(self, language: str, message: str, /, **values: Any) -> str:
        with speaking(language):
            return self(message, **values)


def domain_of(package: str) -> str:
    """The catalog a package's modules use: the longest listed domain it is part of."""
    found = [d for d in DOMAINS if package == d or package.startswith(d + ".")]
    if not found:
        raise ValueError(f"{package} is in no catalog domain: add it to i18n.DOMAINS")
    return max(found, key=len)


@cache
def catalog(package: str | None) -> Catalog:
    if not package:
        raise ValueError("catalog() needs the package (use __package__)")
    return Catalog(package)


def _format(text: str, source: str, values: Mapping[str, Any]) -> str:
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        # A translation naming a placeholder the code does not pass (the catalogs' test
        # catches it first): the English, not a crash in the middle of a turn.
        log.warning("translation of %r does not format; English used", source)
        return source.format(**values)


@cache
def _translations(package: str, language: str) -> gettext.NullTranslations:
    """The compiled catalog of one package and language, read once (NullTranslations,
    i.e. English, when the package has none for that language)."""
    path = resources.files(package) / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    except (FileNotFoundError, NotADirectoryError):
        return gettext.NullTranslations()


# --- dates, times, numbers -------------------------------------------------------------

# The strftime patterns the messages use, and the CLDR skeleton that says the same in
# another language (Babel picks each language's own order, words and punctuation).
# "full" is the language's full date ("Montag, 1. März 2027"); "full+Hm" adds the time,
# joined the language's way. The patterns are code, not words (`# i18n: not said`).
SKELETONS: Mapping[str, str] = {
    "%A %d %B %Y": "full",  # i18n: not said
    "%A %d %B %Y at %H:%M": "full+Hm",  # i18n: not said
    "%A %d %B": "MMMMEEEEd",  # i18n: not said
    "%d %b %Y": "yMMMd",  # i18n: not said
    "%Y-%m-%d": "yMMMd",  # ISO in English, the language's own date elsewhere; i18n: not said
    "%d %b": "MMMd",
    "%b %Y": "yMMM",
    "%a %d %b, %H:%M": "MMMEd+Hm",  # i18n: not said
    "%H:%M": "Hm",
    "%A": "weekday",  # the weekday alone, in full
}


def when(value: date | datetime | time, pattern: str) -> str:
    """`value` written as `pattern` says in English ("%d %b %Y" -> "03 Mar 2027"), or in
    the language in force the same parts in that language's way ("3. März 2027")."""
    if pattern not in SKELETONS:
        raise ValueError(f"no skeleton for {pattern!r}: add it to SKELETONS")
    language = _current.get()
    if language == SOURCE:
        return value.strftime(pattern)
    from babel.dates import format_skeleton

    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        moment = datetime.combine(date(2000, 1, 3), value)
    zone, skeleton = moment.tzinfo, SKELETONS[pattern]
    if skeleton == "weekday":
        return weekday_name(moment.weekday())
    day_part, _plus, time_part = skeleton.partition("+")
    if day_part == "full":
        from babel.dates import format_date

        day = str(format_date(moment, "full", locale=language))
    else:
        day = str(format_skeleton(day_part, moment, tzinfo=zone, locale=language))
    if not time_part:
        return day
    from babel.dates import get_datetime_format

    hour = str(format_skeleton(time_part, moment, tzinfo=zone, locale=language))
    joined = str(get_datetime_format("long" if day_part == "full" else "medium", locale=language))
    return joined.replace("{1}", day).replace("{0}", hour)


def weekday_name(index: int, width: Width = "wide") -> str:
    """Monday is 0: "Monday" in English, "Montag", "lunes", "lundi", "月曜日"."""
    language = _current.get()
    if language == SOURCE:
        name = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        return name[index] if width == "wide" else name[index][:3]
    return _day_names(language, width)[index]


@cache
def _day_names(language: str, width: Width) -> tuple[str, ...]:
    from babel.dates import get_day_names

    names = get_day_names(width, locale=language)
    return tuple(str(names[i]) for i in range(7))


def number(value: int | float, decimals: int | None = None) -> str:
    """12,345 in English, 12.345 in German, 12 345 in French, 12,345 in Japanese."""
    language = _current.get()
    if language == SOURCE:
        return f"{value:,.{decimals}f}" if decimals is not None else f"{value:,}"
    from babel.numbers import format_decimal

    if decimals is not None:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(value, format=pattern, locale=language))
    return str(format_decimal(value, locale=language))


def percent(value: float, decimals: int = 0) -> str:
    """A share 0..1 as "42%" in English, "42 %" in German and French, "42%" in Japanese."""
    language = _current.get()
    if language == SOURCE:
        return f"{value * 100:.{decimals}f}%"
    from babel.numbers import format_percent

    if not decimals:
        return str(format_percent(value, locale=language))
    return str(format_percent(value, format="#,##0." + "0" * decimals + "%", locale=language))


@cache
def weekdays_by_name() -> Mapping[str, int]:
    """Every language's weekday names and abbreviations, lower-cased -> 0 (Monday)..6,
    for reading `day=montag`, `day=lunes`, `day=lundi`, `day=月曜日` (and `day=月`)."""
    from babel.dates import get_day_names

    names: dict[str, int] = {}
    for language in LANGUAGES:
        for width in ("wide", "abbreviated", "short"):
            for index, name in get_day_names(width, locale=language).items():
                key = str(name).lower().rstrip(".")
                names.setdefault(key, index)
    return names
