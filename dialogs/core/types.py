"""Plain data that crosses the boundary between bot/ (Teams) and dialogs/ (logic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from scheduler.types import Clock

Kind = Literal[
    "message",  # a typed message (1:1, channel with @mention, group chat)
    "submit",  # an Adaptive Card Action.Submit (value carries the inputs)
    "personal_install",
    "group_install",  # the app added to a group chat
    "team_install",
    "members_added",
    "members_removed",
    "team_uninstall",
]

__all__ = ["Clock", "Inbound", "Kind", "Person", "Reply", "TurnResult", "system_clock"]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Person:
    """A Teams user as Teams names them."""

    id: str
    name: str | None = None
    aad_object_id: str | None = None
    email: str | None = None
    upn: str | None = None


@dataclass(frozen=True)
class Inbound:
    kind: Kind
    tenant_id: str | None
    service_url: str
    conversation_id: str
    conversation_type: str  # personal | channel | groupChat
    sender: Person
    conversation_ref: str  # serialized ConversationReference of this conversation
    text: str = ""  # without the bot's @mention; other mentions as "@Name"
    value: Any = None  # card submit payload
    mentions: tuple[Person, ...] = ()
    team_id: str | None = None
    team_name: str | None = None
    aad_group_id: str | None = None
    members: tuple[Person, ...] = ()  # members added or removed (never the bot)
    local_timezone: str | None = None
    locale: str | None = None
    # In a channel: the channel's conversation id (without ";messageid=...") and its name.
    channel_id: str | None = None
    channel_name: str | None = None
    # A reply in a channel thread, or an action on a card in a channel: the thread's root
    # message id (Teams' activity id of the post the thread hangs under).
    thread_root_id: str | None = None
    # Teams' id of this activity, and of the message it answers (a card's, for a submit):
    # what makes a retried delivery or a double click recognisable (dialogs/core/once.py).
    activity_id: str | None = None
    reply_to_id: str | None = None
    # False for a channel message that does not @mention the bot (Teams sends them all
    # under resource-specific consent): only a feature's listener may claim it.
    addressed: bool = True

    @property
    def is_personal(self) -> bool:
        return self.conversation_type == "personal"


@dataclass(frozen=True)
class Reply:
    """Something to say in the conversation the turn came from."""

    text: str | None = None
    card: dict[str, Any] | None = None


@dataclass
class TurnResult:
    replies: list[Reply] = field(default_factory=list)
    route: str = "-"
    queued: int = 0  # outbox rows written this turn (the delivery worker is woken)
    sender_id: int | None = None  # users.id of the sender (None for team events, erased)
    # Work to do after the commit, outside any transaction (Graph calls): router.AfterCommit.
    after: list[Any] = field(default_factory=list)
    language: str = "en"  # what the turn spoke (dispatch), for what bot/ adds to it

    def say(self, text: str) -> TurnResult:
        self.replies.append(Reply(text=text))
        return self

    def show(self, card: dict[str, Any], text: str | None = None) -> TurnResult:
        self.replies.append(Reply(text=text, card=card))
        return self
