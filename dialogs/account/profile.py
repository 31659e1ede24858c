"""The profile: what each field allows, server-side validation, its cards, onboarding,
and the `profile` command with its form's submit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialogs.core import forms, i18n, zones
from dialogs.core.cards import Cards
from dialogs.core.i18n import N_
from dialogs.core.people import language_of_user
from dialogs.core.profiles import DEFAULT_SHARED, SHAREABLE, label, shared_fields
from dialogs.core.router import Turn
from storage.models import DirectoryEntry, Profile

CARDS = Cards("dialogs.account")
_ = i18n.catalog(__package__)
SAVE_ACTION = "profile_save"

# Keys are stored; the words are translated where they are shown (`_(ROLES[key])`).
ROLES = {
    "mentor": N_("Mentor"),
    "mentee": N_("Mentee"),
    "both": N_("Mentor and mentee"),
    "coffee": N_("Coffee chats only"),
}
FORMATS = {
    "video": N_("Video call"),
    "in_person": N_("In person"),
    "chat": N_("Chat"),
    "any": N_("No preference"),
}
LIST_FIELDS = ("skills_offer", "skills_want", "interests", "languages")
LABELS = {
    "role": N_("Role"),
    "skills_offer": N_("Skills I can offer"),
    "skills_want": N_("Skills I want to grow"),
    "goals": N_("Goals"),
    "interests": N_("Interests"),
    "department": N_("Department"),
    "location": N_("Location"),
    "timezone": N_("Time zone"),
    "languages": N_("Languages"),
    "meeting_format": N_("Preferred meeting format"),
    "meetings_per_month": N_("Meetings per month"),
    "max_mentees": N_("Most mentees at once"),
    "shared_fields": N_("Coffee partners see"),
    "title_history": N_("Job title changes in program outcomes"),
}
# dialogs/core/profiles.py SHAREABLE's words, translated here where the card shows them.
SHAREABLE_WORDS = (N_("Interests"), N_("Skills"), N_("Goals"), N_("Department"), N_("Location"))
LANGUAGE_LABEL = N_("Language I write to you in")  # on the card; the user's row, not the profile
MAX_ITEMS, MAX_ITEM_LEN = 15, 60
MAX_GOALS_LEN, MAX_SHORT_LEN = 1000, 100
MEETINGS_RANGE, MENTEES_RANGE = (1, 8), (1, 5)
DEFAULT_TIMEZONE = "UTC"
FROM_DIRECTORY = N_(" (from the directory)")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"**{_(LABELS.get(self.field, LANGUAGE_LABEL))}** {self.message}"


def validate(raw: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Clean a submitted profile; any error means nothing may be saved."""
    out: dict[str, Any] = {}
    errors: list[FieldError] = []

    def check(name: str, parse: Any) -> None:
        try:
            out[name] = parse(raw.get(name))
        except forms.FormError as exc:
            errors.append(FieldError(name, str(exc)))

    check("role", lambda v: forms.choice(v, ROLES))
    for name in LIST_FIELDS:
        check(name, lambda v: forms.items(v, MAX_ITEMS, MAX_ITEM_LEN))
    check("goals", lambda v: forms.text(v, MAX_GOALS_LEN))
    check("department", lambda v: forms.text(v, MAX_SHORT_LEN, one_line=True))
    check("location", lambda v: forms.text(v, MAX_SHORT_LEN, one_line=True))
    check("timezone", _timezone)
    check("meeting_format", lambda v: forms.choice(v, FORMATS))
    check("meetings_per_month", lambda v: forms.whole_in(v, *MEETINGS_RANGE))
    check("shared_fields", _shared)
    check("title_history", _agreed)
    if out.get("role") in ("mentor", "both"):
        check("max_mentees", lambda v: forms.whole_in(v, *MENTEES_RANGE))
    else:
        out["max_mentees"] = None
    return out, errors


def _shared(value: Any) -> list[str]:
    """A multi-select arrives as "a,b"; absent means the defaults, "" means nothing."""
    if value is None:
        return list(DEFAULT_SHARED)
    if not isinstance(value, str):
        raise forms.FormError(
            _("must be a comma-separated choice of {choices}", choices=", ".join(SHAREABLE))
        )
    picked = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [p for p in picked if p not in SHAREABLE]
    if unknown:
        raise forms.FormError(
            _(
                "can only be {choices} (you sent {sent})",
                choices=", ".join(SHAREABLE),
                sent=", ".join(map(repr, unknown)),
            )
        )
    return [key for key in SHAREABLE if key in picked]


def _agreed(value: Any) -> bool:
    """The outcomes toggle; absent (an older card) means no."""
    if value is None:
        return False
    agreed = forms.flag(value)
    if agreed is None:
        raise forms.FormError(_("must be on or off"))
    return agreed


