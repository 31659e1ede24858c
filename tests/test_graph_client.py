"""The Graph client (msgraph-sdk) against the fake Graph on loopback: delta pages,
managers, mailbox settings in $batch with sub-responses retried on their own, chats,
schedules, events, and the errors it turns into GraphError (403 names the permission)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.graph.client import GraphClient, StaticCredential, build
from dialogs.core.graph import EventDraft, GraphError
from settings import GraphSettings
from tests.fakes.graph import FakeGraph, GraphUser


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(page_size=3)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(graph: FakeGraph) -> AsyncIterator[GraphClient]:
    made = build(
        GraphSettings(base_url=graph.base_url, requests_per_second=0), credential=StaticCredential()
    )
    yield made
    await made.close()


def people(graph: FakeGraph, n: int) -> list[str]:
    for i in range(n):
        graph.add(GraphUser(f"u{i:03}", department=f"d{i % 3}", manager="u000" if i else None))
    return sorted(graph.users)


async def test_delta_pages_then_changes_only(graph: FakeGraph, client: GraphClient) -> None:
    people(graph, 7)
    seen, link, pages = {}, None, 0
    while True:
        page = await client.users_delta(link)
        pages += 1
        seen.update({u.aad_id: u for u in page.users})
        if page.delta_link:
            break
        link = page.next_link
    assert pages == 3 and len(seen) == 7
    assert seen["u005"].department == "d2" and seen["u005"].manager_aad_id == "u000"
    assert seen["u000"].manager_aad_id is None  # no manager: Graph sends no manager@delta
    assert all(c.headers["Authorization"] == "Bearer test-token" for c in graph.calls)
    graph.change("u004", department="Sales", manager="u001")
    graph.change("u006", deleted=True)
    changes = await client.users_delta(page.delta_link)
    assert {u.aad_id: (u.department, u.manager_aad_id, u.removed) for u in changes.users} == {
        "u004": ("Sales", "u001", False),
        "u006": (None, None, True),
    }


async def test_mailboxes_batched_twenty_a_request(graph: FakeGraph, client: GraphClient) -> None:
    ids = people(graph, 45)
    graph.change(
        "u010", zone="Eastern Standard Time", hours=("08:30:00.0000000", "16:00:00.0000000")
    )
    got = await client.mailboxes(ids)
    assert len(graph.top_level(r"^/\$batch")) == 3
    assert len(got.found) == 45 and not got.failed
    assert got.found["u001"].zone == "Europe/Berlin"
    box = got.found["u010"]
    assert box.zone == "America/New_York" and box.hours is not None
    assert (box.hours.start, box.hours.end, box.hours.zone) == (
        "08:30",
        "16:00",
        "America/New_York",
    )
    assert box.language == "en-US" and box.hours.days[0] == "monday"


async def test_batch_sub_responses_retried_alone(graph: FakeGraph, client: GraphClient) -> None:
    ids = people(graph, 20)
    graph.fail(r"/users/u003/mailboxSettings", 429, times=2, retry_after=0)
    graph.fail(r"/users/u007/mailboxSettings", 503, retry_after=0)
    graph.fail(r"/users/u009/mailboxSettings", 404)
    graph.fail(r"/users/u011/mailboxSettings", 403)
    got = await client.mailboxes(ids)
    batches = graph.top_level(r"^/\$batch")
    assert [len(b.body["requests"]) for b in batches] == [20, 2, 1]
    assert len(got.found) == 18 and set(got.failed) == {"u009", "u011"}
    assert got.failed["u009"].status == 404
    assert got.failed["u011"].permission == "MailboxSettings.Read"


async def test_top_level_429_and_5xx_retried_by_the_sdk(
    graph: FakeGraph, client: GraphClient
) -> None:
    people(graph, 2)
    graph.fail(r"^/users/delta", 429, retry_after=0)
    graph.fail(r"^/users/delta", 503, retry_after=0)
    page = await client.users_delta(None)
    assert len(page.users) == 2
    assert [c.status for c in graph.top_level(r"^/users/delta")] == [429, 503, 200]


async def test_403_names_the_permission(graph: FakeGraph, client: GraphClient) -> None:
    graph.fail(r"^/users/delta", 403)
    with pytest.raises(GraphError) as caught:
        await client.users_delta(None)
    assert caught.value.status == 403 and caught.value.permission == "User.Read.All"


async def test_manager_single_and_missing(graph: FakeGraph, client: GraphClient) -> None:
    people(graph, 3)
    assert await client.manager("u002") == "u000"
    assert await client.manager("u000") is None
    box = await client.mailbox_settings("u001")
    assert box.zone == "Europe/Berlin"


async def test_chat_install_schedule_events(graph: FakeGraph, client: GraphClient) -> None:
    people(graph, 2)
    graph.users["u001"].busy = [("2026-12-07T10:00:00", "2026-12-07T11:00:00")]
    chat = await client.create_chat(["u000", "u001"], "Coffee")
    assert graph.chats[chat]["chatType"] == "group"
    binds = [m["user@odata.bind"] for m in graph.chats[chat]["members"]]
    assert binds[1].endswith("users('u001')")
    await client.install_app_in_chat(chat, "app-1")
    assert graph.installed[chat] == [f"{graph.base_url}/appCatalogs/teamsApps/app-1"]
    start = datetime(2026, 12, 7, 8, tzinfo=UTC)
    busy = await client.get_schedule("u000", ["u000", "u001"], start, start.replace(hour=18))
    assert busy["u000"] == []
    assert [(b.start.hour, b.end.hour) for b in busy["u001"]] == [(10, 11)]
    draft = EventDraft("Mentoring", start, start.replace(hour=9), ("a@x.test", "b@x.test"))
    event = await client.create_event("u000", draft)
    stored = graph.events[event]
    assert (
        stored["isOnlineMeeting"] is True and stored["onlineMeetingProvider"] == "teamsForBusiness"
    )
    await client.update_event("u000", event, EventDraft("Moved", start, start, ()))
    assert graph.events[event]["subject"] == "Moved"
    await client.delete_event("u000", event)
    assert event not in graph.events
    graph.fail(r"^/chats$", 403)
    with pytest.raises(GraphError) as caught:
        await client.create_chat(["u000", "u001"], "Coffee")
    assert caught.value.permission == "Chat.Create"


def test_import_app_loads_no_graph_sdk() -> None:
    code = (
        "import sys, app; bad = [m for m in sys.modules if m.startswith("
        "('msgraph', 'kiota', 'azure.identity', 'bot.graph.client'))]; "
        "print(bad); assert not bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_directory_users_batched_with_manager(graph: FakeGraph, client: GraphClient) -> None:
    ids = people(graph, 25)
    graph.change("u024", deleted=True)
    got = await client.directory_users(ids)
    assert len(graph.top_level(r"^/\$batch")) == 2
    assert got.found["u003"].manager_aad_id == "u000" and got.found["u003"].department == "d0"
    assert got.found["u000"].manager_aad_id == ""
    assert got.failed["u024"].status == 404


def test_graph_settings_default_to_the_bots_registration() -> None:
    from settings import Settings, SettingsError

    base = {"MicrosoftAppId": "app-1", "MicrosoftAppPassword": "pw", "MicrosoftAppTenantId": "t-1"}
    assert not Settings.from_env(base).graph.enabled
    g = Settings.from_env(base | {"GRAPH_CREDENTIAL": "secret"}).graph
    assert (g.enabled, g.client_id, g.tenant_id, g.secret) == (True, "app-1", "t-1", "pw")
    with pytest.raises(SettingsError, match="GRAPH_CERTIFICATE_PATH"):
        Settings.from_env(base | {"GRAPH_CREDENTIAL": "certificate"})
    with pytest.raises(SettingsError, match="GRAPH_CREDENTIAL must be one of"):
        Settings.from_env(base | {"GRAPH_CREDENTIAL": "password"})
    with pytest.raises(SettingsError, match="GRAPH_TENANT_ID"):
        Settings.from_env({"GRAPH_CREDENTIAL": "managed_identity"})


def test_credentials_by_kind() -> None:
    from azure.identity.aio import ClientSecretCredential, ManagedIdentityCredential

    from bot.graph.client import make_credential

    secret = GraphSettings(credential="secret", client_id="c", tenant_id="t", secret="s")
    assert isinstance(make_credential(secret), ClientSecretCredential)
    managed = GraphSettings(credential="managed_identity", tenant_id="t")
    assert isinstance(make_credential(managed), ManagedIdentityCredential)


async def test_throttled_sub_requests_of_many_batches_go_again_together(
    graph: FakeGraph, client: GraphClient
) -> None:
    ids = people(graph, 45)
    for n in (3, 30, 44):
        graph.fail(rf"/users/u{n:03}/mailboxSettings", 429, retry_after=0)
    got = await client.mailboxes(ids)
    assert [len(b.body["requests"]) for b in graph.top_level(r"^/\$batch")] == [20, 20, 5, 3]
    assert len(got.found) == 45
