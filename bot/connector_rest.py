"""The Bot Connector calls the outbox makes (send, update, create conversation) and the
roster importer's paged members, as plain JSON on the shared session.

Turn replies and proactive fan-out alike skip msrest's model serialization, its
per-request pipeline and its response parsing, which were the largest cost per message
(about 1 ms of 2.4), and read status and Retry-After straight from the response.
Requests are signed with the SDK's own credentials: for a reply, those of the turn's
connector client; for the outbox, those for the service URL.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import json
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

from bot.session import SharedSession
from bot.tokens import OutgoingTokens

CredentialsFor = Callable[[str], Awaitable[Any]]  # the SDK's AppCredentials


class ConnectorError(Exception):
    """The connector answered with an error status."""

    def __init__(self, status: int, retry_after: float | None, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.retry_after = status, retry_after


class ConnectorRest:
    def __init__(
        self,
        http: SharedSession,
        credentials_for: CredentialsFor,
        timeout_seconds: float,
        tokens: OutgoingTokens | None = None,
    ) -> None:
        self._http, self._credentials_for = http, credentials_for
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._tokens = tokens or OutgoingTokens()

    async def send(
        self, service_url: str, conversation_id: str, activity: dict[str, Any]
    ) -> dict[str, Any]:
        url = f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        return await self._request("POST", service_url, url, activity)

    async def reply(
        self,
        service_url: str,
        conversation_id: str,
        reply_to_id: str | None,
        activity: dict[str, Any],
        credentials: Any,
    ) -> dict[str, Any]:
        """A turn's reply, as the SDK sends it: to the activity it answers
        (.../activities/<id>), or to the conversation when there is none."""
        url = f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        if reply_to_id:
            url += f"/{quote(reply_to_id, safe='')}"
        return await self._request("POST", service_url, url, activity, credentials)

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> dict[str, Any]:
        url = (
            f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        return await self._request("PUT", service_url, url, activity)

    async def create_conversation(
        self, service_url: str, parameters: dict[str, Any]
    ) -> dict[str, Any]:
        return await self._request(
            "POST", service_url, f"{_base(service_url)}/v3/conversations", parameters
        )

    async def paged_members(
        self, service_url: str, conversation_id: str, page_size: int, token: str | None
    ) -> dict[str, Any]:
        """One page of a team's roster: {"members": [...], "continuationToken": ...}."""
        url = f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}"
        url += f"/pagedmembers?pageSize={page_size}"
        if token:
            url += f"&continuationToken={quote(token, safe='')}"
        return await self._request("GET", service_url, url, None)

    async def _request(
        self,
        method: str,
        service_url: str,
        url: str,
        body: dict[str, Any] | None,
        credentials: Any = None,
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": _user_agent()}
        if credentials is None:
            credentials = await self._credentials_for(service_url)
        token = await self._tokens.token(credentials)
        if token:  # MSAL may go to the network: OutgoingTokens does that in a thread
            headers["Authorization"] = f"Bearer {token}"
        async with self._http.get().request(
            method,
            url,
            data=None if body is None else _dumps(body),
            headers=headers,
            timeout=self._timeout,
        ) as response:
            raw = await response.read()
            if response.status >= 400:
                detail = raw.decode("utf-8", errors="replace")[:300]
                raise ConnectorError(response.status, _retry_after(response.headers), detail)
        try:
            answer = orjson.loads(raw) if raw else {}
        except ValueError:  # orjson.JSONDecodeError is one
            answer = {}
        return answer if isinstance(answer, dict) else {}


def _dumps(body: dict[str, Any]) -> bytes:
    """The request's JSON as UTF-8 (orjson, several times faster than json per message);
    what orjson refuses (an integer past 64 bits, a key that is not a string) as json
    writes it."""
    try:
        return orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(body).encode()


def _base(service_url: str) -> str:
    return service_url.rstrip("/")


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        return None


@cache
def _user_agent() -> str:
    """The SDK's User-Agent, as its own clients send it (the SDK is loaded by then: the
    credentials come from it)."""
    from botframework.connector.auth._connector_factory_impl import USER_AGENT

    return str(USER_AGENT)
