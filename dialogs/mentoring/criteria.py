"""Who the matching reads and what each criterion means for one pair, in plain Python:
people and weights from their JSON, and a pair's criteria with the reasons in plain
words. `matching.py` scores every pair at once (numpy) by the same rules and solves the
assignment; its docstring is the contract. This module loads nothing heavy, so commands
can name criteria and parse weights without loading numpy, scipy or HiGHS.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, TypeGuard

from dialogs.core import i18n
from dialogs.core.words import plural

_ = i18n.catalog(__package__)
N_ = i18n.N_

CRITERIA = (
    "skills",
    "goals",
    "interests",
    "experience",
    "languages",
    "timezone",
    "meeting_format",
    "cross_department",
)
# Skills weigh most by default; 10 is kept for must-haves. Cross-department is off until
# a program prefers it (then it sets a weight, e.g. 3).
DEFAULT_WEIGHTS: dict[str, float] = {
    "skills": 8,
    "goals": 5,
    "interests": 3,
    "experience": 4,
    "languages": 5,
    "timezone": 4,
    "meeting_format": 3,
    "cross_department": 0,
}
MAX_WEIGHT = MUST_HAVE = 10
CAPACITY_RANGE = (1, 5)
DEFAULT_CAPACITY = 2
FORMATS = ("video", "in_person", "chat", "any")
SIDES = {"mentors": ("mentor", "both"), "mentees": ("mentee", "both")}

# Where each criterion reaches its full score (see the formulas in the module docstring).
SKILLS_ENOUGH = 3  # wanted skills the mentor offers
GOALS_ENOUGH = 3  # shared goal words
INTERESTS_ENOUGH = 2  # shared interests
EXPERIENCE_FULL_GAP = 3.0  # years (or levels) more than the mentee
WORKDAY_HOURS = 8.0  # time zones this far apart share no working hours

_STOPWORDS = """
    a about after also am an and any as at be become becoming been being better but by can
    could do doing for from get getting go going good grow growing have help how i im in into
    is it its just learn learning like make me more my myself new next of on one or our out
    over really role so some someone that the their them then there these they this to up us
    want wants way we well what when where which who will with work working would year years
    you your
"""  # i18n: not said
STOPWORDS = frozenset(_STOPWORDS.split())  # filler words of goals texts
_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*")

# Meeting formats: the same, or either side open to any, fits; two remote formats half fit.
FORMAT_FIT = (  # video, in_person, chat, any
    (1.0, 0.0, 0.5, 1.0),
    (0.0, 1.0, 0.0, 1.0),
    (0.5, 0.0, 1.0, 1.0),
    (1.0, 1.0, 1.0, 1.0),
)
IN_PERSON = FORMATS.index("in_person")


@dataclass(frozen=True)
class Person:
    """A mentor or mentee: the profile fields the matching reads."""

    id: str
    name: str
    skills_offer: tuple[str, ...] = ()
    skills_want: tuple[str, ...] = ()
    goals: str = ""
    interests: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    department: str | None = None
    location: str | None = None
    timezone: str | None = None  # IANA name
    meeting_format: str = "any"
    seniority: float | None = None  # years of experience or a level number
    manager_id: str | None = None
    capacity: int = 0  # mentors: most mentees at once; 0 for mentees


def parse_people(
    data: object, side: str, *, default_capacity: int = DEFAULT_CAPACITY
) -> list[Person]:
    """Mentors or mentees (`side` = "mentors" | "mentees") from decoded JSON.

    A list of profile objects as the bot exports them, plus "id", "name" and optionally
    "seniority", "manager_id" and, for mentors, "capacity" (else "max_mentees", else
    `default_capacity`). Fields the matching does not read are ignored.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}")
    _check_capacity(default_capacity, "the default capacity")  # i18n: not said (the CLI's)
    if not isinstance(data, list):
        raise ValueError(f"{side} must be a JSON list of profile objects")
    people: list[Person] = []
    seen: set[str] = set()
    for n, item in enumerate(data):
        person = _Reader(item, side, n).person(default_capacity)
        if person.id in seen:
            raise ValueError(f'{side}[{n}]: id "{person.id}" appears twice')
        seen.add(person.id)
        people.append(person)
    return people


