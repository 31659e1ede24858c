"""Several replicas, one PostgreSQL, one tenant: do Teams' limits hold across replicas?

    python -m bench.replicas [--replicas 3] [--recipients 3000] [--channel-posts 40]
                             [--tenant-rps 50] [--kill-after N]
                             [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Starts, each in its own process on 127.0.0.1, a fake Bot Connector that enforces Teams'
limits as Teams counts them, at arrival (`python -m bench.common connector --tenant-cap
CAP --conversation-limits 7/1,8/2,60/30`: over any window, 429 with Retry-After: 1),
and R Mentorbot replicas (`python -m app serve`) on one new PostgreSQL database, each
with DELIVERY_TENANT_RPS=CAP, as an operator would configure every replica. Before they
start, the database gets one team of one tenant, N users with a 1:1 conversation each,
one message queued to each, and P posts queued to the team's General channel (so one
conversation's windows are tested too).

Per-process rate limits alone would let each replica send CAP a second. Mentorbot's
design (bot/tenant_leases.py) lets one replica at a time drain a tenant, so the fake
should see no 429 at all and close to CAP a second. With --kill-after N, the replica
holding the tenant is killed with SIGKILL once N messages arrived; another replica
takes over when its lease runs out, and nothing may be lost or delivered twice.

stdout gets one JSON line at the end: sent, lost, duplicates (a 1:1 that got two
distinct messages), repeats_dropped (a repeat of an activity id, which the fake does not
deliver again), throttled_429 (tenant and conversation windows), seconds and
achieved_rate (first to last delivery at the fake), rate_ratio (achieved / cap),
ratio_ceiling (what a rolling window allows: CAP x (T + 1) in T seconds), and
`meets_goal`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import insert, select

from bench.common import (
    HOST,
    Proc,
    Procs,
    bench_env,
    free_port,
    info,
    make_tmpdir,
    run_and_print,
    wait_until,
)
from bench.fanout import (
    BOT,
    _personal_ref,
    _pg_admin,
    _with_database,
    final_outbox,
    get_json,
    get_ok,
)
from storage import Database
from storage.models import DeliveryLease, Team, User

GOAL_RATIO = 0.9  # "within 10 % of the cap"
TENANT = "tenant-replicas"
TEAM_CONVERSATION = "19:replicas-general@thread.tacv2"
TEAMS_LIMITS = "7/1,8/2,60/30"
READY_TIMEOUT = 60.0
POLL = 0.1
SETTLE = 1.5  # seconds to wait for stragglers and repeats after the last message


async def seed(url: str, recipients: int, posts: int, service_url: str) -> None:
    """Schema, one team, N users with a 1:1 reference, N + P outbox rows."""
    db = Database(url)
    try:
        await db.migrate()
        now = datetime.now(UTC)
        async with db.unit(origin="bench:replicas") as repos:
            team = await repos.teams.add(_team(service_url, now))
            rows = [_user(i, service_url, now) for i in range(1, recipients + 1)]
            connection = await repos.session.connection()
            for start in range(0, len(rows), 2000):
                await connection.execute(insert(User), rows[start : start + 2000])
            ids = dict((await connection.execute(select(User.teams_id, User.id))).all())
            # The channel's posts first: they are claimed first and trickle out at the
            # channel's pace while the 1:1 messages fill the rest of the tenant's budget.
            for i in range(1, posts + 1):
                await repos.outbox.enqueue(
                    f"replicas:post{i}", {"to": "team", "text": f"post {i}"}, now, team_id=team.id
                )
            for i in range(1, recipients + 1):
                await repos.outbox.enqueue(
                    f"replicas:{i}",
                    {"to": "user", "text": f"hello {i}"},
                    now,
                    user_id=ids[f"29:u{i:05d}"],
                    team_id=team.id,
                )
    finally:
        await db.dispose()


def _team(service_url: str, now: datetime) -> Team:
    general = {
        "bot": BOT,
        "conversation": {
            "id": TEAM_CONVERSATION,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT,
        },
        "channelId": "msteams",
        "serviceUrl": service_url,
    }
    return Team(
        tenant_id=TENANT,
        team_id="19:replicas@thread.tacv2",
        name="Replicas",
        service_url=service_url,
        general_ref=json.dumps(general),
        active=True,
        installed_at=now,
    )


def _user(i: int, service_url: str, now: datetime) -> dict[str, Any]:
    ref = json.loads(_personal_ref(i, service_url))
    ref["conversation"]["tenantId"] = TENANT
    return {
        "tenant_id": TENANT,
        "teams_id": f"29:u{i:05d}",
        "name": f"Replica User {i}",
        "service_url": service_url,
        "personal_ref": json.dumps(ref),
        "first_seen_at": now,
    }


async def lease_holder(url: str) -> str | None:
    db = Database(url)
    try:
        async with db.unit() as repos:
            return await repos.session.scalar(
                select(DeliveryLease.worker).where(DeliveryLease.tenant_id == TENANT)
            )
    finally:
        await db.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmpdir = make_tmpdir()
    procs = Procs(tmpdir)
    cap, n, posts = args.tenant_rps, args.recipients, args.channel_posts
    name = f"mentorbot_replicas_{os.getpid()}"
    db_url = _with_database(args.database_url, name)
    killed: dict[str, Any] | None = None
    stopped: dict[str, Any] | None = None
    try:
        await _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _pg_admin(args.database_url, f'CREATE DATABASE "{name}"')
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            fake = await _fake(procs, session, cap, args.conversation_limits)
            stats_url = fake.url + "/_bench/stats"
            bots = [await _bot(procs, db_url, cap, i, args) for i in range(args.replicas)]
            instances = {(await get_json(session, b.url + "/livez"))["instance"]: b for b in bots}
            # The rows arrive in one commit once every replica is up: on a loaded machine
            # the first replica would otherwise drain them all while the others start.
            await seed(db_url, n, posts, fake.url + "/")
            info(f"{len(bots)} replicas ready; draining {n} + {posts} messages")
            expected = n + posts
            deadline = time.monotonic() + expected / cap * 3 + 60
            while time.monotonic() < deadline:
                stats = await get_json(session, stats_url)
                if stats["delivered"] >= expected:
                    break
                if args.kill_after and killed is None and stats["delivered"] >= args.kill_after:
                    killed = await _kill_holder(db_url, instances, stats["delivered"])
                if args.stop_after and stopped is None and stats["delivered"] >= args.stop_after:
                    stopped = await _stop_holder(db_url, instances, session, stats_url)
                await asyncio.sleep(POLL)
            await asyncio.sleep(SETTLE)
            final = await get_json(session, stats_url + "?full=1")
            for bot in bots:
                await procs.stop(bot)
            checked = await final_outbox(db_url)
    finally:
        await procs.stop_all()
        with contextlib.suppress(Exception):
            await _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmpdir, ignore_errors=True)
    return _result(args, final, checked, killed, stopped)


async def _fake(procs: Procs, session: aiohttp.ClientSession, cap: int, limits: str) -> Proc:
    port = free_port()
    command = ["-m", "bench.common", "connector", "--port", str(port), "--tenant-cap", str(cap)]
    fake = await procs.spawn("connector", [*command, "--conversation-limits", limits], port)
    await wait_until(fake, lambda: get_ok(session, fake.url + "/_bench/stats"), READY_TIMEOUT)
    return fake


async def _bot(procs: Procs, db_url: str, cap: int, i: int, args: argparse.Namespace) -> Proc:
    port = free_port()
    env = bench_env(
        DATABASE_URL=db_url,
        DELIVERY_TENANT_RPS=str(cap),
        DELIVERY_CONVERSATION_LIMITS=args.conversation_limits,
        DELIVERY_LEASE_SECONDS=str(args.lease_seconds),
        DELIVERY_TENANT_LEASE_SECONDS=str(args.tenant_lease_seconds),
        DELIVERY_POLL_SECONDS="0.2",
    )
    bot = await procs.spawn(f"mentorbot{i}", ["-m", "app", "serve", "--port", str(port)], port, env)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        await wait_until(bot, lambda: get_ok(session, bot.url + "/readyz"), READY_TIMEOUT)
    return bot


async def _kill_holder(db_url: str, instances: dict[str, Proc], delivered: int) -> dict[str, Any]:
    holder = await lease_holder(db_url)
    victim = instances.get(holder or "")
    if victim is None:
        return {"after": delivered, "replica": None}
    victim.process.send_signal(signal.SIGKILL)
    await victim.process.wait()
    info(f"killed {victim.name} (pid {victim.pid}), the tenant's holder, after {delivered}")
    return {"after": delivered, "replica": victim.name}


async def _stop_holder(
    db_url: str, instances: dict[str, Proc], session: aiohttp.ClientSession, stats_url: str
) -> dict[str, Any]:
    """SIGTERM the tenant's holder; how long until someone delivers again."""
    holder = await lease_holder(db_url)
    victim = instances.get(holder or "")
    if victim is None:
        info(f"no replica holds the tenant ({holder!r} of {list(instances)})")
        return {"replica": None, "exit_code": None, "resumed_after_s": None}
    victim.process.send_signal(signal.SIGTERM)
    code = await victim.process.wait()
    stopped_at = time.monotonic()
    before = (await get_json(session, stats_url))["delivered"]
    while time.monotonic() - stopped_at < 120:
        if (await get_json(session, stats_url))["delivered"] > before:
            break
        await asyncio.sleep(0.05)
    resumed = round(time.monotonic() - stopped_at, 2)
    info(f"stopped {victim.name} (exit {code}); another replica sent again after {resumed} s")
    return {"replica": victim.name, "exit_code": code, "resumed_after_s": resumed}


