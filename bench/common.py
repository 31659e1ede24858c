"""Shared pieces of the benchmarks: ports, subprocesses, readiness, the counting connector.

`python -m bench.common connector --port N` serves the test suite's FakeConnector on
127.0.0.1:N, counting what it is sent instead of keeping every call, with two extra
routes for the driver: GET /_bench/stats and POST /_bench/reset.

With `--tenant-cap N` it also enforces Teams' per-tenant cap (at most N accepted
requests in any rolling 1-second window per tenant; over it: 429 with Retry-After: 1)
and counts per conversation (delivered messages, attempts, 429s, dropped repeats of an
activity id); see CappedConnector.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import logging
import math
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.connector import FakeConnector

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_SENDS = re.compile(r"/v3/conversations/[^/]+/activities(/[^/]+)?")
# How the bot words its own failures (bot/handler.py): counted by the connector.
FAILURE_REPLIES = ("Sorry, something went wrong", "Sorry, that took me too long")


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
        self,
        name: str,
        args: list[str],
        port: int,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> Proc:
        log_path = self.tmpdir / f"{name}.log"
        started = time.perf_counter()
        with open(log_path, "wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *args,
                cwd=str(cwd),
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
        self.failures = 0  # the bot's own "something went wrong" / "took too long"
        self.texts: collections.Counter[str] = collections.Counter()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        response = await super()._handle(request)
        # No await between counting and clearing: each call is counted once.
        for call in self.calls:
            if call.method == "POST" and _SENDS.fullmatch(call.path):
                self.replies += 1
                self.texts[(call.text or ("<card>" if call.cards else "<empty>"))[:48]] += 1
                if (call.text or "").startswith(FAILURE_REPLIES):
                    self.failures += 1
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
            "failures": self.failures,
            "texts": dict(self.texts.most_common(5)),
        }

    def reset(self) -> None:
        self.replies = self.other_calls = self.failures = 0
        self.texts.clear()


class CappedConnector(CountingConnector):
    """CountingConnector that enforces a per-tenant request cap and counts per conversation.

    The cap is a sliding window, as Teams counts it: a request is accepted when fewer
    than `cap` requests of its tenant were accepted in the last 1.0 s, else answered 429
    with `Retry-After: retry_after` (and not acted on). Every request counts against its
    tenant (the activity's conversation.tenantId, else channelData.tenant.id, else "-").

    Per conversation it counts POSTed activities: attempts (everything that arrived,
    throttled or not), 429s, deliveries (2xx and not a repeat of an activity id already
    delivered there: the FakeConnector answers a repeat with the first response and
    does not deliver it again) and dropped repeats.
    """

    def __init__(
        self,
        port: int,
        cap: int,
        retry_after: float = 1.0,
        window: float = 1.0,
        conversation_limits: tuple[tuple[int, float], ...] = (),
    ) -> None:
        super().__init__(port)
        self.cap, self.retry_after, self.window = cap, retry_after, window
        # Teams' per-conversation windows too, when given: (messages, seconds) each.
        self.conversation_limits = conversation_limits
        self._accepted: dict[str, collections.deque[float]] = {}
        self._sends: dict[str, collections.deque[float]] = {}
        self._clear()

    def _clear(self) -> None:
        self.attempts: collections.Counter[str] = collections.Counter()
        self.throttled: collections.Counter[str] = collections.Counter()
        self.delivered: collections.Counter[str] = collections.Counter()
        self.repeats: collections.Counter[str] = collections.Counter()
        self.multi = 0  # conversations with more than one delivered message
        self.first_delivery: float | None = None  # time.monotonic() of this process
        self.last_new_recipient: float | None = None  # when the latest 1st delivery came
        self.last_delivery: float | None = None
        self.per_second: collections.Counter[int] = collections.Counter()  # since the first
        self.max_in_window = 0
        self.throttled_at: list[float] = []  # monotonic times of the first 429s
        self.conversation_throttled = 0  # 429s for a conversation's windows

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = None
        if request.can_read_body:
            with contextlib.suppress(ValueError):
                body = await request.json()
        conversation = None
        if request.method == "POST":
            match = _SENDS.fullmatch(request.path)
            if match and match.group(1) is None:
                conversation = request.path.split("/")[3]
                self.attempts[conversation] += 1
        now = time.monotonic()
        if conversation is not None and not self._admit_send(conversation, now):
            self.throttled[conversation] += 1
            self.conversation_throttled += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "conversation limit"}},
                status=429,
                headers={"Retry-After": f"{self.retry_after:g}"},
            )
        if not self._admit(_tenant_of(body), now):
            if len(self.throttled_at) < 1000:
                self.throttled_at.append(time.monotonic())
            if conversation is not None:
                self.throttled[conversation] += 1
            else:
                self.other_calls += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "tenant cap"}},
                status=429,
                headers={"Retry-After": f"{self.retry_after:g}"},
            )
        # The body is read now: hand it on (FakeConnector skips reading a read body).
        return await super()._handle(_BodyRead(request, body))  # type: ignore[arg-type]

    def _admit_send(self, conversation: str, now: float) -> bool:
        """Teams' per-conversation windows, counted at arrival (a channel's threads count
        as the channel)."""
        if not self.conversation_limits:
            return True
        key = conversation.split(";", 1)[0]
        sends = self._sends.setdefault(key, collections.deque())
        longest = max(seconds for _, seconds in self.conversation_limits)
        while sends and sends[0] <= now - longest:
            sends.popleft()
        for count, seconds in self.conversation_limits:
            if sum(1 for t in sends if t > now - seconds) >= count:
                return False
        sends.append(now)
        return True

    def _admit(self, tenant: str, now: float) -> bool:
        accepted = self._accepted.setdefault(tenant, collections.deque())
        while accepted and accepted[0] <= now - self.window:
            accepted.popleft()
        if len(accepted) >= self.cap:
            return False
        accepted.append(now)
        self.max_in_window = max(self.max_in_window, len(accepted))
        return True

    def _post_activity(self, call: Any) -> web.Response:
        response = super()._post_activity(call)
        conversation = call.conversation_id or ""
        if call.duplicate:
            self.repeats[conversation] += 1
            return response
        now = time.monotonic()
        if self.first_delivery is None:
            self.first_delivery = now
        self.per_second[int(now - self.first_delivery)] += 1
        self.last_delivery = now
        self.delivered[conversation] += 1
        if self.delivered[conversation] == 1:
            self.last_new_recipient = now
        elif self.delivered[conversation] == 2:
            self.multi += 1
        return response

    def stats(self) -> dict[str, Any]:
        base = super().stats()
        first = self.first_delivery
        seconds = range(max(self.per_second) + 1) if self.per_second else range(0)
        return {
            **base,
            "tenant_cap": self.cap,
            "window": f"sliding {self.window:g} s",
            "recipients_delivered": len(self.delivered),
            "recipients_with_more_than_one": self.multi,
            "delivered": sum(self.delivered.values()),
            "repeats_dropped": sum(self.repeats.values()),
            "attempts": sum(self.attempts.values()),
            "conversations_attempted": len(self.attempts),
            "throttled_429": sum(self.throttled.values()),
            "conversation_throttled_429": self.conversation_throttled,
            "last_delivery_at": self.last_delivery,
            "max_attempts_per_conversation": max(self.attempts.values(), default=0),
            "max_accepted_in_window": self.max_in_window,
            "now": time.monotonic(),
            "first_delivery_at": first,
            "last_new_recipient_at": self.last_new_recipient,
            "delivered_per_second": [self.per_second[i] for i in seconds],
            # When the first 429s came, in seconds since the first delivery.
            "throttled_at": [round(t - first, 3) for t in self.throttled_at] if first else [],
        }

    def reset(self) -> None:
        super().reset()
        self._clear()


class _BodyRead:
    """A request whose JSON body was already read: FakeConnector gets it from json()."""

    can_read_body = True

    def __init__(self, request: web.Request, body: Any) -> None:
        self._request, self._body = request, body

    async def json(self) -> Any:
        return self._body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


def _tenant_of(body: Any) -> str:
    if not isinstance(body, dict):
        return "-"
    conversation = body.get("conversation")
    if isinstance(conversation, dict) and conversation.get("tenantId"):
        return str(conversation["tenantId"])
    tenant = (
        (body.get("channelData") or {}).get("tenant")
        if isinstance(body.get("channelData"), dict)
        else None
    )
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    return "-"


async def serve_connector(
    port: int,
    tenant_cap: int | None = None,
    conversation_limits: tuple[tuple[int, float], ...] = (),
) -> None:
    connector = (
        CountingConnector(port)
        if tenant_cap is None
        else CappedConnector(port, tenant_cap, conversation_limits=conversation_limits)
    )

    async def stats(request: web.Request) -> web.Response:
        body = connector.stats()
        if request.query.get("full") == "1" and isinstance(connector, CappedConnector):
            body["delivered_by_conversation"] = dict(connector.delivered)
        return web.json_response(body)

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
    connector.add_argument(
        "--tenant-cap",
        type=int,
        default=None,
        help="enforce at most N accepted requests per tenant in any rolling 1 s (else 429)",
    )
    connector.add_argument(
        "--conversation-limits",
        default="",
        help="with --tenant-cap: also Teams' per-conversation windows, e.g. 7/1,8/2,60/30",
    )
    args = parser.parse_args(argv)
    if args.command == "connector" and args.tenant_cap is not None and args.tenant_cap < 1:
        parser.error("--tenant-cap must be >= 1")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.command == "connector":
        limits = tuple(
            (int(n), float(s))
            for n, s in (w.split("/") for w in args.conversation_limits.split(",") if w)
        )
        asyncio.run(serve_connector(args.port, args.tenant_cap, limits))
    return 0


if __name__ == "__main__":
    sys.exit(main())


def run_and_print(
    run: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]],
    args: argparse.Namespace,
    intro: str,
) -> int:
    """Run a benchmark (SIGTERM cancels it cleanly) and print its one JSON line."""
    info(intro)

    async def guarded() -> dict[str, Any]:
        task = asyncio.current_task()
        if task is not None:
            with contextlib.suppress(NotImplementedError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(args)

    result = asyncio.run(guarded())
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0
