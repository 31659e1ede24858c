"""The route table's machinery: commands, card actions, parsing and dispatch.

Every command is declared once (dialogs/routes.py) with its words, help text, who may
run it, where, and its arguments. Help texts and the manifest's command lists are
generated from that table, so nothing can drift.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from dialogs.types import Inbound, TurnResult
from storage.models import Team, User
from storage.repos import Repos

Who = Literal["anyone", "admin"]
Handler = Callable[["Turn"], Awaitable[None]]


@dataclass(frozen=True)
class Arg:
    name: str
    help: str
    required: bool = False


@dataclass(frozen=True)
class Command:
    name: str  # the words typed: "help", "opt out", "/admin add"
    summary: str  # one line for help and the manifest
    handler: Handler
    who: Who = "anyone"
    scopes: tuple[str, ...] = ("personal",)  # personal, team (channel), groupChat
    usage: str = ""  # what follows the name, e.g. "@user" or "[until YYYY-MM-DD]"
    args: tuple[Arg, ...] = ()
    menu: bool = True  # listed in the manifest's command lists
    # The text after the command is prose (a question, an answer): only the declared
    # args are taken out of it, and `rest` keeps quotes, apostrophes and "=" as typed.
    free_text: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.lstrip("/").split())

    @property
    def slash(self) -> bool:
        return self.name.startswith("/")

    @property
    def title(self) -> str:
        return f"{self.name} {self.usage}".strip()


@dataclass(frozen=True)
class Action:
    """A card submit, dispatched on its `action` field."""

    name: str
    handler: Handler
    who: Who = "anyone"
    scopes: tuple[str, ...] = ("personal",)  # where its card may be used


@dataclass
class Env:
    """What every dialog may use besides the database."""

    admins: frozenset[str]
    clock: Callable[[], datetime]
    table: RouteTable = field(repr=False, default=None)  # type: ignore[assignment]


@dataclass
class Turn:
    inbound: Inbound
    repos: Repos
    env: Env
    user: User
    result: TurnResult = field(default_factory=TurnResult)
    command: Command | None = None
    args: dict[str, str] = field(default_factory=dict)
    rest: str = ""  # free text after the command and its key=value args
    team: Team | None = None  # the team an admin command acts on
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.env.clock()

    def say(self, text: str) -> None:
        self.result.say(text)


@dataclass(frozen=True)
class Parsed:
    command: Command
    args: dict[str, str]
    rest: str


class RouteTable:
    def __init__(self, commands: Iterable[Command], actions: Iterable[Action]) -> None:
        self.commands = tuple(commands)
        self.actions = {a.name: a for a in actions}
        # Longest command first, so "delete my data" wins over a shorter prefix.
        self._by_length = sorted(self.commands, key=lambda c: (-len(c.words), c.name))
        names = [c.name for c in self.commands]
        if len(set(names)) != len(names):
            raise ValueError("a command is declared twice")

    def parse(self, text: str) -> Parsed | None:
        slash, words, raw_words = _split(text)
        for command in self._by_length:
            n = len(command.words)
            if command.slash == slash and tuple(words[:n]) == command.words:
                if command.free_text:
                    args, rest = _declared_args(raw_words[n:], [a.name for a in command.args])
                else:
                    args, rest = _args(raw_words[n:])
                return Parsed(command, args, rest)
        return None

    def suggest(self, text: str) -> str | None:
        """The known command closest to what was typed, if any is close."""
        slash, words, _ = _split(text)
        best, best_score = None, 0.0
        for command in self.commands:
            typed = ("/" if slash else "") + " ".join(words[: len(command.words)])
            score = difflib.SequenceMatcher(None, typed, command.name).ratio()
            if score > best_score:
                best, best_score = command, score
        return best.name if best and best_score >= 0.6 else None

    def visible(self, who: Who, scope: str | None = None) -> list[Command]:
        return [c for c in self.commands if c.who == who and (scope is None or scope in c.scopes)]


_TOKEN = re.compile(r"\s+")


def _split(text: str) -> tuple[bool, list[str], list[str]]:
    stripped = text.strip().replace("\u2019", "'")  # Teams may type a curly apostrophe
    slash = stripped.startswith("/")
    raw = [w for w in _TOKEN.split(stripped.lstrip("/").strip()) if w]
    return slash, [w.lower() for w in raw], raw


def _args(raw_words: list[str]) -> tuple[dict[str, str], str]:
    """key=value pairs (values may be quoted) and the free text around them."""
    joined = " ".join(raw_words)
    try:
        tokens = shlex.split(joined)
    except ValueError:  # an unbalanced quote: read it as plain words
        tokens = joined.split()
    args: dict[str, str] = {}
    free: list[str] = []
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][\w-]*", key):
            args[key.lower()] = value.strip("\"'")
        else:
            free.append(token)
    return args, " ".join(free)


def _declared_args(raw_words: list[str], names: list[str]) -> tuple[dict[str, str], str]:
    """Only `name=value` options the command declares; everything else stays prose."""
    text, args = " ".join(raw_words), dict[str, str]()
    for name in names:
        option = re.compile(rf"(?:^|\s){re.escape(name)}=(\"[^\"]*\"|'[^']*'|\S+)", re.IGNORECASE)
        found = option.search(text)
        if found:
            args[name] = found.group(1).strip("\"'")
            text = text[: found.start()] + text[found.end() :]
    return args, " ".join(text.split())
