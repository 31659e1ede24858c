"""Who may steer a team, in one place: the team's installer, people added with `/admin
add` (rows in `team_admins`), and the global ids of the ADMINS setting (Teams or Entra
ids). Admin commands resolve the team they act on here before their handler runs."""

from __future__ import annotations

from collections.abc import Iterable

from dialogs.core import i18n
from dialogs.core.router import Command, Turn
from storage.models import Team, User
from storage.repos import Repos

_ = i18n.catalog(__package__)


def is_global_admin(turn: Turn, user: User) -> bool:
    return _global(turn.env.admins, user)


def _global(admins: frozenset[str], user: User) -> bool:
    return user.teams_id in admins or (user.aad_object_id or "") in admins


async def is_admin(turn: Turn, team: Team, user: User) -> bool:
    return await administers(turn.repos, turn.env.admins, team, user)


async def administers(repos: Repos, admins: frozenset[str], team: Team, user: User) -> bool:
    """The rule itself, for callers without a turn (a download link opened later)."""
    if _global(admins, user) or team.installer_id == user.id:
        return True
    return await repos.admins.is_admin(team.id, user.id)


async def admin_teams(turn: Turn) -> list[Team]:
    """The active teams the sender administers."""
    return await teams_administered(turn.repos, turn.env.admins, turn.user)


async def teams_administered(repos: Repos, admins: frozenset[str], user: User) -> list[Team]:
    """The rule of `administers`, for every team at once (the dashboard's list)."""
    if _global(admins, user):
        return await repos.teams.active()
    teams = {t.id: t for t in await repos.admins.teams_of(user.id)}
    teams |= {t.id: t for t in await repos.teams.installed_by(user.id)}
    return sorted((t for t in teams.values() if t.active), key=lambda t: t.id)


async def authorize(turn: Turn, command: Command) -> bool:
    """Resolve `turn.team` for an admin command and check the sender administers it."""
    team = await _resolve_team(turn)
    if team is None:
        return False
    turn.team = team
    if await is_admin(turn, team, turn.user):
        # Admin commands on one team take turns, across replicas: two `/pair now` pressed
        # at once make one round, and the second admin is told it just ran.
        await turn.repos.teams.lock(team.id)
        return True
    turn.say(
        _(
            "Sorry, `{command}` is for admins of {team}. Ask one of them (or the person who "
            "installed me) to run it. Nothing changed.",
            command=command.said_in(i18n.current()),
            team=team.name,
        )
    )
    return False


async def _resolve_team(turn: Turn) -> Team | None:
    """The team an admin command acts on: this channel's, or the one named/implied 1:1."""
    inbound, repos = turn.inbound, turn.repos
    if inbound.team_id:
        team = await repos.teams.by_team_id(inbound.team_id)
        if team is None or not team.active:
            turn.say(_("I don't have this team registered. Try removing and adding me again."))
        return team if team and team.active else None
    candidates = await admin_teams(turn)
    wanted = turn.args.get("team")
    if wanted:
        named = [t for t in candidates if (t.name or "").lower() == wanted.lower()]
        if named:
            return named[0]
        if candidates:
            turn.say(
                _(
                    "You don't admin a team called '{wanted}'. Your teams: {teams}. "
                    "Nothing changed.",
                    wanted=wanted,
                    teams=_team_list(candidates),
                )
            )
        else:
            turn.say(_("You don't admin a team called '{wanted}'. Nothing changed.", wanted=wanted))
        return None
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        turn.say(
            _(
                "Sorry, `{command}` is for team admins, and you don't admin any team I'm in. "
                "Nothing changed.",
                command=turn.command.said_in(i18n.current()) if turn.command else "",
            )
        )
    else:
        turn.say(
            _(
                'Which team? Add `team="Team name"`. Your teams: {teams}.',
                teams=_team_list(candidates),
            )
        )
    return None


def _team_list(teams: list[Team]) -> str:
    return ", ".join(f"'{t.name}'" for t in teams)


def team_of(turn: Turn) -> Team:
    """The team an admin command acts on (resolved and checked before its handler ran)."""
    assert turn.team is not None, "admin handlers run after authorize()"
    return turn.team


async def uninvolved_admins(
    repos: Repos, team_id: int, involved: Iterable[int]
) -> tuple[list[User], list[User]]:
    """Whom to tell as a team's admins about a matter of `involved` people: the reachable
    admins who are not part of it, and (second) those left out because they are."""
    everyone = await repos.admins.reachable_of_team(team_id)
    inside = set(involved)
    return [a for a in everyone if a.id not in inside], [a for a in everyone if a.id in inside]
