"""Teams deep links that work without Microsoft Graph: a new meeting with some people."""

from __future__ import annotations

from urllib.parse import quote

from storage.models import User


def address_of(user: User | None) -> str | None:
    """What Teams deep links and Graph's calendars accept for a person: UPN, else email."""
    return (user.upn or user.email) if user is not None else None


def meeting_link(people: list[str], subject: str, content: str) -> str:
    """Teams deep link to a new meeting with these attendees (the "Schedule" button)."""
    return (
        "https://teams.microsoft.com/l/meeting/new?"
        f"subject={quote(subject, safe='')}&attendees={quote(','.join(people), safe='')}"
        f"&content={quote(content, safe='')}"
    )
