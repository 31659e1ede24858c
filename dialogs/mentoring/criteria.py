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

from dialogs.core.words import plural

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


FORMAT_WORDS = {"video": "video calls", "in_person": "meeting in person", "chat": "chat"}


def reason_words(facts: Any, reader: str) -> str:
    """One reason in plain words for its reader: "mentee" (about the mentor), "mentor"
    (about the mentee) or "admin" (about both): "Ana offers public speaking, which you
    want to grow" / "Chidi wants to grow public speaking, which you offer" / "Ana can help
    Chidi with public speaking". A reason stored as text (before reasons had facts) was
    written for the mentee: only the mentee and admins read it."""
    if reader not in READERS:
        raise ValueError(f"reader must be one of {', '.join(READERS)}")
    if isinstance(facts, str):
        return facts if reader != "mentor" else ""
    if not isinstance(facts, dict) or facts.get("c") not in _WORDS:
        return ""
    return _WORDS[facts["c"]](facts, reader, facts.get("mentor", ""), facts.get("mentee", ""))


def _skills_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    items = _and(f["items"])
    if reader == "mentee":
        return f"{mentor} offers {items}, which you want to grow"
    if reader == "mentor":
        return f"{mentee} wants to grow {items}, which you offer"
    return f"{mentor} can help {mentee} with {items}"


def _goals_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    if reader == "mentee":
        return f"your goals are much like {mentor}'s"
    if reader == "mentor":
        return f"{mentee}'s goals are much like yours"
    return "their goals are much alike"


def _shared_words(verb: str) -> Callable[[dict[str, Any], str, str, str], str]:
    def words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
        who = "both" if reader == "admin" else "you both"
        return f"{who} {verb} {_and(f['items'])}"

    return words


def _experience_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    more = float(f["more"])
    years = f"{more:g} more year{'' if more == 1 else 's'} of experience"
    if reader == "mentee":
        return f"{mentor} has {years} than you"
    if reader == "mentor":
        return f"you have {years} than {mentee}"
    return f"{mentor} has {years} than {mentee}"


def _timezone_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    hours = float(f["hours"])
    if not hours:
        return "you're in the same time zone" if reader != "admin" else "same time zone"
    apart = f"{hours:g} hour{'' if hours == 1 else 's'} apart"
    if hours > WORKDAY_HOURS * (1 - REASON_FLOOR["timezone"]):
        return apart  # true, but never offered as a reason (below the floor)
    who = "your" if reader != "admin" else "their"
    return f"{who} working days overlap almost fully ({apart})"


def _format_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    mentee_wants, mentor_wants = f["mentee_format"], f["mentor_format"]
    if reader == "mentor":  # the same sentence, seen from the other side
        mentor, mentee = mentee, mentor
        mentee_wants, mentor_wants = mentor_wants, mentee_wants
    if reader == "admin":
        return _format_words_about(mentor, mentee, mentor_wants, mentee_wants)
    if mentee_wants == mentor_wants:
        if mentee_wants == "any":
            return "you are both open to any meeting format"
        return f"you both prefer {FORMAT_WORDS[mentee_wants]}"
    if mentor_wants == "any":
        return f"{mentor} is happy with {FORMAT_WORDS[mentee_wants]}"
    if mentee_wants == "any":
        return f"you are happy with {FORMAT_WORDS[mentor_wants]}"
    return (
        f"you can both meet remotely ({FORMAT_WORDS[mentee_wants]} or {FORMAT_WORDS[mentor_wants]})"
    )


def _format_words_about(mentor: str, mentee: str, mentor_wants: str, mentee_wants: str) -> str:
    if mentee_wants == mentor_wants:
        if mentee_wants == "any":
            return "both are open to any meeting format"
        return f"both prefer {FORMAT_WORDS[mentee_wants]}"
    if "any" in (mentor_wants, mentee_wants):
        fixed = mentee_wants if mentor_wants == "any" else mentor_wants
        return f"both are happy with {FORMAT_WORDS[fixed]}"
    return f"both can meet remotely ({FORMAT_WORDS[mentee_wants]} or {FORMAT_WORDS[mentor_wants]})"


