"""An msrest transport that sends on one shared aiohttp session.

The SDK's default transport runs `requests` on a thread pool: a thread hop, a
PreparedRequest and urllib3 bookkeeping for every message. This sender keeps the
SDK's pipeline (serialization, its credentials policy that signs each request, its
error handling) and replaces only the last step: the bytes go out on aiohttp.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import requests
from msrest.pipeline import Request, Response
from msrest.pipeline.async_abc import AsyncHTTPSender
from msrest.universal_http.aiohttp import AioHttpClientResponse
from multidict import CIMultiDict

from bot.session import SharedSession


class AiohttpSender(AsyncHTTPSender):
    def __init__(self, shared: SharedSession) -> None:
        self._shared = shared
        # msrest's credentials policy signs a requests.Session by setting its
        # Authorization header; this one only carries that header to aiohttp.
        self._signed = requests.Session()

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None

    def build_context(self) -> Any:
        return SimpleNamespace(session=self._signed)

    async def send(self, request: Request, **config: Any) -> Response:
        http_request = request.http_request
        headers = dict(http_request.headers)
        signed = getattr(request.context, "session", None) or self._signed
        if "Authorization" in signed.headers:
            headers["Authorization"] = signed.headers["Authorization"]
        async with self._shared.get().request(
            http_request.method, http_request.url, headers=headers, data=http_request.data
        ) as raw:
            response = AioHttpClientResponse(http_request, raw)
            await response.load_body()
        if raw.status >= 400 and not _is_json(raw.headers.get("Content-Type", "")):
            # A gateway's HTML or text error page: msrest would fail parsing it before
            # anyone saw the status. Without a content type it keeps it as plain text.
            response.headers = CIMultiDict(
                (k, v) for k, v in raw.headers.items() if k.lower() != "content-type"
            )
        response.internal_response = RawResponse(
            raw.status, raw.reason, raw.headers, response.body()
        )
        return Response(request, response)


def _is_json(content_type: str) -> bool:
    return "json" in content_type.lower()


class RawResponse:
    """What msrest exposes as `error.response`, shaped like requests.Response, as with
    the SDK's default transport: `status_code`, `headers["Retry-After"]`, `text`."""

    def __init__(self, status: int, reason: str | None, headers: Any, content: bytes) -> None:
        self.status_code, self.reason, self.headers = status, reason or "", headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} {self.reason}", response=None)
