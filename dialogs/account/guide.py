"""`help` and `/help`: a few lines per area with the next step to type, and `help <area>`
(`/help <area>`) for that area's commands. Everything comes from the route table."""

from __future__ import annotations

from dialogs.core import outbox
from dialogs.core.router import Command, Feature, Topic, Turn, Who


async def show_help(turn: Turn) -> None:
    turn.say(_help(turn, "anyone", turn.rest))


async def show_admin_help(turn: Turn) -> None:
    text = _help(turn, "admin", turn.rest)
    if turn.inbound.is_personal:
        turn.say(text)
        return
    # Said in a channel: the answer is for the person who asked, not for everyone.
    message = outbox.to_user(
        outbox.key("adminhelp", user=turn.user.id, at=turn.now.isoformat()),
        turn.user.id,
        text=text,
        team_id=await _team_id(turn),
    )
    turn.result.queued += await outbox.queue(turn.repos, message, turn.now)
    turn.say("I've sent you the admin commands in our 1:1 chat.")


def _help(turn: Turn, who: Who, topic: str) -> str:
    areas = [(f, t) for f in turn.env.table.features if (t := _topic(f, who)) is not None]
    wanted = topic.strip().lower().lstrip("/")
    if not wanted:
        return _overview(who, areas)
    for feature, area in areas:
        if wanted in area.words:
            return _detail(who, area, [c for c in feature.commands if c.who == who])
    known = ", ".join(f"`{_prefix(who)}{a.words[0]}`" for _, a in areas)
    return f"I have no help about '{topic.strip()}'. Try {known}."


def _topic(feature: Feature, who: Who) -> Topic | None:
    return feature.help if who == "anyone" else feature.admin_help


def _prefix(who: Who) -> str:
    return "help " if who == "anyone" else "/help "


def _overview(who: Who, areas: list[tuple[Feature, Topic]]) -> str:
    if who == "anyone":
        lines = ["Here's what I can do for you (1:1 with me):"]
    else:
        lines = ["Admin commands (1:1 with me, or @mention me in a team channel):"]
    lines += [f"- **{a.title}**: {a.summary} More: `{_prefix(who)}{a.words[0]}`" for _, a in areas]
    if who == "anyone":
        lines.append("\nTeam admins: type `/help` for what you can steer.")
    else:
        lines.append('\nIn a 1:1 chat, add `team="Team name"` when you admin more than one team.')
    return "\n".join(lines)


def _detail(who: Who, area: Topic, commands: list[Command]) -> str:
    lines = [f"**{area.title}**"]
    lines += [f"- **{c.title}**: {c.summary}" + _options(c) for c in commands]
    return "\n".join(lines)


def _options(command: Command) -> str:
    shown = [a for a in command.args if a.name != "team"]
    if not shown:
        return ""
    return " (options: " + "; ".join(f"`{a.name}=` {a.help}" for a in shown) + ")"


async def _team_id(turn: Turn) -> int | None:
    team = await turn.repos.teams.by_team_id(turn.inbound.team_id or "")
    return team.id if team else None
