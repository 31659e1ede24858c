"""Connector clients: built once, signed by the SDK's credentials, errors readable."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.exceptions import HttpOperationError

from bot.adapter import ReusingConnectorFactory
from bot.transport import SharedSession


class FixedTokenCredentials(MicrosoftAppCredentials):
    def get_access_token(self, force_refresh: bool = False) -> str:
        return "token-123"


class StubFactory:
    def __init__(self, credentials):
        self.credentials, self.created = credentials, 0

    async def create(self, service_url, audience=None):
        self.created += 1
        from botframework.connector.aio import ConnectorClient

        return ConnectorClient(self.credentials, base_url=service_url)


@pytest.fixture
async def shared():
    session = SharedSession()
    yield session
    await session.close()


async def test_requests_are_signed_and_clients_reused(connector, shared):
    inner = StubFactory(FixedTokenCredentials("app-id", "secret"))
    factory = ReusingConnectorFactory(inner, shared)
    client = await factory.create(connector.url, "aud")
    assert await factory.create(connector.url, "aud") is client and inner.created == 1
    await client.conversations.send_to_conversation(
        "a:chat", Activity(type="message", text="hello")
    )
    call = connector.messages("a:chat")[0]
    assert call.headers["Authorization"] == "Bearer token-123"
    assert call.text == "hello" and "BotBuilder" in call.headers["User-Agent"]


async def test_anonymous_requests_carry_no_token(connector, shared):
    factory = ReusingConnectorFactory(StubFactory(MicrosoftAppCredentials.empty()), shared)
    client = await factory.create(connector.url)
    await client.conversations.send_to_conversation("a:chat", Activity(type="message", text="x"))
    assert "Authorization" not in connector.messages("a:chat")[0].headers


async def test_throttling_surfaces_status_and_retry_after_without_retrying(connector, shared):
    connector.fail(r"/activities$", 429, headers={"Retry-After": "3"})
    factory = ReusingConnectorFactory(StubFactory(MicrosoftAppCredentials.empty()), shared)
    client = await factory.create(connector.url)
    with pytest.raises(HttpOperationError) as caught:
        await client.conversations.send_to_conversation("a:chat", Activity(type="message"))
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "3"
    assert len(connector.attempts("a:chat")) == 1  # exactly one try: retries are ours


# --- the outbox's plain-JSON connector calls ---------------------------------------
from bot.connector_rest import ConnectorError, ConnectorRest  # noqa: E402


def rest_for(shared, credentials) -> ConnectorRest:
    async def credentials_for(_service_url):
        return credentials

    return ConnectorRest(shared, credentials_for, timeout_seconds=5)


async def test_outbox_calls_are_signed_with_the_sdk_credentials(connector, shared):
    rest = rest_for(shared, FixedTokenCredentials("app-id", "secret"))
    answer = await rest.send(
        connector.url, "19:chan@thread.tacv2", {"type": "message", "text": "hi", "id": "k1"}
    )
    call = connector.messages("19:chan@thread.tacv2")[0]
    assert call.headers["Authorization"] == "Bearer token-123" and call.body["id"] == "k1"
    assert answer["id"].startswith("activity-")
    created = await rest.create_conversation(connector.url, {"members": [{"id": "29:x"}]})
    assert created["id"] == "a:1on1-29:x"
    await rest.update(connector.url, "a:1on1-29:x", "activity-9", {"type": "message"})
    assert connector.calls[-1].method == "PUT"
    assert connector.calls[-1].path == "/v3/conversations/a:1on1-29:x/activities/activity-9"


async def test_outbox_calls_report_status_and_retry_after(connector, shared):
    rest = rest_for(shared, MicrosoftAppCredentials.empty())
    connector.fail(r"/activities$", 429, headers={"Retry-After": "7"})
    with pytest.raises(ConnectorError) as caught:
        await rest.send(connector.url, "a:chat", {"type": "message"})
    assert caught.value.status == 429 and caught.value.retry_after == 7.0
    assert "Authorization" not in connector.attempts("a:chat")[0].headers
