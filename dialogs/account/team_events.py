"""The bot's life in a team: installed, members come and go, removed."""

from __future__ import annotations

import logging
from datetime import datetime

from dialogs.core import i18n, outbox
from dialogs.core.i18n import N_
from dialogs.core.people import join, languages_of, leave, touch_sender, upsert_people
from dialogs.core.router import Env
from dialogs.core.types import Inbound, TurnResult
from storage.models import Team, User
from storage.repos import Repos

log = logging.getLogger("mentorbot.team")
_ = i18n.catalog(__package__)

WELCOME = N_(
    "Hello {team}! I'm Mentorbot. I run mentoring programs, coffee chats and weekly "
    "icebreakers here. Everyone: chat with me 1:1 to set up your profile. "
    "Admins: @mention me with **/help** to see what you can steer. I'm reading the "
    "member list now and will tell the admins 1:1 when everyone is in."
)
GREETING = N_(
    "Hi {name}, welcome to {team}! I'm Mentorbot: I connect colleagues for mentoring "
    "and coffee chats. Say hi here to set up your profile, or type `help`."
)


async def installed(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    """Register the team, its General channel and installer (an admin, and a member at
    once); the roster is read in the background (dialogs/core/roster.py), so Teams gets
    its answer at once even for a team of 20,000."""
    now = env.clock()
    installer = await touch_sender(repos, inbound, now)
    team = await repos.teams.by_team_id(inbound.team_id or "")
    if team is None:
        team = await repos.teams.add(_new_team(inbound, installer, now))
    else:
        _reactivate(team, inbound, installer)
    await repos.admins.add(team.id, installer.id, None, now)
    await join(repos, team, [installer], now)
    job = await repos.roster_imports.start(team.id, now)
    log.info("team installed team=%s roster_import=%s", team.id, job.id)
    with i18n.speaking(team.language):  # the channel's language: the team's default
        welcome = _(WELCOME, team=team.name or _("team"))
    return TurnResult(route="team.installed").say(welcome)


async def members_added(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    now = env.clock()
    result = TurnResult(route="team.members_added")
    team = await _known_team(repos, inbound)
    if team is None:
        return result
    users = await upsert_people(repos, inbound.members, inbound, now)
    await join(repos, team, users, now)
    # Everyone the event names, once per team (the key): the roster import after an
    # install may have made them members a moment before this event arrived.
    languages = await languages_of(repos, users, team)
    for user in users:
        with i18n.speaking(languages[user.id]):  # each member's own language
            result.queued += await _greet(repos, team, user, now)
    return result


async def members_removed(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    team = await _known_team(repos, inbound)
    if team is not None:
        known = await repos.users.by_teams_ids(p.id for p in inbound.members)
        await leave(repos, team, {u.id for u in known.values()}, env.clock())
    return TurnResult(route="team.members_removed")


async def uninstalled(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    team = await _known_team(repos, inbound)
    if team is not None:
        team.active, team.removed_at = False, env.clock()
    return TurnResult(route="team.uninstalled")


async def _greet(repos: Repos, team: Team, user: User, now: datetime) -> int:
    if user.opted_out:
        return 0
    first = user.name.split()[0] if user.name else _("there")
    message = outbox.to_user(
        outbox.key("welcome", team=team.id, user=user.id),
        user.id,
        text=_(GREETING, name=first, team=team.name or _("the team")),
        team_id=team.id,
    )
    return await outbox.queue(repos, message, now)


async def _known_team(repos: Repos, inbound: Inbound) -> Team | None:
    team = await repos.teams.by_team_id(inbound.team_id or "")
    if team is None:
        log.warning("event for a team that was never registered (%s)", inbound.kind)
    return team


def _new_team(inbound: Inbound, installer: User, now: datetime) -> Team:
    return Team(
        tenant_id=inbound.tenant_id,
        team_id=inbound.team_id,
        aad_group_id=inbound.aad_group_id,
        name=inbound.team_name,
        service_url=inbound.service_url,
        general_ref=inbound.conversation_ref,
        installer_id=installer.id,
        active=True,
        installed_at=now,
    )


def _reactivate(team: Team, inbound: Inbound, installer: User) -> None:
    team.active, team.removed_at = True, None
    team.name = inbound.team_name or team.name
    team.service_url, team.general_ref = inbound.service_url, inbound.conversation_ref
    team.installer_id = installer.id
    team.tenant_id = inbound.tenant_id or team.tenant_id
