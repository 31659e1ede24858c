"""The port to Microsoft Graph: what the bot asks of the directory, chats and calendars.

`bot/graph/client.py` implements it with msgraph-sdk (loaded only when Graph is
configured); nothing here imports the SDK. Every call raises `GraphError` with the HTTP
status when Graph refuses; a 403 names the application permission the call needs, so
`/graph status` can say exactly what an admin has to grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from dialogs.core import i18n
from dialogs.core.i18n import N_

T = TypeVar("T")
_ = i18n.catalog(__package__)

# Each feature and the application permission it needs (the narrowest Graph has), and
# what it does (said with `what_of`).
FEATURES: dict[str, tuple[str, str]] = {
    "directory": ("User.Read.All", N_("department, job title, office and manager")),
    "mailbox": ("MailboxSettings.Read", N_("time zone, working hours and language")),
    "chats": ("Chat.Create", N_("a group chat per coffee group or mentor pair")),
    "chat_app": ("TeamsAppInstallation.ReadWriteSelfForChat.All", N_("the bot in those chats")),
    "schedule": ("Calendars.ReadBasic", N_("free/busy for meeting slots")),
    "events": ("Calendars.ReadWrite", N_("calendar invites with a Teams meeting")),
}
BATCH_SIZE = 20  # Graph's most requests in one JSON $batch


class GraphError(Exception):
    """Graph said no. `permission` is set for a 403: what the feature needs granted."""

    def __init__(self, status: int, message: str, *, feature: str = "") -> None:
        super().__init__(f"Graph {status}: {message}")  # i18n: not said
        self.status, self.feature = status, feature

    @property
    def permission(self) -> str | None:
        return FEATURES[self.feature][0] if self.status == 403 and self.feature else None


@dataclass(frozen=True)
class DirectoryUser:
    """One user from a delta page. `removed`: deleted from the directory. A field that
    is None was not in this page (delta sends only what changed); "" means cleared."""

    aad_id: str
    department: str | None = None
    job_title: str | None = None
    office: str | None = None
    language: str | None = None
    manager_aad_id: str | None = None  # "" when the manager was removed
    removed: bool = False


@dataclass(frozen=True)
class DeltaPage:
    users: tuple[DirectoryUser, ...]
    next_link: str | None  # more pages of this round
    delta_link: str | None  # the round is complete: ask this next time


@dataclass(frozen=True)
class WorkingHours:
    days: tuple[str, ...]  # "monday", ...
    start: str  # "08:00" local to `zone`
    end: str  # "17:00"
    zone: str | None  # IANA; None when Graph's name has no IANA zone


@dataclass(frozen=True)
class Mailbox:
    """A user's mailbox settings, zones already IANA (Windows names mapped)."""

    zone: str | None
    language: str | None  # "de-DE"
    hours: WorkingHours | None


@dataclass(frozen=True)
class Batched(Generic[T]):
    """What a batch read of many users gave: the found ones, and per user the refusal."""

    found: dict[str, T] = field(default_factory=dict)
    failed: dict[str, GraphError] = field(default_factory=dict)


@dataclass(frozen=True)
class Busy:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class EventDraft:
    subject: str
    start: datetime  # aware
    end: datetime
    attendees: tuple[str, ...]  # email addresses / UPNs
    body: str = ""
    # Graph's idempotency key: a second POST with the same one makes no second event.
    transaction_id: str = ""
    # "weekly" | "biweekly" | "monthly" (same weekday and time), until `until`; "" once.
    recurrence: str = ""
    until: date | None = None


class Graph(Protocol):
    """What the dialogs need of Graph, in the app's own types."""

    async def users_delta(self, link: str | None) -> DeltaPage: ...
    async def manager(self, aad_id: str) -> str | None: ...
    async def mailbox_settings(self, aad_id: str) -> Mailbox: ...
    async def mailboxes(self, aad_ids: Sequence[str]) -> Batched[Mailbox]: ...
    async def directory_users(self, aad_ids: Sequence[str]) -> Batched[DirectoryUser]: ...
    async def create_chat(self, member_aad_ids: Sequence[str], topic: str) -> str: ...
    async def install_app_in_chat(self, chat_id: str, teams_app_id: str) -> None: ...
    async def get_schedule(
        self, organizer: str, people: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[Busy]]: ...
    async def create_event(self, organizer: str, draft: EventDraft) -> str: ...
    async def update_event(self, organizer: str, event_id: str, draft: EventDraft) -> None: ...
    async def delete_event(self, organizer: str, event_id: str) -> None: ...
    async def close(self) -> None: ...


def chunks(items: Iterable[str], size: int = BATCH_SIZE) -> list[list[str]]:
    listed = list(items)
    return [listed[i : i + size] for i in range(0, len(listed), size)]


def permission_of(feature: str) -> str:
    return FEATURES[feature][0]


def what_of(feature: str) -> str:
    """What a Graph feature does, in the language in force ("free/busy for meeting
    slots"), as `/graph status` and the admins' notice of a missing permission say it."""
    return _(FEATURES[feature][1])


def feature_names() -> Mapping[str, tuple[str, str]]:
    return FEATURES