def _department_words(f: dict[str, Any], reader: str, mentor: str, mentee: str) -> str:
    if reader == "mentee":
        return f"a fresh view from another department ({f['mentor_department']})"
    if reader == "mentor":
        return f"a fresh view from another department ({mentee} works in {f['mentee_department']})"
    return f"across departments ({f['mentor_department']} and {f['mentee_department']})"


_WORDS: dict[str, Callable[[dict[str, Any], str, str, str], str]] = {
    "skills": _skills_words,
    "goals": _goals_words,
    "interests": _shared_words("enjoy"),
    "experience": _experience_words,
    "languages": _shared_words("speak"),
    "timezone": _timezone_words,
    "meeting_format": _format_words,
    "cross_department": _department_words,
}


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
        shown.append(f"{len(items) - limit} more")
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _shared_items(mine: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Items of `mine` (in my spelling and order) that `theirs` has too, ignoring case."""
    keys = _keys(tuple(theirs))
    return [x for x in mine if _key(x) in keys]


# --- Why nobody was matched ---------------------------------------------------------
# Per mentor, the caller says what keeps the pair apart ("full", "before", "nothing" or
# "must:<criterion>"); `why_unmatched` picks the one reason worth telling the mentee, and
# `unmatched_words` says it to the mentee or to an admin.

_PROFILE_FIELD = {
    "skills": ("skills_want", "skills you want to grow"),
    "goals": ("goals", "goals"),
    "interests": ("interests", "interests"),
    "languages": ("languages", "languages"),
    "timezone": ("timezone", "time zone"),
    "experience": ("seniority", "years of experience"),
    "cross_department": ("department", "department"),
    "meeting_format": ("meeting_format", "meeting format"),
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
    """A `why_unmatched` reason for the mentee ("you") or an admin (naming the mentee)."""
    if not isinstance(facts, dict):
        return str(facts or "")
    name = str(facts.get("mentee") or "them")
    you, your = ("you", "your") if reader == "mentee" else (name, f"{name}'s")
    kind = facts.get("c")
    if kind == "no_mentors":
        return "no mentors have enrolled yet"
    if kind in ("full", "before"):
        n = int(facts.get("n", 1))
        who = "the mentor who fits" if n == 1 else f"the {plural(n, 'mentor', spell=True)} who fit"
        if kind == "full":
            return f"{who} {you} {'is' if n == 1 else 'are'} full"
        return f"{who} {you} {'has' if n == 1 else 'have'} been asked already"
    if kind == "must":
        prefer = "prefer" if reader == "mentee" else "prefers"
        return _must_words(facts["criterion"], facts.get("have") or [], (you, your, prefer))
    return f"no mentor has anything in common with {your} profile yet"


def _must_words(criterion: str, have: list[str], person: tuple[str, str, str]) -> str:
    you, your, prefer = person
    required = "which the program requires"
    if not have:
        field_words = _PROFILE_FIELD[criterion][1]
        return f"{your} profile has no {field_words}, {required}"
    either = " or ".join(have) if len(have) < 3 else f"{', '.join(have[:-1])} or {have[-1]}"
    sentences = {
        "skills": f"no mentor offers {either}, {required}",
        "languages": f"no mentor speaks {either}, {required}",
        "interests": f"no mentor shares an interest with {you} ({either}), {required}",
        "goals": f"no mentor's goals are like {your}, {required}",
        "experience": f"no mentor has more experience than {you}, {required}",
        "timezone": f"no mentor's working day overlaps with {your}, {required}",
        "meeting_format": f"no mentor can meet the way {you} {prefer} "
        f"({FORMAT_WORDS.get(have[0], have[0])}), {required}",
        "cross_department": f"every mentor works in {your} department ({either}), and the "
        "program asks for another one",
    }
    return sentences[criterion]


@lru_cache(maxsize=1 << 14)
def _keys(items: tuple[str, ...]) -> frozenset[str]:
    return frozenset(map(_key, items))
