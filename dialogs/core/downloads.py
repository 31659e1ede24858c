"""Short-lived download links, the one format for every file the bot hands out: an
admin's CSV exports (dialogs/feedback/exports.py) and a person's own `my data` file
(dialogs/account/data.py). A token is 256 random bits; only its SHA-256 is stored, in
`export_links` with the person it was made for. bot/exports.py serves
`<PUBLIC_URL>/exports/<token>`: unknown or malformed 404, expired 410, then the owner
of the link (the feature of its `what`) checks the person's rights as they are then and
makes the file. Nothing is cached and no file is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialogs.core import i18n
from dialogs.core.people import language_of_user
from storage.models import ExportLink
from storage.repos import Repos

_ = i18n.catalog(__package__)

LINK_MINUTES = 15
MY_DATA = "mydata"  # a link's `what` for a person's own file
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Download:
    filename: str
    body: str
    content_type: str = "text/csv"


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def expiry(now: datetime) -> datetime:
    return now + timedelta(minutes=LINK_MINUTES)


async def find(repos: Repos, token: str, now: datetime) -> ExportLink:
    """The link behind a token while it lasts; `Refused` (404, 410) otherwise."""
    link = await repos.feedback.link(hash_token(token)) if TOKEN.fullmatch(token) else None
    if link is None:  # whose it was is unknown: the language in force
        raise Refused(404, _("This download link is unknown. Ask Mentorbot for a new one."))
    if now >= link.expires_at:
        owner = await repos.users.get(link.user_id)
        with i18n.speaking(await language_of_user(repos, owner) if owner else None):
            reason = _("This download link has expired. Ask Mentorbot for a new one.")
        raise Refused(410, reason)
    return link
