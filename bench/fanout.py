"""Fan-out: one proactive message to each of N members, through Teams' per-tenant cap.

    python -m bench.fanout [--recipients 10000] [--tenant-rps 500] [--concurrency 48]
                           [--database-url postgresql+asyncpg://postgres@127.0.0.1/test]

Starts, each in its own process on 127.0.0.1, a fake Bot Connector that enforces the
per-tenant cap (`python -m bench.common connector --tenant-cap CAP`: at most CAP
accepted requests in any rolling 1 s window, else 429 with Retry-After: 1) and the real
Mentorbot (`python -m app serve`) with DELIVERY_TENANT_RPS=CAP, as an operator would
configure it. Before the bot starts, the database gets one team, N users who already
have a 1:1 conversation reference, and N outbox rows (one message each); the bot's
delivery worker drains the outbox when it starts.

Measured at the fake, from its first delivered message until every recipient has one
(start-up is excluded). Then a short wait for stragglers and repeats, the bot is
stopped, and the outbox is checked: every row should be `sent`.

Progress goes to stderr; stdout gets exactly one JSON line at the end:
sent (recipients with a delivered message), lost (N - sent), duplicates (recipients
who got more than one distinct delivered message), repeats_dropped (repeats of an
activity id the fake recognised and did not deliver again), throttled_429, seconds,
achieved_rate (sent / seconds), rate_ratio (achieved_rate / cap) and ratio_ceiling
(the best ratio the cap allows for N: a rolling window admits at most CAP * (T + 1)
in T seconds, so T >= N / CAP - 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from bench.common import (
    HOST,
    Proc,
    Procs,
    bench_env,
    cpu_seconds,
    free_port,
    info,
    make_tmpdir,
    run_and_print,
    wait_until,
)
from settings import DeliverySettings
from storage import Database
from storage.models import OutboxMessage, Team, User

GOAL_RATIO = 0.9
TENANT = "tenant-bench"
BOT = {"id": "28:bot", "name": "Mentorbot"}
READY_TIMEOUT = 60.0
POLL = 0.1  # seconds between stats polls
SETTLE = 1.5  # seconds to wait for stragglers and repeats after the last recipient
CHUNK = 2000  # rows per bulk insert statement


# --- setup ---------------------------------------------------------------------------
def _personal_ref(i: int, service_url: str) -> str:
    return json.dumps(
        {
            "bot": BOT,
            "user": {"id": f"29:u{i:05d}"},
            "conversation": {
                "id": f"a:chat-{i:05d}",
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "channelId": "msteams",
            "serviceUrl": service_url,
        }
    )


async def seed(url: str, recipients: int, service_url: str) -> dict[str, Any]:
    """Schema, one team, N users with a 1:1 reference, N outbox rows (one transaction)."""
    db = Database(url)
    started = time.perf_counter()
    try:
        await db.migrate()
        now = datetime.now(UTC)
        async with db.unit() as repos:
            general = {
                "bot": BOT,
                "conversation": {
                    "id": "19:bench-general@thread.tacv2",
                    "conversationType": "channel",
                    "isGroup": True,
                    "tenantId": TENANT,
                },
                "channelId": "msteams",
                "serviceUrl": service_url,
            }
            team = await repos.teams.add(
                Team(
                    tenant_id=TENANT,
                    team_id="19:bench@thread.tacv2",
                    name="Bench",
                    service_url=service_url,
                    general_ref=json.dumps(general),
                    active=True,
                    installed_at=now,
                )
            )
            rows = [
                {
                    "tenant_id": TENANT,
                    "teams_id": f"29:u{i:05d}",
                    "name": f"Bench User {i}",
                    "service_url": service_url,
                    "personal_ref": _personal_ref(i, service_url),
                    "first_seen_at": now,
                }
                for i in range(1, recipients + 1)
            ]
            connection = await repos.session.connection()
            for start in range(0, len(rows), CHUNK):
                await connection.execute(insert(User), rows[start : start + CHUNK])
            ids = dict((await connection.execute(select(User.teams_id, User.id))).all())
            for i in range(1, recipients + 1):
                await repos.outbox.enqueue(
                    f"bench:{i}",
                    {"to": "user", "text": f"hello {i}"},
                    now,
                    user_id=ids[f"29:u{i:05d}"],
                    team_id=team.id,
                )
        counts = await outbox_counts(db)
    finally:
        await db.dispose()
    info(f"seeded {recipients} users and outbox rows in {time.perf_counter() - started:.1f} s")
    return counts


async def outbox_counts(db: Database) -> dict[str, int]:
    async with db.unit() as repos:
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: int(n) for status, n in (await repos.session.execute(stmt)).all()}


async def final_outbox(url: str) -> dict[str, Any]:
    db = Database(url)
    try:
        counts = await outbox_counts(db)
        async with db.unit() as repos:
            attempts = (
                await repos.session.execute(
                    select(OutboxMessage.attempts, func.count()).group_by(OutboxMessage.attempts)
                )
            ).all()
            errors = (
                await repos.session.execute(
                    select(OutboxMessage.last_error, func.count())
                    .where(OutboxMessage.last_error.is_not(None))
                    .group_by(OutboxMessage.last_error)
                )
            ).all()
    finally:
        await db.dispose()
    return {
        "outbox": counts,
        "attempts": {str(a): int(n) for a, n in sorted(attempts)},
        "errors": {str(e)[:80]: int(n) for e, n in errors},
    }


# --- PostgreSQL: our own database, dropped afterwards ---------------------------------
def _pg_plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_plain(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# --- the run ---------------------------------------------------------------------------
async def get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as resp:
        resp.raise_for_status()
        return dict(await resp.json())


async def get_ok(session: aiohttp.ClientSession, url: str) -> bool:
    async with session.get(url) as resp:
        await resp.read()
        return resp.status == 200


def log_problems(proc: Proc) -> list[str]:
    try:
        lines = proc.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [
        line for line in lines if " WARNING " in line or " ERROR " in line or "Traceback" in line
    ]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmpdir = make_tmpdir()
    procs = Procs(tmpdir)
    cap, n = args.tenant_rps, args.recipients
    pg_admin_url = pg_name = None
    if args.database_url:
        pg_admin_url = args.database_url
        pg_name = f"mentorbot_fanout_{os.getpid()}"
        db_url = _with_database(pg_admin_url, pg_name)
        database = "postgresql"
    else:
        db_url = f"sqlite+aiosqlite:///{tmpdir / 'fanout.db'}"
        database = "sqlite"
    timeout = aiohttp.ClientTimeout(total=10)
    try:
        if pg_admin_url and pg_name:
            await _pg_admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await _pg_admin(pg_admin_url, f'CREATE DATABASE "{pg_name}"')
        async with aiohttp.ClientSession(timeout=timeout) as session:
            port = free_port()
            fake = await procs.spawn(
                "connector",
                ["-m", "bench.common", "connector", "--port", str(port), "--tenant-cap", str(cap)],
                port,
            )
            stats_url = fake.url + "/_bench/stats"
            await wait_until(fake, lambda: get_ok(session, stats_url), timeout=READY_TIMEOUT)
            info(f"fake connector on {fake.url} (pid {fake.pid}), cap {cap}/s per tenant")
            service_url = fake.url + "/"

            setup_started = time.perf_counter()
            before = await seed(db_url, n, service_url)
            setup_s = time.perf_counter() - setup_started
            if before.get("pending") != n:
                raise RuntimeError(f"seeding left the outbox as {before}, expected {n} pending")

            port = free_port()
            env = bench_env(
                DATABASE_URL=db_url,
                DELIVERY_TENANT_RPS=str(args.bot_rps or cap),
                DELIVERY_CONCURRENCY=str(args.concurrency),
                LOG_LEVEL="WARNING",
            )
            bot = await procs.spawn(
                "mentorbot", ["-m", "app", "serve", "--port", str(port)], port, env
            )
            spawned = time.monotonic()
            info(f"mentorbot on {bot.url} (pid {bot.pid}), concurrency {args.concurrency}")

            deadline = time.monotonic() + n / cap * 3 + 30
            ready_s: float | None = None
            stats = await get_json(session, stats_url)
            # CPU from the first delivery seen (start-up excluded, as in `seconds`).
            cpu_start = fake_cpu_start = host_start = None
            last_report = time.monotonic()
            while time.monotonic() < deadline:
                if bot.process.returncode is not None:
                    raise RuntimeError(
                        f"mentorbot exited with {bot.process.returncode}:\n{bot.log_tail()}"
                    )
                if ready_s is None:
                    with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                        if await get_ok(session, bot.url + "/healthz"):
                            ready_s = time.monotonic() - spawned
                stats = await get_json(session, stats_url)
                if cpu_start is None and stats["first_delivery_at"] is not None:
                    cpu_start, fake_cpu_start = cpu_seconds(bot.pid), cpu_seconds(fake.pid)
                    host_start = host_cpu()
                if stats["recipients_delivered"] >= n:
                    break
                if time.monotonic() - last_report >= 5:
                    last_report = time.monotonic()
                    info(
                        f"{stats['recipients_delivered']}/{n} delivered, "
                        f"{stats['throttled_429']} throttled"
                    )
                await asyncio.sleep(POLL)
            timed_out = stats["recipients_delivered"] < n
            if timed_out:
                info(f"timed out with {stats['recipients_delivered']}/{n} delivered")
            cpu_end, fake_cpu_end = cpu_seconds(bot.pid), cpu_seconds(fake.pid)
            host = cores_used(host_start, host_cpu())
            await asyncio.sleep(SETTLE)
            final = await get_json(session, stats_url)

            info("stopping mentorbot (graceful: it flushes outcomes)")
            await procs.stop(bot)
            problems = log_problems(bot)
            for line in problems[:10]:
                info(f"mentorbot log: {line}")
            checked = await final_outbox(db_url)
    finally:
        await procs.stop_all()
        if pg_admin_url and pg_name and not args.keep_tmp:
            with contextlib.suppress(Exception):
                await _pg_admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if args.keep_tmp:
            info(f"kept {tmpdir}" + (f" and database {pg_name}" if pg_name else ""))
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)

    first, last_new = final["first_delivery_at"], stats["last_new_recipient_at"]
    if first is None:
        seconds = 0.0
    elif timed_out or last_new is None:
        seconds = stats["now"] - first
    else:
        seconds = last_new - first
    sent = final["recipients_delivered"]
    rate = sent / seconds if seconds > 0 else 0.0
    ceiling_seconds = max(n / cap - 1, 0.0)
    per_second = final["delivered_per_second"]
    info(f"delivered per second since the first: {per_second}")
    info(f"first 429s, seconds since the first delivery: {final['throttled_at'][:40]}")
    info(f"outbox attempts per row: {checked['attempts']}; errors: {checked['errors']}")
    result = {
        "recipients": n,
        "tenant_cap": cap,
        "sent": sent,
        "lost": n - sent,
        "duplicates": final["recipients_with_more_than_one"],
        "repeats_dropped": final["repeats_dropped"],
        "throttled_429": final["throttled_429"],
        "attempts": final["attempts"],
        "seconds": round(seconds, 3),
        "achieved_rate": round(rate, 1),
        "rate_ratio": round(rate / cap, 3),
        "ratio_ceiling": round(n / ceiling_seconds / cap, 3) if ceiling_seconds else None,
        "measured": "first delivery to last new recipient, at the fake",
        "window": final["window"],
        "max_accepted_in_window": final["max_accepted_in_window"],
        "database": database,
        "concurrency": args.concurrency,
        "bot_tenant_rps": args.bot_rps or cap,
        "outbox": checked["outbox"],
        "startup_s": round(ready_s, 2) if ready_s is not None else None,
        "start_to_first_delivery_s": (
            round(first - spawned, 2) if first is not None and _same_clock() else None
        ),
        "setup_s": round(setup_s, 1),
        "bot_cpu_s": round(cpu_end - cpu_start, 2)
        if cpu_end is not None and cpu_start is not None
        else None,
        "fake_cpu_s": round(fake_cpu_end - fake_cpu_start, 2)
        if fake_cpu_end is not None and fake_cpu_start is not None
        else None,
        # The whole machine while measured: other load skews the rate (bot_cpu_s/seconds
        # near 1.0 means the bot's event loop was the bottleneck).
        "host": host,
        "bot_cores": round((cpu_end - cpu_start) / seconds, 2)
        if cpu_end is not None and cpu_start is not None and seconds > 0
        else None,
        "bot_log_problems": len(problems),
        "timed_out": timed_out,
    }
    result["meets_goal"] = (
        not timed_out
        and result["lost"] == 0
        and result["duplicates"] == 0
        and result["rate_ratio"] >= GOAL_RATIO
        and checked["outbox"] == {"sent": n}
    )
    return result


def host_cpu() -> tuple[float, float, float] | None:
    """(busy, steal, total) jiffies of all CPUs so far, from /proc/stat (Linux)."""
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    steal = fields[7] if len(fields) > 7 else 0.0
    total = sum(fields[:8])
    return total - idle - steal, steal, total


def cores_used(before: tuple[float, float, float] | None, after: Any) -> dict[str, float] | None:
    """Average busy and stolen cores of the whole machine between two host_cpu() readings."""
    if before is None or after is None or after[2] <= before[2]:
        return None
    cpus = os.cpu_count() or 1
    span = after[2] - before[2]
    return {
        "cpus": cpus,
        "busy_cores": round((after[0] - before[0]) / span * cpus, 2),
        "steal_cores": round((after[1] - before[1]) / span * cpus, 2),
    }


def _same_clock() -> bool:
    """time.monotonic() is CLOCK_MONOTONIC, shared by all processes, on Linux."""
    return sys.platform.startswith("linux")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--recipients", type=int, default=10000, help="members to message")
    parser.add_argument(
        "--tenant-rps",
        type=int,
        default=500,
        help="the fake's per-tenant cap (requests per rolling second); also the bot's "
        "DELIVERY_TENANT_RPS",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DeliverySettings().concurrency,
        help="the bot's DELIVERY_CONCURRENCY",
    )
    parser.add_argument(
        "--bot-rps",
        type=int,
        default=None,
        help="the bot's DELIVERY_TENANT_RPS if not the cap (an operator's safety margin)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL to create (and drop) a database next to, e.g. "
        "postgresql+asyncpg://postgres@127.0.0.1:5432/test; default: a temp SQLite file",
    )
    parser.add_argument(
        "--keep-tmp", action="store_true", help="keep the temp dir (database, logs)"
    )
    args = parser.parse_args(argv)
    if min(args.recipients, args.tenant_rps, args.concurrency, args.bot_rps or 1) < 1:
        parser.error("--recipients, --tenant-rps, --concurrency and --bot-rps must be >= 1")
    if args.database_url:
        url = args.database_url
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                url = "postgresql+asyncpg://" + url[len(plain) :]
        if not url.startswith("postgresql+asyncpg://"):
            parser.error("--database-url must be a PostgreSQL URL (SQLite is the default)")
        if make_url(url).host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--database-url must point at this machine (loopback only)")
        args.database_url = url
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_and_print(
        run,
        args,
        f"{args.recipients} recipients, cap {args.tenant_rps}/s per tenant, "
        f"concurrency {args.concurrency}; all traffic on {HOST}",
    )


if __name__ == "__main__":
    sys.exit(main())