def parse_weights(data: object) -> dict[str, float]:
    """Criterion weights from decoded JSON, e.g. {"skills": 10, "cross_department": 3}.

    Criteria left out keep their default (`DEFAULT_WEIGHTS`); 10 means must-have.
    """
    weights = {name: float(weight) for name, weight in DEFAULT_WEIGHTS.items()}
    if data is None:
        return weights
    # Said to admins too (`/program weights`, in their language), after "weights: ": the
    # setting's name in the CLI's JSON, which the bot leaves out.
    if not isinstance(data, Mapping):
        raise ValueError("weights must be a JSON object of criterion: weight (0 to 10)")
    for name, value in data.items():
        if name not in DEFAULT_WEIGHTS:
            known = ", ".join(CRITERIA)
            unknown = _('unknown criterion "{name}"; known: {known}', name=name, known=known)
            raise ValueError(f"weights: {unknown}")
        if not _is_number(value) or not 0 <= value <= MAX_WEIGHT:
            wrong = _(
                '"{name}" must be a number from 0 to 10 (got {value})', name=name, value=repr(value)
            )
            raise ValueError(f"weights: {wrong}")
        weights[name] = float(value)
    if not any(weights.values()):
        raise ValueError("weights: " + _("at least one criterion needs a weight above 0"))
    return weights


class _Reader:
    """Reads one profile object, naming the person and the field in every error (the
    CLI's files: its errors are in English, like the JSON they are about)."""

    def __init__(self, item: object, side: str, n: int) -> None:
        where = f"{side}[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise ValueError(f'{where} must be an object with a non-empty string "id"')
        self.item, self.side, self.where = item, side, f'{where} ("{item["id"]}")'

    def person(self, default_capacity: int) -> Person:
        self._check_role()
        return Person(
            id=self.item["id"],
            name=self.text("name") or self.item["id"],
            skills_offer=self.items("skills_offer"),
            skills_want=self.items("skills_want"),
            goals=self.text("goals") or "",
            interests=self.items("interests"),
            languages=self.items("languages"),
            department=self.text("department"),
            location=self.text("location"),
            timezone=self.zone(),
            meeting_format=self.meeting_format(),
            seniority=self.seniority(),
            manager_id=self.text("manager_id"),
            capacity=self.capacity(default_capacity) if self.side == "mentors" else 0,
        )

    def fail(self, name: str, message: str) -> ValueError:
        return ValueError(f'{self.where}: "{name}" {message}')

    def _check_role(self) -> None:
        role = self.item.get("role")
        if role is not None and role not in SIDES[self.side]:
            allowed = " or ".join(SIDES[self.side])
            wrong = f"must be {allowed} in the {self.side} file (got {role!r})"  # i18n: not said
            raise self.fail("role", wrong)

    def text(self, name: str) -> str | None:
        value = self.item.get(name)
        if value is not None and not isinstance(value, str):
            raise self.fail(name, f"must be text or null (got {value!r})")  # i18n: not said
        if value is None:
            return None
        return " ".join(value.split()) or None  # blank counts as not given

    def items(self, name: str) -> tuple[str, ...]:
        value = self.item.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise self.fail(name, "must be a list of text items")  # i18n: not said
        return _distinct(" ".join(x.split()) for x in value)

    def zone(self) -> str | None:
        name = self.text("timezone")
        if name is not None and name not in _known_zones():
            wrong = f"must be an IANA time zone such as Europe/Berlin ({name!r})"  # i18n: not said
            raise self.fail("timezone", wrong)
        return name

    def meeting_format(self) -> str:
        value = self.item.get("meeting_format")
        if value is None:
            return "any"
        if value not in FORMATS:
            wrong = f"must be one of {', '.join(FORMATS)} ({value!r})"  # i18n: not said
            raise self.fail("meeting_format", wrong)
        return str(value)

    def seniority(self) -> float | None:
        value = self.item.get("seniority")
        if value is not None and (not _is_number(value) or value < 0):
            wrong = f"must be a number of years or a level, 0 or more ({value!r})"  # i18n: not said
            raise self.fail("seniority", wrong)
        return None if value is None else float(value)

    def capacity(self, default: int) -> int:
        name = "capacity" if self.item.get("capacity") is not None else "max_mentees"
        value = self.item.get(name)
        if value is None:
            return default
        return _check_capacity(value, f'{self.where}: "{name}"')


