"""Teams single sign-on for the tab, on both databases: an Entra ID token signed by a
local key server (the tenant's keys from a configurable OpenID metadata URL) starts a
session for the person its `oid` names; a missing, expired, wrong-audience, wrong-issuer,
wrong-tenant, unknown-key or unknown-person token does not, and says nothing more."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from settings import Settings
from storage.models import Team, User
from tests.conftest import start_bot
from tests.tabkit import get
from tests.test_endpoint import APP_ID, OpenIdServer

TENANT = "0b0c0d0e-1111-2222-3333-444455556666"
OTHER_TENANT = "9b9c9d9e-1111-2222-3333-444455556666"
ANA_OID = "aaaaaaaa-1111-2222-3333-444455556666"
HOST = "mentorbot.test"
AUDIENCE = f"api://{HOST}/{APP_ID}"


def entra_token(server: OpenIdServer, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "aud": AUDIENCE,
        "tid": TENANT,
        "oid": ANA_OID,
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 3600,
        "scp": "access_as_user",
    } | overrides
    key = overrides.pop("_key", None) or server.key
    claims.pop("_key", None)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": server.kid})


@pytest.fixture
async def sso(settings, connector, clock):
    openid = OpenIdServer()
    url = openid.start()
    secure = Settings(
        **{
            **settings.__dict__,
            "app_id": APP_ID,
            "app_password": "secret",
            "app_tenant_id": TENANT,
            "openid_metadata_url": url,
            "entra_openid_metadata_url": url,
            "public_url": f"https://{HOST}",
        }
    )
    async with start_bot(secure, connector, clock) as bot:
        async with bot.db.unit() as repos:
            ana = await repos.users.add(
                User(
                    teams_id="29:ana",
                    aad_object_id=ANA_OID.upper(),  # Teams and Entra may differ in case
                    tenant_id=TENANT,
                    name="Ana Lee",
                    first_seen_at=clock(),
                )
            )
            await repos.teams.add(
                Team(
                    tenant_id=TENANT,
                    team_id="19:sso@thread.tacv2",
                    name="SSO Team",
                    service_url=bot.service_url,
                    general_ref="{}",
                    installer_id=ana.id,
                    installed_at=clock(),
                )
            )
        yield bot, openid
    openid.stop()


async def sign_in(bot: Any, token: str | None) -> tuple[int, str, str | None]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with bot.session.post(bot.url + "/tab/sso", headers=headers) as resp:
        cookie = resp.cookies.get("__Host-mentorbot-tab")
        return resp.status, await resp.text(), cookie.value if cookie else None


async def test_a_valid_teams_token_starts_a_session_for_its_person(sso):
    bot, openid = sso
    status, _, cookie = await sign_in(bot, entra_token(openid))
    assert status == 204 and cookie
    status, page, _ = await get(bot, "/tab/dashboard", cookie)
    assert status == 200 and "SSO Team" in page
    status, page, _ = await get(bot, "/tab/me", cookie)
    assert status == 200 and "Ana Lee" in page
    # v1 tokens (issuer sts.windows.net, audience the app id) work too.
    v1 = entra_token(openid, iss=f"https://sts.windows.net/{TENANT}/", aud=APP_ID)
    status, _, cookie = await sign_in(bot, v1)
    assert status == 204 and cookie


async def test_bad_tokens_are_refused(sso):
    bot, openid = sso
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    bad = {
        "no token": None,
        "not a JWT": "not.a.jwt",
        "expired": entra_token(openid, exp=now - 3600, nbf=now - 7200, iat=now - 7200),
        "wrong audience": entra_token(openid, aud="api://elsewhere.example/other"),
        "wrong tenant": entra_token(
            openid,
            tid=OTHER_TENANT,
            iss=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0",
        ),
        "issuer of another tenant": entra_token(
            openid, iss=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"
        ),
        "signed by someone else": entra_token(openid, _key=stranger),
        "no oid": entra_token(openid, oid=None),
        "HS256": jwt.encode({"tid": TENANT, "oid": ANA_OID}, "s" * 32, algorithm="HS256"),
    }
    for reason, token in bad.items():
        status, body, cookie = await sign_in(bot, token)
        assert status == 401, reason
        assert cookie is None and body == '{"error": "sign-in failed"}', reason
    # A valid token of someone Mentorbot has never met: 403, no session.
    status, body, cookie = await sign_in(
        bot, entra_token(openid, oid="bbbbbbbb-1111-2222-3333-444455556666")
    )
    assert status == 403 and cookie is None and "Say hello" in body


async def test_without_a_session_the_page_asks_teams_to_sign_in(sso):
    bot, _ = sso
    status, page, _ = await get(bot, "/tab/dashboard")
    assert status == 401 and 'data-signin="needed"' in page
    assert "SSO Team" not in page


async def test_with_sso_the_chat_points_to_the_tab_instead_of_a_link(sso):
    bot, _ = sso
    from dialogs.core.router import Env
    from dialogs.dashboard import dashboard

    said: list[str] = []
    turn: Any = type("TurnStub", (), {})()
    turn.env, turn.say = Env(admins=frozenset(), clock=bot.clock, tab_sso=True), said.append
    await dashboard(turn)
    assert "Dashboard" in said[0] and "/tab/start/" not in said[0]