def _timezone(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if name in zones.known():
        return name
    if name:
        raise forms.FormError(
            _(
                "must be one of the list (type a city to find yours), or an IANA name such as "
                "Europe/Berlin (you sent {name})",
                name=repr(name),
            )
        )
    raise forms.FormError(
        _(
            "must be one of the list (type a city to find yours), or an IANA name such as "
            "Europe/Berlin"
        )
    )


def form_card(
    profile: Profile | None,
    timezone_hint: str | None,
    title: str,
    now: datetime,
    entry: DirectoryEntry | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The onboarding / edit form, prefilled from the profile when there is one, else
    from the directory (Microsoft Graph) when it described the person, else the time zone
    from Teams (the person's device)."""
    p = profile
    default_tz = timezone_hint if timezone_hint in zones.known() else DEFAULT_TIMEZONE
    if entry is not None and entry.timezone in zones.known():
        default_tz = entry.timezone
    directory_language = entry.language if entry is not None else ""
    timezone = p.timezone if p else default_tz
    return CARDS.render(
        "profile_form",
        title=title,
        role=p.role if p else "",
        role_choices=_choices(ROLES),
        skills_offer=", ".join(p.skills_offer) if p else "",
        skills_want=", ".join(p.skills_want) if p else "",
        goals=p.goals if p else "",
        interests=", ".join(p.interests) if p else "",
        department=(entry.department if entry and entry.department else "")
        or (p.department if p else ""),
        location=p.location if p else "",
        timezone=timezone,
        timezone_choices=zones.choices(timezone, now),
        languages=", ".join(p.languages) if p else directory_language,
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
        title_history="true" if p is not None and p.title_history else "false",
        app_language=language or AUTO_LANGUAGE,
        language_choices=language_choices(),
    )


AUTO_LANGUAGE = "auto"


def language_choices() -> list[dict[str, str]]:
    """The card's choice of the language I write in: Teams' own, or one of mine."""
    return [{"title": _("As in Teams"), "value": AUTO_LANGUAGE}] + [
        {"title": name, "value": code} for code, name in i18n.LANGUAGES.items()
    ]


def chosen_language(value: Any) -> tuple[bool, str | None]:
    """(changed?, the choice) from the card: absent (an older card) changes nothing;
    "auto" follows Teams; anything else must be a language I write."""
    if value is None:
        return False, None
    if value == AUTO_LANGUAGE:
        return True, None
    if isinstance(value, str) and value in i18n.LANGUAGES:
        return True, value
    raise forms.FormError(_("must be one of the languages in the list"))


def view_card(
    profile: Profile,
    timezone_hint: str | None,
    now: datetime,
    entry: DirectoryEntry | None = None,
    manager: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The profile; a field the directory filled says so (Microsoft Graph)."""
    facts = [
        {
            "title": _(LABELS[name]),
            "value": shown(profile, name, now) + _source(profile, name, entry),
        }
        for name in LABELS
        if name != "max_mentees" or profile.role in ("mentor", "both")
    ]
    if entry is not None and entry.removed_at is None:
        facts += directory_facts(entry, manager)
    form = form_card(profile, timezone_hint, _("Edit your profile"), now, entry, language)
    return CARDS.render("profile_view", facts=facts, form=form)


def _source(profile: Profile, name: str, entry: DirectoryEntry | None) -> str:
    if entry is None or entry.removed_at is not None:
        return ""
    if name == "department" and entry.department and profile.department == entry.department[:100]:
        return _(FROM_DIRECTORY)
    if name == "timezone" and entry.timezone == profile.timezone and not entry.zone_by_person:
        return _(FROM_DIRECTORY)
    if name == "languages" and entry.language and profile.languages == [entry.language]:
        return _(FROM_DIRECTORY)
    return ""


def directory_facts(entry: DirectoryEntry, manager: str | None) -> list[dict[str, str]]:
    facts = [
        (_("Job title"), entry.job_title),
        (_("Office"), entry.office),
        (_("Manager"), manager or (_("in the directory") if entry.manager_aad_id else "")),
        (_("Working hours"), working_hours(entry)),
    ]
    return [{"title": t, "value": v + _(FROM_DIRECTORY)} for t, v in facts if v]


def working_hours(entry: DirectoryEntry) -> str:
    if not entry.work_start or not entry.work_end:
        return ""
    days = [DAY_NAMES.index(d) for d in DAY_NAMES if d in entry.work_days]
    span = (
        f"{_short_day(days[0])}-{_short_day(days[-1])}"
        if days and days[-1] - days[0] == len(days) - 1
        else ", ".join(_short_day(d) for d in days)
    )
    zone = f" ({entry.work_zone})" if entry.work_zone else ""
    return f"{span} {entry.work_start}-{entry.work_end}{zone}".strip()


def _short_day(index: int) -> str:
    """ "Mon" in English (as the directory's day names shortened), "Mo.", "lun.", "月"."""
    return i18n.weekday_name(index, "abbreviated")


async def directory_of(turn: Turn) -> tuple[DirectoryEntry | None, str | None]:
    """The person's directory entry and their manager's name, when Graph described them."""
    entry = await turn.repos.directory.get(turn.user.id)
    if entry is None or not entry.manager_aad_id:
        return entry, None
    found = await turn.repos.directory.users_by_aad(turn.user.tenant_id, [entry.manager_aad_id])
    boss = found.get(entry.manager_aad_id)
    return entry, (boss.name if boss is not None else None)


def shown(profile: Profile, name: str, now: datetime) -> str:
    value = getattr(profile, name)
    if name == "timezone":
        return zones.friendly(value, now)
    if name == "role":
        return _(ROLES[value])
    if name == "meeting_format":
        return _(FORMATS[value])
    if name == "shared_fields":
        return ", ".join(label(f) for f in shared_fields(profile)) or _("only my name")
    if name == "title_history":
        return _("counted (in totals only)") if value else _("not used")
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return str(value) if value not in (None, "") else "—"


def as_dict(profile: Profile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in LABELS} | {
        "shared_fields": shared_fields(profile),
        "updated_at": profile.updated_at.isoformat(),
    }


def _choices(options: dict[str, str]) -> list[dict[str, str]]:
    return [{"title": _(label), "value": key} for key, label in options.items()]


def keep_directory(entry: DirectoryEntry, values: dict[str, Any]) -> None:
    """Department stays as the directory says; a time zone or language other than the
    directory's is the person's correction, which later syncs leave alone."""
    if entry.department:
        values["department"] = entry.department[:100]
    if entry.timezone:
        entry.zone_by_person = values.get("timezone") != entry.timezone
    if entry.language and "languages" in values:
        entry.language_by_person = values["languages"] != [entry.language]


# --- onboarding and the profile command ------------------------------------------------
async def start_onboarding(turn: Turn) -> None:
    name = turn.user.name.split()[0] if turn.user.name else _("there")
    current = await turn.repos.profiles.get(turn.user.id)
    if current is not None:  # the app installed again: the profile is still here
        turn.result.route = "onboarding.welcome_back"
        turn.say(
            _(
                "Welcome back, {name}! 👋 Your profile is still here; change anything below. "
                "Type `help` for what I can do.",
                name=name,
            )
        )
        turn.result.show(
            view_card(
                current,
                turn.user.timezone_hint,
                turn.now,
                *await directory_of(turn),
                language=turn.user.language,
            )
        )
        return
    turn.user.onboarding_sent_at = turn.now
    turn.say(
        _(
            "Hi {name}! I'm Mentorbot. I connect people for mentoring and coffee chats. "
            "Tell me a little about yourself to get started (type `help` any time).",
            name=name,
        )
    )
    entry, _manager = await directory_of(turn)
    turn.result.show(
        form_card(
            None, turn.user.timezone_hint, _("Your profile"), turn.now, entry, turn.user.language
        )
    )


async def show_profile(turn: Turn) -> None:
    current = await turn.repos.profiles.get(turn.user.id)
    entry, manager = await directory_of(turn)
    if current is None:
        turn.say(_("You haven't set up your profile yet. Here's the form:"))
        turn.result.show(
            form_card(
                None,
                turn.user.timezone_hint,
                _("Your profile"),
                turn.now,
                entry,
                turn.user.language,
            )
        )
        return
    turn.result.show(
        view_card(current, turn.user.timezone_hint, turn.now, entry, manager, turn.user.language)
    )


async def save_profile(turn: Turn) -> None:
    values, errors = validate(turn.inbound.value)
    raw = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    try:
        language_changed, language = chosen_language(raw.get("app_language"))
    except forms.FormError as exc:
        errors.append(FieldError("app_language", str(exc)))
    if errors:
        turn.say(
            _(
                "I couldn't save your profile. Please fix:\n{errors}\n\nNothing was saved.",
                errors="\n".join(f"- {e}" for e in errors),
            )
        )
        return
    entry = await turn.repos.directory.get(turn.user.id)
    if entry is not None and entry.removed_at is None:
        keep_directory(entry, values)
    if not values["title_history"]:  # not agreed (or no longer): no history is kept
        await turn.repos.directory.forget_titles(turn.user.id)
    created = await turn.repos.profiles.save(turn.user.id, values, turn.now)
    if language_changed and language != turn.user.language:
        turn.user.language = language  # in force from this answer on
        i18n.switch(language or await language_of_user(turn.repos, turn.user))
    turn.say(
        _("Profile updated.")
        if not created
        else _(
            "Thanks, your profile is saved! Type `profile` to see or change it, "
            "`help` for everything else."
        )
    )
