"""`my data` and `delete my data`: each feature declares its part (core.router.DataPart);
this module puts the parts together, and erases the account itself last."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dialogs.account import profile as profile_mod
from dialogs.account.profile import CARDS
from dialogs.core import downloads, i18n
from dialogs.core.i18n import N_
from dialogs.core.local_time import status, today_of
from dialogs.core.router import DataPart, Env, Turn
from dialogs.core.types import Inbound, Person
from storage.models import ExportLink, User
from storage.repos import Repos

_ = i18n.catalog(__package__)

# The card stays well under the 28 KB a message may have: fewer latest items when the
# sections would not fit (counts always stay).
MAX_CARD_BYTES = 20_000
LATEST = (3, 1, 0)  # items shown per list, tried in turn until the card fits
MAX_FACTS, MAX_LINE = 12, 90
# Every personal field of the user row; the row itself stays, anonymous, so team counts
# stay true. A later message from the same person starts a new, empty user.
PERSONAL_FIELDS = (
    "teams_id",
    "aad_object_id",
    "name",
    "email",
    "upn",
    "personal_ref",
    "timezone_hint",
    "locale",
    "paused_until",
    "service_url",
    "last_seen_at",
)


async def my_data(turn: Turn) -> None:
    """A readable card (each part's counts and latest items) and a link to the whole
    export as a JSON file, made when it is opened, for this person only."""
    parts = turn.env.table.data
    export = await _export(turn)
    summary = [
        {"title": title, "value": value}
        for part in parts
        if part.summary is not None
        for title, value in part.summary(export[part.name])
    ]
    token = _make_link(turn.repos, turn.user, turn.now)
    expires = downloads.expiry(turn.now)
    for latest in LATEST:
        card = CARDS.render(
            "my_data",
            summary=summary,
            sections=[_section(name, export[name], latest) for name in export],
            about=_(
                "The whole file (JSON) is behind the button: the link works for "
                "{minutes} minutes (until {until} UTC), only for "
                "you, and the file is made when you open it.",
                minutes=downloads.LINK_MINUTES,
                until=i18n.when(expires, "%H:%M"),
            ),
            url=f"{turn.env.public_url}/exports/{token}",
        )
        if len(json.dumps(card, ensure_ascii=False).encode("utf-8")) <= MAX_CARD_BYTES:
            break
    turn.result.show(card)


async def _export(turn: Turn) -> dict[str, Any]:
    return {part.name: await part.export(turn) for part in turn.env.table.data}


def _make_link(repos: Repos, user: User, now: datetime) -> str:
    token = downloads.new_token()
    today = now.date()
    repos.feedback.add_link(
        ExportLink(
            token_hash=downloads.hash_token(token),
            user_id=user.id,
            team_id=None,
            program_id=None,
            what=downloads.MY_DATA,
            range_from=today,
            range_to=today,
            created_at=now,
            expires_at=downloads.expiry(now),
            downloads=0,
        )
    )
    return token


async def download(repos: Repos, env: Env, link: ExportLink) -> downloads.Download:
    """The file behind a live `my data` link: everything, as it is now, for the person
    the link was made for (a link is deleted with their data, so it is theirs)."""
    user = await repos.users.get(link.user_id)
    if user is None or user.erased_at is not None or user.teams_id is None:
        raise downloads.Refused(
            404, _("This download link is unknown. Ask Mentorbot for a new one.")
        )
    turn = Turn(_offline(user), repos, env, user)
    body = json.dumps(await _export(turn), indent=2, ensure_ascii=False, default=str)
    await repos.feedback.count_download(link.id)
    stamp = f"{turn.now:%Y-%m-%d}"  # i18n: not said
    return downloads.Download(f"mentorbot-my-data-{stamp}.json", body, "application/json")


def _offline(user: User) -> Inbound:
    """What a data part sees of a turn when the file is made outside one (the link
    opened in a browser): the person, and no conversation."""
    person = Person(user.teams_id or "", user.name, user.aad_object_id, user.email, user.upn)
    return Inbound(
        kind="message",
        tenant_id=user.tenant_id,
        service_url=user.service_url or "",
        conversation_id="",
        conversation_type="personal",
        sender=person,
        conversation_ref="",
    )


# --- the readable card --------------------------------------------------------------------
def _section(name: str, exported: Any, latest: int) -> dict[str, Any]:
    facts: list[dict[str, str]] = []
    lines: list[str] = []
    if isinstance(exported, list):
        lines += _list_lines(None, exported, latest)
    elif isinstance(exported, dict):
        for key, value in exported.items():
            _add(key, value, latest, facts, lines)
    if not facts and not lines:
        lines.append(_("Nothing stored."))
    return CARDS.part(
        "my_data_section",
        title=_label(name),
        facts=facts[:MAX_FACTS],
        has_facts=bool(facts),
        lines="\n".join(lines),
        has_lines=bool(lines),
    )


def _add(key: str, value: Any, latest: int, facts: list[dict[str, str]], lines: list[str]) -> None:
    label = _label(key)
    if value == []:
        facts.append({"title": label, "value": _("none")})
    elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
        lines += _list_lines(label, value, latest)
    elif isinstance(value, list):
        facts.append({"title": label, "value": _cut(", ".join(map(_text, value))) or "—"})
    elif isinstance(value, dict):
        shown = "; ".join(f"{_label(k).lower()} {_text(v)}" for k, v in value.items())
        facts.append({"title": label, "value": _cut(shown) or "—"})
    else:
        facts.append({"title": label, "value": _cut(_text(value)) or "—"})


def _list_lines(label: str | None, items: list[Any], latest: int) -> list[str]:
    if not items:
        return [_("{n} in all", n=0) if label is None else _("**{label}**: none", label=label)]
    shown = sorted(items, key=_when, reverse=True)[:latest]
    if shown and len(items) > len(shown):
        heading = (
            _("{n} in all (latest first)", n=len(items))
            if label is None
            else _("**{label}**: {n} (latest first)", label=label, n=len(items))
        )
    else:
        heading = (
            _("{n} in all", n=len(items))
            if label is None
            else _("**{label}**: {n}", label=label, n=len(items))
        )
    return [heading] + [f"- {_cut(_one_line(item))}" for item in shown]


def _when(item: Any) -> str:
    """The first date in an item, to put the latest first (items without one keep order)."""
    if isinstance(item, dict):
        for value in item.values():
            if isinstance(value, (datetime, date)):
                return value.isoformat()
    return ""


def _one_line(item: Any) -> str:
    if not isinstance(item, dict):
        return _text(item)
    values = [v for v in item.values() if isinstance(v, (str, int, float, datetime, date))]
    texts = [_text(v) for v in values if not isinstance(v, bool) and _text(v)]
    return " · ".join(texts[:3])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"  # i18n: not said (the export's own form)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return " ".join(str(value).split())


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1].rstrip() + "…"


def _label(key: str) -> str:
    """An export key as the card shows it ("time_zone_from_teams" -> "Time zone from
    teams"), translated when a catalog word for it is known (the account's own below)."""
    return _(key.replace("_", " ").capitalize())


# The account's parts and keys as _label shows them, for the catalogs.
LABELS = (
    N_("Account"),
    N_("Name"),
    N_("Email"),
    N_("User principal name"),
    N_("Teams user id"),
    N_("Aad object id"),
    N_("Tenant id"),
    N_("Time zone from teams"),
    N_("Locale"),
    N_("Status"),
    N_("Paused until"),
    N_("First seen"),
    N_("Last seen"),
    N_("Profile"),
    N_("Role"),
    N_("Skills offer"),
    N_("Skills want"),
    N_("Goals"),
    N_("Interests"),
    N_("Department"),
    N_("Location"),
    N_("Timezone"),
    N_("Languages"),
    N_("Meeting format"),
    N_("Meetings per month"),
    N_("Max mentees"),
    N_("Shared fields"),
    N_("Title history"),
    N_("Updated at"),
    N_("Teams"),
    N_("Team"),
    N_("Member"),
    N_("Joined"),
    N_("Left"),
    N_("Admin"),
)


async def ask_delete(turn: Turn) -> None:
    turn.result.show(CARDS.render("delete_confirm"))


async def confirm_delete(turn: Turn) -> None:
    traces = await _traces(turn)  # read before anything is erased
    # Last declared, first erased: the account (declared first) goes last.
    for part in reversed(turn.env.table.data):
        if part.erase is not None:
            await part.erase(turn)
    await _erase_traces(turn, traces)
    turn.say(
        _(
            "Done. I've deleted your profile and personal data and won't message you again. "
            "If you ever write to me again, we'll start fresh."
        )
    )


async def cancel_delete(turn: Turn) -> None:
    turn.say(_("Okay, nothing was deleted."))


# --- the account's own parts -------------------------------------------------------------
async def _account(turn: Turn) -> dict[str, Any]:
    user = turn.user
    return {
        "name": user.name,
        "email": user.email,
        "user_principal_name": user.upn,
        "teams_user_id": user.teams_id,
        "aad_object_id": user.aad_object_id,
        "tenant_id": user.tenant_id,
        "time_zone_from_teams": user.timezone_hint,
        "locale": user.locale,
        "status": status(user, await today_of(turn.repos, user, turn.now)),
        "paused_until": user.paused_until,
        "first_seen": user.first_seen_at,
        "last_seen": user.last_seen_at,
    }


# Shorter strings would match too much of other people's messages.
MIN_ID_CHARS, MIN_WORDS_CHARS = 3, 4


@dataclass(frozen=True)
class Traces:
    """Read before anything is erased: the Teams id, and what to look for in messages
    to others (their ids, name and addresses, and the words each data part names)."""

    teams_id: str | None
    needles: list[str]


async def _traces(turn: Turn) -> Traces:
    user = turn.user
    identity = [user.teams_id, user.aad_object_id, user.name, user.email, user.upn]
    needles = [t for t in identity if t and len(t) >= MIN_ID_CHARS]
    for part in turn.env.table.data:
        if part.words is not None:
            words = part.words(await part.export(turn))
            needles += [w.strip() for w in words if w and len(w.strip()) >= MIN_WORDS_CHARS]
    return Traces(user.teams_id, needles)


async def _erase_traces(turn: Turn, traces: Traces) -> None:
    """Beyond the features' tables: the outbox (theirs, and others' messages carrying
    their name or words), the activities remembered for repeats, a team's reference to
    them as its installer."""
    user, repos = turn.user, turn.repos
    await repos.outbox.erase_user(user.id, traces.needles, turn.now)
    await repos.inbound.erase_user(user.id, traces.needles)
    if traces.teams_id:
        await repos.teams.forget_person(traces.teams_id)


async def _erase_account(turn: Turn) -> None:
    """Runs last: blank the row, and keep it for the counts."""
    user, repos = turn.user, turn.repos
    await repos.admins.remove_user(user.id)
    for attr in PERSONAL_FIELDS:
        setattr(user, attr, None)
    user.opted_out, user.paused, user.erased_at = True, False, turn.now


async def _profile(turn: Turn) -> dict[str, Any] | None:
    current = await turn.repos.profiles.get(turn.user.id)
    return profile_mod.as_dict(current) if current else None


async def _erase_profile(turn: Turn) -> None:
    await turn.repos.profiles.delete(turn.user.id)


async def _teams(turn: Turn) -> list[dict[str, Any]]:
    user, repos = turn.user, turn.repos
    admin_of = {t.id for t in await repos.admins.teams_of(user.id)}
    return [
        {
            "team": t.name,
            "member": m.active,
            "joined": m.joined_at,
            "left": m.left_at,
            "admin": t.id in admin_of or t.installer_id == user.id,
        }
        for m, t in await repos.members.of_user(user.id)
    ]


PROFILE = DataPart(
    "profile",
    _profile,
    _erase_profile,
    lambda p: [(_("Profile"), _("yes") if p else _("not set up"))],
    words=lambda p: [p["goals"]] if p else [],
)
# dialogs/core/local_time.py status(): the words a person's status is exported as.
STATUSES = (N_("active"), N_("paused"), N_("opted out"))


def _status(account: dict[str, Any]) -> str:
    status_, until = str(account["status"]), account.get("paused_until")
    if until is not None and status_ == f"paused until {until}":  # i18n: not said
        return _("paused until {until}", until=i18n.when(until, "%Y-%m-%d"))
    return _(status_)


TEAMS = DataPart("teams", _teams, summary=lambda teams: [(_("Teams"), str(len(teams)))])
ACCOUNT = DataPart("account", _account, _erase_account, lambda a: [(_("Status"), _status(a))])