def _check_capacity(value: object, what: str) -> int:
    low, high = CAPACITY_RANGE
    if _is_number(value) and float(value).is_integer() and low <= value <= high:
        return int(value)
    raise ValueError(f"{what} must be a whole number from {low} to {high} (got {value!r})")


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int in Python, and JSON may carry inf or nan from non-standard writers.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _distinct(items: Iterable[str]) -> tuple[str, ...]:
    """Non-empty items, first spelling kept, duplicates (ignoring case) dropped."""
    seen: dict[str, str] = {}
    for item in items:
        if item and _key(item) not in seen:
            seen[_key(item)] = item
    return tuple(seen.values())


@lru_cache(maxsize=1 << 16)
def _key(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    # ZoneInfo keeps only 8 zones strongly; reading a zone file again is slow.
    return zoneinfo.ZoneInfo(name)


@lru_cache(maxsize=1 << 14)
def goal_words(text: str) -> dict[str, str]:
    """Meaningful words of a goals text: stem -> the word as first written (lower case).

    Cached (goals texts repeat for every pair explained): treat the result as read-only.
    """
    words: dict[str, str] = {}
    for word in _WORD.findall(text.casefold()):
        if word not in STOPWORDS and not word.isdigit():
            words.setdefault(_stem(word), word)
    return words


@lru_cache(maxsize=1 << 14)
def _stem(word: str) -> str:
    # Plurals only: "leaders" meets "leader"; anything cleverer would surprise people.
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _utc_offset_hours(zone: str | None, at: datetime) -> float:
    if zone is None:
        return math.nan
    offset = at.astimezone(_zone(zone)).utcoffset()
    return math.nan if offset is None else offset.total_seconds() / 3600


def _check_instant(at: datetime) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be a timezone-aware datetime (the instant for UTC offsets)")


# --- Explaining one pair ------------------------------------------------------------
# Each criterion is written twice: on whole matrices (matching.py, numpy, for scoring
# every pair) and here on one pair (plain sets, to name the shared things in the
# explanation). The tests check that the two agree.


# Below its floor a criterion counts in the score but is never offered as a reason: "7
# hours apart" or one shared goal word says nothing to a person. A shared skill, interest
# or language is concrete, so one is enough.
REASON_FLOOR = {
    "skills": 0.3,  # one of the (up to three) skills the mentee wants
    "goals": 0.6,  # two of three goal words: the goals are alike
    "interests": 0.5,
    "experience": 0.5,  # at least 1.5 more years
    "languages": 1.0,
    "timezone": 0.75,  # at most 2 hours apart: working days overlap almost fully
    "meeting_format": 0.5,
    "cross_department": 1.0,
}
READERS = ("mentee", "mentor", "admin")


@dataclass(frozen=True)
class Criterion:
    """One criterion of one pair: its score (0 to 1) and, when above 0, what it found
    (`facts`, plain JSON) and its words for the mentee (`reason`). `words()` says the
    same to the mentor or an admin."""

    name: str
    score: float
    facts: dict[str, Any]

    @property
    def reason(self) -> str:
        return reason_words(self.facts, "mentee") if self.facts else ""

    @property
    def offered(self) -> bool:
        """Strong enough to be named as a reason for the match."""
        return bool(self.facts) and self.score >= REASON_FLOOR[self.name]


class _Pair:
    """One mentee and one mentor, for the plain-set versions of the criteria."""

    def __init__(self, mentee: Person, mentor: Person, offsets: Callable[[str | None], float]):
        self.mentee, self.mentor, self.offset = mentee, mentor, offsets

    def facts(self, criterion: str, **found: Any) -> dict[str, Any]:
        return {"c": criterion, "mentor": self.mentor.name, "mentee": self.mentee.name} | found

    def skills(self) -> tuple[float, dict[str, Any]]:
        shared = _shared_items(self.mentor.skills_offer, self.mentee.skills_want)
        if not shared:
            return 0.0, {}
        score = min(1.0, len(shared) / max(1, min(len(self.mentee.skills_want), SKILLS_ENOUGH)))
        return score, self.facts("skills", items=shared)

    def goals(self) -> tuple[float, dict[str, Any]]:
        mine, theirs = goal_words(self.mentee.goals), goal_words(self.mentor.goals)
        shared = [word for stem, word in mine.items() if stem in theirs]
        if not shared:
            return 0.0, {}
        score = min(1.0, len(shared) / max(1, min(len(mine), len(theirs), GOALS_ENOUGH)))
        return score, self.facts("goals")

    def interests(self) -> tuple[float, dict[str, Any]]:
        mine, theirs = self.mentee.interests, self.mentor.interests
        shared = _shared_items(mine, theirs)
        if not shared:
            return 0.0, {}
        score = min(1.0, len(shared) / max(1, min(len(mine), len(theirs), INTERESTS_ENOUGH)))
        return score, self.facts("interests", items=shared)

    def experience(self) -> tuple[float, dict[str, Any]]:
        theirs, mine = self.mentor.seniority, self.mentee.seniority
        if theirs is None or mine is None or theirs <= mine:
            return 0.0, {}
        score = min(1.0, (theirs - mine) / EXPERIENCE_FULL_GAP)
        return score, self.facts("experience", more=theirs - mine)

    def languages(self) -> tuple[float, dict[str, Any]]:
        shared = _shared_items(self.mentee.languages, self.mentor.languages)
        return (1.0, self.facts("languages", items=shared)) if shared else (0.0, {})

    def timezone(self) -> tuple[float, dict[str, Any]]:
        apart = abs(self.offset(self.mentee.timezone) - self.offset(self.mentor.timezone))
        apart = min(apart, 24 - apart)
        if math.isnan(apart) or apart >= WORKDAY_HOURS:
            return 0.0, {}
        return 1 - apart / WORKDAY_HOURS, self.facts("timezone", hours=apart)

    def meeting_format(self) -> tuple[float, dict[str, Any]]:
        mine, theirs = self.mentee.meeting_format, self.mentor.meeting_format
        places = _key(self.mentee.location or ""), _key(self.mentor.location or "")
        elsewhere = all(places) and places[0] != places[1]
        fit = FORMAT_FIT[FORMATS.index(mine)][FORMATS.index(theirs)]
        if fit == 0 or ("in_person" in (mine, theirs) and elsewhere):
            return 0.0, {}
        return fit, self.facts("meeting_format", mentee_format=mine, mentor_format=theirs)

    def cross_department(self) -> tuple[float, dict[str, Any]]:
        mine, theirs = self.mentee.department, self.mentor.department
        if not mine or not theirs or _key(mine) == _key(theirs):
            return 0.0, {}
        return 1.0, self.facts("cross_department", mentee_department=mine, mentor_department=theirs)


# The words of a meeting format, translated where they are said (`_format`).
FORMAT_WORDS = {
    "video": N_("video calls"),
    "in_person": N_("meeting in person"),
    "chat": N_("chat"),
}


def reason_words(facts: Any, reader: str) -> str:
    """One reason in plain words for its reader: "mentee" (about the mentor), "mentor"
    (about the mentee) or "admin" (about both): "Ana offers public speaking, which you
    want to grow" / "Chidi wants to grow public speaking, which you offer" / "Ana can help
    Chidi with public speaking". A reason stored as text (before reasons had facts) was
    written for the mentee: only the mentee and admins read it. In the language in force
    (the reader's)."""
    if reader not in READERS:
        raise ValueError(f"reader must be one of {', '.join(READERS)}")
    if isinstance(facts, str):
        return facts if reader != "mentor" else ""
    if not isinstance(facts, dict) or facts.get("c") not in _WORDS:
        return ""
    return _WORDS[facts["c"]](facts, reader, facts.get("mentor", ""), facts.get("mentee", ""))


def _skills_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    names = {"items": _and(f["items"]), "mentor": mentor, "mentee": mentee}
    if reader == "mentee":
        return _("{mentor} offers {items}, which you want to grow", **names)
    if reader == "mentor":
        return _("{mentee} wants to grow {items}, which you offer", **names)
    return _("{mentor} can help {mentee} with {items}", **names)


def _goals_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    if reader == "mentee":
        return _("your goals are much like {mentor}'s", mentor=mentor)
    if reader == "mentor":
        return _("{mentee}'s goals are much like yours", mentee=mentee)
    return _("their goals are much alike")


# Shared interests and languages, to the pair ("you both ...") or to an admin ("both ...").
_SHARED = {
    "interests": (N_("you both enjoy {items}"), N_("both enjoy {items}")),
    "languages": (N_("you both speak {items}"), N_("both speak {items}")),
}


def _shared_words(criterion: str) -> Callable[[dict[str, Any], str, str, str], str]:
    def words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
        to_pair, to_admin = _SHARED[criterion]
        message = to_admin if reader == "admin" else to_pair
        return _(message, items=_and(f["items"]))

    return words


def _experience_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    more = float(f["more"])
    names = {"n": _decimal(more), "mentor": mentor, "mentee": mentee}
    if reader == "mentee":
        return _.ngettext(
            "{mentor} has {n} more year of experience than you",
            "{mentor} has {n} more years of experience than you",
            _count(more),
            **names,
        )
    if reader == "mentor":
        return _.ngettext(
            "you have {n} more year of experience than {mentee}",
            "you have {n} more years of experience than {mentee}",
            _count(more),
            **names,
        )
    return _.ngettext(
        "{mentor} has {n} more year of experience than {mentee}",
        "{mentor} has {n} more years of experience than {mentee}",
        _count(more),
        **names,
    )


def _timezone_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    hours = float(f["hours"])
    if not hours:
        return _("you're in the same time zone") if reader != "admin" else _("same time zone")
    apart = _.ngettext("{n} hour apart", "{n} hours apart", _count(hours), n=_decimal(hours))
    if hours > WORKDAY_HOURS * (1 - REASON_FLOOR["timezone"]):
        return apart  # true, but never offered as a reason (below the floor)
    if reader != "admin":
        return _("your working days overlap almost fully ({apart})", apart=apart)
    return _("their working days overlap almost fully ({apart})", apart=apart)


def _format(key: str) -> str:
    return _(FORMAT_WORDS[key]) if key in FORMAT_WORDS else key


def _format_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    mentee_wants, mentor_wants = f["mentee_format"], f["mentor_format"]
    if reader == "mentor":  # the same sentence, seen from the other side
        mentor, mentee = mentee, mentor
        mentee_wants, mentor_wants = mentor_wants, mentee_wants
    if reader == "admin":
        return _format_words_about(mentor, mentee, mentor_wants, mentee_wants)
    if mentee_wants == mentor_wants:
        if mentee_wants == "any":
            return _("you are both open to any meeting format")
        return _("you both prefer {format}", format=_format(mentee_wants))
    if mentor_wants == "any":
        return _("{name} is happy with {format}", name=mentor, format=_format(mentee_wants))
    if mentee_wants == "any":
        return _("you are happy with {format}", format=_format(mentor_wants))
    return _(
        "you can both meet remotely ({one} or {other})",
        one=_format(mentee_wants),
        other=_format(mentor_wants),
    )


def _format_words_about(mentor: str, mentee: str, mentor_wants: str, mentee_wants: str) -> str:
    if mentee_wants == mentor_wants:
        if mentee_wants == "any":
            return _("both are open to any meeting format")
        return _("both prefer {format}", format=_format(mentee_wants))
    if "any" in (mentor_wants, mentee_wants):
        fixed = mentee_wants if mentor_wants == "any" else mentor_wants
        return _("both are happy with {format}", format=_format(fixed))
    return _(
        "both can meet remotely ({one} or {other})",
        one=_format(mentee_wants),
        other=_format(mentor_wants),
    )


def _department_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    if reader == "mentee":
        return _(
            "a fresh view from another department ({department})",
            department=f["mentor_department"],
        )
    if reader == "mentor":
        return _(
            "a fresh view from another department ({mentee} works in {department})",
            mentee=mentee,
            department=f["mentee_department"],
        )
    return _(
        "across departments ({mentor_department} and {mentee_department})",
        mentor_department=f["mentor_department"],
        mentee_department=f["mentee_department"],
    )


_WORDS: dict[str, Callable[[dict[str, Any], str, str, str], str]] = {
    "skills": _skills_words,
    "goals": _goals_words,
    "interests": _shared_words("interests"),
    "experience": _experience_words,
    "languages": _shared_words("languages"),
    "timezone": _timezone_words,
    "meeting_format": _format_words,
    "cross_department": _department_words,
}


def _decimal(value: float) -> str:
    """Years or hours: "2", "1.5" (English as `:g` writes them), "1,5" in German."""
    if i18n.current() == i18n.SOURCE:
        return f"{value:g}"
    return i18n.number(value)


def _count(value: float) -> int:
    """The count that picks a plural form for `value` (a fraction reads as many)."""
    return int(value) if value.is_integer() else 2


def explain_pair(
    mentor: Person, mentee: Person, weights: Mapping[str, float] | None = None, *, at: datetime
) -> list[Criterion]:
    """The pair's criteria with a weight above 0, the strongest contribution first.

    Each criterion's `reason` is addressed to the mentee, naming the mentor; `offered()`
    keeps the ones worth saying (see `REASON_FLOOR`). Plain sets, so it also checks the
    whole-matrix scores (the tests compare the two).
    """
    _check_instant(at)
    return _criteria(_Pair(mentee, mentor, _offsets(at)), parse_weights(weights))


def offered(criteria: Sequence[Criterion], limit: int = 3) -> list[dict[str, Any]]:
    """The facts of the strongest reasons worth saying, at most `limit`."""
    return [c.facts for c in criteria if c.offered][:limit]


def _criteria(pair: _Pair, weights: Mapping[str, float]) -> list[Criterion]:
    found = [Criterion(name, *getattr(pair, name)()) for name in CRITERIA if weights[name] > 0]
    # sorted() is stable: equal contributions keep the order of CRITERIA.
    return sorted(found, key=lambda c: -weights[c.name] * c.score)


def _offsets(at: datetime) -> Callable[[str | None], float]:
    """UTC offsets in hours at the instant `at`, each zone looked up once."""

    @cache
    def offset(zone: str | None) -> float:
        return _utc_offset_hours(zone, at)

    return offset


def _and(items: Sequence[str], limit: int = 3) -> str:
    """Items in plain words: "a", "a and b", "a, b and c", "a, b, c and 2 more"."""
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(_.ngettext("{n} more", "{n} more", len(items) - limit))
    return _listed(shown, "and")


def _listed(items: list[str], word: str) -> str:
    """Items joined with "and" or "or" in the language in force: "a, b and c" in English
    (as the code always wrote it), "a, b und c", "a、b、c" through Babel otherwise."""
    if len(items) == 1:
        return items[0]
    if i18n.current() == i18n.SOURCE:
        return f"{', '.join(items[:-1])} {word} {items[-1]}"
    from babel.lists import format_list

    if word == "or":
        return str(format_list(items, style="or", locale=i18n.current()))
    return str(format_list(items, style="standard", locale=i18n.current()))


def _shared_items(mine: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Items of `mine` (in my spelling and order) that `theirs` has too, ignoring case."""
    keys = _keys(tuple(theirs))
    return [x for x in mine if _key(x) in keys]


# --- Why nobody was matched ---------------------------------------------------------
# Per mentor, the caller says what keeps the pair apart ("full", "before", "nothing" or
# "must:<criterion>"); `why_unmatched` picks the one reason worth telling the mentee, and
# `unmatched_words` says it to the mentee or to an admin.

_PROFILE_FIELD = {
    "skills": ("skills_want", N_("skills you want to grow")),
    "goals": ("goals", N_("goals")),
    "interests": ("interests", N_("interests")),
    "languages": ("languages", N_("languages")),
    "timezone": ("timezone", N_("time zone")),
    "experience": ("seniority", N_("years of experience")),
    "cross_department": ("department", N_("department")),
    "meeting_format": ("meeting_format", N_("meeting format")),
}


def why_unmatched(mentee: Person, causes: Sequence[str]) -> dict[str, Any]:
    """The reason a mentee has no mentor, as facts: the mentors who fit are full, or were
    asked before, or a must-have rules every mentor out, or nothing is in common."""
    counts = Counter(causes)
    for cause in ("full", "before"):
        if counts[cause]:
            return {"c": cause, "n": counts[cause], "mentee": mentee.name}
    if not causes:
        return {"c": "no_mentors", "mentee": mentee.name}
    musts = [(n, c) for c, n in counts.items() if c.startswith("must:")]
    if not musts:
        return {"c": "nothing", "mentee": mentee.name}
    criterion = max(musts)[1].removeprefix("must:")
    attribute = _PROFILE_FIELD[criterion][0]
    value = getattr(mentee, attribute)
    have: list[str] = (
        list(value) if isinstance(value, tuple) else ([] if value is None else [str(value)])
    )
    if criterion == "goals":
        have = list(goal_words(mentee.goals).values())
    return {"c": "must", "criterion": criterion, "have": have[:3], "mentee": mentee.name}


def unmatched_words(facts: Any, reader: str) -> str:
    """A `why_unmatched` reason for the mentee ("you") or an admin (naming the mentee),
    in the language in force (the reader's)."""
    if not isinstance(facts, dict):
        return str(facts or "")
    name = str(facts.get("mentee") or _("them"))
    to_mentee = reader == "mentee"
    kind = facts.get("c")
    if kind == "no_mentors":
        return _("no mentors have enrolled yet")
    if kind in ("full", "before"):
        n = int(facts.get("n", 1))
        values = {"n": _spelled(n), "name": name}
        if kind == "full" and to_mentee:
            return _.ngettext(
                "the mentor who fits you is full",
                "the {n} mentors who fit you are full",
                n,
                **values,
            )
        if kind == "full":
            return _.ngettext(
                "the mentor who fits {name} is full",
                "the {n} mentors who fit {name} are full",
                n,
                **values,
            )
        if to_mentee:
            return _.ngettext(
                "the mentor who fits you has been asked already",
                "the {n} mentors who fit you have been asked already",
                n,
                **values,
            )
        return _.ngettext(
            "the mentor who fits {name} has been asked already",
            "the {n} mentors who fit {name} have been asked already",
            n,
            **values,
        )
    if kind == "must":
        return _must_words(facts["criterion"], facts.get("have") or [], name, to_mentee)
    if to_mentee:
        return _("no mentor has anything in common with your profile yet")
    return _("no mentor has anything in common with {name}'s profile yet", name=name)


def _spelled(n: int) -> str:
    """A small count as English spells it ("two mentors"), digits in other languages."""
    if i18n.current() == i18n.SOURCE:
        return plural(n, "mentor", spell=True).partition(" ")[0]
    return i18n.number(n)


# Why a must-have rules every mentor out: criterion -> (to the mentee, to an admin).
_MUST = {
    "skills": (
        N_("no mentor offers {either}, which the program requires"),
        N_("no mentor offers {either}, which the program requires"),
    ),
    "languages": (
        N_("no mentor speaks {either}, which the program requires"),
        N_("no mentor speaks {either}, which the program requires"),
    ),
    "interests": (
        N_("no mentor shares an interest with you ({either}), which the program requires"),
        N_("no mentor shares an interest with {name} ({either}), which the program requires"),
    ),
    "goals": (
        N_("no mentor's goals are like your, which the program requires"),
        N_("no mentor's goals are like {name}'s, which the program requires"),
    ),
    "experience": (
        N_("no mentor has more experience than you, which the program requires"),
        N_("no mentor has more experience than {name}, which the program requires"),
    ),
    "timezone": (
        N_("no mentor's working day overlaps with your, which the program requires"),
        N_("no mentor's working day overlaps with {name}'s, which the program requires"),
    ),
    "meeting_format": (
        N_("no mentor can meet the way you prefer ({format}), which the program requires"),
        N_("no mentor can meet the way {name} prefers ({format}), which the program requires"),
    ),
    "cross_department": (
        N_(
            "every mentor works in your department ({either}), and the program asks for another one"
        ),
        N_(
            "every mentor works in {name}'s department ({either}), and the program asks for "
            "another one"
        ),
    ),
}


def _must_words(criterion: str, have: list[str], name: str, to_mentee: bool) -> str:
    if not have:
        field_words = _(_PROFILE_FIELD[criterion][1])
        if to_mentee:
            return _("your profile has no {field}, which the program requires", field=field_words)
        return _(
            "{name}'s profile has no {field}, which the program requires",
            name=name,
            field=field_words,
        )
    to_them, to_admin = _MUST[criterion]
    return _(
        to_them if to_mentee else to_admin,
        name=name,
        either=_listed(have, "or"),
        format=_format(have[0]),
    )


@lru_cache(maxsize=1 << 14)
def _keys(items: tuple[str, ...]) -> frozenset[str]:
    return frozenset(map(_key, items))
