"""Admin commands about the team itself: /admin add|remove|list, /team, /delivery.

The dispatcher has already resolved `turn.team` and checked that the sender is an
admin of it before any handler here runs.
"""

from __future__ import annotations

from dataclasses import replace

from dialogs.core import outbox
from dialogs.core.admins import is_admin, is_global_admin, team_of
from dialogs.core.people import display, team_member_named
from dialogs.core.router import Turn
from dialogs.core.words import plural
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
        lines.append(
            f"- plus {plural(len(turn.env.admins), 'global admin id')} from the ADMINS setting"
        )
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
                f"- Taking a break (paused themselves): {counts['paused']}",
                "- Paused from coffee chats after 3 unanswered follow-ups: "
                f"{counts['ghost_paused']}",
                f"- Opted out: {counts['opted_out']}",
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
        f"Queued {plural(count, 'failed message')} again."
        if count
        else "Nothing has failed, so nothing was queued."
    )


def _purpose(key: str) -> str:
    return key.split(":", 1)[0]


# --- /team welcome ---------------------------------------------------------------------
# One greeting every this many seconds: a big team's hellos trickle out, well inside
# Teams' limits for opening 1:1 chats, and never all at once.
WELCOME_GAP_SECONDS = 0.25
WELCOME_TEXT = (
    "Hi {name}! {admin} asked me to say hello. I'm Mentorbot: in {team} I run coffee "
    "chats, weekly icebreakers and mentoring programs. Say hi here to set up your "
    "profile (it takes two minutes), or type `help` to see what I can do."
)
_KEYS_AT_ONCE = 500


async def welcome_members(turn: Turn) -> None:
    """`/team welcome`: greet every member 1:1 once, skipping who already talks to me."""
    team = team_of(turn)
    members = await turn.repos.members.active_users(team.id)
    talked = [u for u in members if _talked(u)]
    out = [u for u in members if not _talked(u) and not _reachable(u)]
    waiting = [u for u in members if not _talked(u) and _reachable(u)]
    greeted = await _greeted_before(turn, team.id, waiting)
    new = [u for u in waiting if u.id not in greeted]
    previous: str | None = None
    for user in new:
        message = outbox.to_user(
            outbox.key("teamwelcome", user=user.id),
            user.id,
            text=WELCOME_TEXT.format(
                name=user.name.split()[0] if user.name else "there",
                admin=display(turn.user),
                team=team.name or "your team",
            ),
            team_id=team.id,
        )
        if previous is not None:
            message = replace(message, after=previous, gap_seconds=WELCOME_GAP_SECONDS)
        turn.result.queued += await outbox.queue(turn.repos, message, turn.now)
        previous = message.key
    turn.say(_welcome_report(team.name or "your team", len(new), talked, greeted, out))


def _talked(user: User) -> bool:
    return user.last_seen_at is not None  # set by their own messages only


def _reachable(user: User) -> bool:
    return bool(user.teams_id) and not user.opted_out and user.erased_at is None


async def _greeted_before(turn: Turn, team_id: int, users: list[User]) -> set[int]:
    """Who had a hello already: from this command, or when they joined the team."""
    found: set[int] = set()
    for start in range(0, len(users), _KEYS_AT_ONCE):
        chunk = users[start : start + _KEYS_AT_ONCE]
        keys = {outbox.key("teamwelcome", user=u.id): u.id for u in chunk}
        keys |= {outbox.key("welcome", team=team_id, user=u.id): u.id for u in chunk}
        rows = await turn.repos.outbox.by_keys(keys)
        found |= {keys[k] for k in rows}
    return found


def _welcome_report(
    team: str, new: int, talked: list[User], greeted: set[int], out: list[User]
) -> str:
    if new:
        seconds = int(new * WELCOME_GAP_SECONDS)
        when = "in a moment" if seconds < 60 else f"over the next {seconds // 60 + 1} minutes"
        head = f"I'm greeting {_people(new)} of {team} 1:1, {when}."
    else:
        head = f"Nobody in {team} is left to greet."
    skipped = [
        f"{_people(len(talked))} already talk to me" if talked else "",
        f"{_people(len(greeted))} had a hello before" if greeted else "",
        f"{_people(len(out))} opted out or can't be reached" if out else "",
    ]
    shown = [s for s in skipped if s]
    return head + (" Skipped: " + "; ".join(shown) + "." if shown else "")


def _people(n: int) -> str:
    return plural(n, "member")