def _result(
    args: argparse.Namespace,
    final: dict[str, Any],
    checked: dict[str, Any],
    killed: Any,
    stopped: Any = None,
) -> dict[str, Any]:
    cap, n, posts = args.tenant_rps, args.recipients, args.channel_posts
    by_conversation = dict(final["delivered_by_conversation"])
    channel = by_conversation.pop(TEAM_CONVERSATION, 0)
    one_on_one_repeats = sum(c - 1 for c in by_conversation.values() if c > 1)
    sent_1on1 = len(by_conversation)
    first, last = final["first_delivery_at"], final["last_delivery_at"]
    seconds = (last - first) if first is not None and last is not None else 0.0
    rate = (final["delivered"] - 1) / seconds if seconds > 0 else 0.0
    expected = n + posts
    ceiling_seconds = max(expected / cap - 1, 0.0)
    result = {
        "replicas": args.replicas,
        "recipients": n,
        "channel_posts": posts,
        "tenant_cap": cap,
        "conversation_limits": args.conversation_limits,
        "sent": sent_1on1 + channel,
        "lost": expected - (sent_1on1 + channel),
        "duplicates": one_on_one_repeats + max(channel - posts, 0),
        "repeats_dropped": final["repeats_dropped"],
        "throttled_429": final["throttled_429"],
        "conversation_throttled_429": final["conversation_throttled_429"],
        "seconds": round(seconds, 3),
        "achieved_rate": round(rate, 1),
        "rate_ratio": round(rate / cap, 3),
        "ratio_ceiling": round(expected / ceiling_seconds / cap, 3) if ceiling_seconds else None,
        "max_accepted_in_window": final["max_accepted_in_window"],
        "killed": killed,
        "stopped": stopped,
        "outbox": checked["outbox"],
        "measured": "first to last delivery, at the fake",
    }
    result["meets_goal"] = {
        "no_429": result["throttled_429"] == 0,
        "no_loss": result["lost"] == 0 and checked["outbox"] == {"sent": expected},
        "no_duplicate": result["duplicates"] == 0,
        # A kill or a stop pauses the tenant (a lease, a window): the rate is not the point.
        "rate_within_10_percent": bool(killed or stopped) or result["rate_ratio"] >= GOAL_RATIO,
    }
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.replicas", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--recipients", type=int, default=3000, help="1:1 messages")
    parser.add_argument("--channel-posts", type=int, default=40, help="posts in one channel")
    parser.add_argument("--tenant-rps", type=int, default=50, help="Teams' per-tenant cap")
    parser.add_argument(
        "--conversation-limits", default=TEAMS_LIMITS, help="per-conversation windows"
    )
    parser.add_argument("--kill-after", type=int, default=0, help="SIGKILL the holder then")
    parser.add_argument("--stop-after", type=int, default=0, help="SIGTERM the holder then")
    parser.add_argument("--lease-seconds", type=float, default=2.0, help="a claimed row's")
    parser.add_argument("--tenant-lease-seconds", type=float, default=75.0, help="a tenant's lease")
    parser.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL on this machine; a database is created next to it and dropped",
    )
    args = parser.parse_args(argv)
    if min(args.replicas, args.recipients, args.tenant_rps) < 1 or args.channel_posts < 0:
        parser.error("--replicas, --recipients and --tenant-rps must be >= 1")
    if not args.database_url.startswith(("postgresql+asyncpg://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL (replicas need one)")
    args.database_url = args.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_and_print(
        run,
        args,
        f"{args.replicas} replicas, {args.recipients} + {args.channel_posts} messages, "
        f"cap {args.tenant_rps}/s for one tenant; all traffic on {HOST}",
    )


if __name__ == "__main__":
    sys.exit(main())
