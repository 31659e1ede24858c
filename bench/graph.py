"""Graph enrichment: read 10,000 members' directory profiles against the fake Graph.

The fake (tests/fakes/graph.py) throttles like Graph (over --rps requests in a second:
429 with Retry-After: 1) and answers a few mailbox sub-requests of the $batch with 429
once, so per-sub-request retries are exercised. The real DirectorySync with the real
msgraph-sdk client runs one sync of the tenant: a full delta round, then mailbox
settings 20 a $batch. Reported: requests used against the goal (members / 20 + the delta
pages + retries), seconds, members missed (no entry, no mailbox settings, or a field
that differs from the fake directory), and what `import app` costs with and without
the Graph SDK (it must not load it). Last line: JSON with `meets_goal`.

    python -m bench.graph [--members 10000] [--rps 20] [--page 999]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.graph.client import StaticCredential, build
from bot.graph.sync import DirectorySync
from settings import GraphSettings
from storage import Database
from storage.models import DirectoryEntry, Membership, Team, User
from tests.fakes.graph import FakeGraph, GraphUser

TENANT = "tenant-bench"
ZONES = ("W. Europe Standard Time", "Eastern Standard Time", "Tokyo Standard Time")
IANA = {
    "W. Europe Standard Time": "Europe/Berlin",
    "Eastern Standard Time": "America/New_York",
    "Tokyo Standard Time": "Asia/Tokyo",
}


def info(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def directory(fake: FakeGraph, members: int, rng: random.Random) -> None:
    for n in range(members):
        fake.add(
            GraphUser(
                f"aad-{n:06d}",
                department=f"Dept {n % 40}",
                job_title=f"Title {n % 9}",
                office=f"Office {n % 5}",
                manager=f"aad-{(n // 8) * 8:06d}" if n % 8 else None,
                zone=ZONES[n % len(ZONES)],
            )
        )
    for n in rng.sample(range(members), k=max(1, members // 200)):
        fake.fail(rf"^/users/aad-{n:06d}/mailboxSettings$", 429, retry_after=0)


async def seed(db: Database, members: int, now: datetime) -> None:
    async with db.unit() as repos:
        team = Team(
            tenant_id=TENANT,
            team_id="19:bench@thread.tacv2",
            name="Bench",
            service_url="http://127.0.0.1:1",
            general_ref="{}",
            active=True,
            installed_at=now,
        )
        repos.session.add(team)
        users = [
            User(
                tenant_id=TENANT,
                teams_id=f"29:{n:06d}",
                aad_object_id=f"aad-{n:06d}",
                name=f"Member {n}",
                first_seen_at=now,
            )
            for n in range(members)
        ]
        repos.session.add_all(users)
        await repos.flush()
        repos.session.add_all(
            Membership(team_id=team.id, user_id=u.id, active=True, joined_at=now) for u in users
        )


async def missed(db: Database, fake: FakeGraph) -> int:
    async with db.unit() as repos:
        entries = {e.aad_object_id: e for e in await repos.session.scalars(select(DirectoryEntry))}
    wrong = 0
    for aad, user in fake.users.items():
        e = entries.get(aad)
        if e is None or e.mailbox_at is None:
            wrong += 1
            continue
        expected = (user.department, user.job_title, user.manager or "", IANA[user.zone])
        if (e.department, e.job_title, e.manager_aad_id, e.timezone) != expected:
            wrong += 1
    return wrong


async def enrich(members: int, rps: int, page: int, seed_value: int) -> dict[str, Any]:
    fake = FakeGraph(page_size=page, per_second=rps)
    await fake.start()
    directory(fake, members, random.Random(seed_value))
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await db.migrate()
        now = datetime.now(UTC)
        await seed(db, members, now)
        client = build(
            GraphSettings(base_url=fake.base_url, requests_per_second=rps),
            credential=StaticCredential(),
        )
        sync = DirectorySync(db, client, lambda: datetime.now(UTC))
        started = time.perf_counter()
        await sync.sync_tenant(TENANT)
        seconds = time.perf_counter() - started
        lost = await missed(db, fake)
        await client.close()
        await db.dispose()
    await fake.close()
    calls = fake.top_level()
    delta_pages = sum(1 for c in calls if c.path.startswith("/users/delta") and c.status == 200)
    refused = sum(1 for c in calls if c.status in (429, 503, 504) or c.status >= 500)
    batches = [c for c in calls if c.path.startswith("/$batch") and c.status == 200]
    full_batches = math.ceil(members / 20)
    # A re-sent batch holds only sub-requests answered 429 before: count them as retries.
    sub_retried = sum(1 for c in fake.sub_requests() if c.status == 429)
    retries = refused + max(0, len(batches) - full_batches)
    return {
        "members": members,
        "requests": len(calls),
        "delta_pages": delta_pages,
        "batches": len(batches),
        "top_level_refused": refused,
        "sub_requests_throttled": sub_retried,
        "retries": retries,
        "goal_requests": math.ceil(members / 20) + delta_pages + retries,
        "seconds": round(seconds, 2),
        "missed": lost,
    }


def import_seconds(code: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def startup() -> dict[str, Any]:
    check = (
        "import sys, app; sys.exit(any(m.startswith(('msgraph', 'kiota', 'azure.identity')) "
        "for m in sys.modules))"
    )
    loads_none = subprocess.run([sys.executable, "-c", check]).returncode == 0
    return {
        "import_app_seconds": import_seconds("import app"),
        "import_app_with_graph_client_seconds": import_seconds("import app, bot.graph.client"),
        "import_app_loads_no_graph_sdk": loads_none,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.graph", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rps", type=int, default=20)
    parser.add_argument("--page", type=int, default=999)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    info(
        f"graph: {args.members} members, throttle {args.rps} requests/s, delta pages of {args.page}"
    )
    result = asyncio.run(enrich(args.members, args.rps, args.page, args.seed))
    info(f"enriched: {result}")
    start = startup()
    goal = {
        "requests": result["requests"] <= result["goal_requests"],
        "retries_under_10_percent": result["retries"] <= result["requests"] / 10,
        "nothing_missed": result["missed"] == 0,
        "import_app_loads_no_graph_sdk": start["import_app_loads_no_graph_sdk"],
    }
    print(json.dumps({"bench": "graph", **result, **start, "meets_goal": goal}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
