"""The CloudAdapter, built once, with connector clients that live as long as the app.

The plain SDK builds a new ConnectorClient (and a user-token client) on every turn;
constructing msrest's configuration is slow, and each client opens its own HTTP
session. Here a client is built once per (app id, service URL, audience) and reused,
which is most of what makes a turn cheap.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector import AsyncBfPipeline
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth._connector_factory_impl import USER_AGENT

from bot.auth import ChannelTokens, channel_tokens
from bot.lru import LRU
from bot.session import SharedSession
from bot.tokens import KeptTokenCredentials, OutgoingTokens
from bot.transport import AiohttpSender
from settings import Settings

log = logging.getLogger("mentorbot.adapter")


def build_adapter(
    settings: Settings,
    http: SharedSession | None = None,
    tokens: OutgoingTokens | None = None,
    inbound: ChannelTokens | None = None,
) -> CloudAdapter:
    """The adapter; `http`, `tokens` and `inbound` are shared with the outbox
    (bot/edge.py), else its own (and `inbound` from the settings)."""
    config = SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.sdk_app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    inner = ConfigurationBotFrameworkAuthentication(config)
    if inbound is None:
        inbound = channel_tokens(settings.app_id, settings.openid_metadata_url)
    auth = ReusingAuthentication(
        inner, inbound, max_clients=settings.connector_cache_size, http=http, tokens=tokens
    )
    return CloudAdapter(auth)


class ReusingAuthentication(BotFrameworkAuthentication):
    """Validates inbound tokens itself (bot/auth.py: never blocking the loop), or lets
    the SDK's anonymous path run when no app id is set; hands out long-lived clients."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        channel_tokens: ChannelTokens | None = None,
        max_clients: int = 100,
        http: SharedSession | None = None,
        tokens: OutgoingTokens | None = None,
    ) -> None:
        self._inner, self.channel_tokens = inner, channel_tokens
        self.http = http or SharedSession()
        self.tokens = tokens or OutgoingTokens()
        self.max_clients = max_clients
        self._factories: dict[str, ReusingConnectorFactory] = {}
        self._token_clients: dict[str, UserTokenClient] = {}

    def start(self) -> None:
        if self.channel_tokens is not None:
            self.channel_tokens.keys.start()

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        if self.channel_tokens is None:  # no app id: the SDK's anonymous identity
            result = await self._inner.authenticate_request(activity, auth_header)
        else:
            claims = await self.channel_tokens.validate(
                auth_header, activity.channel_id, activity.service_url
            )
            result = AuthenticateRequestResult()
            result.claims_identity = ClaimsIdentity(claims, True)
            result.audience = self._inner.get_originating_audience()
            result.caller_id = CallerIdConstants.public_azure_channel
            result.connector_factory = self._inner.create_connector_factory(result.claims_identity)
        if result.connector_factory is not None:
            result.connector_factory = self._factory(
                result.connector_factory, result.claims_identity
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._factory(self._inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = _app_id(claims_identity)
        if key not in self._token_clients:
            self._token_clients[key] = await self._inner.create_user_token_client(claims_identity)
        return self._token_clients[key]

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

    def _factory(self, inner: ConnectorFactory, identity: ClaimsIdentity) -> ConnectorFactory:
        key = _app_id(identity)
        if key not in self._factories:  # keyed by our own app id: one or two entries
            self._factories[key] = ReusingConnectorFactory(
                inner, self.http, self.tokens, self.max_clients
            )
        return self._factories[key]

    async def close(self) -> None:
        if self.channel_tokens is not None:
            await self.channel_tokens.keys.close()
        await self.http.close()


class ReusingConnectorFactory(ConnectorFactory):
    def __init__(
        self,
        inner: ConnectorFactory,
        shared: SharedSession,
        tokens: OutgoingTokens | None = None,
        max_clients: int = 100,
    ) -> None:
        self._inner, self._shared = inner, shared
        self._tokens = tokens or OutgoingTokens()
        # Per service URL: bounded, since with authentication off a request names any.
        self._clients: LRU[tuple[str, str | None], ConnectorClient] = LRU(max_clients)

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = await self._build(service_url, audience)
            self._clients.put(key, client)
        # The token is fetched here, off the loop, so signing a request never waits.
        await self._tokens.ensure(client.config.credentials)
        return client

    async def _build(self, service_url: str, audience: str | None) -> ConnectorClient:
        # The SDK's factory picks the credentials for this cloud, app and audience.
        sdk_credentials = (await self._inner.create(service_url, audience)).config.credentials
        credentials = KeptTokenCredentials(sdk_credentials, self._tokens)
        client = ConnectorClient(
            credentials,
            base_url=service_url,
            pipeline_type=AsyncBfPipeline,
            sender=AiohttpSender(self._shared),
        )
        client.config.add_user_agent(USER_AGENT)
        # msrest re-validates every outgoing model field by field before serializing;
        # the Bot Connector validates what it receives, so this is paid twice.
        client._serialize.client_side_validation = False
        return client


def _app_id(identity: ClaimsIdentity | None) -> str:
    claims = identity.claims if identity is not None else {}
    return str(claims.get("aud") or claims.get("appid") or "")
