"""`/graph status`, and a person's directory entry in `my data` / `delete my data`."""

from __future__ import annotations

import re
from typing import Any

from dialogs.core import i18n
from dialogs.core.admins import team_of
from dialogs.core.graph import FEATURES, what_of
from dialogs.core.i18n import N_
from dialogs.core.router import Turn

_ = i18n.catalog(__package__)

NOT_CONFIGURED = N_(
    "Microsoft Graph is not connected, so profiles are typed by hand, pairs get chat and "
    "meeting links instead of a group chat and an invite, and the manager rule applies "
    'only where profiles name managers. The README\'s "Connect Microsoft Graph" says '
    "how to turn it on (GRAPH_CREDENTIAL)."
)
STATES = {
    "working": N_("working"),
    "failing": N_("not answering right now ({detail}); I try again on my own"),
    "unknown": N_("not tried yet"),
}
# How dialogs/directory/store.py records a refusal other than a missing permission.
_ANSWERED = re.compile(r"Graph answered (\d+)")  # i18n: not said


async def graph_status(turn: Turn) -> None:
    team = team_of(turn)
    if not turn.env.graph:
        turn.say(_(NOT_CONFIGURED))
        return
    if not team.tenant_id:
        turn.say(_("I don't know this team's organisation yet, so I can't ask Graph for it."))
        return
    rows = await turn.repos.directory.features(team.tenant_id)
    lines = [
        _("**Microsoft Graph in {team}'s organisation**", team=team.name)
        if team.name
        else _("**Microsoft Graph in this team's organisation**")
    ]
    for name in FEATURES:
        row = rows.get(name)
        state = _state(row.state, row.detail) if row else _(STATES["unknown"])
        lines.append(_("- {what}: {state}", what=_first_up(what_of(name)), state=state))
    sync = await turn.repos.directory.sync_state(team.tenant_id)
    read = sync.synced_at if sync is not None else None
    when = _("not yet")
    if read:  # the same moment everywhere, written the one way
        when = read.strftime("%Y-%m-%d %H:%M UTC")  # i18n: not said
    lines.append(_("Directory last read: {when}.", when=when))
    turn.say("\n".join(lines))


def _first_up(text: str) -> str:
    """The English as it always was (str.capitalize); other languages keep their capitals
    ("Abteilung, Jobtitel, Büro und Vorgesetzte")."""
    return text.capitalize() if i18n.current() == i18n.SOURCE else text[:1].upper() + text[1:]


def _state(state: str, detail: str) -> str:
    if state == "missing":
        return _(
            "missing the application permission **{permission}** (grant it with admin consent)",
            permission=detail,
        )
    if state not in STATES:
        return state
    answered = _ANSWERED.fullmatch(detail)
    if answered:
        detail = _("Graph answered {status}", status=answered.group(1))
    return _(STATES[state], detail=detail)


async def export(turn: Turn) -> Any:
    entry = await turn.repos.directory.get(turn.user.id)
    if entry is None:
        return None
    return {
        "department": entry.department,
        "job_title": entry.job_title,
        "office": entry.office,
        "manager_entra_id": entry.manager_aad_id,
        "time_zone": entry.timezone,
        "time_zone_corrected_by_you": entry.zone_by_person,
        "language": entry.language,
        "working_hours": {
            "days": entry.work_days,
            "start": entry.work_start,
            "end": entry.work_end,
            "time_zone": entry.work_zone,
        },
        "read_at": entry.directory_at.isoformat() if entry.directory_at else None,
        "job_title_changes": [
            {"changed_at": c.changed_at, "old_title": c.old_title, "new_title": c.new_title}
            for c in await turn.repos.directory.title_changes(turn.user.id)
        ],
    }


async def erase(turn: Turn) -> None:
    await turn.repos.directory.erase(turn.user.id)


# Group chats not made yet: their intros (which name the members) are dropped with the
# person, as a partner's pending intro naming them is (dialogs/account/data.py).
UNMADE = ("pending", "created")


async def chats(turn: Turn) -> list[dict[str, Any]]:
    """The group chats the bot made (or was about to make) for their coffee groups."""
    return [
        {
            "made_at": chat.created_at,
            "state": chat.state,
            "teams_chat": bool(chat.chat_id),
        }
        for chat in await turn.repos.directory.chats_of_user(turn.user.id)
    ]


async def erase_chats(turn: Turn) -> None:
    """A chat not made yet is not made; made ones stay (the others are still in it)."""
    for chat in await turn.repos.directory.chats_of_user(turn.user.id):
        if chat.state in UNMADE:
            chat.state, chat.payload, chat.updated_at = "fallback", {}, turn.now
