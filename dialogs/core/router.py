"""The route table's machinery: features, commands, card actions, parsing.

Each feature package declares what it adds in one `Feature` (its commands, card actions,
jobs, help topic, its part of "my data", team events); dialogs/routes.py lists the
features and builds THE table from them. Help texts and the manifest's command lists are
generated from that table, so nothing can drift.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from rapidfuzz import fuzz

from dialogs.core import i18n
from dialogs.core.graph import Graph
from dialogs.core.types import Inbound, TurnResult
from scheduler.types import Job
from storage.models import Program, Team, User
from storage.repos import Repos

Who = Literal["anyone", "admin"]
Handler = Callable[["Turn"], Awaitable[None]]
# Team events (install, members added or removed, uninstall) come without a sender's turn.
EventHandler = Callable[[Inbound, Repos, "Env"], Awaitable[TurnResult]]
# Looks at a message before the commands do; True when it handled it.
Interceptor = Callable[["Turn"], Awaitable[bool]]
# Claims a channel message that does not @mention the bot (a read, no writes): True to
# handle it as a turn; every other such message is dropped unseen.
Listener = Callable[[Inbound, Repos], Awaitable[bool]]
# A program was closed (/program close): (repos, program, participants, now), in the
# closing turn's unit of work. Returns, per participant id, a sentence for that person's
# thank-you (e.g. that a survey follows), so what they are told is what will happen.
ProgramClosed = Callable[[Repos, Program, list[User], datetime], Awaitable[dict[int, str]]]
SUGGEST_SCORE = 60.0  # how alike (0-100) a typed command must be to a known one


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
    # The command's own words in other languages ({"de": ("hilfe",)}): typed in any
    # language they work like the English name, which works everywhere too.
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.lstrip("/").split())

    def spellings(self) -> tuple[tuple[str, ...], ...]:
        """The words of the name and of every alias (lower case, as parse compares)."""
        names = [self.name, *(a for words in self.aliases.values() for a in words)]
        return tuple(dict.fromkeys(tuple(n.lstrip("/").lower().split()) for n in names))

    def said_in(self, language: str) -> str:
        """The command as a person writing `language` would type it (the first alias in
        it, else the English name)."""
        own = self.aliases.get(language)
        return (("/" if self.slash else "") + own[0].lstrip("/")) if own else self.name

    @property
    def slash(self) -> bool:
        return self.name.startswith("/")

    @property
    def title(self) -> str:
        return f"{self.name} {self.usage}".strip()


EVERYWHERE = ("personal", "team", "groupChat")  # 1:1, a channel (@mention), a group chat
TEAM_ARG = Arg("team", i18n.N_("which team, when you admin more than one (1:1 only)"))
USER_ARG = Arg("user", i18n.N_("name or email, instead of an @mention"))
_ = i18n.catalog(__package__)


def words_of(command: Command) -> i18n.Catalog:
    """The catalog of the feature declaring `command` (its handler's package), where its
    summary and its options' help are translated; dialogs.core's when it has none."""
    module = getattr(command.handler, "__module__", None) or __package__
    try:
        return i18n.catalog(module)
    except ValueError:  # a handler outside the catalogs' packages (a test's)
        return i18n.catalog(__package__)


def arg_help(command: Command, arg: Arg) -> str:
    """An option's help in the language in force: from the catalog of the command's
    feature, else dialogs.core's (TEAM_ARG, USER_ARG and other shared ones)."""
    said = words_of(command)(arg.help)
    return said if said != arg.help else _(arg.help)


def admin_command(name: str, summary: str, handler: Handler, **options: Any) -> Command:
    """A command for a team's admins, said in a team's channel or 1:1 (where it takes
    `team=`); a group chat belongs to no team, so it is told where the command works."""
    options.setdefault("args", (TEAM_ARG,))
    options.setdefault("scopes", ("personal", "team"))
    return Command(name, summary, handler, who="admin", **options)


@dataclass(frozen=True)
class Action:
    """A card submit, dispatched on its `action` field."""

    name: str
    handler: Handler
    who: Who = "anyone"
    scopes: tuple[str, ...] = ("personal",)  # where its card may be used


@dataclass(frozen=True)
class Topic:
    """A feature's area of `help` (or `/help`): one line in the overview, the detail after
    `help <word>`."""

    words: tuple[str, ...]  # what may follow `help`: ("coffee",); the first is shown
    title: str
    summary: str  # what it is for, and the first thing to type


@dataclass(frozen=True)
class DataPart:
    """A feature's part of `my data` (its export) and of `delete my data` (its erase)."""

    name: str  # the key in the export
    export: Callable[[Turn], Awaitable[Any]]
    erase: Callable[[Turn], Awaitable[None]] | None = None
    # Facts for the summary card, from the export: [(title, value)].
    summary: Callable[[Any], list[tuple[str, str]]] | None = None
    # The person's own words in the export (what they wrote, not names of teams or
    # questions): `delete my data` also blanks messages to others that carry them.
    words: Callable[[Any], Iterable[str]] | None = None


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds, declared in one place (its package's __init__)."""

    name: str
    commands: tuple[Command, ...] = ()
    actions: tuple[Action, ...] = ()
    jobs: tuple[Job, ...] = ()
    help: Topic | None = None  # for everyone
    admin_help: Topic | None = None  # for admins
    data: tuple[DataPart, ...] = ()
    team_events: Mapping[str, EventHandler] = field(default_factory=dict)
    # A person's first contact 1:1 (the app installed, or chatter before a profile exists).
    welcome: Handler | None = None
    # What is said that is no command (small talk 1:1, anything in a group chat, the app
    # added to a group chat): True when it answered.
    chatter: Interceptor | None = None
    interceptors: tuple[Interceptor, ...] = ()
    listeners: tuple[Listener, ...] = ()
    on_program_closed: ProgramClosed | None = None


@dataclass
class Env:
    """What every dialog may use besides the database."""

    admins: frozenset[str]
    clock: Callable[[], datetime]
    table: RouteTable = field(repr=False, default=None)  # type: ignore[assignment]
    retention_days: int = 30  # sent messages' contents are blanked after this long
    # Where people reach the app's own pages (download links): PUBLIC_URL, no trailing /.
    public_url: str = ""
    # Teams single sign-on is set up (an app id): `dashboard` points to the tab instead of
    # answering with a one-time sign-in link.
    tab_sso: bool = False
    # Microsoft Graph is configured (the directory sync runs): `/graph status` says more.
    graph: bool = False
    # The Graph port for calls a person waits for (free/busy, calendar events); None
    # without Graph, and then pairs get the Schedule deep link instead.
    calendar: Graph | None = field(default=None, repr=False)


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

    def after_commit(
        self, call: Callable[[], Awaitable[Any]], then: Callable[[Turn, Any], Awaitable[None]]
    ) -> None:
        """Run `call` (a Graph request) once this turn's unit of work has committed, with
        no transaction open; `then` gets its value (or the GraphError it raised) in a new
        unit of work, as a new Turn of the same person, and says what happened."""
        self.result.after.append(AfterCommit(call, then))


@dataclass(frozen=True)
class AfterCommit:
    """A step of a turn that waits on something outside the database (bot/handler.py
    runs it after the commit: `call` with no connection held, then `then` in a new unit)."""

    call: Callable[[], Awaitable[Any]]
    then: Callable[[Turn, Any], Awaitable[None]]


@dataclass(frozen=True)
class Parsed:
    command: Command
    args: dict[str, str]
    rest: str


class RouteTable:
    def __init__(
        self,
        commands: Iterable[Command],
        actions: Iterable[Action],
        features: Iterable[Feature] = (),
    ) -> None:
        self.commands = tuple(commands)
        self.features = tuple(features)
        action_list = list(actions)
        self.actions = {a.name: a for a in action_list}
        # Longest command first, so "delete my data" wins over a shorter prefix.
        by_length = sorted(self.commands, key=lambda c: (-len(c.words), c.name))
        # What parse compares, worked out once rather than for every command every turn.
        matchers = [(c, c.slash, w, len(w)) for c in by_length for w in c.spellings()]
        matchers.sort(key=lambda m: (-m[3], m[0].name))
        self._matchers = tuple(matchers)
        names = [c.name for c in self.commands]
        if len(set(names)) != len(names):
            raise ValueError("a command is declared twice")
        if len(self.actions) != len(action_list):
            raise ValueError("a card action is declared twice")
        events: dict[str, EventHandler] = {}
        for feature in self.features:
            for kind, handler in feature.team_events.items():
                if kind in events:
                    raise ValueError(f"two features handle the team event {kind!r}")
                events[kind] = handler
        self.team_events: Mapping[str, EventHandler] = MappingProxyType(events)
        welcomes = [f.welcome for f in self.features if f.welcome is not None]
        if len(welcomes) > 1:
            raise ValueError("only one feature may welcome people")
        self.welcome: Handler | None = welcomes[0] if welcomes else None
        self.interceptors = tuple(i for f in self.features for i in f.interceptors)
        self.listeners = tuple(li for f in self.features for li in f.listeners)
        chatters = [f.chatter for f in self.features if f.chatter is not None]
        if len(chatters) > 1:
            raise ValueError("only one feature may answer chatter")
        self.chatter: Interceptor | None = chatters[0] if chatters else None
        self.program_closed = tuple(
            f.on_program_closed for f in self.features if f.on_program_closed is not None
        )
        self.data = tuple(part for f in self.features for part in f.data)

    @classmethod
    def of(cls, features: Iterable[Feature]) -> RouteTable:
        chosen = tuple(features)
        commands = [c for f in chosen for c in f.commands]
        actions = [a for f in chosen for a in f.actions]
        return cls(commands, actions, chosen)

    def parse(self, text: str) -> Parsed | None:
        slash, words, raw_words = _split(text)
        for command, command_slash, command_words, n in self._matchers:
            if command_slash == slash and tuple(words[:n]) == command_words:
                if command.free_text:
                    args, rest = _declared_args(raw_words[n:], [a.name for a in command.args])
                else:
                    args, rest = _args(raw_words[n:])
                return Parsed(command, args, rest)
        return None

    def suggest(self, text: str, language: str = "en") -> str | None:
        """The known command closest to what was typed, if any is close: its English
        name or one of its aliases, said as a person writing `language` types it."""
        slash, words, _ = _split(text)
        best, best_score = None, 0.0
        for command in self.commands:
            for spelled in command.spellings():
                typed = ("/" if slash else "") + " ".join(words[: len(spelled)])
                score = fuzz.ratio(typed, ("/" if command.slash else "") + " ".join(spelled))
                if score > best_score:
                    best, best_score = command, score
        return best.said_in(language) if best and best_score >= SUGGEST_SCORE else None

    def visible(self, who: Who, scope: str | None = None) -> list[Command]:
        return [c for c in self.commands if c.who == who and (scope is None or scope in c.scopes)]

    def feature_of(self, command: Command) -> Feature | None:
        return next((f for f in self.features if command in f.commands), None)


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


def scope_of(inbound: Inbound) -> str:
    """Where a message came from, as commands and actions name it."""
    if inbound.is_personal:
        return "personal"
    return "team" if inbound.conversation_type == "channel" else "groupChat"
