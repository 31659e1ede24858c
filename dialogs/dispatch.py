"""One entry point for every turn: Inbound + repositories -> TurnResult."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dialogs import account, icebreakers, team_events
from dialogs.admin import is_admin
from dialogs.people import touch_sender
from dialogs.router import Command, Env, Turn
from dialogs.types import Inbound, TurnResult
from storage.models import Team
from storage.repos import Repos

EventHandler = Callable[[Inbound, Repos, Env], Awaitable[TurnResult]]
TEAM_EVENTS: dict[str, EventHandler] = {
    "team_install": team_events.installed,
    "members_added": team_events.members_added,
    "members_removed": team_events.members_removed,
    "team_uninstall": team_events.uninstalled,
}


async def handle(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    event = TEAM_EVENTS.get(inbound.kind)
    if event is not None:
        return await event(inbound, repos, env)
    user = await touch_sender(repos, inbound, env.clock())
    turn = Turn(inbound, repos, env, user)
    if inbound.kind == "personal_install":
        turn.result.route = "onboarding.start"
        await account.start_onboarding(turn)
    elif inbound.kind == "submit":
        await _on_submit(turn)
    else:
        await _on_message(turn)
    return turn.result


async def _on_submit(turn: Turn) -> None:
    value = turn.inbound.value
    name = value.get("action") if isinstance(value, dict) else None
    action = turn.env.table.actions.get(name) if isinstance(name, str) else None
    turn.result.route = f"action:{name}" if action else "action:unknown"
    if action is None:
        turn.say(
            "Sorry, I didn't understand that card. It may be from an older version; "
            "type `help` to start again. Nothing was changed."
        )
        return
    scope = "personal" if turn.inbound.is_personal else _scope(turn.inbound)
    if scope not in action.scopes:
        turn.say(
            "Please use that card in our 1:1 chat."
            if "personal" in action.scopes
            else "That card only works where I posted it. Nothing was changed."
        )
        return
    await action.handler(turn)


async def _on_message(turn: Turn) -> None:
    table, inbound = turn.env.table, turn.inbound
    if await icebreakers.thread_reply(turn):  # a reply under an icebreaker is an answer
        return
    parsed = table.parse(inbound.text)
    if parsed is None:
        await _unknown(turn)
        return
    command = parsed.command
    turn.command, turn.args, turn.rest = command, parsed.args, parsed.rest
    turn.result.route = command.name
    scope = "personal" if inbound.is_personal else _scope(inbound)
    if scope not in command.scopes:
        turn.say(f"`{command.name}` is private; please send it to me in our 1:1 chat.")
        return
    unknown = sorted(set(parsed.args) - {a.name for a in command.args})
    if unknown:
        turn.say(_unknown_options(command, unknown))
        return
    if command.who == "admin" and not await _authorize(turn, command):
        return
    await command.handler(turn)


def _unknown_options(command: Command, unknown: list[str]) -> str:
    named = ", ".join(f"`{k}=`" for k in unknown)
    takes = ", ".join(f"`{a.name}=` ({a.help})" for a in command.args)
    options = f" It takes {takes}." if takes else " It takes no options."
    return f"`{command.name}` doesn't know {named}.{options} Nothing changed."


async def _unknown(turn: Turn) -> None:
    turn.result.route = "unknown"
    text = turn.inbound.text.strip()
    suggestion = turn.env.table.suggest(text) if text else None
    if await _greet_instead(turn, text, suggestion):
        turn.result.route = "onboarding.start"
        await account.start_onboarding(turn)
        return
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    turn.say(f"Sorry, I don't know that command.{hint} Type `help` to see what I can do.")


async def _greet_instead(turn: Turn, text: str, suggestion: str | None) -> bool:
    """A first message, or chatter from someone without a profile, starts onboarding."""
    if not turn.inbound.is_personal or text.startswith("/"):
        return False
    if turn.user.onboarding_sent_at is not None and suggestion is not None:
        return False
    return await turn.repos.profiles.get(turn.user.id) is None


async def _authorize(turn: Turn, command: Command) -> bool:
    team = await _resolve_team(turn)
    if team is None:
        return False
    turn.team = team
    if await is_admin(turn, team, turn.user):
        return True
    turn.say(
        f"Sorry, `{command.name}` is for admins of {team.name}. "
        "Ask one of them (or the person who installed me) to run it. Nothing changed."
    )
    return False


async def _resolve_team(turn: Turn) -> Team | None:
    """The team an admin command acts on: this channel's, or the one named/implied 1:1."""
    inbound, repos = turn.inbound, turn.repos
    if inbound.team_id:
        team = await repos.teams.by_team_id(inbound.team_id)
        if team is None or not team.active:
            turn.say("I don't have this team registered. Try removing and adding me again.")
        return team if team and team.active else None
    candidates = await _admin_teams(turn)
    wanted = turn.args.get("team")
    if wanted:
        named = [t for t in candidates if (t.name or "").lower() == wanted.lower()]
        if named:
            return named[0]
        turn.say(
            f"You don't admin a team called '{wanted}'."
            + _team_list(candidates)
            + " Nothing changed."
        )
        return None
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        turn.say(
            f"Sorry, `{turn.command.name if turn.command else ''}` is for team admins, "
            "and you don't admin any team I'm in. Nothing changed."
        )
    else:
        turn.say('Which team? Add `team="Team name"`.' + _team_list(candidates))
    return None


async def _admin_teams(turn: Turn) -> list[Team]:
    user, repos = turn.user, turn.repos
    if user.teams_id in turn.env.admins or (user.aad_object_id or "") in turn.env.admins:
        return await repos.teams.active()
    teams = {t.id: t for t in await repos.admins.teams_of(user.id)}
    teams |= {t.id: t for t in await repos.teams.installed_by(user.id)}
    return sorted(teams.values(), key=lambda t: t.id)


def _team_list(teams: list[Team]) -> str:
    return (" Your teams: " + ", ".join(f"'{t.name}'" for t in teams) + ".") if teams else ""


def _scope(inbound: Inbound) -> str:
    return "team" if inbound.conversation_type == "channel" else "groupChat"
