"""`my data` and `delete my data`: each feature declares its part (core.router.DataPart);
this module puts the parts together, and erases the account itself last."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dialogs.account import profile as profile_mod
from dialogs.account.profile import CARDS
from dialogs.core.local_time import status, today_of
from dialogs.core.router import DataPart, Turn

# A card's text stays well under Teams' 80 KB message limit.
MAX_EXPORT_CHARS = 60_000
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
    parts = turn.env.table.data
    export = {part.name: await part.export(turn) for part in parts}
    text = json.dumps(export, indent=2, ensure_ascii=False, default=str)
    if len(text) > MAX_EXPORT_CHARS:
        text = text[:MAX_EXPORT_CHARS] + "\n… (cut here to fit a Teams message)"
    summary = [
        {"title": title, "value": value}
        for part in parts
        if part.summary is not None
        for title, value in part.summary(export[part.name])
    ]
    turn.result.show(CARDS.render("my_data", summary=summary, json=f"```\n{text}\n```"))


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
        "Done. I've deleted your profile and personal data and won't message you again. "
        "If you ever write to me again, we'll start fresh."
    )


async def cancel_delete(turn: Turn) -> None:
    turn.say("Okay, nothing was deleted.")


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
    lambda p: [("Profile", "yes" if p else "not set up")],
    words=lambda p: [p["goals"]] if p else [],
)
TEAMS = DataPart("teams", _teams, summary=lambda teams: [("Teams", str(len(teams)))])
ACCOUNT = DataPart("account", _account, _erase_account, lambda a: [("Status", str(a["status"]))])
