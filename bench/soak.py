"""Soak: mixed commands from many users at a steady rate, with a fan-out draining.

    python -m bench.soak [--seconds 600] [--rate 100] [--users 200] [--fanout-rate 40]
                         [--database-url postgresql+asyncpg://postgres@127.0.0.1/test]

Starts, each in its own process on 127.0.0.1, a counting fake Bot Connector and the real
Mentorbot (`python -m app serve`) on a PostgreSQL database of its own (created and
dropped). The database is seeded with one team of USERS members (each with a 1:1 chat
and a profile) and an outbox backlog of FANOUT_RATE x SECONDS proactive messages, so the
delivery worker fans out for the whole run while turns come in.

The driver sends RATE turns a second, open loop (turn i leaves at start + i / RATE,
whatever the bot's speed), round robin over the users: 1:1 commands (help, goals,
goal add, profile, a profile card, coffee, mentoring, check-in settings, a typo,
my data, pause and resume) and @mentions in the team's channel. An error is a non-2xx
answer, a failed request, or a reply saying something went wrong or took too long.
RSS is sampled every 5 s; its growth is the last sample against the one at the end of
the warm-up (the first tenth of the run, at least 10 s).

Progress goes to stderr; stdout gets exactly one JSON line at the end, with a
`meets_goal` object: no errors, p99 under 1 s, the rate reached, RSS growth under 10 %.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import insert, select

from bench.common import (
    Procs,
    bench_env,
    cpu_seconds,
    free_port,
    info,
    make_tmpdir,
    percentile,
    rss_mb,
    run_and_print,
    wait_until,
)
from bench.fanout import _pg_admin, _with_database, final_outbox, get_json, get_ok, log_problems
from storage import Database
from storage.models import Membership, Profile, Team, User
from tests.fakes.teams import TeamsTeam, TeamsUser, card_submit, channel_message, personal_message

TENANT = "tenant-contoso"  # what tests/fakes/teams.py puts in every activity
TEAM = TeamsTeam("soak", "Soak Team")
BOT = {"id": "28:mentorbot-app", "name": "Mentorbot"}
JSON_HEADERS = {"Content-Type": "application/json"}
READY_TIMEOUT = 60.0
MAX_IN_FLIGHT = 1000  # beyond this the bot is hopelessly behind: count the rest as errors
GOALS = {"p99_ms": 1000.0, "rss_growth": 0.10, "rate_ratio": 0.95}
PROFILE_CARD = {
    "action": "profile_save",
    "role": "mentee",
    "skills_want": "leadership",
    "goals": "grow",
    "interests": "chess",
    "department": "Data",
    "timezone": "Europe/Berlin",
    "meeting_format": "video",
    "meetings_per_month": 2,
}
# (weight, what a user sends): 1:1 texts, a card, or an @mention in the channel.
MIX: list[tuple[int, Any]] = [
    (20, "help"),
    (12, "goals"),
    (5, "goal add Soak goal target=2027-12-31"),
    (8, "profile"),
    (8, PROFILE_CARD),
    (6, "coffee"),
    (6, "mentoring"),
    (5, "checkin settings"),
    (5, "hepl"),
    (3, "my data"),
    (5, "pause"),
    (5, "resume"),
    (12, ("channel", "help")),
]


def activity_for(kind: Any, service_url: str, user: TeamsUser) -> dict[str, Any]:
    if isinstance(kind, dict):
        return card_submit(service_url, user, dict(kind))
    if isinstance(kind, tuple):
        return channel_message(service_url, user, TEAM, kind[1])
    return personal_message(service_url, user, kind)


def schedule() -> itertools.cycle[Any]:
    return itertools.cycle([kind for weight, kind in MIX for _ in range(weight)])


# --- setup -------------------------------------------------------------------------------
def _ref(user: TeamsUser, service_url: str) -> str:
    return json.dumps(
        {
            "bot": BOT,
            "user": user.account(),
            "conversation": {
                "id": user.personal_conversation,
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "channelId": "msteams",
            "serviceUrl": service_url,
        }
    )


async def seed(url: str, users: list[TeamsUser], service_url: str, backlog: int) -> None:
    """Schema; the team, its members with 1:1 chats and profiles; the outbox backlog."""
    db = Database(url)
    started = time.perf_counter()
    try:
        await db.migrate()
        now = datetime.now(UTC)
        async with db.unit() as repos:
            general = {
                "bot": BOT,
                "conversation": {"id": TEAM.id, "conversationType": "channel", "tenantId": TENANT},
                "channelId": "msteams",
                "serviceUrl": service_url,
            }
            team = await repos.teams.add(
                Team(
                    tenant_id=TENANT,
                    team_id=TEAM.id,
                    name=TEAM.name,
                    service_url=service_url,
                    general_ref=json.dumps(general),
                    active=True,
                    installed_at=now,
                )
            )
            connection = await repos.session.connection()
            await connection.execute(insert(User), [_user_row(u, service_url, now) for u in users])
            ids = [i for (i,) in (await connection.execute(select(User.id).order_by(User.id)))]
            await connection.execute(
                insert(Membership),
                [{"team_id": team.id, "user_id": i, "active": True, "joined_at": now} for i in ids],
            )
            await connection.execute(insert(Profile), [_profile_row(i, now) for i in ids])
            for n in range(backlog):
                await repos.outbox.enqueue(
                    f"soak:{n}",
                    {"to": "user", "text": f"fan-out {n}"},
                    now,
                    user_id=ids[n % len(ids)],
                    team_id=team.id,
                )
    finally:
        await db.dispose()
    took = time.perf_counter() - started
    info(f"seeded {len(users)} members and {backlog} messages in {took:.1f} s")


def _user_row(user: TeamsUser, service_url: str, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "teams_id": user.id,
        "aad_object_id": user.aad,
        "name": user.name,
        "email": user.email,
        "service_url": service_url,
        "personal_ref": _ref(user, service_url),
        "paused": False,
        "opted_out": False,
        "first_seen_at": now,
        "last_seen_at": now,
    }


def _profile_row(user_id: int, now: datetime) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "role": "mentee",
        "skills_offer": [],
        "skills_want": ["leadership"],
        "goals": "grow",
        "interests": ["chess"],
        "department": "Data",
        "location": "",
        "timezone": "Europe/Berlin",
        "languages": [],
        "meeting_format": "video",
        "meetings_per_month": 2,
        "created_at": now,
        "updated_at": now,
    }


# --- the load ----------------------------------------------------------------------------
class Load:
    def __init__(self, session: aiohttp.ClientSession, bot_url: str, service_url: str) -> None:
        self.session, self.url, self.service_url = session, bot_url + "/api/messages", service_url
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.sent = 0
        self.in_flight = 0

    def error(self, why: str) -> None:
        self.errors[why] = self.errors.get(why, 0) + 1

    async def turn(self, body: bytes) -> None:
        self.in_flight += 1
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=JSON_HEADERS) as resp:
                await resp.read()
                if resp.status >= 300:
                    self.error(f"HTTP {resp.status}")
                else:
                    self.latencies.append(time.perf_counter() - started)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.error(exc.__class__.__name__)
        finally:
            self.in_flight -= 1

    async def run(self, users: list[TeamsUser], rate: float, seconds: float) -> float:
        """Open loop: turn i leaves at start + i / rate. Returns the wall time."""
        kinds, tasks = schedule(), set()
        started = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.in_flight >= MAX_IN_FLIGHT:
                self.error("bot too far behind")
                continue
            activity = activity_for(next(kinds), self.service_url, users[i % len(users)])
            task = asyncio.create_task(self.turn(json.dumps(activity).encode()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            self.sent += 1
        await asyncio.gather(*tasks)
        return time.perf_counter() - started


async def sample_rss(pid: int, every: float, into: list[tuple[float, float]]) -> None:
    started = time.perf_counter()
    while True:
        rss = rss_mb(pid)
        if rss is not None:
            into.append((time.perf_counter() - started, rss))
        await asyncio.sleep(every)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmpdir = make_tmpdir()
    procs = Procs(tmpdir)
    pg_name = f"mentorbot_soak_{os.getpid()}"
    db_url = _with_database(args.database_url, pg_name)
    users = [TeamsUser(f"soak{i:03d}", f"Soak User {i}") for i in range(args.users)]
    backlog = int(args.fanout_rate * args.seconds)
    timeout = aiohttp.ClientTimeout(total=30)
    pool = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT + 16)
    rss: list[tuple[float, float]] = []
    slices: list[dict[str, Any]] = []
    try:
        await _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        await _pg_admin(args.database_url, f'CREATE DATABASE "{pg_name}"')
        async with aiohttp.ClientSession(timeout=timeout, connector=pool) as session:
            port = free_port()
            fake = await procs.spawn(
                "connector", ["-m", "bench.common", "connector", "--port", str(port)], port
            )
            stats_url = fake.url + "/_bench/stats"
            await wait_until(fake, lambda: get_ok(session, stats_url), timeout=READY_TIMEOUT)
            service_url = fake.url + "/"
            await seed(db_url, users, service_url, backlog)
            port = free_port()
            env = bench_env(DATABASE_URL=db_url, LOG_LEVEL="WARNING")
            bot = await procs.spawn(
                "mentorbot", ["-m", "app", "serve", "--port", str(port)], port, env
            )
            await wait_until(bot, lambda: get_ok(session, bot.url + "/healthz"), READY_TIMEOUT)
            info(
                f"mentorbot on {bot.url} (pid {bot.pid}); {args.rate} turns/s for {args.seconds} s"
            )
            sampler = asyncio.create_task(sample_rss(bot.pid, 5.0, rss))
            load = Load(session, bot.url, service_url)
            progress = asyncio.create_task(
                report_progress(load, stats_url, session, bot.pid, slices)
            )
            try:
                wall = await load.run(users, args.rate, args.seconds)
            finally:
                for task in (sampler, progress):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            rss.append((wall, rss_mb(bot.pid) or 0.0))
            connector_stats = await get_json(session, stats_url)
            await procs.stop(bot)
            problems = log_problems(bot)
        outbox = await final_outbox(db_url)
    finally:
        await procs.stop_all()
        with contextlib.suppress(Exception):
            await _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    result = summary(args, load, wall, rss, connector_stats, problems, outbox, backlog)
    return {**result, "every_30s": slices, "meets_goal": result.pop("meets_goal")}


async def report_progress(
    load: Load,
    stats_url: str,
    session: aiohttp.ClientSession,
    pid: int,
    slices: list[dict[str, Any]],
) -> None:
    """Every 30 s: what the last 30 s looked like, also kept for the summary (the bot's
    CPU per turn and the host's load tell a slower bot from a busier machine)."""
    answered, cpu = 0, cpu_seconds(pid) or 0.0
    while True:
        await asyncio.sleep(30)
        now_cpu = cpu_seconds(pid) or 0.0
        recent = load.latencies[answered:]
        ordered = sorted(recent)
        stats = await get_json(session, stats_url)
        piece = {
            "answered": len(recent),
            "p99_ms": round(percentile(ordered, 99) * 1000),
            "bot_cpu_ms_per_turn": round((now_cpu - cpu) * 1000 / len(recent), 1)
            if recent
            else None,
            "host_load_1min": round(os.getloadavg()[0], 2),
            "bot_rss_mb": rss_mb(pid),
        }
        slices.append(piece)
        answered, cpu = len(load.latencies), now_cpu
        out = stats["replies"]
        info(f"{load.sent} sent, errors {load.errors}, last 30 s {piece}, {out} messages out")


def summary(
    args: argparse.Namespace,
    load: Load,
    wall: float,
    rss: list[tuple[float, float]],
    connector: dict[str, Any],
    problems: list[str],
    outbox: dict[str, Any],
    backlog: int,
) -> dict[str, Any]:
    ordered = sorted(load.latencies)
    warm = max(10.0, args.seconds / 10)
    baseline = next((mb for at, mb in rss if at >= warm), rss[0][1] if rss else 0.0)
    final = rss[-1][1] if rss else 0.0
    growth = (final - baseline) / baseline if baseline else None
    failures = connector.get("failures", 0)
    errors = sum(load.errors.values()) + failures + len(problems)
    achieved = len(load.latencies) / wall if wall else 0.0
    sent_out = outbox["outbox"].get("sent", 0)
    return {
        "database": "postgresql",
        "seconds": round(wall, 1),
        "users": args.users,
        "target_rate": args.rate,
        "achieved_rate": round(achieved, 1),
        "turns": len(load.latencies),
        "errors": errors,
        "error_kinds": load.errors | ({"failure replies": failures} if failures else {}),
        "log_problems": problems[:5],
        "p50_ms": round(percentile(ordered, 50) * 1000, 1),
        "p99_ms": round(percentile(ordered, 99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else 0.0,
        "rss_mb": {"after_warmup": baseline, "final": final, "max": max(m for _, m in rss)},
        "rss_growth": round(growth, 4) if growth is not None else None,
        "fanout": {"queued": backlog, "sent": sent_out, "outbox": outbox["outbox"]},
        "connector_messages": connector.get("replies"),
        "meets_goal": {
            "no_errors": errors == 0,
            "p99_under_1s": percentile(ordered, 99) * 1000 < GOALS["p99_ms"],
            "rate_reached": achieved >= args.rate * GOALS["rate_ratio"],
            "rss_growth_under_10pct": growth is not None and growth < GOALS["rss_growth"],
        },
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the run")
    parser.add_argument("--rate", type=float, default=100.0, help="turns a second")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument(
        "--fanout-rate",
        type=float,
        default=40.0,
        help="proactive messages queued per second of run",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server to create the soak's own database on",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rate <= 0 or args.users < 1:
        parser.error("--seconds, --rate and --users must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_and_print(run, args, f"soak: {args.rate} turns/s from {args.users} users")


if __name__ == "__main__":
    raise SystemExit(main())
