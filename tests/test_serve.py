"""`python app.py` / `mentorbot serve` as a real process: starts, answers, stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from aiohttp import ClientSession

from tests.fakes import teams

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_python_app_py_serves_and_stops(tmp_path, connector):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "MicrosoftAppId": "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "app.py"), cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with ClientSession() as http:
            await _wait_healthy(http, port)
            user = teams.TeamsUser("ana", "Ana Lee")
            async with http.post(
                f"http://127.0.0.1:{port}/api/messages",
                json=teams.personal_message(connector.url, user, "help"),
            ) as r:
                assert r.status == 200
        assert "profile" in connector.messages(user.personal_conversation)[0].text
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0, err.decode()
    log = err.decode()
    assert f"listening on http://127.0.0.1:{port}/api/messages" in log
    assert "route=help" in log and "Traceback" not in log


async def _wait_healthy(http: ClientSession, port: int) -> None:
    for _ in range(150):
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the bot did not become healthy in 15 s")
