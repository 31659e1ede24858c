"""Finding 1: token signing keys and the bot's own tokens never block the event loop.

A key endpoint that hangs, 50 requests with tokens naming unknown keys: /healthz and
authenticated turns keep answering within 100 ms, the endpoint is asked at most once
(a miss is remembered), and every bad token gets a 401 logged in one line. The bot's
own token (MSAL, blocking) is fetched in a thread, before a reply needs it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import jwt
import pytest
from botframework.connector.auth import MicrosoftAppCredentials
from cryptography.hazmat.primitives.asymmetric import rsa

from settings import Settings
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.test_endpoint import APP_ID, OpenIdServer

ANA = TeamsUser("ana", "Ana Lee")
STRANGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class HangingOpenId(OpenIdServer):
    """The key server of test_endpoint, which can be made to hang (and counts requests)."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()
        self.released.set()
        self.requests = 0

    def start(self) -> str:
        url = super().start()
        handler = self.httpd.RequestHandlerClass
        real_get = handler.do_GET  # type: ignore[attr-defined]
        server = self

        def do_get(request) -> None:
            server.requests += 1
            server.released.wait(timeout=30)
            real_get(request)

        handler.do_GET = do_get  # type: ignore[attr-defined]
        return url

    def hang(self) -> None:
        self.released.clear()

    def stop(self) -> None:
        self.released.set()
        super().stop()


def unknown_key_token(service_url: str, n: int) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "nbf": now - 10,
        "exp": now + 600,
        "serviceurl": service_url,
    }
    return jwt.encode(claims, STRANGER_KEY, algorithm="RS256", headers={"kid": f"rotated-{n}"})


@pytest.fixture
def bot_token(monkeypatch):
    """The bot's own token: MSAL would go to the network; here it blocks like it would."""
    calls = []

    def get_access_token(self, force_refresh: bool = False) -> str:
        calls.append(threading.current_thread().name)
        time.sleep(2.0)  # a slow token endpoint, inside a blocking call
        return "bot-token"

    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", get_access_token)
    return calls


@pytest.fixture
async def secured(settings, connector, clock, bot_token):
    openid = HangingOpenId()
    url = openid.start()
    secure = Settings(
        **{
            **settings.__dict__,
            "app_id": APP_ID,
            "app_password": "secret",
            "app_tenant_id": teams.TENANT,
        }
    ).with_(openid_metadata_url=url)
    async with start_bot(secure, connector, clock) as bot:
        yield bot, openid
    openid.stop()


async def timed(coroutine) -> tuple[float, object]:
    started = time.perf_counter()
    result = await coroutine
    return time.perf_counter() - started, result


async def healthz(bot) -> int:
    async with bot.session.get(f"{bot.url}/healthz") as response:
        return response.status


async def test_a_hanging_key_endpoint_freezes_nothing(secured, caplog):
    bot, openid = secured
    caplog.set_level(logging.INFO)
    good = {"Authorization": "Bearer " + openid.token(bot.service_url)}
    # Warm up: keys fetched, the bot's token fetched, the user known.
    for _ in range(2):
        code, _ = await bot.post(teams.personal_message(bot.service_url, ANA, "help"), good)
        assert code == 200
    asked = openid.requests
    openid.hang()

    activity = teams.personal_message(bot.service_url, ANA, "help")
    bad = [
        bot.post(activity, {"Authorization": "Bearer " + unknown_key_token(bot.service_url, n)})
        for n in range(50)
    ]
    flood = asyncio.gather(*bad)
    await asyncio.sleep(0.05)  # the bad requests are in, one of them fetching
    latencies = []
    for _ in range(10):
        took, status = await timed(healthz(bot))
        latencies.append(took)
        assert status == 200
        message = teams.personal_message(bot.service_url, ANA, "help")
        took, (code, _) = await timed(bot.post(message, good))
        latencies.append(took)
        assert code == 200
        await asyncio.sleep(0.02)
    results = await flood

    assert [code for code, _ in results] == [401] * 50
    # The key endpoint hangs for seconds (until released; the fetch gives up at 5 s): a
    # blocked loop would hold every request that long. The bound leaves room for a
    # loaded machine and still fails on a freeze.
    assert max(latencies) < 1.0, latencies
    # One fetch for all 50 unknown keys (metadata + keys = 2 requests), and none after.
    assert openid.requests - asked <= 2
    rejected = [r for r in caplog.records if "rejected an activity" in r.getMessage()]
    assert len(rejected) == 50
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in rejected)
    assert "signing key is not published" in rejected[0].getMessage()


async def test_the_bots_own_token_is_fetched_off_the_loop(secured, bot_token):
    bot, openid = secured
    good = {"Authorization": "Bearer " + openid.token(bot.service_url)}
    turn = asyncio.ensure_future(
        bot.post(teams.personal_message(bot.service_url, ANA, "help"), good)
    )
    latencies = []
    while not turn.done():
        took, status = await timed(healthz(bot))
        assert status == 200
        latencies.append(took)
        await asyncio.sleep(0.01)
    code, _ = await turn
    assert code == 200
    assert bot_token and all(name.startswith("mentorbot-token") for name in bot_token)
    # The token call blocks its thread for 2 s; on the loop it would hold /healthz that long
    # (the bound leaves a loaded machine room and still fails on a freeze).
    assert len(latencies) >= 5 and max(latencies) < 1.5, latencies
    reply = bot.connector.messages(ANA.personal_conversation)[-1]
    assert reply.headers["Authorization"] == "Bearer bot-token"
