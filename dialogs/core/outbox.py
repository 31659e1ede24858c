"""Messages that go out later, through the outbox: one typed value, one stored format.

A dialog or a job builds a `Message` (to a user, to a team's channel, into a thread, or as
an update of an earlier card) and `queue()`s it in its own unit of work, so the message
commits with the change that causes it. Its key names it once for good (`INSERT ... ON
CONFLICT DO NOTHING`): a repeated event or a retried job cannot queue it twice. The
delivery worker reads rows back with `Message.of_row`, so both ends share this file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from storage.models import OutboxMessage
from storage.repos import Repos
from storage.repos.outbox import Queued

Audience = Literal["user", "team"]
# Payload fields that name an earlier message by its key.
REFERENCES = ("update", "thread_of", "after")


def key(purpose: str, *values: object, at: object = None, **ids: object) -> str:
    """An idempotency key: `purpose:value...:name<id>...:at`, e.g.
    key("pairintro", round=5, user=7) -> "pairintro:round5:user7" and
    key("checkin", user=7, at="2026-11-23") -> "checkin:user7:2026-11-23"."""
    parts = [purpose, *map(str, values), *(f"{name}{value}" for name, value in ids.items())]
    if at is not None:
        parts.append(str(at))
    if any(not part for part in parts):
        raise ValueError(f"an outbox key has an empty part: {parts}")
    return ":".join(parts)


@dataclass(frozen=True)
class Message:
    """One message to send, built with `to_user`, `to_team`, `in_thread` or `card_update`.
    `user_id`/`team_id` say who it is for and, for a user who never wrote to the bot,
    through which team's roster the 1:1 chat is opened."""

    key: str
    to: Audience
    text: str | None = None
    card: dict[str, Any] | None = None
    user_id: int | None = None
    team_id: int | None = None
    channel: str | None = None  # a team post in this channel instead of General
    thread_of: str | None = None  # a reply in the thread of this earlier channel post
    update: str | None = None  # replaces the card of this earlier message
    after: str | None = None  # not sooner than `gap_seconds` after this one was sent
    gap_seconds: float | None = None

    def payload(self) -> dict[str, Any]:
        """The stored JSON: only the fields that are set."""
        fields = {
            "text": self.text,
            "card": self.card,
            "channel": self.channel,
            "thread_of": self.thread_of,
            "update": self.update,
            "after": self.after,
            "gap_seconds": self.gap_seconds,
        }
        return {"to": self.to} | {name: value for name, value in fields.items() if value}

    @classmethod
    def of_row(cls, row: OutboxMessage) -> Message:
        """The message a stored row holds (a row erased by `delete my data` holds none)."""
        payload = row.payload if isinstance(row.payload, dict) else {}

        def text(name: str) -> str | None:
            value = payload.get(name)
            return value if isinstance(value, str) and value else None

        gap = payload.get("gap_seconds")
        card = payload.get("card")
        return cls(
            key=row.idempotency_key,
            to="team" if payload.get("to") == "team" else "user",
            text=text("text"),
            card=card if isinstance(card, dict) else None,
            user_id=row.user_id,
            team_id=row.team_id,
            channel=text("channel"),
            thread_of=text("thread_of"),
            update=text("update"),
            after=text("after"),
            gap_seconds=float(gap) if isinstance(gap, int | float) else None,
        )

    def references(self) -> list[str]:
        """Keys of the earlier messages this one depends on."""
        return [k for k in (self.update, self.thread_of, self.after) if k]


def _checked(message: Message) -> Message:
    """Messages built here are whole: a recipient, something to say, a gap with `after`."""
    if message.to == "user" and message.user_id is None:
        raise ValueError(f"{message.key}: a message to a user needs user_id")
    if message.to == "team" and message.team_id is None:
        raise ValueError(f"{message.key}: a message to a team needs team_id")
    if message.update is None and not (message.text or message.card):
        raise ValueError(f"{message.key}: a message needs text or a card")
    if (message.after is None) != (message.gap_seconds is None):
        raise ValueError(f"{message.key}: `after` and `gap_seconds` go together")
    return message


def to_user(
    key: str,
    user_id: int,
    *,
    text: str | None = None,
    card: dict[str, Any] | None = None,
    team_id: int | None = None,
) -> Message:
    return _checked(Message(key, "user", text=text, card=card, user_id=user_id, team_id=team_id))


def to_team(
    key: str,
    team_id: int,
    *,
    text: str | None = None,
    card: dict[str, Any] | None = None,
    channel: str | None = None,
) -> Message:
    """A post in the team's General channel, or in `channel` (a conversation id)."""
    return _checked(Message(key, "team", text=text, card=card, team_id=team_id, channel=channel))


def in_thread(key: str, team_id: int, thread_of: str, text: str) -> Message:
    """A reply under an earlier channel post (named by its key)."""
    return _checked(Message(key, "team", text=text, team_id=team_id, thread_of=thread_of))


def card_update(
    key: str,
    of: str,
    card: dict[str, Any],
    *,
    team_id: int | None = None,
    user_id: int | None = None,
    after: str | None = None,
    gap_seconds: float | None = None,
) -> Message:
    """New content for the card of an earlier message (named by its key), optionally no
    sooner than `gap_seconds` after the message `after` was sent."""
    to: Audience = "team" if user_id is None else "user"
    return _checked(
        Message(
            key,
            to,
            card=card,
            user_id=user_id,
            team_id=team_id,
            update=of,
            after=after,
            gap_seconds=gap_seconds,
        )
    )


async def queue(
    repos: Repos, message: Message, now: datetime, not_before: datetime | None = None
) -> int:
    """Write the message in the caller's unit; 1 when queued, 0 when its key was queued
    before. `not_before` is the delivery worker's wall clock: derive it from a time the
    worker wrote (a row's `sent_at`), never from the injected clock."""
    queued = await repos.outbox.enqueue(
        message.key,
        message.payload(),
        now,
        user_id=message.user_id,
        team_id=message.team_id,
        not_before=not_before,
    )
    return int(queued)


async def queue_many(repos: Repos, messages: Iterable[Message], now: datetime) -> None:
    """`queue()` for many messages in one statement (a round's intros): each is written
    once per key, in the caller's unit, as `queue()` writes it."""
    rows = [Queued(m.key, m.payload(), user_id=m.user_id, team_id=m.team_id) for m in messages]
    await repos.outbox.enqueue_many(rows, now)


async def replace_waiting(repos: Repos, message: Message) -> bool:
    """Give a message still waiting to be sent new content; False once it was claimed."""
    return await repos.outbox.replace_pending(message.key, message.payload())


async def withdraw(repos: Repos, key: str) -> bool:
    """Take back a message still waiting to be sent; False once it may have been seen."""
    return await repos.outbox.withdraw_pending(key)
