"""Start-up builds what serving needs and no more: the Bot Framework SDK (botbuilder,
msrest, requests, PyJWT with cryptography) loads in a thread once the app is starting to
listen, or with the first turn if that comes sooner (bot/edge.py); either way the turn is
answered as before. No timings here: bench/startup.py measures them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

import bot.edge
from app import SDK_KEY
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsUser

ROOT = Path(__file__).resolve().parent.parent
SDK = ("botbuilder", "botframework", "msrest", "requests", "urllib3", "msal", "jwt")
SDK += ("cryptography",)
ANA = TeamsUser("ana", "Ana Lee")


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


LOADED = f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({SDK!r})))"


def test_import_app_and_create_app_load_no_part_of_the_sdk():
    code = (
        "import sys, app, settings\n"
        "app.create_app(settings.Settings.from_env("
        "{'DATABASE_URL': 'sqlite+aiosqlite:///never-opened.db'}))\n" + LOADED
    )
    assert run(code) == "[]"


def test_postgresql_dialect_loads_only_for_postgresql():
    code = "import sys, app\nprint('sqlalchemy.dialects.postgresql' in sys.modules)"
    assert run(code) == "False"


def test_the_sdk_loads_in_the_background_once_the_app_runs(tmp_path):
    """No request at all: the warm-up alone loads the SDK and builds the route."""
    code = f"""
import asyncio, sys
from aiohttp.test_utils import TestServer
import app, settings

async def main():
    url = "sqlite+aiosqlite:///{tmp_path / "bot.db"}"
    web_app = app.create_app(settings.Settings.from_env({{"DATABASE_URL": url}}))
    server = TestServer(web_app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        for _ in range(600):
            if web_app[app.SDK_KEY].loaded:
                break
            await asyncio.sleep(0.1)
        print("loaded" if web_app[app.SDK_KEY].loaded else "not loaded")
    finally:
        await server.close()

asyncio.run(main())
{LOADED}
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-2] == "loaded"
    assert "botbuilder" in lines[-1] and "msrest" in lines[-1]


def test_a_turn_while_the_sdk_is_still_loading_in_a_fresh_process(tmp_path):
    """The first activity races the warm-up's import: it waits for it and is answered
    (a typing activity: bot/web.py accepts and ignores it, so the route was built and ran)."""
    typing = teams.personal_message("https://smba.example/", ANA, "x") | {"type": "typing"}
    code = f"""
import asyncio, json, sys
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
import app, settings

async def main():
    url = "sqlite+aiosqlite:///{tmp_path / "bot.db"}"
    web_app = app.create_app(settings.Settings.from_env({{"DATABASE_URL": url}}))
    server = TestServer(web_app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with ClientSession() as session:
            answer = await session.post(
                f"http://127.0.0.1:{{server.port}}/api/messages", data={json.dumps(typing)!r},
                headers={{"Content-Type": "application/json"}},
            )
            print(answer.status, web_app[app.SDK_KEY].loaded)
    finally:
        await server.close()

asyncio.run(main())
"""
    assert run(code) == "200 True"


def test_a_restart_at_the_newest_schema_loads_no_alembic(tmp_path):
    """serve migrates at every start: a schema already at head is one query, no Alembic
    (nor is the readiness probe's schema check)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    code = f"""
import asyncio, sys
import app, storage

async def main():
    db = storage.Database({url!r})
    try:
        await app.migrate_logged(db)
        print(await db.schema_at_head(), sorted(m for m in sys.modules if m.startswith("alembic")))
    finally:
        await db.dispose()

asyncio.run(main())
"""
    assert run(code).startswith("True ['alembic")  # the first start migrates with Alembic
    assert run(code) == "True []"  # a restart


@pytest.fixture
def no_warm_up(monkeypatch):
    """The warm-up fails: the first turn builds the SDK's side itself."""

    def fail() -> None:
        raise ImportError("warm-up switched off for this test")

    monkeypatch.setattr(bot.edge, "load_sdk", fail)


async def test_the_first_turn_builds_the_sdk_side_when_the_warm_up_did_not(
    settings, connector, clock, no_warm_up
):
    async with start_bot(settings, connector, clock) as running:
        sdk = running.server.app[SDK_KEY]
        for _ in range(50):  # let the failing warm-up finish first
            if sdk._warming is not None and sdk._warming.done():
                break
            await asyncio.sleep(0.01)
        assert not sdk.loaded
        replies = await running.send(teams.personal_message(running.service_url, ANA, "help"))
        assert sdk.loaded
        assert replies and "help" in " ".join(replies).lower()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"[1]", "application/json", 400),
        (b"{", "application/json", 400),
        (b"hi", "text/plain", 415),
    ],
)
async def test_a_request_that_is_no_activity_is_refused_without_the_sdk(
    settings, connector, clock, no_warm_up, body, content_type, status
):
    """bot/intake.py answers it: the SDK's side is neither needed nor built for it."""
    async with start_bot(settings, connector, clock) as running:
        sdk = running.server.app[SDK_KEY]
        code, answer = await running.post(None, raw=body, headers={"Content-Type": content_type})
        assert (code, "error" in json.loads(answer)) == (status, True)
        assert not sdk.loaded
        replies = await running.send(teams.personal_message(running.service_url, ANA, "help"))
        assert sdk.loaded and replies
