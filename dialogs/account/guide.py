"""`help` and `/help`: a few lines per area with the next step to type, and `help <area>`
(`/help <area>`) for that area's commands. Everything comes from the route table."""

from __future__ import annotations

import re

from dialogs.core import i18n, outbox
from dialogs.core.i18n import DOMAINS, N_, Catalog, catalog
from dialogs.core.router import (
    Arg,
    Command,
    Feature,
    RouteTable,
    Topic,
    Turn,
    Who,
    scope_of,
    words_of,
)

_ = catalog(__package__)


async def show_help(turn: Turn) -> None:
    if scope_of(turn.inbound) == "groupChat":  # the 1:1 list would not work here
        turn.say(group_chat_text())
        return
    for text in _help(turn, "anyone", turn.rest):
        turn.say(text)


async def show_admin_help(turn: Turn) -> None:
    texts = _help(turn, "admin", turn.rest)
    text = "\n\n".join(texts)
    if turn.inbound.is_personal:
        for part in texts:
            turn.say(part)
        return
    # Said in a channel: the answer is for the person who asked, not for everyone.
    message = outbox.to_user(
        outbox.key("adminhelp", user=turn.user.id, at=turn.now.isoformat()),
        turn.user.id,
        text=text,
        team_id=await _team_id(turn),
    )
    turn.result.queued += await outbox.queue(turn.repos, message, turn.now)
    turn.say(_("I've sent you the admin commands in our 1:1 chat."))


def _help(turn: Turn, who: Who, topic: str) -> list[str]:
    """The messages to send: the overview's closing note is a message of its own, since
    Teams runs a paragraph right after a list into the list's last item."""
    areas = [(f, t) for f in turn.env.table.features if (t := _topic(f, who)) is not None]
    wanted = topic.strip().lower().lstrip("/")
    if not wanted:
        return _overview(who, areas)
    for feature, area in areas:
        if wanted in area.words:
            commands = [c for c in feature.commands if c.who == who]
            return [_detail(who, feature, area, commands)]
    known = ", ".join(f"`{_prefix(who)}{a.words[0]}`" for _f, a in areas)
    return [_("I have no help about '{topic}'. Try {known}.", topic=topic.strip(), known=known)]


def _topic(feature: Feature, who: Who) -> Topic | None:
    return feature.help if who == "anyone" else feature.admin_help


def _prefix(who: Who) -> str:
    return "help " if who == "anyone" else "/help "  # i18n: not said


# Each feature's catalogs, found once (the feature is kept with them, so its id stays its).
_WORDS: dict[int, tuple[Feature, tuple[Catalog, ...]]] = {}


def _words(feature: Feature) -> tuple[Catalog, ...]:
    """Where a feature's help texts are translated: the catalog of the package declaring
    its commands (as the manifest finds it), then dialogs.core's (the shared args)."""
    known = _WORDS.get(id(feature))
    if known is None:
        known = _WORDS[id(feature)] = (feature, _find_words(feature))
    return known[1]


def _find_words(feature: Feature) -> tuple[Catalog, ...]:
    if feature.commands:
        own = words_of(feature.commands[0])
    else:
        named = f"dialogs.{feature.name}"
        own = catalog(named if named in DOMAINS else "dialogs.core")
    return (own, catalog("dialogs.core")) if own.package != "dialogs.core" else (own,)


def _said(words: tuple[Catalog, ...], text: str) -> str:
    """`text` in the language in force, from the first catalog that translates it."""
    if i18n.current() == i18n.SOURCE:
        return text
    for found in words:
        said = found(text)
        if said != text:
            return said
    return text


def _overview(who: Who, areas: list[tuple[Feature, Topic]]) -> list[str]:
    if who == "anyone":
        lines = [_("Here's what I can do for you (1:1 with me):")]
        closing = _("Team admins: type `/help` for what you can steer.")
    else:
        lines = [_("Admin commands (1:1 with me, or @mention me in a team channel):")]
        closing = _('In a 1:1 chat, add `team="Team name"` when you admin more than one team.')
    lines += [
        _(
            "- **{title}**: {summary} More: `{command}`",
            title=_said(_words(f), a.title),
            summary=_said(_words(f), a.summary),
            command=f"{_prefix(who)}{a.words[0]}",
        )
        for f, a in areas
    ]
    return ["\n".join(lines), closing]


def _detail(who: Who, feature: Feature, area: Topic, commands: list[Command]) -> str:
    words = _words(feature)
    lines = [f"**{_said(words, area.title)}**"]
    lines += [
        f"- **{_title(words, c)}**: {_said(words, c.summary)}" + _options(words, c)
        for c in commands
    ]
    return "\n".join(lines)


