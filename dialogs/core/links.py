"""Teams deep links to a chat and to a new meeting with some people: what coffee intros
and mentoring intros put behind their Chat and Schedule buttons. They work without
Microsoft Graph; Teams adds the person who clicks."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from storage.models import User


def handle(user: User) -> str | None:
    """What Teams deep links and Graph's calendars accept for a person: UPN, else email."""
    return user.upn or user.email


def chat_link(people: list[str], topic: str, message: str) -> str:
    """Teams deep link to a chat with these people (the one clicking is added by Teams)."""
    return (
        "https://teams.microsoft.com/l/chat/0/0?"
        f"users={quote(','.join(people), safe='')}"
        f"&topicName={_quoted(topic)}&message={_quoted(message)}"
    )


def meeting_link(people: list[str], subject: str, content: str) -> str:
    """Teams deep link to a new meeting with these attendees."""
    return (
        "https://teams.microsoft.com/l/meeting/new?"
        f"subject={_quoted(subject)}&attendees={quote(','.join(people), safe='')}"
        f"&content={_quoted(content)}"
    )


@lru_cache(maxsize=256)
def _quoted(text: str) -> str:
    """A query value as `urlencode(..., quote_via=quote)` writes it (a round's topic and
    starter texts repeat for every member: quoted once)."""
    return quote(text, safe="")
