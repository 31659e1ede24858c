"""Finding 8: bounded caches, tenants compared as Teams means them, invokes answered.

Connector clients are kept per service URL in an LRU of CONNECTOR_CACHE_SIZE (with
authentication off a request can name any URL); ALLOWED_TENANTS ignores case and reads
`conversation.tenantId` when `channelData.tenant` is missing; an invoke the bot does not
handle gets 200 with an empty body, never 501.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from storage.models import User
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count

ANA = TeamsUser("ana", "Ana Lee")
NOBODYS = TeamsTeam("nobodys", "Nobody's")


def clients_of(bot) -> int:
    auth = bot.delivery.sdk.adapter().bot_framework_authentication
    return sum(len(factory._clients) for factory in auth._factories.values())


async def test_connector_clients_are_bounded_by_the_setting(settings, connector, clock):
    async with start_bot(settings.with_(connector_cache_size=20), connector, clock) as bot:
        for n in range(120):  # forged service URLs: nothing listens there, nothing is sent
            event = teams.members_removed(f"http://127.0.0.1:9/forged/{n}/", NOBODYS, ANA)
            code, _ = await bot.post(event)
            assert code == 200
        assert clients_of(bot) == 20
        # The real one still works (and is kept).
        assert await bot.send(teams.personal_message(bot.service_url, ANA, "help"))


@pytest.fixture
async def limited(settings, connector, clock):
    allowed = settings.with_(allowed_tenants=frozenset({"Tenant-CONTOSO"}))
    async with start_bot(allowed, connector, clock) as bot:
        yield bot


async def test_allowed_tenants_ignore_case(limited):
    assert await limited.send(teams.personal_message(limited.service_url, ANA, "help"))
    assert await count(limited, User) == 1


async def test_the_tenant_comes_from_the_conversation_without_channel_data(limited):
    activity = teams.personal_message(limited.service_url, ANA, "help")
    del activity["channelData"]
    activity["conversation"]["tenantId"] = "TENANT-contoso"
    assert await limited.send(activity)
    other = teams.personal_message(limited.service_url, TeamsUser("zed", "Zed"), "help")
    other["channelData"] = {}
    other["conversation"]["tenantId"] = "another-tenant"
    assert await limited.send(other) == []
    assert await count(limited, User) == 1


@pytest.mark.parametrize(
    "name", ["composeExtension/query", "task/fetch", "config/fetch", "signin/verifyState", None]
)
async def test_invokes_the_bot_does_not_handle_get_200_not_501(bot, name):
    activity = teams.card_action(bot.service_url, ANA, NOBODYS, {}, "card-1")
    activity["name"] = name
    code, body = await bot.post(activity)
    assert code == 200 and json.loads(body) == {}


async def test_an_invoke_from_a_tenant_not_allowed_gets_200(limited):
    activity = teams.card_action(limited.service_url, ANA, NOBODYS, {"action": "x"}, "card-1")
    activity["channelData"]["tenant"] = {"id": "another-tenant"}
    activity["conversation"]["tenantId"] = "another-tenant"
    code, body = await limited.post(activity)
    assert code == 200 and json.loads(body) == {}


async def test_rate_limit_windows_forget_conversations_gone_quiet(settings, connector, clock):
    """A fan-out reaches many conversations once each: their windows do not stay."""
    from dataclasses import replace

    quick = replace(settings.delivery, conversation_limits=((7, 0.2),), tenant_per_second=500)
    team = TeamsTeam("many", "Many")
    people = [TeamsUser(f"m{i:02d}", f"Member {i}") for i in range(30)]
    async with start_bot(settings.with_(delivery=quick), connector, clock) as bot:
        connector.set_roster(team.id, [ANA.member()], team.name)
        await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, team))
        connector.set_roster(team.id, [p.member() for p in (ANA, *people)], team.name)
        await bot.post(teams.members_added(bot.service_url, team, *people, by=ANA))
        await bot.settle()
        assert len(connector.created_conversations()) == 30  # 30 greetings, 30 chats
        for _ in range(100):  # the worker prunes with its lease checks (every second here)
            if len(bot.delivery.limits) <= 2:
                break
            await asyncio.sleep(0.05)
        assert len(bot.delivery.limits) <= 2, len(bot.delivery.limits)
