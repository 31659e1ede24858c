"""A coffee round at organisation scale: the real round job for one big team.

    python -m bench.round [--databases sqlite,postgresql] [--members 20000] [--rounds 12]
                          [--seed 1]

Per database: a fresh, migrated database (SQLite in a temp file; PostgreSQL at
TEST_POSTGRES_URL's server, database `mentorbot_bench_round`, dropped and made again) is
filled with one team of `--members` people (most with a profile: department, interests,
skills; a few opted out, paused or with don't-pair lists), its weekly `pairing`
schedule, and `--rounds` past rounds of pairs with their follow-ups (most answered, so a
few members are due a ghost pause). Then, in a fresh child process, the scheduler ticks
once at the round's due time: it claims the period and runs the `pairing` job (who takes
part, ghosts, groups, then the round, its groups and seats, one intro card per member,
the ghost messages and the channel notice), all in the claim's one transaction. The
child reports the tick's wall and CPU time, the SQL statements it sent, and its peak
memory (the whole process: imports, the ORM rows read, the cards built). The parent then
checks what was committed: one round, every eligible member seated once, one intro row
per seat.

Progress goes to stderr; stdout gets exactly one JSON line, ending with `meets_goal`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

from bench.common import ROOT, info, run_and_print
from storage import Database
from storage.models import (
    DontPair,
    Membership,
    OutboxMessage,
    PairGroup,
    PairPool,
    PairRound,
    PairSeat,
    Profile,
    Schedule,
    Team,
    User,
)

GOAL_SECONDS = 10.0
GOAL_PEAK_MB = 500.0
MAX_STATEMENTS = 100  # a fixed number, whatever the size: never one per member
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
PG_NAME = "mentorbot_bench_round"
NOW = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)  # a Monday, five minutes after the round's time
PERIOD = "2026-12-07"
CHUNK = 5000
DEPARTMENTS = [f"Department {n}" for n in range(15)]
INTERESTS = [f"interest {n}" for n in range(30)]
SKILLS = [f"skill {n}" for n in range(25)]
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]


class Data:
    def __init__(self) -> None:
        self.tables: dict[Any, list[dict[str, Any]]] = {}

    def add(self, model: Any, **row: Any) -> int:
        rows = self.tables.setdefault(model, [])
        rows.append({"id": len(rows) + 1, **row} if "id" in model.__table__.c else row)
        return len(rows)


def build(members: int, rounds: int, seed: int) -> Data:
    rng = random.Random(seed)
    d = Data()
    joined = NOW - timedelta(days=400)
    users = []
    for i in range(members):
        roll = rng.random()
        users.append(
            d.add(
                User,
                tenant_id="tenant-bench",
                teams_id=f"29:bench-user-{i}",
                aad_object_id=f"aad-{i}",
                name=f"Person {i} Example",
                email=f"person{i}@example.com",
                upn=f"person{i}@example.com",
                service_url="http://127.0.0.1",
                personal_ref=None,
                paused=0.990 <= roll < 0.995,
                paused_until=date(2027, 1, 31) if 0.990 <= roll < 0.995 else None,
                opted_out=roll >= 0.995,
                first_seen_at=joined,
            )
        )
    team = d.add(
        Team,
        tenant_id="tenant-bench",
        team_id="19:bench-team@thread.tacv2",
        name="Everyone",
        service_url="http://127.0.0.1",
        general_ref="{}",
        installer_id=users[0],
        active=True,
        installed_at=joined,
    )
    for user in users:
        d.add(Membership, team_id=team, user_id=user, active=True, joined_at=joined)
        if rng.random() < 0.7:
            d.add(
                Profile,
                user_id=user,
                role="both",
                skills_offer=rng.sample(SKILLS, 2),
                skills_want=rng.sample(SKILLS, 2),
                goals="",
                interests=rng.sample(INTERESTS, 3),
                department=rng.choice(DEPARTMENTS),
                location="",
                timezone=rng.choice(ZONES),
                languages=["en"],
                meeting_format="online",
                meetings_per_month=2,
                max_mentees=None,
                shared_fields=None,
                created_at=joined,
                updated_at=joined,
            )
    for _ in range(max(1, members // 200)):
        a, b = rng.sample(users, 2)
        d.add(DontPair, user_id=a, other_id=b, created_at=joined)
    d.add(
        PairPool,
        team_id=team,
        opt_in=False,
        group_size=2,
        history_rounds=12,
        cross_department=False,
        followup_days=5,
        channel_ref="19:coffee-channel@thread.tacv2",
        channel_name="Coffee",
        lottery_winners=0,
        updated_at=joined,
    )
    d.add(
        Schedule,
        team_id=team,
        job="pairing",
        cadence="weekly",
        weekday=0,
        local_time="09:00",
        timezone="UTC",
        enabled=True,
        effective_from=joined,
        updated_at=joined,
    )
    _history(d, rng, team, users, rounds)
    return d


def _history(d: Data, rng: random.Random, team: int, users: list[int], rounds: int) -> None:
    for r in range(rounds, 0, -1):
        made = NOW - timedelta(weeks=r)
        round_id = d.add(
            PairRound,
            team_id=team,
            period=f"{made:%Y-%m-%d}",
            trigger="schedule",
            seed=r,
            summary={},
            created_at=made,
        )
        order = users[:]
        rng.shuffle(order)
        groups = [order[i : i + 2] for i in range(0, len(order) - 1, 2)]
        if len(order) % 2:
            groups[-1].append(order[-1])
        asked = made + timedelta(days=5)
        for group in groups:
            group_id = d.add(PairGroup, round_id=round_id, team_id=team, lottery=False)
            for user in group:
                answered = rng.random() < 0.8
                d.add(
                    PairSeat,
                    group_id=group_id,
                    round_id=round_id,
                    team_id=team,
                    user_id=user,
                    followup_at=asked if r > 1 else None,  # the last round's is not due yet
                    met="yes" if answered else None,
                    answered_at=asked + timedelta(hours=3) if answered and r > 1 else None,
                )


ORDER = [User, Team, Membership, Profile, DontPair, PairPool, Schedule, PairRound, PairGroup]
ORDER += [PairSeat]


async def load(db: Database, data: Data) -> None:
    async with db.engine.begin() as conn:
        for model in ORDER:
            rows = data.tables.get(model, [])
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(model), rows[start : start + CHUNK])
        if db.url.startswith("postgresql"):
            for model in ORDER:  # the ids were given: move the sequences past them
                if "id" in model.__table__.c:
                    table = model.__tablename__
                    await conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
        else:
            await conn.exec_driver_sql("ANALYZE")
    if db.url.startswith("postgresql"):  # as autovacuum would: statistics, visibility map
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("VACUUM ANALYZE")


async def database_url(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'round.db'}"
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{PG_NAME}"')
    finally:
        await admin.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_NAME


# --- the child: one tick of the real scheduler ---------------------------------------------
async def tick_once(url: str) -> dict[str, Any]:
    from dialogs.core import errors
    from dialogs.jobs import JOBS
    from scheduler import Scheduler

    db = Database(url, wait_seconds=600)
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    failures: list[str] = []

    def report(where: str, error: BaseException, **context: object) -> None:
        failures.append(f"{where}: {error!r}")
        errors.report(where, error, **context)

    try:
        jobs = tuple(j for j in JOBS if j.name == "pairing")
        scheduler = Scheduler(db, lambda: NOW, jobs, report=report)
        async with db.unit() as repos:  # connect and warm the pool outside the timing
            await repos.teams.get(1)
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        began, used = time.perf_counter(), time.process_time()
        ran = await scheduler.tick()
        seconds, cpu = time.perf_counter() - began, time.process_time() - used
    finally:
        await db.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "ran": [list(r) for r in ran],
        "failures": failures,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "statements": statements[0],
        "peak_mb": round(peak_kb / 1024, 1),
    }


def run_child(url: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.round", "--tick", url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the round's process failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def committed(db: Database) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        rounds = list(
            await conn.execute(
                select(PairRound.id, PairRound.summary).where(PairRound.period == PERIOD)
            )
        )
        if not rounds:
            return {"round": False}
        round_id, summary = rounds[0]
        seats = await conn.scalar(select(func.count()).where(PairSeat.round_id == round_id))
        people = await conn.scalar(
            select(func.count(func.distinct(PairSeat.user_id))).where(PairSeat.round_id == round_id)
        )
        groups = await conn.scalar(select(func.count()).where(PairGroup.round_id == round_id))
        keys = OutboxMessage.idempotency_key
        intros = await conn.scalar(
            select(func.count()).where(keys.like(f"pairintro:round{round_id}:%"))
        )
        others = await conn.scalar(select(func.count()).where(~keys.like("pairintro:%")))
    if isinstance(summary, str):
        summary = json.loads(summary)
    return {
        "round": True,
        "summary": summary,
        "groups": groups,
        "seats": seats,
        "distinct_people": people,
        "intro_rows": intros,
        "other_rows": others,
    }


async def measure(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    url = await database_url(kind, tmp)
    db = Database(url, wait_seconds=600)
    try:
        await db.migrate()
        started = time.perf_counter()
        await load(db, build(args.members, args.rounds, args.seed))
        info(f"{kind}: loaded in {time.perf_counter() - started:.1f} s; the round runs")
        result = run_child(url)
        info(f"{kind}: {result}")
        result["committed"] = await committed(db)
        info(f"{kind}: committed {result['committed']}")
    finally:
        await db.dispose()
    return result


def is_whole(result: dict[str, Any]) -> bool:
    """One round, each placed member seated once with one intro row."""
    done = result["committed"]
    if not done.get("round") or result["failures"]:
        return False
    placed = done["summary"]["placed"]
    return bool(done["seats"] == done["distinct_people"] == done["intro_rows"] == placed > 0)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = {}
    with tempfile.TemporaryDirectory(prefix="mentorbot-bench-round-") as tmp:
        for kind in args.databases:
            results[kind] = await measure(kind, args, Path(tmp))
    goal: dict[str, bool] = {}
    for kind, r in results.items():
        goal[f"{kind}_under_{GOAL_SECONDS:.0f}_s"] = r["seconds"] < GOAL_SECONDS
        goal[f"{kind}_under_{GOAL_PEAK_MB:.0f}_mb"] = r["peak_mb"] < GOAL_PEAK_MB
        goal[f"{kind}_no_query_per_member"] = r["statements"] <= MAX_STATEMENTS
        goal[f"{kind}_committed_whole"] = is_whole(r)
    return {
        "benchmark": "round",
        "members": args.members,
        "history_rounds": args.rounds,
        "results": results,
        "goal": {
            "seconds": GOAL_SECONDS,
            "peak_mb": GOAL_PEAK_MB,
            "statements_at_most": MAX_STATEMENTS,
        },
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "meets_goal": goal,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.round", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--databases", default="sqlite,postgresql", type=lambda s: s.split(","))
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tick", metavar="URL", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args(argv)
    if args.tick:
        print(json.dumps(asyncio.run(tick_once(args.tick))), flush=True)
        return 0
    intro = f"round: {args.members} members, {args.rounds} rounds of history, {args.databases}"
    return run_and_print(run, args, intro)


if __name__ == "__main__":
    raise SystemExit(main())
