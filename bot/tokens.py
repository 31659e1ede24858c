"""The bot's own outgoing tokens, fetched off the event loop.

The SDK's credentials get a token from MSAL, which goes to the network when its cached
token is old, inside msrest's synchronous signing step: on the event loop. Here a token
is fetched in a thread (one fetch at a time per app identity, with a timeout) before a
client needs it, and the credentials that sign requests only read the kept token.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# The SDK's credentials (AppCredentials) and requests' sessions are typed Any here: this
# module loads without the SDK (bot/edge.py), which gives it those objects later.
log = logging.getLogger("mentorbot.tokens")
# MSAL's tokens live an hour and MSAL renews them 5 minutes before they end; asking it
# again every 5 minutes keeps a token that is always valid without a call per request.
REUSE_SECONDS = 300.0
FETCH_TIMEOUT = 20.0
RETRY_FAILED_SECONDS = 5.0  # after a failed fetch, sends fail at once for this long
# Token fetches get threads of their own: a hanging token endpoint must not use up the
# loop's default executor (aiohttp resolves host names there).
_FETCHERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mentorbot-token")


class TokenUnavailable(Exception):
    """The bot's token could not be had just now."""


class OutgoingTokens:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._tokens: dict[tuple[str, str, str], tuple[str | None, float]] = {}
        self._fetches: dict[tuple[str, str, str], asyncio.Task[str | None]] = {}
        self._failed_until: dict[tuple[str, str, str], float] = {}

    async def token(self, credentials: Any) -> str | None:
        """A current token for these credentials (None for anonymous ones); raises when
        it cannot be had."""
        inner = _unwrapped(credentials)
        if not _needs_token(inner):
            return None
        key = _key(inner)
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > self.monotonic():
            return cached[0]
        if self._failed_until.get(key, 0.0) > self.monotonic():
            raise TokenUnavailable("the last try to get the bot's token failed just now")
        fetch = self._fetches.get(key)
        if fetch is None or fetch.done():
            fetch = self._fetches[key] = asyncio.create_task(self._fetch(inner, key))
        return await asyncio.shield(fetch)

    async def ensure(self, credentials: Any) -> None:
        """Have a token ready before a client signs with it; a failure is only logged
        (the send that needs the token fails then, and takes the outbox's path)."""
        try:
            await self.token(credentials)
        except Exception as exc:
            log.warning("could not get the bot's token: %s", exc.__class__.__name__)

    def kept(self, credentials: Any) -> str | None:
        """The kept token, without any waiting (what signing a request reads)."""
        cached = self._tokens.get(_key(_unwrapped(credentials)))
        return cached[0] if cached is not None else None

    async def _fetch(self, inner: Any, key: tuple[str, str, str]) -> str | None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(FETCH_TIMEOUT):
                token = await loop.run_in_executor(_FETCHERS, inner.get_access_token)
        except Exception as exc:
            self._failed_until[key] = self.monotonic() + RETRY_FAILED_SECONDS
            reason = f"could not get the bot's token ({exc.__class__.__name__})"
            raise TokenUnavailable(reason) from None
        self._failed_until.pop(key, None)
        self._tokens[key] = (token, self.monotonic() + REUSE_SECONDS)
        return token


class KeptTokenCredentials:
    """Signs msrest requests with the token OutgoingTokens keeps; never fetches.

    What msrest asks of credentials (its `Authentication`: `header`, `signed_session`),
    without subclassing it, so this module loads without msrest."""

    header = "Authorization"

    def __init__(self, inner: Any, tokens: OutgoingTokens) -> None:
        self.inner, self.tokens = inner, tokens
        self.microsoft_app_id = getattr(inner, "microsoft_app_id", None)

    def signed_session(self, session: Any = None) -> Any:
        if session is None:
            import requests

            session = requests.Session()
        token = self.tokens.kept(self.inner) if _needs_token(self.inner) else None
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        else:
            session.headers.pop("Authorization", None)
        return session

    def get_access_token(self, force_refresh: bool = False) -> str | None:
        return self.tokens.kept(self.inner)


def _unwrapped(credentials: Any) -> Any:
    return credentials.inner if isinstance(credentials, KeptTokenCredentials) else credentials


def _needs_token(credentials: Any) -> bool:
    from botframework.connector.auth import AuthenticationConstants  # loaded with them

    app_id = getattr(credentials, "microsoft_app_id", None)
    return bool(app_id) and app_id != AuthenticationConstants.ANONYMOUS_SKILL_APP_ID


def _key(credentials: Any) -> tuple[str, str, str]:
    return (
        str(getattr(credentials, "microsoft_app_id", "")),
        str(getattr(credentials, "oauth_scope", "")),
        str(getattr(credentials, "oauth_endpoint", "")),
    )
