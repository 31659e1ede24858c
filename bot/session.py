"""One aiohttp session for all outgoing Bot Connector calls (the SDK's and the outbox's)."""

from __future__ import annotations

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class SharedSession:
    """One aiohttp session for all connector clients, opened on first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
