"""Survey templates as data: the built-in questions of each moment, and versions.

A template is a list of questions, each {"key", "kind", "text", "tag", "options"}:
- kind: rating (1-5), recommend (0-10), yes_no, choice (one of `options`, each
  {"value", "title"}), text (short, optional), and two built-in kinds: skills (a 1-5
  rating before the program and now, per focus area) and story (a story the person may
  share by name or anonymously).
- key names the question for good: rewording keeps it, and a removed key is never used
  again, so answers of different questions never mix.
- tag names the metric the question feeds (satisfaction, recommend, ...; "" for none).
- "{partner}" in a text is the person the survey is about.

The first survey of a moment writes version 1 from the built-in list (per program, or
per team for the coffee pulse). An admin's edit writes the next version; a survey keeps
the version it was made with, so a question is never changed under people who answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.core.i18n import N_
from storage.models import SurveyTemplate
from storage.repos import Repos

RATING, RECOMMEND, YES_NO, CHOICE, TEXT, SKILLS, STORY = (
    "rating",
    "recommend",
    "yes_no",
    "choice",
    "text",
    "skills",
    "story",
)
ADMIN_KINDS = {
    RATING: N_("a rating from 1 to 5"),
    RECOMMEND: N_("0 to 10, would you recommend"),
    YES_NO: N_("yes or no"),
    CHOICE: N_("one of a few options (options=)"),
    TEXT: N_("a short written answer"),
}
MAX_QUESTIONS = 15
ANONYMOUS_MOMENTS = ("mid", "end", "pulse")  # program- and round-wide: nobody's name kept
PROGRAM_TEMPLATES = (
    "session",
    "day30",
    "mid.mentee",
    "mid.mentor",
    "end.mentee",
    "end.mentor",
    "progress",
    "after",
)
CAREER = [
    {"value": "new_role", "title": N_("A new role")},
    {"value": "new_responsibilities", "title": N_("New responsibilities")},
    {"value": "promotion", "title": N_("A promotion")},
    {"value": "none", "title": N_("None of these")},
]
NOT_SAYING = {"value": "not_saying", "title": N_("I'd rather not say")}


def question(
    key: str, kind: str, text: str, tag: str = "", options: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"key": key, "kind": kind, "text": text, "tag": tag}
    if options is not None:
        found["options"] = options
    return found


def _satisfaction() -> dict[str, Any]:
    return question(
        "satisfaction", RATING, N_("How satisfied are you with the program?"), "satisfaction"
    )


def _recommend() -> dict[str, Any]:
    return question(
        "recommend",
        RECOMMEND,
        N_("How likely are you to recommend the program to a colleague? (0 to 10)"),
        "recommend",
    )


def _achieved() -> dict[str, Any]:
    return question(
        "goal_achievement", RATING, N_("How far did you get with your goals?"), "goal_achievement"
    )


def _support() -> dict[str, Any]:
    return question(
        "program_support",
        RATING,
        N_("How well did the program support you as a mentor?"),
        "program_support",
    )


def _skills() -> dict[str, Any]:
    return question(
        "skills", SKILLS, N_("Rate your skills (1 to 5): at the start, and now"), "skills"
    )


def _story() -> dict[str, Any]:
    return question(
        "story",
        STORY,
        N_("Would you like to share a story about what the program meant to you? (optional)"),
        "story",
    )


BUILT_IN: dict[str, list[dict[str, Any]]] = {
    "session": [
        question("useful", RATING, N_("How useful was this session?"), "session_rating"),
        question("next_step", YES_NO, N_("Did you leave with a clear next step?"), "next_step"),
        question("more_of", TEXT, N_("Anything you'd like more of next time? (optional)")),
    ],
    "day30": [
        question("working", RATING, N_("Is the mentorship working for you?"), "working"),
        question("often_enough", YES_NO, N_("Are you meeting often enough?"), "often_enough"),
        question("blocking", TEXT, N_("Is anything getting in the way? (optional)")),
    ],
    "mid.mentee": [_satisfaction(), _achieved(), _skills(), _recommend()],
    "mid.mentor": [_satisfaction(), _support(), _recommend()],
    "end.mentee": [
        _satisfaction(),
        _achieved(),
        _skills(),
        question(
            "career", CHOICE, N_("Since the program started, have you had..."), "career", CAREER
        ),
        question("again", YES_NO, N_("Would you be mentored again?"), "again"),
        _recommend(),
        _story(),
    ],
    "end.mentor": [
        _satisfaction(),
        _support(),
        question("again", YES_NO, N_("Would you mentor again?"), "again"),
        _recommend(),
        _story(),
    ],
    "progress": [
        question(
            "mentee_progress",
            RATING,
            N_("How much progress has {partner} made toward their goals?"),
            "mentee_progress",
        ),
        question("helped", TEXT, N_("What helped most? (optional)")),
    ],
    "after": [
        question(
            "still_meeting", YES_NO, N_("Are you and {partner} still meeting?"), "still_meeting"
        )
    ],
    "pulse": [question("pulse", RATING, N_("How was your coffee chat this round?"), "pulse")],
}

# Optional, self-reported, asked only when a program turns them on; shown only as
# aggregates of at least 5 answers.
DEMOGRAPHICS: list[dict[str, Any]] = [
    question(
        "demographic_gender",
        CHOICE,
        N_("Optional: how do you describe your gender?"),
        "demographic:gender",
        [
            {"value": "woman", "title": N_("Woman")},
            {"value": "man", "title": N_("Man")},
            {"value": "non_binary", "title": N_("Non-binary")},
            NOT_SAYING,
        ],
    ),
    question(
        "demographic_age",
        CHOICE,
        N_("Optional: your age"),
        "demographic:age",
        [
            {"value": "under_30", "title": N_("Under 30")},
            {"value": "30_44", "title": N_("30 to 44")},
            {"value": "45_plus", "title": N_("45 or over")},
            NOT_SAYING,
        ],
    ),
]
DEMOGRAPHIC_KEYS = {q["key"] for q in DEMOGRAPHICS}


def moment_of(name: str) -> str:
    """The moment a template belongs to: "end.mentee" -> "end"."""
    return name.split(".")[0]


def anonymous(name: str) -> bool:
    return moment_of(name) in ANONYMOUS_MOMENTS


def program_scope(program_id: int) -> str:
    return f"program:{program_id}"


def team_scope(team_id: int) -> str:
    return f"team:{team_id}"


def built_in(name: str, demographics: bool) -> list[dict[str, Any]]:
    questions = [dict(q) for q in BUILT_IN[name]]
    if demographics and moment_of(name) == "end":
        questions += [dict(q) for q in DEMOGRAPHICS]
    return questions


async def current(
    repos: Repos, scope: str, name: str, demographics: bool, now: datetime
) -> SurveyTemplate:
    """The newest version, written from the built-in questions the first time."""
    found = await repos.feedback.latest_template(scope, name)
    if found is not None:
        return found
    written = await repos.feedback.add_template(
        scope, name, built_in(name, demographics), None, now
    )
    if written is None:  # another unit wrote version 1 at the same moment
        written = await repos.feedback.latest_template(scope, name)
    assert written is not None
    return written


async def new_version(
    repos: Repos,
    scope: str,
    name: str,
    questions: list[dict[str, Any]],
    by: int | None,
    now: datetime,
) -> SurveyTemplate | None:
    return await repos.feedback.add_template(scope, name, questions, by, now)


def next_key(used: set[str]) -> str:
    """A key no version ever used: q1, q2, ..."""
    n = 1
    while f"q{n}" in used:
        n += 1
    return f"q{n}"


def with_demographics(questions: list[dict[str, Any]], on: bool) -> list[dict[str, Any]]:
    """The questions with the demographic ones added at the end, or taken out."""
    kept = [q for q in questions if q["key"] not in DEMOGRAPHIC_KEYS]
    return kept + [dict(q) for q in DEMOGRAPHICS] if on else kept
