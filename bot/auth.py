"""Inbound Bot Framework tokens, validated without ever blocking the event loop.

The SDK fetches the token signing keys with a blocking `requests.get` inside the event
loop, with no timeout, and forgets a failed fetch: one token with an unknown key id sent
while the key endpoint is slow froze the whole bot. Here the OpenID metadata and the
keys are fetched on aiohttp with a timeout, kept, refreshed in the background once a
day, and a key id that is not known starts a fetch at most once per interval (a miss is
remembered); a request never waits longer than one fetch's timeout.

Only channel tokens are accepted (issuer https://api.botframework.com: what Teams and
every Azure Bot Service channel send); the Emulator's and skills' tokens are not.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

# PyJWT (with cryptography, a large share of start-up) loads with the first key or token
# it is needed for: in the functions below.

log = logging.getLogger("mentorbot.auth")
PUBLIC_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
CHANNEL_ISSUER = "https://api.botframework.com"
ALGORITHMS = ("RS256", "RS384", "RS512")
LEEWAY_SECONDS = 300  # clock skew between Teams and us, as the SDK allows
MAX_TOKEN_CHARS = 16_000


class AuthError(Exception):
    """The request's token is missing, malformed, unverifiable or not for us (401)."""


@dataclass(frozen=True)
class SigningKey:
    public_key: Any
    endorsements: tuple[str, ...]  # channels the key may sign for ("msteams", ...)


@dataclass(frozen=True)
class KeyTiming:
    fetch_timeout: float = 5.0  # one fetch: metadata and keys together
    refresh_every: float = 24 * 3600.0  # the scheduled refresh
    retry_failed: float = 60.0  # after a failed scheduled fetch
    # An unknown key id starts a fetch at most this often (a miss is remembered)...
    miss_interval: float = 300.0
    # ...or this often while no key is known at all (the first fetch failed).
    empty_interval: float = 10.0


class SigningKeys:
    """The published signing keys: fetched off the request path, kept, refreshed."""

    def __init__(
        self,
        metadata_url: str,
        timing: KeyTiming = KeyTiming(),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metadata_url, self.timing, self.monotonic = metadata_url, timing, monotonic
        self._keys: dict[str, SigningKey] = {}
        self._last_attempt = -float("inf")
        self._fetch: asyncio.Task[bool] | None = None
        self._scheduled: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.fetches = 0  # attempts so far (tests and logs)

    def start(self) -> None:
        """The scheduled refresh (first fetch now, then once a day)."""
        self._scheduled = asyncio.create_task(self._refresh_forever(), name="mentorbot-keys")

    async def close(self) -> None:
        for task in (self._scheduled, self._fetch):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._session is not None:
            await self._session.close()

    async def get(self, kid: str) -> SigningKey | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        if self._fetch is not None and not self._fetch.done():
            await self._joined()  # a fetch is under way anyway: wait for it, bounded
        elif self.monotonic() - self._last_attempt >= self._miss_interval():
            await self._joined()
        return self._keys.get(kid)

    def _miss_interval(self) -> float:
        return self.timing.miss_interval if self._keys else self.timing.empty_interval

    async def _joined(self) -> bool:
        """Run one fetch, or join the one in flight (shielded: a client that gives up
        does not cancel it for the others)."""
        if self._fetch is None or self._fetch.done():
            self._last_attempt = self.monotonic()
            self._fetch = asyncio.create_task(self._fetch_keys())
        return await asyncio.shield(self._fetch)

    async def _refresh_forever(self) -> None:
        while True:
            ok = await self._joined()
            await asyncio.sleep(self.timing.refresh_every if ok else self.timing.retry_failed)

    async def _fetch_keys(self) -> bool:
        self.fetches += 1
        try:
            async with asyncio.timeout(self.timing.fetch_timeout):
                metadata = await self._get_json(self.metadata_url)
                jwks = await self._get_json(str(metadata["jwks_uri"]))
                keys = _parse_keys(jwks)
        except Exception as exc:  # timeouts, resets, bad documents: keep what we have
            log.warning("could not fetch token signing keys: %s", exc.__class__.__name__)
            return False
        if keys:
            self._keys = keys
        return bool(keys)

    async def _get_json(self, url: str) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        async with self._session.get(url) as response:
            response.raise_for_status()
            data = await response.json(content_type=None)
        if not isinstance(data, dict):
            raise ValueError("the document is not a JSON object")
        return data


def _parse_keys(jwks: dict[str, Any]) -> dict[str, SigningKey]:
    import jwt
    from jwt.algorithms import RSAAlgorithm

    keys: dict[str, SigningKey] = {}
    for entry in jwks.get("keys") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(entry)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            continue
        endorsements = entry.get("endorsements") or []
        keys[entry["kid"]] = SigningKey(
            public_key, tuple(e for e in endorsements if isinstance(e, str))
        )
    return keys


class ChannelTokens:
    """Checks a request's `Authorization: Bearer <JWT>` the way the Bot Framework asks:
    signed by a published key endorsed for the channel, issued by the Bot Framework, for
    our app id, in date, and naming the activity's service URL."""

    def __init__(self, app_id: str, keys: SigningKeys, issuer: str = CHANNEL_ISSUER) -> None:
        self.app_id, self.keys, self.issuer = app_id, keys, issuer

    async def validate(
        self, auth_header: str, channel_id: str | None, service_url: str | None
    ) -> dict[str, Any]:
        import jwt

        token = bearer_token(auth_header)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the token is not a JWT") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise AuthError("the token's algorithm is not allowed")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise AuthError("the token names no signing key")
        key = await self.keys.get(kid)
        if key is None:
            raise AuthError("the token's signing key is not published")
        if key.endorsements and channel_id not in key.endorsements:
            raise AuthError("the signing key is not endorsed for this channel")
        claims = self._decoded(token, key, alg)
        if claims.get("serviceurl") != service_url:
            raise AuthError("the token is for another service URL")
        return claims

    def _decoded(self, token: str, key: SigningKey, alg: str) -> dict[str, Any]:
        return decode_claims(
            token, key.public_key, [alg], self.app_id, ("exp", "iss", "aud"), self.issuer
        )


def decode_claims(
    token: str,
    public_key: Any,
    algorithms: list[str],
    audience: str | list[str],
    required: tuple[str, ...],
    issuer: str | None = None,
) -> dict[str, Any]:
    """A token's claims after PyJWT's checks of signature, audience, dates (with
    LEEWAY_SECONDS), the issuer when given and the required claims; else AuthError."""
    import jwt

    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": list(required)},
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"the token is not valid ({exc.__class__.__name__})") from None
    if not isinstance(claims, dict):
        raise AuthError("the token carries no claims")
    return claims


def channel_tokens(app_id: str, metadata_url: str | None) -> ChannelTokens | None:
    """The inbound token checks, or None when no app id is set (the SDK's anonymous
    path: the Emulator and local testing)."""
    if not app_id:
        return None
    return ChannelTokens(app_id, SigningKeys(metadata_url or PUBLIC_METADATA_URL))


def bearer_token(auth_header: str) -> str:
    scheme, _, token = (auth_header or "").partition(" ")
    if scheme != "Bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        raise AuthError("a Bearer token is required")
    return token.strip()
