"""Admin commands about the team itself: /admin add|remove|list, /team, /delivery.

The dispatcher has already resolved `turn.team` and checked that the sender is an
admin of it before any handler here runs.
"""

from __future__ import annotations

from dataclasses import replace

from dialogs.core import i18n, outbox
from dialogs.core.admins import is_admin, is_global_admin, team_of
from dialogs.core.i18n import N_
from dialogs.core.people import display, languages_of, team_member_named
from dialogs.core.router import Turn
from storage.models import User

_ = i18n.catalog(__package__)


async def admin_add(turn: Turn) -> None:
    target = await _target(turn, "add")
    if target is None:
        return
    team = team_of(turn)
    if await is_admin(turn, team, target):
        turn.say(_("{name} is already an admin of {team}.", name=display(target), team=team.name))
        return
    await turn.repos.admins.add(team.id, target.id, turn.user.id, turn.now)
    turn.say(_("{name} is now an admin of {team}.", name=display(target), team=team.name))


async def admin_remove(turn: Turn) -> None:
    target = await _target(turn, "remove")
    if target is None:
        return
    team = team_of(turn)
    if team.installer_id == target.id:
        turn.say(
            _(
                "{name} installed me in {team} and stays an admin there.",
                name=display(target),
                team=team.name,
            )
        )
    elif is_global_admin(turn, target):
        turn.say(
            _(
                "{name} is a global admin (the ADMINS setting); "
                "change that setting to remove them.",
                name=display(target),
            )
        )
    elif await turn.repos.admins.remove(team.id, target.id):
        turn.say(_("{name} is no longer an admin of {team}.", name=display(target), team=team.name))
    else:
        turn.say(
            _(
                "{name} wasn't an admin of {team}. Nothing changed.",
                name=display(target),
                team=team.name,
            )
        )


async def admin_list(turn: Turn) -> None:
    team = team_of(turn)
    lines = [_("Admins of {team}:", team=team.name)]
    installer = await turn.repos.users.get(team.installer_id) if team.installer_id else None
    if installer is not None:
        lines.append(_("- {name} (installed the app)", name=display(installer)))
    lines += [
        f"- {display(u)}"
        for u in await turn.repos.admins.of_team(team.id)
        if u.id != team.installer_id
    ]
    if turn.env.admins:
        lines.append(
            _.ngettext(
                "- plus {n} global admin id from the ADMINS setting",
                "- plus {n} global admin ids from the ADMINS setting",
                len(turn.env.admins),
            )
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
                _(
                    "- Installed {when} by {name}",
                    when=i18n.when(team.installed_at, "%Y-%m-%d"),
                    name=display(installer),
                ),
                _("- Status: {status}", status=_("active") if team.active else _("removed")),
                _(
                    "- Members: {active} active, {left} left",
                    active=counts["active"],
                    left=counts["inactive"],
                ),
                _("- Profiles set up: {n}", n=counts["profiles"]),
                _("- Taking a break (paused themselves): {n}", n=counts["paused"]),
                _(
                    "- Paused from coffee chats after 3 unanswered follow-ups: {n}",
                    n=counts["ghost_paused"],
                ),
                _("- Opted out: {n}", n=counts["opted_out"]),
                _("- Admins: {n}", n=admin_count),
            ]
        )
    )


async def _target(turn: Turn, verb: str) -> User | None:
    """The user a command names: an @mention, or user=<name or email> / free text."""
    team = team_of(turn)
    mentions = turn.inbound.mentions
    if len(mentions) > 1:
        turn.say(_("Please name one person at a time: `/admin {verb} @name`.", verb=verb))
        return None
    if mentions:
        user = await turn.repos.users.by_teams_id(mentions[0].id)
        if user is None:
            turn.say(
                _(
                    "I don't know {name} yet; are they a member of {team}?",
                    name=mentions[0].name or _("that person"),
                    team=team.name,
                )
            )
        return user
    query = (turn.args.get("user") or turn.rest).strip().lstrip("@")
    if not query:
        turn.say(
            _(
                "Who? Try `/admin {verb} @name` in the team channel, "
                "or `/admin {verb} user=name@example.com` here.",
                verb=verb,
            )
        )
        return None
    return await team_member_named(turn, team, query)


async def delivery_status(turn: Turn) -> None:
    team = team_of(turn)
    counts = await turn.repos.outbox.team_counts(team.id)
    unreachable = await turn.repos.users.unreachable_in_team(team.id)
    lines = [
        _("**Delivery in {team}**", team=team.name),
        _("- Waiting: {n}", n=counts["pending"] + counts["sending"]),
        _("- Sent: {n}", n=counts["sent"]),
        _("- Failed: {n}", n=counts["failed"]),
        _("- Unreachable members (removed or blocked the app): {n}", n=unreachable),
    ]
    failures = await turn.repos.outbox.last_failures(team.id, 5)
    if failures:
        lines.append(_("Last failures:"))
        lines += [
            _(
                "- {purpose} to {name}: {error}",
                purpose=_purpose(m.idempotency_key),
                name=display(u),
                error=m.last_error,
            )
            for m, u in failures
        ]
        lines.append(_("`/delivery retry` queues the failed ones again."))
    turn.say("\n".join(lines))


async def delivery_retry(turn: Turn) -> None:
    team = team_of(turn)
    count = await turn.repos.outbox.requeue_failed(team.id)
    turn.result.queued += count
    turn.say(
        _.ngettext("Queued {n} failed message again.", "Queued {n} failed messages again.", count)
        if count
        else _("Nothing has failed, so nothing was queued.")
    )


def _purpose(key: str) -> str:
    return key.split(":", 1)[0]


# --- /team welcome ---------------------------------------------------------------------
# One greeting every this many seconds: a big team's hellos trickle out, well inside
# Teams' limits for opening 1:1 chats, and never all at once.
WELCOME_GAP_SECONDS = 0.25
WELCOME_TEXT = N_(
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
    languages = await languages_of(turn.repos, new, team)
    for user in new:
        with i18n.speaking(languages[user.id]):  # each member's own language
            text = _(
                WELCOME_TEXT,
                name=user.name.split()[0] if user.name else _("there"),
                admin=display(turn.user),
                team=team.name or _("your team"),
            )
        message = outbox.to_user(
            outbox.key("teamwelcome", user=user.id),
            user.id,
            text=text,
            team_id=team.id,
        )
        if previous is not None:
            message = replace(message, after=previous, gap_seconds=WELCOME_GAP_SECONDS)
        turn.result.queued += await outbox.queue(turn.repos, message, turn.now)
        previous = message.key
    turn.say(_welcome_report(team.name or _("your team"), len(new), talked, greeted, out))


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
        when = (
            _("in a moment")
            if seconds < 60
            else _("over the next {n} minutes", n=seconds // 60 + 1)
        )
        head = _.ngettext(
            "I'm greeting {n} member of {team} 1:1, {when}.",
            "I'm greeting {n} members of {team} 1:1, {when}.",
            new,
            team=team,
            when=when,
        )
    else:
        head = _("Nobody in {team} is left to greet.", team=team)
    skipped = [
        _.ngettext("{n} member already talk to me", "{n} members already talk to me", len(talked))
        if talked
        else "",
        _.ngettext("{n} member had a hello before", "{n} members had a hello before", len(greeted))
        if greeted
        else "",
        _.ngettext(
            "{n} member opted out or can't be reached",
            "{n} members opted out or can't be reached",
            len(out),
        )
        if out
        else "",
    ]
    shown = [s for s in skipped if s]
    if not shown:
        return head
    return _("{head} Skipped: {skipped}.", head=head, skipped="; ".join(shown))
