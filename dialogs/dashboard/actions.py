"""The insights' buttons: the chat command an insight names, run for the signed-in admin
exactly as if they had typed it in their 1:1 chat with the bot. The same route table
entry, the same admin check (dialogs/core/admins.authorize) and the same handler, so a
button can do nothing the chat command would refuse. The command's text replies are
shown on the tab; a card it answers with goes to the admin's 1:1 chat (through the
outbox, committed with the rest of the turn)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.core import dispatch, outbox
from dialogs.core.i18n import N_
from dialogs.core.router import Env, Turn
from dialogs.core.types import Inbound, Person
from dialogs.dashboard.access import NOT_YOURS, Refused
from dialogs.dashboard.pages import program_of
from storage.models import Program, Team, User
from storage.repos import Repos

# The insight's button -> the chat command it runs (with the program's name).
ACTIONS = {  # i18n: not said (command names)
    "match_run": "/match run",  # i18n: not said
    "match_review": "/match review",  # i18n: not said
    "invite": "/program invite",  # i18n: not said
    "nudge": "/program nudge",  # i18n: not said
    "remind": "/survey remind",  # i18n: not said
}


@dataclass
class Done:
    command: str
    replies: list[str] = field(default_factory=list)
    cards_sent: int = 0
    queued: int = 0


async def press(repos: Repos, env: Env, user: User, program_id: object, key: str) -> Done:
    """The button `key` on a program's page: the admin's rights on the program checked
    now (as for the page), then the command, which checks its own again."""
    program, team = await program_of(repos, env.admins, user, program_id)
    return await run(repos, env, user, program, team, key)


async def run(repos: Repos, env: Env, user: User, program: Program, team: Team, key: str) -> Done:
    name = ACTIONS.get(key)
    parsed = env.table.parse(name) if name else None
    command = parsed.command if parsed else None
    if name is None or command is None:
        raise Refused(
            400, N_("Unknown action"), N_("That button is not one I know. Nothing changed.")
        )
    if user.teams_id is None:
        raise NOT_YOURS
    turn = Turn(_inbound(user, team, f"{name} {program.name}"), repos, env, user)
    turn.command, turn.args = command, {"name": program.name, "team": team.name or ""}
    turn.result.route = f"tab:{command.name}"
    await dispatch.run_command(turn)
    done = Done(f"{name} {program.name}", queued=turn.result.queued)
    for n, reply in enumerate(turn.result.replies):
        if reply.text:
            done.replies.append(reply.text)
        if reply.card is not None:
            card = outbox.to_user(
                outbox.key("tabaction", key, user=user.id, n=n, at=turn.now.isoformat()),
                user.id,
                text=reply.text,
                card=reply.card,
                team_id=team.id,
            )
            done.queued += await outbox.queue(repos, card, turn.now)
            done.cards_sent += 1
    return done


def _inbound(user: User, team: Team, text: str) -> Inbound:
    """The admin's 1:1 chat, as a typed command would come from it."""
    return Inbound(
        kind="message",
        tenant_id=user.tenant_id,
        service_url=user.service_url or team.service_url,
        conversation_id=f"tab:{user.id}",
        conversation_type="personal",
        sender=Person(user.teams_id or "", user.name, user.aad_object_id),
        conversation_ref=user.personal_ref or "",
        text=text,
    )
