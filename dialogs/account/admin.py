"""Admin commands about the team itself: /admin add|remove|list, /team, /delivery.

The dispatcher has already resolved `turn.team` and checked that the sender is an
admin of it before any handler here runs.
"""

from __future__ import annotations

from dialogs.core.admins import is_admin, is_global_admin, team_of
from dialogs.core.people import display, team_member_named
from dialogs.core.router import Turn
from storage.models import User


async def admin_add(turn: Turn) -> None:
    target = await _target(turn, "add")
    if target is None:
        return
    team = team_of(turn)
    if await is_admin(turn, team, target):
        turn.say(f"{display(target)} is already an admin of {team.name}.")
        return
    await turn.repos.admins.add(team.id, target.id, turn.user.id, turn.now)
    turn.say(f"{display(target)} is now an admin of {team.name}.")


async def admin_remove(turn: Turn) -> None:
    target = await _target(turn, "remove")
    if target is None:
        return
    team = team_of(turn)
    if team.installer_id == target.id:
        turn.say(f"{display(target)} installed me in {team.name} and stays an admin there.")
    elif is_global_admin(turn, target):
        turn.say(
            f"{display(target)} is a global admin (the ADMINS setting); "
            "change that setting to remove them."
        )
    elif await turn.repos.admins.remove(team.id, target.id):
        turn.say(f"{display(target)} is no longer an admin of {team.name}.")
    else:
        turn.say(f"{display(target)} wasn't an admin of {team.name}. Nothing changed.")


async def admin_list(turn: Turn) -> None:
    team = team_of(turn)
    lines = [f"Admins of {team.name}:"]
    installer = await turn.repos.users.get(team.installer_id) if team.installer_id else None
    if installer is not None:
        lines.append(f"- {display(installer)} (installed the app)")
    lines += [
        f"- {display(u)}"
        for u in await turn.repos.admins.of_team(team.id)
        if u.id != team.installer_id
    ]
    if turn.env.admins:
        lines.append(f"- plus {len(turn.env.admins)} global admin id(s) from the ADMINS setting")
    turn.say("\n".join(lines))


async def team_info(turn: Turn) -> None:
    team = team_of(turn)
    counts = await turn.repos.members.team_counts(team.id)
    admins = await turn.repos.admins.of_team(team.id)
    installer = await turn.repos.users.get(team.installer_id) if team.installer_id else None
    admin_count = len({u.id for u in admins} | ({installer.id} if installer else set()))
    turn.say(
        "\n".join(
            [
                f"**{team.name}**",
                f"- Installed {team.installed_at:%Y-%m-%d} by {display(installer)}",
                f"- Status: {'active' if team.active else 'removed'}",
                f"- Members: {counts['active']} active, {counts['inactive']} left",
                f"- Profiles set up: {counts['profiles']}",
                f"- Paused: {counts['paused']}, opted out: {counts['opted_out']}",
                f"- Admins: {admin_count}",
            ]
        )
    )


async def _target(turn: Turn, verb: str) -> User | None:
    """The user a command names: an @mention, or user=<name or email> / free text."""
    team = team_of(turn)
    mentions = turn.inbound.mentions
    if len(mentions) > 1:
        turn.say(f"Please name one person at a time: `/admin {verb} @name`.")
        return None
    if mentions:
        user = await turn.repos.users.by_teams_id(mentions[0].id)
        if user is None:
            turn.say(
                f"I don't know {mentions[0].name or 'that person'} yet; "
                f"are they a member of {team.name}?"
            )
        return user
    query = (turn.args.get("user") or turn.rest).strip().lstrip("@")
    if not query:
        turn.say(
            f"Who? Try `/admin {verb} @name` in the team channel, "
            f"or `/admin {verb} user=name@example.com` here."
        )
        return None
    return await team_member_named(turn, team, query)


async def delivery_status(turn: Turn) -> None:
    team = team_of(turn)
    counts = await turn.repos.outbox.team_counts(team.id)
    unreachable = await turn.repos.users.unreachable_in_team(team.id)
    lines = [
        f"**Delivery in {team.name}**",
        f"- Waiting: {counts['pending'] + counts['sending']}",
        f"- Sent: {counts['sent']}",
        f"- Failed: {counts['failed']}",
        f"- Unreachable members (removed or blocked the app): {unreachable}",
    ]
    failures = await turn.repos.outbox.last_failures(team.id, 5)
    if failures:
        lines.append("Last failures:")
        lines += [
            f"- {_purpose(m.idempotency_key)} to {display(u)}: {m.last_error}" for m, u in failures
        ]
        lines.append("`/delivery retry` queues the failed ones again.")
    turn.say("\n".join(lines))


async def delivery_retry(turn: Turn) -> None:
    team = team_of(turn)
    count = await turn.repos.outbox.requeue_failed(team.id)
    turn.result.queued += count
    turn.say(
        f"Queued {count} failed message(s) again."
        if count
        else "Nothing has failed, so nothing was queued."
    )


def _purpose(key: str) -> str:
    return key.split(":", 1)[0]
