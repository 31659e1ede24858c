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
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth._connector_factory_impl import USER_AGENT

from bot.transport import AiohttpSender, SharedSession
from settings import Settings

log = logging.getLogger("mentorbot.adapter")


def build_adapter(settings: Settings) -> CloudAdapter:
    config = SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    if settings.openid_metadata_url:
        # Any one parameterized value switches the SDK to its parameterized mode, which
        # then needs them all: the public cloud's values, with only the key source moved.
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = (
            AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
        )
        config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        )
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = (
            AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
            + (settings.app_tenant_id or AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT)
        )
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = (
            AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        )
        config.OAUTH_URL = AuthenticationConstants.OAUTH_URL
        config.CALLER_ID = CallerIdConstants.public_azure_channel
    inner = ConfigurationBotFrameworkAuthentication(config)
    return CloudAdapter(ReusingAuthentication(inner))


class ReusingAuthentication(BotFrameworkAuthentication):
    """Delegates authentication to the SDK; hands out long-lived clients."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self._inner = inner
        self.http = SharedSession()
        self._factories: dict[str, ReusingConnectorFactory] = {}
        self._token_clients: dict[str, UserTokenClient] = {}

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
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
        if key not in self._factories:
            self._factories[key] = ReusingConnectorFactory(inner, self.http)
        return self._factories[key]

    async def close(self) -> None:
        await self.http.close()


class ReusingConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, shared: SharedSession) -> None:
        self._inner, self._shared = inner, shared
        self._clients: dict[tuple[str, str | None], ConnectorClient] = {}

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (service_url, audience)
        if key not in self._clients:
            self._clients[key] = await self._build(service_url, audience)
        return self._clients[key]

    async def _build(self, service_url: str, audience: str | None) -> ConnectorClient:
        # The SDK's factory picks the credentials for this cloud, app and audience.
        credentials = (await self._inner.create(service_url, audience)).config.credentials
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