def _title(words: tuple[Catalog, ...], command: Command) -> str:
    """The command's English words (they work in every language), its usage translated."""
    usage = _said(words, command.usage) if command.usage else ""
    return f"{command.name} {usage}".strip()


def _options(words: tuple[Catalog, ...], command: Command) -> str:
    shown = [a for a in command.args if a.name != "team"]
    if not shown:
        return ""
    return " " + _("(options: {options})", options="; ".join(_option(words, a) for a in shown))


def _option(words: tuple[Catalog, ...], arg: Arg) -> str:
    return f"`{arg.name}=` {_said(words, arg.help)}"


async def _team_id(turn: Turn) -> int | None:
    team = await turn.repos.teams.by_team_id(turn.inbound.team_id or "")
    return team.id if team else None


# --- what people say that is no command ---------------------------------------------------
GREETINGS = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "hiya",
        "howdy",
        "yo",
        "hallo",
        "hola",
        "heya",
        "morning",
        "evening",
        "afternoon",
        "greetings",
    ]
)
THANKS = frozenset(
    ["thanks", "thank", "thx", "ty", "cheers", "merci", "danke", "gracias", "appreciated"]
)
FAREWELLS = frozenset(["bye", "goodbye", "ciao", "later", "cya"])
OKAYS = frozenset(["ok", "okay", "cool", "great", "nice", "perfect", "awesome", "fine"])
# Longer than this is a real request, not small talk, even when it starts with "hi".
SMALL_TALK_WORDS = 5
# What is worth typing next, first those the table has (the summary comes from it).
NEXT_STEPS = ("goals", "coffee", "mentoring", "profile")
_WORD = re.compile(r"[a-z']+")


def small_talk(text: str) -> str | None:
    """ "greeting", "thanks", "bye" or "ok" for short small talk; None otherwise."""
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    if not words or len(words) > SMALL_TALK_WORDS:
        return None
    first = words[0]
    if first == "good" and len(words) > 1 and words[1] in GREETINGS | {"day", "night"}:
        return "bye" if words[1] == "night" else "greeting"
    for kind, vocabulary in (
        ("greeting", GREETINGS),
        ("thanks", THANKS),
        ("bye", FAREWELLS),
        ("ok", OKAYS),
    ):
        if first in vocabulary or (kind == "thanks" and "thanks" in words):
            return kind
    if words[:2] in (["how", "are"], ["what's", "up"], ["whats", "up"]):
        return "greeting"
    return None


async def chatter(turn: Turn) -> bool:
    """Something typed that is no command: in a group chat, what works there; 1:1, small
    talk gets a friendly answer with the next few commands. False: not handled here."""
    if scope_of(turn.inbound) == "groupChat":
        turn.result.route = "chatter.group"
        turn.say(group_chat_text())
        return True
    if not turn.inbound.is_personal:
        return False
    kind = small_talk(turn.inbound.text)
    if kind is None:
        return False
    turn.result.route = f"chatter.{kind}"
    turn.say(_answer(kind, _first_name(turn)) + _next_steps(turn))
    return True


def group_chat_text() -> str:
    return _(
        "Hi! I'm Mentorbot. In a group chat I can't run coffee chats, icebreakers or "
        "mentoring: those live elsewhere.\n\n"
        "- **1:1 with me**: your profile, goals, coffee chats and mentoring. Open a chat "
        "with Mentorbot and say hi.\n"
        "- **In a team**: add me to a team and its admins set up coffee pairings, "
        "icebreakers and mentoring programs (`/help` there).\n\n"
        "Here, only `help` works."
    )


_ANSWERS = {
    "greeting": N_("Hi {name}! 👋 Good to see you."),
    "thanks": N_("You're welcome, {name}! 😊"),
    "bye": N_("Bye {name}, talk soon! 👋"),
    "ok": N_("👍 Got it, {name}."),
}


def _answer(kind: str, name: str) -> str:
    return _(_ANSWERS[kind], name=name)


def _first_name(turn: Turn) -> str:
    return turn.user.name.split()[0] if turn.user.name else _("there")


def _next_steps(turn: Turn) -> str:
    table = turn.env.table
    known = {c.name: c for c in table.commands}
    steps = [known[name] for name in NEXT_STEPS if name in known][:3]
    lines = [f"- `{c.name}`: {_said(_words(_feature_of(table, c)), c.summary)}" for c in steps]
    return " " + _(
        "Worth typing next:\n{steps}\n\n`help` shows everything I can do.",
        steps="\n".join(lines),
    )


def _feature_of(table: RouteTable, command: Command) -> Feature:
    return table.feature_of(command) or Feature("", commands=(command,))
