"""The admin's program page of the tab at scale: one big program, a year of history.

    python -m bench.dashboard [--databases sqlite,postgresql] [--participants 5000]
                              [--repeat 20] [--seed 1]

Per database: the program of bench/metrics.py (the same generator: `--participants`
people, 30 % mentors, a year of sessions, check-ins, goals and every survey moment) in a
fresh, migrated database. The real app (create_app) serves it on loopback; the admin
(the team's installer) has a session, and GET /tab/programs/1 for the whole year is
asked `--repeat` times after one warm-up: the server's time (its Server-Timing header:
the session check, the rights, the facts of the range, the range before and each month,
every metric, match health, and the template with its SVG charts), the SQL statements of
one page, and, as the baseline in the same run, the chat's `/program report` numbers
(program_report_metrics) for the same range.

Progress goes to stderr; stdout gets exactly one JSON line, ending with `meets_goal`.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import event

from app import DB_KEY, create_app, settle_heap
from bench import metrics as seeded
from bench.common import info, run_and_print
from bot.tab.routes import COOKIE
from dialogs.dashboard import access
from dialogs.feedback.lookup import Window
from dialogs.feedback.report import program_report_metrics
from settings import Settings
from storage import Database

GOAL_MS = 300.0
MAX_QUERIES = 250  # a fixed number for any size: per month of the range, never per person


async def measure(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    url = await seeded.database_url(kind, tmp)
    db = Database(url)
    try:
        await db.migrate()
        began = time.perf_counter()
        await seeded.load(db, seeded.build(args.participants, args.seed))
        info(f"{kind}: loaded in {time.perf_counter() - began:.1f} s")
    finally:
        await db.dispose()
    gc.collect()
    first, last = seeded.START, seeded.END + timedelta(days=40)
    # No scheduled jobs: the page alone is measured (the survey job would run meanwhile).
    app = create_app(Settings(database_url=url, migrate_on_start=False), jobs=())
    thresholds = gc.get_threshold()
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    settle_heap()  # as `app.serve` does once started
    try:
        app_db = app[DB_KEY]
        async with app_db.unit() as repos:
            admin = await repos.users.get(1)
            assert admin is not None
            token = access.new_session(repos, admin, "link", datetime.now(UTC))
        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        event.listen(app_db.engine.sync_engine, "before_cursor_execute", count)
        path = f"/tab/programs/1?from={first}&to={last}"
        server_ms, client_ms, queries, size = [], [], [], 0
        async with ClientSession(headers={"Cookie": f"{COOKIE}={token}"}) as http:
            for run in range(args.repeat + 1):
                statements[0] = 0
                began = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{server.port}{path}") as resp:
                    body = await resp.text()
                    assert resp.status == 200, body[:500]
                    timing = resp.headers["Server-Timing"]
                if run:
                    client_ms.append((time.perf_counter() - began) * 1000)
                    server_ms.append(float(timing.split("dur=")[1]))
                    queries.append(statements[0])
                    size = len(body)
        baseline = []
        for run in range(args.repeat + 1):
            async with app_db.unit() as repos:
                program = await repos.programs.get(1)
                assert program is not None
                began = time.perf_counter()
                await program_report_metrics(repos, program, Window(first, last))
                if run:
                    baseline.append((time.perf_counter() - began) * 1000)
        median = statistics.median(server_ms)
        base = statistics.median(baseline)
        info(
            f"{kind}: page median {median:.0f} ms (report alone {base:.0f} ms), "
            f"{queries[-1]} statements"
        )
        return {
            "server_ms_median": round(median, 1),
            "server_ms_best": round(min(server_ms), 1),
            "server_ms_worst": round(max(server_ms), 1),
            "client_ms_median": round(statistics.median(client_ms), 1),
            "statements": queries[-1],
            "html_bytes": size,
            "baseline_report_ms_median": round(base, 1),
            "page_over_report": round(median / base, 2) if base else None,
        }
    finally:
        await server.close()
        gc.unfreeze()  # the next database's run starts from a normal heap
        gc.set_threshold(*thresholds)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = {}
    with tempfile.TemporaryDirectory(prefix="mentorbot-bench-") as tmp:
        for kind in args.databases:
            results[kind] = await measure(kind, args, Path(tmp))
    goal = {
        f"{kind}_under_{GOAL_MS:.0f}_ms": r["server_ms_median"] < GOAL_MS
        for kind, r in results.items()
    } | {"no_query_per_participant": all(r["statements"] <= MAX_QUERIES for r in results.values())}
    return {
        "benchmark": "dashboard",
        "participants": args.participants,
        "repeat": args.repeat,
        "results": results,
        "goal": {"ms": GOAL_MS, "statements_at_most": MAX_QUERIES},
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "meets_goal": goal,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--databases", default="sqlite,postgresql", type=lambda s: s.split(","))
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    return run_and_print(
        run, args, f"dashboard: {args.participants} participants, {args.databases}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
