"""One rule for acting in a team, on a team's card, or for a team: the person must be an
active member of that team or administer it (dialogs/core/admins.py). Dispatch applies it
to everything said or pressed in a team's channel; handlers of 1:1 cards and commands
that name a team's thing (a program, a coffee round, a mentorship) apply it to that
thing's team. Membership is what the roster and Teams' member events told the bot."""

from __future__ import annotations

from dialogs.core import i18n
from dialogs.core.admins import administers
from dialogs.core.router import Env, Turn
from storage.models import Team, User
from storage.repos import Repos

_ = i18n.catalog(__package__)


async def active_in(repos: Repos, team_id: int | None, user_ids: list[int]) -> bool:
    """Whether all these people are active members of the team (pairs need both)."""
    if team_id is None:
        return False
    memberships = await repos.members.for_team(team_id)
    return all(m is not None and m.active for m in map(memberships.get, user_ids))


async def may_act_for(repos: Repos, env: Env, team: Team, user: User | None) -> bool:
    if not team.active or user is None or user.teams_id is None:
        return False
    membership = await repos.members.get(team.id, user.id)
    if membership is not None and membership.active:
        return True
    return await administers(repos, env.admins, team, user)


def refusal(team: Team) -> str:
    if not team.name:
        return _(
            "Sorry, only members of that team can do that, and it's a team you're not in "
            "(as far as Teams has told me). Nothing was changed."
        )
    return _(
        "Sorry, only members of {team} can do that, and it's a team you're not in (as far "
        "as Teams has told me). Nothing was changed.",
        team=team.name,
    )


async def require(turn: Turn, team_id: int, *, quiet: bool = False) -> bool:
    """True when the sender may act for the team; else say so (unless `quiet`)."""
    team = await turn.repos.teams.get(team_id)
    if team is not None and await may_act_for(turn.repos, turn.env, team, turn.user):
        return True
    if not quiet:
        turn.say(
            refusal(team) if team is not None else _("I can't find that team. Nothing changed.")
        )
    return False
