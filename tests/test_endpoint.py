"""The HTTP edge: bad bodies, tokens, tenants and health."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from settings import Settings
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
APP_ID = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2, 3]", 400),
        (b'{"type": "message"}', 400),
        (
            b'{"type": "message", "channelId": "msteams", "serviceUrl": "http://127.0.0.1:1/",'
            b' "conversation": {"id": "a"}}',
            400,
        ),
        (
            b'{"type": "message", "channelId": "msteams", "serviceUrl": "ftp://x",'
            b' "conversation": {"id": "a"}, "from": {"id": "29:a"}, "recipient": {"id": "28:b"}}',
            400,
        ),
        (
            b'{"type": "message", "channelId": "msteams", "serviceUrl": "http://127.0.0.1:1/",'
            b' "conversation": {"id": "a"}, "from": {"id": "29:a"}, "recipient": {"id": "28:b"},'
            b' "entities": "oops"}',
            400,
        ),
        (b"\xff\xfe\x00", 400),
    ],
)
async def test_malformed_bodies_get_400_not_500(bot, raw, status):
    code, body = await bot.post(None, raw=raw, headers={"Content-Type": "application/json"})
    assert code == status, body
    assert "error" in json.loads(body)
    assert bot.connector.calls == []


async def test_wrong_content_type_gets_415(bot):
    code, _ = await bot.post(None, raw=b"hello", headers={"Content-Type": "text/plain"})
    assert code == 415


async def test_unknown_activity_types_are_accepted_and_ignored(bot):
    activity = teams.personal_message(bot.service_url, ANA, "x") | {"type": "typing"}
    code, _ = await bot.post(activity)
    assert code == 200 and bot.connector.calls == []


async def test_healthz_reports_the_database(bot):
    async with bot.session.get(f"{bot.url}/healthz") as resp:
        assert resp.status == 200
    # Point the app at a database that cannot answer (nothing listens on port 1).
    from sqlalchemy.ext.asyncio import create_async_engine

    real = bot.db.engine
    bot.db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with bot.session.get(f"{bot.url}/healthz") as resp:
            assert resp.status == 503
    finally:
        await bot.db.engine.dispose()
        bot.db.engine = real


async def test_allowed_tenants_ignores_other_tenants(settings, connector, clock):
    limited = Settings(**{**settings.__dict__, "allowed_tenants": frozenset({"other-tenant"})})
    async with start_bot(limited, connector, clock) as bot:
        code, _ = await bot.post(teams.personal_message(bot.service_url, ANA, "help"))
        assert code == 200 and connector.calls == []
        async with bot.db.unit() as repos:
            assert await repos.users.by_teams_id(ANA.id) is None


# --- authentication with an app id ------------------------------------------------
class OpenIdServer:
    """Publishes a signing key the way the Bot Framework does, on loopback, in its own
    thread (tests/test_auth_keys.py makes it hang without holding up the bot's loop)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key"

    def start(self) -> str:
        documents = {"/openid": None, "/keys": self._keys()}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path not in documents:
                    self.send_error(404)
                    return
                body = json.dumps(documents[self.path] or server._config()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"{self.base}/openid"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _config(self) -> dict:
        return {"issuer": "https://api.botframework.com", "jwks_uri": f"{self.base}/keys"}

    def _keys(self) -> dict:
        numbers = self.key.public_key().public_numbers()

        def b64(n: int) -> str:
            raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "n": b64(numbers.n),
                    "e": b64(numbers.e),
                    "endorsements": ["msteams"],
                }
            ]
        }

    def token(self, service_url: str, audience: str = APP_ID, **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://api.botframework.com",
            "aud": audience,
            "nbf": now - 10,
            "exp": now + 600,
            "serviceurl": service_url,
        } | overrides
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
async def secured(settings, connector, clock):
    openid = OpenIdServer()
    url = openid.start()
    secure = Settings(
        **{
            **settings.__dict__,
            "app_id": APP_ID,
            "app_password": "secret",
            "app_tenant_id": teams.TENANT,  # SingleTenant, the default
            "openid_metadata_url": url,
        }
    )
    async with start_bot(secure, connector, clock) as bot:
        yield bot, openid
    openid.stop()


async def test_missing_or_bad_tokens_get_401(secured):
    bot, openid = secured
    activity = teams.personal_message(bot.service_url, ANA, "help")
    for headers in (
        None,
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "garbage"},
        {"Authorization": "Bearer " + openid.token(bot.service_url, audience="x")},
        {"Authorization": "Bearer " + openid.token(bot.service_url, exp=1)},
        {"Authorization": "Bearer " + openid.token("https://evil.example/")},
    ):
        code, _ = await bot.post(activity, headers=headers)
        assert code == 401, headers
    assert bot.connector.calls == []


async def test_valid_token_is_accepted(secured):
    bot, openid = secured
    # A member-removed event for an unknown team: accepted, processed, needs no reply.
    event = teams.members_removed(bot.service_url, teams.TeamsTeam("x", "X"), ANA)
    code, _ = await bot.post(
        event, headers={"Authorization": "Bearer " + openid.token(bot.service_url)}
    )
    assert code == 200


async def test_a_reply_answers_the_activity_it_came_for(bot):
    """One POST per reply, addressed as the SDK addresses it: to the activity, from the
    bot to the sender, in the same conversation."""
    message = teams.personal_message(bot.service_url, ANA, "help")
    await bot.send(message)
    replies = bot.connector.messages(ANA.personal_conversation)
    assert replies and {c.method for c in replies} == {"POST"}
    for call in replies:
        assert (
            call.path == f"/v3/conversations/{ANA.personal_conversation}/activities/{message['id']}"
        )
        body = call.body
        assert body["type"] == "message" and body["replyToId"] == message["id"]
        assert body["from"] == teams.BOT and body["recipient"] == ANA.account()
        assert body["conversation"]["id"] == ANA.personal_conversation
        assert body["serviceUrl"] == bot.service_url and body["channelId"] == "msteams"
        assert body["inputHint"] == "acceptingInput" and body["locale"] == "en-US"


async def test_a_welcome_after_an_install_goes_to_the_conversation(bot):
    """A conversation update is answered in the conversation, not as a reply to it."""
    await bot.send(teams.personal_install(bot.service_url, ANA))
    welcome = bot.connector.messages(ANA.personal_conversation)
    assert (
        welcome and welcome[0].path == f"/v3/conversations/{ANA.personal_conversation}/activities"
    )
    assert "replyToId" not in welcome[0].body and welcome[0].text
    assert welcome[0].body["recipient"] == ANA.account()
