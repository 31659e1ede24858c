"""Shared pieces of the benchmarks: ports, subprocesses, readiness, the counting connector.

`python -m bench.common connector --port N` serves the test suite's FakeConnector on
127.0.0.1:N, counting what it is sent instead of keeping every call, with two extra
routes for the driver: GET /_bench/stats and POST /_bench/reset.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import logging
import math
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.connector import FakeConnector

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_SENDS = re.compile(r"/v3/conversations/[^/]+/activities(/[^/]+)?")


def info(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; closed again at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(p / 100 * len(sorted_values))))
    return float(sorted_values[rank - 1])


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, all its threads, so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_env(**extra: str) -> dict[str, str]:
    """The environment for a bot subprocess: no app id (auth off), quiet logs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MicrosoftApp")
        and k not in ("ADMINS", "ALLOWED_TENANTS", "BOT_OPENID_METADATA_URL", "PORT", "HOST")
    }
    env["LOG_LEVEL"] = "WARNING"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class Proc:
    """A subprocess we started; its stderr goes to a temp file shown when it fails."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path
    started: float
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self, timeout: float = 5.0) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await asyncio.wait_for(self.process.wait(), timeout)


@dataclass
class Procs:
    """Every subprocess of one run, stopped together (in a finally)."""

    tmpdir: Path
    items: list[Proc] = field(default_factory=list)

    async def spawn(
        self, name: str, args: list[str], port: int, env: dict[str, str] | None = None
    ) -> Proc:
        log_path = self.tmpdir / f"{name}.log"
        started = time.perf_counter()
        with open(log_path, "wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *args,
                cwd=str(ROOT),
                env=env or bench_env(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log_file,
                preexec_fn=_die_with_parent,
            )
        proc = Proc(name, process, log_path, started, port)
        self.items.append(proc)
        return proc

    async def stop(self, proc: Proc) -> None:
        await proc.stop()
        if proc in self.items:
            self.items.remove(proc)

    async def stop_all(self) -> None:
        for proc in reversed(list(self.items)):
            try:
                await proc.stop()
            except Exception as exc:  # keep stopping the others
                info(f"could not stop {proc.name} (pid {proc.pid}): {exc!r}")
        self.items.clear()


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the driver dies without cleaning up (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class NotReady(RuntimeError):
    pass


async def wait_until(
    proc: Proc, probe: Any, timeout: float = 30.0, interval: float = 0.02
) -> float:
    """Poll `probe()` (async, True when ready) until it is; seconds since the spawn."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.process.returncode is not None:
            raise NotReady(f"{proc.name} exited with {proc.process.returncode}:\n{proc.log_tail()}")
        with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
            if await probe():
                return time.perf_counter() - proc.started
        await asyncio.sleep(interval)
    raise NotReady(f"{proc.name} not ready after {timeout:.0f} s:\n{proc.log_tail()}")


def make_tmpdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="mentorbot-bench-"))


# --- the counting connector (its own process) ---------------------------------------


class CountingConnector(FakeConnector):
    """FakeConnector that counts calls instead of keeping them (a run makes many)."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.replies = 0
        self.other_calls = 0
        self.texts: collections.Counter[str] = collections.Counter()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        response = await super()._handle(request)
        # No await between counting and clearing: each call is counted once.
        for call in self.calls:
            if call.method == "POST" and _SENDS.fullmatch(call.path):
                self.replies += 1
                self.texts[(call.text or ("<card>" if call.cards else "<empty>"))[:48]] += 1
            else:
                self.other_calls += 1
        self.calls.clear()
        return response

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def stats(self) -> dict[str, Any]:
        return {
            "replies": self.replies,
            "other_calls": self.other_calls,
            "texts": dict(self.texts.most_common(5)),
        }

    def reset(self) -> None:
        self.replies = self.other_calls = 0
        self.texts.clear()


async def serve_connector(port: int) -> None:
    connector = CountingConnector(port)

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(connector.stats())

    async def reset(_request: web.Request) -> web.Response:
        connector.reset()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/_bench/stats", stats)
    app.router.add_post("/_bench/reset", reset)
    app.router.add_route("*", "/{tail:.*}", connector._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.common")
    sub = parser.add_subparsers(dest="command", required=True)
    connector = sub.add_parser("connector", help="serve a counting fake Bot Connector")
    connector.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.command == "connector":
        asyncio.run(serve_connector(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
