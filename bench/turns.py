"""Turns per second: Mentorbot against the plainest botbuilder echo bot, same load.

    python -m bench.turns [--users 16] [--seconds 5] [--scenarios help,profile]
                          [--before main | --before ""]

Starts, each in its own process on 127.0.0.1: a counting fake Bot Connector (the
activities' serviceUrl), the echo bot (bench/echo_bot.py), Mentorbot
(`python -m app serve` on a temp SQLite file) and, with --before REF (default: main),
Mentorbot as it is at that git ref (`git archive`d into the temp dir, same venv). N
simulated Teams users each send their next message as soon as the previous POST
returned. Every scenario is measured for all bots in interleaved slices (echo, before,
mentorbot, echo, ...) so drift on a noisy machine hits them all; ratios are the median
of same-round ratios to the echo. Also measures Mentorbot's start-up time (spawn to
/healthz 200, median of 3) and idle resident memory.

Progress goes to stderr; stdout gets exactly one JSON line at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    HOST,
    ROOT,
    Proc,
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
from tests.fakes.teams import TeamsUser, card_submit, personal_message

# Issue 19: help >= 3.5x and profile save >= 3x the echo's turns/s, p99 < 150 ms at 16 users.
GOALS = {
    "help_ratio": 3.5,
    "profile_ratio": 3.0,
    "p99_ms": 150.0,
    "startup_s": 2,
    "idle_rss_mb": 150,
}
PROFILE = {
    "action": "profile_save",
    "role": "mentee",
    "skills_offer": "SQL",
    "skills_want": "leadership",
    "goals": "grow",
    "interests": "chess",
    "department": "Data",
    "location": "Berlin",
    "timezone": "Europe/Berlin",
    "languages": "English",
    "meeting_format": "video",
    "meetings_per_month": 2,
    "max_mentees": 2,
}
Builder = Callable[[str, TeamsUser], dict[str, Any]]
SCENARIOS: dict[str, Builder] = {
    "help": lambda url, user: personal_message(url, user, "help"),
    "profile": lambda url, user: card_submit(url, user, dict(PROFILE)),
}
BOTS = ("echo", "before", "mentorbot")
JSON_HEADERS = {"Content-Type": "application/json"}
READY_TIMEOUT = 60.0
STARTUP_RUNS = 3


@dataclass
class Tally:
    """What one bot did in one scenario, summed over its slices."""

    turns: int = 0
    errors: int = 0
    wall: float = 0.0
    replies: int = 0
    other_calls: int = 0
    bot_cpu: float = 0.0  # CPU seconds the bot process used while measured
    latencies: list[float] = field(default_factory=list)
    texts: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.turns += other.turns
        self.errors += other.errors
        self.wall += other.wall
        self.replies += other.replies
        self.other_calls += other.other_calls
        self.bot_cpu += other.bot_cpu
        self.latencies += other.latencies
        for text, n in other.texts.items():
            self.texts[text] = self.texts.get(text, 0) + n

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "turns_per_s": round(self.turns / self.wall, 1) if self.wall else 0.0,
            "p50_ms": round(percentile(ordered, 50) * 1000, 2),
            "p99_ms": round(percentile(ordered, 99) * 1000, 2),
            "errors": self.errors,
            "turns": self.turns,
            "replies_per_turn": round(self.replies / self.turns, 3) if self.turns else 0.0,
            "cpu_ms_per_turn": round(self.bot_cpu * 1000 / self.turns, 2) if self.turns else 0.0,
        }


class Driver:
    def __init__(
        self, session: aiohttp.ClientSession, connector_url: str, users: list[TeamsUser]
    ) -> None:
        self.session, self.connector_url, self.users = session, connector_url, users
        self.service_url = connector_url + "/"

    async def load(
        self, bot_url: str, build: Builder, seconds: float, min_turns_each: int = 0
    ) -> Tally:
        """Every user sends its next message when the previous POST returned.

        Runs for `seconds` (and until each user completed `min_turns_each` turns, at
        most READY_TIMEOUT more); in-flight turns finish and count, so wall time runs
        from the start until the last user stopped.
        """
        tally = Tally()
        url = bot_url + "/api/messages"
        started = time.perf_counter()
        deadline = started + seconds
        hard_deadline = deadline + READY_TIMEOUT

        async def user_loop(user: TeamsUser) -> None:
            done = 0
            while True:
                now = time.perf_counter()
                if now >= hard_deadline or (now >= deadline and done >= min_turns_each):
                    return
                body = json.dumps(build(self.service_url, user)).encode()
                sent = time.perf_counter()
                try:
                    async with self.session.post(url, data=body, headers=JSON_HEADERS) as resp:
                        await resp.read()
                        ok = resp.status in (200, 201)
                except (aiohttp.ClientError, OSError, TimeoutError):
                    ok = False
                if ok:
                    tally.latencies.append(time.perf_counter() - sent)
                    tally.turns += 1
                    done += 1
                else:
                    tally.errors += 1
                    await asyncio.sleep(0.01)  # no hot loop against a broken bot

        await asyncio.gather(*(user_loop(u) for u in self.users))
        tally.wall = time.perf_counter() - started
        return tally

    async def connector_stats(self, reset: bool = False) -> dict[str, Any]:
        async with self.session.get(self.connector_url + "/_bench/stats") as resp:
            stats = await resp.json()
        if reset:
            async with self.session.post(self.connector_url + "/_bench/reset") as resp:
                await resp.read()
        return stats

    async def measure(
        self, bot: Proc, build: Builder, seconds: float, warmup: float, min_warmup_turns: int
    ) -> Tally:
        await self.load(bot.url, build, warmup, min_turns_each=min_warmup_turns)
        await self.connector_stats(reset=True)
        cpu_before = cpu_seconds(bot.pid)
        tally = await self.load(bot.url, build, seconds)
        cpu_after = cpu_seconds(bot.pid)
        if cpu_before is not None and cpu_after is not None:
            tally.bot_cpu = cpu_after - cpu_before
        stats = await self.connector_stats(reset=True)
        tally.replies, tally.other_calls = stats["replies"], stats["other_calls"]
        tally.texts = stats["texts"]
        return tally


async def post_ok(session: aiohttp.ClientSession, url: str, payload: dict[str, Any]) -> bool:
    async with session.post(
        url + "/api/messages", data=json.dumps(payload).encode(), headers=JSON_HEADERS
    ) as resp:
        await resp.read()
        return resp.status in (200, 201)


async def get_ok(session: aiohttp.ClientSession, url: str) -> bool:
    async with session.get(url) as resp:
        await resp.read()
        return resp.status == 200


async def spawn_mentorbot(procs: Procs, tmpdir: Path, name: str, source: Path = ROOT) -> Proc:
    port = free_port()
    db = tmpdir / f"{name}.db"
    env = bench_env(DATABASE_URL=f"sqlite+aiosqlite:///{db}")
    args = ["-m", "app", "serve", "--port", str(port)]
    return await procs.spawn(name, args, port, env, cwd=source)


async def checkout(ref: str, tmpdir: Path) -> Path | None:
    """The project's files at `ref`, unpacked under tmpdir (no git state is changed);
    None when that cannot be had (no git, unknown ref)."""
    target = tmpdir / "before"
    target.mkdir()
    archive = await asyncio.create_subprocess_shell(
        f"set -o pipefail; git archive --format=tar {shlex.quote(ref)}"
        f" | tar -x -C {shlex.quote(str(target))}",
        cwd=str(ROOT),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        executable="/bin/bash",
    )
    _, err = await archive.communicate()
    if archive.returncode != 0 or not (target / "app.py").exists():
        info(f"no 'before' bot: git archive {ref} failed: {err.decode(errors='replace')[:200]}")
        return None
    # The same venv serves both: the checkout's own modules must be the ones imported.
    probe = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import bot.handler; print(bot.handler.__file__)",
        cwd=str(target),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await probe.communicate()
    if not out.decode().strip().startswith(str(target)):
        info(f"no 'before' bot: its modules load from {out.decode().strip()}, not {target}")
        return None
    return target


async def measure_startup(
    procs: Procs, session: aiohttp.ClientSession, tmpdir: Path
) -> list[float]:
    """Spawn to GET /healthz 200, on a fresh SQLite file each time."""
    times = []
    for i in range(STARTUP_RUNS):
        proc = await spawn_mentorbot(procs, tmpdir, f"startup-{i}")
        try:
            seconds = await wait_until(
                proc,
                lambda p=proc: get_ok(session, p.url + "/healthz"),
                timeout=READY_TIMEOUT,
                interval=0.01,
            )
        finally:
            await procs.stop(proc)
        info(f"mentorbot start-up {i + 1}/{STARTUP_RUNS}: {seconds:.2f} s")
        times.append(seconds)
    return times


async def idle_rss(proc: Proc, driver: Driver, turns_each: int = 2) -> float | None:
    """RSS after a few turns of each scenario and 1 s of idling."""
    for build in SCENARIOS.values():
        await driver.load(proc.url, build, 0.0, min_turns_each=turns_each)
    await asyncio.sleep(1.0)
    return rss_mb(proc.pid)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmpdir = make_tmpdir()
    procs = Procs(tmpdir)
    users = [TeamsUser(f"bench-{i:03d}", f"Bench User {i}") for i in range(args.users)]
    timeout = aiohttp.ClientTimeout(total=30)
    pool = aiohttp.TCPConnector(limit=4 * args.users + 8)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=pool) as session:
            port = free_port()
            fake = await procs.spawn(
                "connector", ["-m", "bench.common", "connector", "--port", str(port)], port
            )
            await wait_until(
                fake, lambda: get_ok(session, fake.url + "/_bench/stats"), timeout=READY_TIMEOUT
            )
            driver = Driver(session, fake.url, users)
            info(f"fake connector on {fake.url} (pid {fake.pid})")

            startup = await measure_startup(procs, session, tmpdir)

            port = free_port()
            echo = await procs.spawn("echo", ["-m", "bench.echo_bot", "--port", str(port)], port)
            mentorbot = await spawn_mentorbot(procs, tmpdir, "bench")
            source = await checkout(args.before, tmpdir) if args.before else None
            before = await spawn_mentorbot(procs, tmpdir, "before", source) if source else None
            probe_msg = personal_message(driver.service_url, TeamsUser("probe", "Probe"), "help")
            await wait_until(
                echo, lambda: post_ok(session, echo.url, probe_msg), timeout=READY_TIMEOUT
            )
            bots = {"echo": echo, "mentorbot": mentorbot}
            if before is not None:
                bots["before"] = before
            for proc in (mentorbot, before):
                if proc is not None:
                    healthy = partial(get_ok, session, proc.url + "/healthz")
                    await wait_until(proc, healthy, timeout=READY_TIMEOUT)
            info(", ".join(f"{name} on {p.url} (pid {p.pid})" for name, p in bots.items()))
            names = [name for name in BOTS if name in bots]

            rss = {name: await idle_rss(proc, driver) for name, proc in bots.items()}
            info(f"idle RSS after a few turns: {rss}")

            result: dict[str, Any] = {"users": args.users, "seconds": args.seconds}
            slice_s = args.seconds / args.rounds
            for scenario in args.scenarios:
                build = SCENARIOS[scenario]
                tallies = {name: Tally() for name in names}
                # mentorbot / echo and before / echo within one round
                pair_ratios: dict[str, list[float]] = {name: [] for name in names[1:]}
                for round_no in range(args.rounds):
                    round_tps: dict[str, float] = {}
                    for name in names:
                        first = round_no == 0
                        tally = await driver.measure(
                            bots[name],
                            build,
                            slice_s,
                            warmup=args.warmup if first else min(args.warmup, 0.3),
                            min_warmup_turns=2 if first else 0,
                        )
                        tallies[name].add(tally)
                        s = tally.summary()
                        round_tps[name] = s["turns_per_s"]
                        info(
                            f"{scenario} {name} slice {round_no + 1}/{args.rounds}: "
                            f"{s['turns_per_s']} turns/s p50 {s['p50_ms']} ms "
                            f"p99 {s['p99_ms']} ms errors {s['errors']} "
                            f"replies/turn {s['replies_per_turn']} "
                            f"bot CPU {s['cpu_ms_per_turn']} ms/turn"
                        )
                    if round_tps.get("echo"):
                        for name in pair_ratios:
                            pair_ratios[name].append(round_tps[name] / round_tps["echo"])
                block: dict[str, Any] = {name: tallies[name].summary() for name in names}
                for name in names:
                    info(f"{scenario} {name} reply texts: {tallies[name].texts}")
                    if tallies[name].other_calls:
                        info(
                            f"{scenario} {name}: {tallies[name].other_calls} other connector calls"
                        )
                # The median of same-round ratios: a noisy moment hits one pair, not the figure.
                for name, prefix in (("mentorbot", ""), ("before", "before_")):
                    if name in pair_ratios:
                        block.update(ratios(block, name, pair_ratios[name], prefix))
                result[scenario] = block

            result["startup_s"] = round(statistics.median(startup), 3)
            result["startup_runs_s"] = [round(t, 3) for t in startup]
            result["idle_rss_mb"] = rss["mentorbot"]
            result["echo_idle_rss_mb"] = rss["echo"]
            result["rss_after_load_mb"] = {name: rss_mb(proc.pid) for name, proc in bots.items()}
            result["goals"] = GOALS
            result["before_ref"] = args.before if before is not None else None
            result["before_after"] = before_after(result, args.scenarios)
            result["meets_goal"] = meets_goal(result)
            for name, proc in bots.items():
                if proc.process.returncode is not None:
                    info(f"{name} exited early:\n{proc.log_tail()}")
            return result
    finally:
        await procs.stop_all()
        if args.keep_tmp:
            info(f"kept {tmpdir}")
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


def ratios(block: dict[str, Any], name: str, rounds: list[float], prefix: str) -> dict[str, Any]:
    echo_tps = block["echo"]["turns_per_s"]
    cpu_echo, cpu = block["echo"]["cpu_ms_per_turn"], block[name]["cpu_ms_per_turn"]
    return {
        f"{prefix}ratio": round(statistics.median(rounds), 2) if rounds else None,
        f"{prefix}ratio_rounds": [round(r, 2) for r in rounds],
        f"{prefix}ratio_pooled": (
            round(block[name]["turns_per_s"] / echo_tps, 2) if echo_tps else None
        ),
        f"{prefix}cpu_ratio": round(cpu_echo / cpu, 2) if cpu_echo and cpu else None,
    }


def before_after(result: dict[str, Any], scenarios: list[str]) -> dict[str, Any]:
    """Per scenario: the ratio to the echo, p99 and CPU per turn, before and after."""
    summary: dict[str, Any] = {}
    for scenario in scenarios:
        block = result[scenario]

        def side(name: str, prefix: str, block: dict[str, Any] = block) -> dict[str, Any] | None:
            if name not in block:
                return None
            return {
                "ratio": block.get(f"{prefix}ratio"),
                "cpu_ratio": block.get(f"{prefix}cpu_ratio"),
                "p99_ms": block[name]["p99_ms"],
                "cpu_ms_per_turn": block[name]["cpu_ms_per_turn"],
            }

        summary[scenario] = {"before": side("before", "before_"), "after": side("mentorbot", "")}
    return summary


def meets_goal(result: dict[str, Any]) -> dict[str, bool | None]:
    def ratio(scenario: str) -> float | None:
        return (result.get(scenario) or {}).get("ratio")

    def at_least(value: float | None, goal: float) -> bool | None:
        return None if value is None else value >= goal

    p99s = [result[s]["mentorbot"]["p99_ms"] for s in ("help", "profile") if s in result]
    rss = result["idle_rss_mb"]
    return {
        "help_3_5x_echo": at_least(ratio("help"), GOALS["help_ratio"]),
        "profile_3x_echo": at_least(ratio("profile"), GOALS["profile_ratio"]),
        "p99_under_150ms": (max(p99s) < GOALS["p99_ms"]) if p99s else None,
        "startup_under_2s": result["startup_s"] <= GOALS["startup_s"],
        "idle_rss_under_150mb": None if rss is None else rss <= GOALS["idle_rss_mb"],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--users", type=int, default=16, help="concurrent simulated users")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured seconds per bot per scenario"
    )
    parser.add_argument(
        "--scenarios", default="help,profile", help=f"comma-separated, from: {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=1.0,
        help="warm-up seconds before a bot's first slice (not counted)",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved slices per bot per scenario"
    )
    parser.add_argument(
        "--before",
        default="main",
        help="git ref to measure as 'before' in the same run ('' for none; default main)",
    )
    parser.add_argument(
        "--keep-tmp", action="store_true", help="keep the temp dir (databases, subprocess logs)"
    )
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown or not args.scenarios:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    if args.users < 1 or args.seconds <= 0 or args.rounds < 1 or args.warmup < 0:
        parser.error("--users and --rounds must be >= 1, --seconds > 0, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_and_print(
        run,
        args,
        f"{args.users} users, {args.seconds:g} s per bot per scenario, "
        f"scenarios {','.join(args.scenarios)}; all traffic on {HOST}",
    )


if __name__ == "__main__":
    sys.exit(main())
