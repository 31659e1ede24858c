"""Who is looking at the tab: one-time sign-in links, sessions, and the friendly refusals.

- `dashboard` in the 1:1 chat (for use without Teams single sign-on) answers with a link
  `<PUBLIC_URL>/tab/start/<token>`: 256 random bits, only the SHA-256 stored, valid for
  `LINK_MINUTES`, usable once, for that person only.
- Opening it, or a Teams SSO token the edge has validated (bot/tab/sso.py), starts a
  session: another random token, kept by the browser as an HttpOnly cookie, its hash
  stored, valid for `SESSION_HOURS`. A session says who someone is, never what they may
  see: every page checks that again (pages.py, with core/admins.py's rule).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from dialogs.core import i18n
from dialogs.core.i18n import N_
from storage.models import TabLink, TabSession, User
from storage.repos import Repos

_ = i18n.catalog(__package__)

LINK_MINUTES = 10
SESSION_HOURS = 8
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class Refused(Exception):
    """A page or download the viewer may not have: an HTTP status and a friendly text
    that names nothing of what was asked for."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text

    def said(self) -> Refused:
        """The refusal in the language in force (its words are marked where it is made)."""
        return Refused(self.status, _(self.title), _(self.text))


NOT_SIGNED_IN = Refused(
    401,
    N_("Please sign in"),
    N_(
        "Open Mentorbot's Dashboard tab in Teams, or type `dashboard` in your chat with "
        "Mentorbot for a sign-in link."
    ),
)
LINK_SPENT = Refused(
    401,
    N_("This sign-in link no longer works"),
    N_(
        "Sign-in links work once, for 10 minutes. Type `dashboard` in your chat with "
        "Mentorbot for a new one."
    ),
)
NOT_YOURS = Refused(
    403,
    N_("Not among your teams"),
    N_(
        "This page is not one of the teams or programs you administer. Your own mentoring "
        "is under My mentoring."
    ),
)
ADMINS_ONLY = Refused(
    403,
    N_("For team admins"),
    N_(
        "The dashboard is for admins of a team Mentorbot is in. Your own mentoring is "
        "under My mentoring."
    ),
)


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_link(repos: Repos, user: User, now: datetime) -> str:
    """A one-time sign-in link's token for `user` (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    repos.tab.add_link(
        TabLink(
            token_hash=hashed(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(minutes=LINK_MINUTES),
        )
    )
    return token


async def start_with_link(repos: Repos, token: str, now: datetime) -> tuple[str, User]:
    """Spend a one-time link: a new session's token and its person, or LINK_SPENT."""
    link = await repos.tab.use_link(hashed(token), now) if TOKEN.fullmatch(token) else None
    user = await repos.users.get(link.user_id) if link else None
    if user is None or user.erased_at is not None:
        raise LINK_SPENT
    return new_session(repos, user, "link", now), user


async def start_with_sso(repos: Repos, tenant_id: str, object_id: str, now: datetime) -> str:
    """A session for the person a validated Entra token names (`oid` in `tid`)."""
    user = await repos.tab.user_by_object_id(tenant_id, object_id)
    if user is None:
        raise Refused(
            403,
            N_("Mentorbot doesn't know you yet"),
            N_("Say hello to Mentorbot in a 1:1 chat first, then open this tab again."),
        )
    return new_session(repos, user, "sso", now)


def new_session(repos: Repos, user: User, via: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    repos.tab.add_session(
        TabSession(
            token_hash=hashed(token),
            user_id=user.id,
            via=via,
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    return token


async def viewer(repos: Repos, token: str | None, now: datetime) -> User:
    """The signed-in person of a session cookie, or NOT_SIGNED_IN."""
    if not token or not TOKEN.fullmatch(token):
        raise NOT_SIGNED_IN
    user = await repos.tab.session_user(hashed(token), now)
    if user is None:
        raise NOT_SIGNED_IN
    return user
