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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import TypeGuard

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
"""
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
    _check_capacity(default_capacity, "the default capacity")
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
    if not isinstance(data, Mapping):
        raise ValueError("weights must be a JSON object of criterion: weight (0 to 10)")
    for name, value in data.items():
        if name not in DEFAULT_WEIGHTS:
            raise ValueError(f'weights: unknown criterion "{name}"; known: {", ".join(CRITERIA)}')
        if not _is_number(value) or not 0 <= value <= MAX_WEIGHT:
            raise ValueError(f'weights: "{name}" must be a number from 0 to 10 (got {value!r})')
        weights[name] = float(value)
    if not any(weights.values()):
        raise ValueError("weights: at least one criterion needs a weight above 0")
    return weights


class _Reader:
    """Reads one profile object, naming the person and the field in every error."""

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
            raise self.fail("role", f"must be {allowed} in the {self.side} file (got {role!r})")

    def text(self, name: str) -> str | None:
        value = self.item.get(name)
        if value is not None and not isinstance(value, str):
            raise self.fail(name, f"must be text or null (got {value!r})")
        if value is None:
            return None
        return " ".join(value.split()) or None  # blank counts as not given

    def items(self, name: str) -> tuple[str, ...]:
        value = self.item.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise self.fail(name, "must be a list of text items")
        return _distinct(" ".join(x.split()) for x in value)

    def zone(self) -> str | None:
        name = self.text("timezone")
        if name is not None and name not in _known_zones():
            raise self.fail(
                "timezone", f"must be an IANA time zone such as Europe/Berlin ({name!r})"
            )
        return name

    def meeting_format(self) -> str:
        value = self.item.get("meeting_format")
        if value is None:
            return "any"
        if value not in FORMATS:
            raise self.fail("meeting_format", f"must be one of {', '.join(FORMATS)} ({value!r})")
        return str(value)

    def seniority(self) -> float | None:
        value = self.item.get("seniority")
        if value is not None and (not _is_number(value) or value < 0):
            raise self.fail(
                "seniority", f"must be a number of years or a level, 0 or more ({value!r})"
            )
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


@dataclass(frozen=True)
class Criterion:
    """One criterion of one pair: its score (0 to 1) and, when above 0, why, in plain words."""

    name: str
    score: float
    reason: str


class _Pair:
    """One mentee and one mentor, for the plain-set versions of the criteria."""

    def __init__(self, mentee: Person, mentor: Person, offsets: Callable[[str | None], float]):
        self.mentee, self.mentor, self.offset = mentee, mentor, offsets

    def skills(self) -> tuple[float, str]:
        shared = _shared_items(self.mentor.skills_offer, self.mentee.skills_want)
        if not shared:
            return 0.0, ""
        score = min(1.0, len(shared) / max(1, min(len(self.mentee.skills_want), SKILLS_ENOUGH)))
        return score, f"{self.mentor.name} offers {_and(shared)}, which you want to grow"

    def goals(self) -> tuple[float, str]:
        mine, theirs = goal_words(self.mentee.goals), goal_words(self.mentor.goals)
        shared = [word for stem, word in mine.items() if stem in theirs]
        if not shared:
            return 0.0, ""
        score = min(1.0, len(shared) / max(1, min(len(mine), len(theirs), GOALS_ENOUGH)))
        return score, f"your goals both mention {_and(shared)}"

    def interests(self) -> tuple[float, str]:
        mine, theirs = self.mentee.interests, self.mentor.interests
        shared = _shared_items(mine, theirs)
        if not shared:
            return 0.0, ""
        score = min(1.0, len(shared) / max(1, min(len(mine), len(theirs), INTERESTS_ENOUGH)))
        return score, f"you both enjoy {_and(shared)}"

    def experience(self) -> tuple[float, str]:
        theirs, mine = self.mentor.seniority, self.mentee.seniority
        if theirs is None or mine is None or theirs <= mine:
            return 0.0, ""
        score = min(1.0, (theirs - mine) / EXPERIENCE_FULL_GAP)
        return score, f"{self.mentor.name} is more senior ({theirs:g} against your {mine:g})"

    def languages(self) -> tuple[float, str]:
        shared = _shared_items(self.mentee.languages, self.mentor.languages)
        return (1.0, f"you both speak {_and(shared)}") if shared else (0.0, "")

    def timezone(self) -> tuple[float, str]:
        apart = abs(self.offset(self.mentee.timezone) - self.offset(self.mentor.timezone))
        apart = min(apart, 24 - apart)
        if math.isnan(apart) or apart >= WORKDAY_HOURS:
            return 0.0, ""
        hours = (
            f"{apart:g} hour{'' if apart == 1 else 's'} apart" if apart else "no time difference"
        )
        return 1 - apart / WORKDAY_HOURS, hours

    def meeting_format(self) -> tuple[float, str]:
        mine, theirs = self.mentee.meeting_format, self.mentor.meeting_format
        places = _key(self.mentee.location or ""), _key(self.mentor.location or "")
        elsewhere = all(places) and places[0] != places[1]
        fit = FORMAT_FIT[FORMATS.index(mine)][FORMATS.index(theirs)]
        if fit == 0 or ("in_person" in (mine, theirs) and elsewhere):
            return 0.0, ""
        return fit, _format_words(mine, theirs, self.mentor.name)

    def cross_department(self) -> tuple[float, str]:
        mine, theirs = self.mentee.department, self.mentor.department
        if not mine or not theirs or _key(mine) == _key(theirs):
            return 0.0, ""
        return 1.0, f"a fresh view from another department ({theirs})"


FORMAT_WORDS = {"video": "video calls", "in_person": "meeting in person", "chat": "chat"}


def _format_words(mine: str, theirs: str, mentor: str) -> str:
    if mine == theirs:
        if mine == "any":
            return "you are both open to any meeting format"
        return f"you both prefer {FORMAT_WORDS[mine]}"
    if theirs == "any":
        return f"{mentor} is happy with {FORMAT_WORDS[mine]}"
    if mine == "any":
        return f"you are happy with {FORMAT_WORDS[theirs]}"
    return f"you can both meet remotely ({FORMAT_WORDS[mine]} or {FORMAT_WORDS[theirs]})"


def explain_pair(
    mentor: Person, mentee: Person, weights: Mapping[str, float] | None = None, *, at: datetime
) -> list[Criterion]:
    """The pair's criteria with a weight above 0, the strongest contribution first.

    Addressed to the mentee ("you"), naming the mentor. Plain sets, so it also checks the
    whole-matrix scores (the tests compare the two).
    """
    _check_instant(at)
    return _criteria(_Pair(mentee, mentor, _offsets(at)), parse_weights(weights))


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
        shown.append(f"{len(items) - limit} more")
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _shared_items(mine: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Items of `mine` (in my spelling and order) that `theirs` has too, ignoring case."""
    keys = _keys(tuple(theirs))
    return [x for x in mine if _key(x) in keys]


@lru_cache(maxsize=1 << 14)
def _keys(items: tuple[str, ...]) -> frozenset[str]:
    return frozenset(map(_key, items))
