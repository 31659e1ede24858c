"""The profile: what each field allows, server-side validation, and its cards."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import cache
from typing import Any

from dialogs.cards import render
from storage.models import Profile

ROLES = {
    "mentor": "Mentor",
    "mentee": "Mentee",
    "both": "Mentor and mentee",
    "coffee": "Coffee chats only",
}
FORMATS = {"video": "Video call", "in_person": "In person", "chat": "Chat", "any": "No preference"}
LIST_FIELDS = ("skills_offer", "skills_want", "interests", "languages")
LABELS = {
    "role": "Role",
    "skills_offer": "Skills I can offer",
    "skills_want": "Skills I want to grow",
    "goals": "Goals",
    "interests": "Interests",
    "department": "Department",
    "location": "Location",
    "timezone": "Time zone",
    "languages": "Languages",
    "meeting_format": "Preferred meeting format",
    "meetings_per_month": "Meetings per month",
    "max_mentees": "Most mentees at once",
    "shared_fields": "Coffee partners see",
}
# What a coffee partner may see on an intro card; each person chooses on their profile.
SHAREABLE = {
    "interests": "Interests",
    "skills": "Skills",
    "goals": "Goals",
    "department": "Department",
    "location": "Location",
}
DEFAULT_SHARED = ("interests", "skills", "department")
MAX_ITEMS, MAX_ITEM_LEN = 15, 60
MAX_GOALS_LEN, MAX_SHORT_LEN = 1000, 100
MEETINGS_RANGE, MENTEES_RANGE = (1, 8), (1, 5)
DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"**{LABELS[self.field]}**: {self.message}"


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate(raw: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Clean a submitted profile; any error means nothing may be saved."""
    out: dict[str, Any] = {}
    errors: list[FieldError] = []

    def check(name: str, parse: Any) -> None:
        try:
            out[name] = parse(raw.get(name))
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))

    check("role", lambda v: _choice(v, ROLES))
    for name in LIST_FIELDS:
        check(name, _list)
    check("goals", lambda v: _text(v, MAX_GOALS_LEN))
    check("department", lambda v: _text(v, MAX_SHORT_LEN))
    check("location", lambda v: _text(v, MAX_SHORT_LEN))
    check("timezone", _timezone)
    check("meeting_format", lambda v: _choice(v, FORMATS))
    check("meetings_per_month", lambda v: _whole(v, *MEETINGS_RANGE))
    check("shared_fields", _shared)
    if out.get("role") in ("mentor", "both"):
        check("max_mentees", lambda v: _whole(v, *MENTEES_RANGE))
    else:
        out["max_mentees"] = None
    return out, errors


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = " ".join(value.split()) if limit <= MAX_SHORT_LEN else value.strip()
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters (you entered {len(text)})")
    return text


def _choice(value: Any, allowed: dict[str, str]) -> str:
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    options = ", ".join(f"{key} ({label})" for key, label in allowed.items())
    shown = "nothing" if value in (None, "") else repr(value)
    raise ValueError(f"must be one of {options}; you sent {shown}")


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise ValueError("must be a comma-separated list")
    items: list[str] = []
    for part in value.split(","):
        item = " ".join(part.split())
        if item and item.lower() not in (i.lower() for i in items):
            items.append(item)
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} items, separated by commas (you gave {len(items)})")
    if any(len(i) > MAX_ITEM_LEN for i in items):
        raise ValueError(f"each item must be at most {MAX_ITEM_LEN} characters")
    return items


def _shared(value: Any) -> list[str]:
    """A multi-select arrives as "a,b"; absent means the defaults, "" means nothing."""
    if value is None:
        return list(DEFAULT_SHARED)
    if not isinstance(value, str):
        raise ValueError("must be a comma-separated choice of " + ", ".join(SHAREABLE))
    picked = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [p for p in picked if p not in SHAREABLE]
    if unknown:
        raise ValueError(
            f"can only be {', '.join(SHAREABLE)} (you sent {', '.join(map(repr, unknown))})"
        )
    return [key for key in SHAREABLE if key in picked]


def shared_fields(profile: Profile | None) -> list[str]:
    if profile is None:
        return []
    return list(DEFAULT_SHARED) if profile.shared_fields is None else profile.shared_fields


def _timezone(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if name in known_timezones():
        return name
    raise ValueError(
        "must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC"
        + (f" (you entered {name!r})" if name else "")
    )


def _whole(value: Any, low: int, high: int) -> int:
    number = _as_whole(value)
    if number is None or not low <= number <= high:
        shown = "nothing" if value in (None, "") else repr(value)
        raise ValueError(f"must be a whole number from {low} to {high} (you entered {shown})")
    return number


def _as_whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None  # also rules out inf and nan


def form_card(profile: Profile | None, timezone_hint: str | None, title: str) -> dict[str, Any]:
    """The onboarding / edit form, prefilled from the profile when there is one."""
    p = profile
    default_tz = timezone_hint if timezone_hint in known_timezones() else DEFAULT_TIMEZONE
    return render(
        "profile_form",
        title=title,
        role=p.role if p else "",
        role_choices=_choices(ROLES),
        skills_offer=", ".join(p.skills_offer) if p else "",
        skills_want=", ".join(p.skills_want) if p else "",
        goals=p.goals if p else "",
        interests=", ".join(p.interests) if p else "",
        department=p.department if p else "",
        location=p.location if p else "",
        timezone=p.timezone if p else default_tz,
        languages=", ".join(p.languages) if p else "",
        meeting_format=p.meeting_format if p else "any",
        format_choices=_choices(FORMATS),
        meetings_per_month=p.meetings_per_month if p else 2,
        max_mentees=(p.max_mentees or 2) if p else 2,
        meetings_min=MEETINGS_RANGE[0],
        meetings_max=MEETINGS_RANGE[1],
        mentees_min=MENTEES_RANGE[0],
        mentees_max=MENTEES_RANGE[1],
        max_items=MAX_ITEMS,
        shared=",".join(shared_fields(p) if p else DEFAULT_SHARED),
        share_choices=_choices(SHAREABLE),
    )


def view_card(profile: Profile, timezone_hint: str | None) -> dict[str, Any]:
    facts = [
        {"title": LABELS[name], "value": shown(profile, name)}
        for name in LABELS
        if name != "max_mentees" or profile.role in ("mentor", "both")
    ]
    form = form_card(profile, timezone_hint, "Edit your profile")
    return render("profile_view", facts=facts, form=form)


def shown(profile: Profile, name: str) -> str:
    value = getattr(profile, name)
    if name == "role":
        return ROLES[value]
    if name == "meeting_format":
        return FORMATS[value]
    if name == "shared_fields":
        return ", ".join(SHAREABLE[f] for f in shared_fields(profile)) or "only my name"
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return str(value) if value not in (None, "") else "—"


def as_dict(profile: Profile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in LABELS} | {
        "shared_fields": shared_fields(profile),
        "updated_at": profile.updated_at.isoformat(),
    }


def _choices(options: dict[str, str]) -> list[dict[str, str]]:
    return [{"title": label, "value": key} for key, label in options.items()]
