"""Mentorbot in the Microsoft 365 Agents Playground, as a newcomer tries it (README "Try it").

The playground's own server (npm @microsoft/m365agentsplayground, installed by .ci/run
into infra/playground) runs with the repository's config (a mock team, channel and five
members) against the real app; the test drives it through the HTTP API behind its web
UI and reads what the bot sent from its WebSocket, as the UI does. Without Node or the
package the test skips locally and fails under CI (CI set).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.common import Proc, Procs, bench_env, free_port, make_tmpdir, wait_until

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND = ROOT / "infra" / "playground"
BINARY = PLAYGROUND / "node_modules" / ".bin" / "agentsplayground"
CARD = "application/vnd.microsoft.card.adaptive"


def _require_playground() -> None:
    missing = [
        what
        for what, present in (("node", shutil.which("node")), (str(BINARY), BINARY.exists()))
        if not present
    ]
    if missing:
        message = f"the Agents Playground needs {', '.join(missing)} (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class Playground:
    """The playground's HTTP API and its conversation stream."""

    def __init__(self, http: aiohttp.ClientSession, port: int) -> None:
        self.http, self.base = http, f"http://127.0.0.1:{port}"
        self.seen: list[dict[str, Any]] = []
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> dict[str, Any]:
        ws = await self.http.ws_connect(
            self.base.replace("http", "ws") + "/_ws_conversation/v1/conversations/stream"
        )
        self._reader = asyncio.create_task(self._read(ws))
        async with self.http.get(self.base + "/_internal/v1/config") as resp:
            return (await resp.json())["config"]

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            self.seen.append(json.loads(message.data))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def install(self, conversation: str) -> None:
        url = f"{self.base}/_debug/conversation/{conversation}/installation"
        async with self.http.post(url, json={}) as resp:
            assert resp.status == 200, await resp.text()

    async def say(self, conversation: str, user: str, text: str, mention: dict | None = None):
        body: dict[str, Any] = {"from": {"id": user}, "text": text, "textFormat": "plain"}
        if mention is not None:
            tag = f"<at>{mention['name']}</at>"
            body["text"] = f"{tag} {text}"
            body["mentions"] = [{"mentioned": {"id": mention["id"]}, "text": tag}]
        url = f"{self.base}/_conversation/v1/conversations/{conversation}/messages"
        async with self.http.post(url, json=body) as resp:
            assert resp.status == 200, await resp.text()

    async def submit(self, conversation: str, user: str, card_message: str, value: dict) -> None:
        body = {
            "conversation": {"id": conversation},
            "from": {"id": user},
            "replyToId": card_message,
            "value": value,
        }
        async with self.http.post(self.base + "/_conversation/v1/submit", json=body) as resp:
            assert resp.status == 200, await resp.text()

    async def next_message(self, where: str, want: Any, timeout: float = 20.0) -> dict[str, Any]:
        """The first message the bot posted in `where` (a conversation, or a channel's
        thread) that `want(message)` accepts, waiting for it."""
        for _ in range(int(timeout / 0.05)):
            for event in self.seen:
                message = event.get("message") or {}
                place = event.get("actionConversationId") or ""
                created = event.get("action") == "createMessage"
                if created and place.split(";")[0] == where and want(message):
                    return message
            await asyncio.sleep(0.05)
        texts = [
            (e.get("actionConversationId"), (e.get("message") or {}).get("text")) for e in self.seen
        ]
        raise AssertionError(f"nothing like that in {where}; the bot sent {texts}")


def has_card(message: dict[str, Any]) -> bool:
    return any(a.get("contentType") == CARD for a in message.get("attachments") or [])


def text_with(words: str):
    return lambda message: words in (message.get("text") or "")


async def test_a_newcomer_installs_onboards_pairs_and_sees_an_icebreaker(tmp_path):
    _require_playground()
    procs = Procs(make_tmpdir())
    bot_port, playground_port = free_port(), free_port()
    netlog = tmp_path / "refused.log"
    bot_env = bench_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'try.db'}")
    playground_env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",
        "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
        "NODE_OPTIONS": f"--require {PLAYGROUND / 'netguard.js'}",
        "NETGUARD_LOG": str(netlog),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(tmp_path / "playground.log"),
    }
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        try:
            bot = await procs.spawn(
                "mentorbot", ["-m", "app", "serve", "--port", str(bot_port)], bot_port, bot_env
            )
            await wait_until(bot, lambda: _ok(http, f"{bot.url}/readyz"), 60)
            playground = await _spawn_playground(procs, playground_port, bot_port, playground_env)
            await wait_until(playground, lambda: _ok(http, f"{playground.url}/_debug/ping"), 60)
            await _try_it(Playground(http, playground_port))
        finally:
            await procs.stop_all()


async def _try_it(playground: Playground) -> None:
    config = await playground.open()
    try:
        me, bot = config["currentUser"]["id"], config["bot"]
        team = config["teams"][0]["id"]  # also its General channel
        chat = config["personalChat"]["id"]

        await playground.install(team)
        welcome = await playground.next_message(team, text_with("Hello Data Guild!"))
        assert "/help" in welcome["text"]

        await playground.install(chat)
        form = await playground.next_message(chat, has_card)
        await playground.submit(
            chat,
            me,
            form["messageId"],
            {
                "action": "profile_save",
                "role": "coffee",
                "timezone": "Europe/Berlin",
                "meeting_format": "video",
                "meetings_per_month": "2",
                "interests": "jazz, climbing",
            },
        )
        await playground.next_message(chat, text_with("your profile is saved"))

        # The roster came from the playground's mock team (its five members and me).
        await playground.say(team, me, "/pair now", mention=bot)
        answer = await playground.next_message(team, text_with("New round in Data Guild"))
        assert "intros are on their way" in answer["text"]
        intro = await playground.next_message(chat, text_with("Your coffee chat in Data Guild"))
        assert intro and await playground.next_message(
            chat, lambda m: has_card(m) and m["messageId"] != form["messageId"]
        )

        await playground.say(team, me, "/icebreaker now", mention=bot)
        await playground.next_message(team, text_with("Posting this one now"))
        question = await playground.next_message(team, has_card)
        card = question["attachments"][0]["content"]
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    finally:
        await playground.close()


async def _spawn_playground(procs: Procs, port: int, bot_port: int, env: dict[str, str]):
    """The playground's server, in infra/playground (where its config file is)."""
    log_path = procs.tmpdir / "playground.out"
    with open(log_path, "wb") as out:
        process = await asyncio.create_subprocess_exec(
            str(BINARY),
            "--disable-telemetry",
            "-c",
            "msteams",
            "-e",
            f"http://127.0.0.1:{bot_port}/api/messages",
            "-p",
            str(port),
            cwd=PLAYGROUND,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    proc = Proc("playground", process, log_path, time.perf_counter(), port)
    procs.items.append(proc)
    return proc


async def _ok(http: aiohttp.ClientSession, url: str) -> bool:
    async with http.get(url) as resp:
        await resp.read()
        return resp.status == 200
