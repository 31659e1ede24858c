"""Mentorbot's entry point: `create_app(settings)` and the `mentorbot` command line.

Importing this module has no side effects; the app and its resources are built
when `create_app` is called and opened when the aiohttp app starts.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from bot import logs
from bot.adapter import build_adapter
from bot.delivery import DeliveryWorker
from bot.exports import ExportRoutes
from bot.handler import MentorBot, on_turn_error
from bot.health import Health
from bot.metrics import Metrics, MetricsRoute
from bot.roster_import import RosterImporter
from bot.tab.routes import TabRoutes
from bot.web import Routes
from dialogs.core import errors
from dialogs.core.router import Env
from dialogs.core.types import Clock, system_clock
from dialogs.jobs import JOBS
from dialogs.routes import build_table
from scheduler import Job, Scheduler
from settings import Settings, SettingsError
from storage import Database

log = logging.getLogger("mentorbot")
DB_KEY: web.AppKey[Database] = web.AppKey("db", Database)
SCHEDULER_KEY: web.AppKey[Scheduler] = web.AppKey("scheduler", Scheduler)
DELIVERY_KEY: web.AppKey[DeliveryWorker] = web.AppKey("delivery", DeliveryWorker)
ROSTER_KEY: web.AppKey[RosterImporter] = web.AppKey("roster", RosterImporter)
METRICS_KEY: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
HEALTH_KEY: web.AppKey[Health] = web.AppKey("health", Health)


def create_app(
    settings: Settings, *, clock: Clock = system_clock, jobs: tuple[Job, ...] = JOBS
) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    db = Database(settings.database_url, wait_seconds=settings.turn_deadline_seconds)
    adapter = build_adapter(settings)
    adapter.on_turn_error = on_turn_error
    env = Env(
        admins=settings.admins,
        clock=clock,
        table=build_table(),
        retention_days=settings.retention_days,
        public_url=settings.base_url,
        tab_sso=bool(settings.app_id),
    )
    metrics = Metrics()
    delivery = DeliveryWorker(
        db, adapter, settings.app_id, settings.delivery, observer=metrics.delivery_observer()
    )
    roster = RosterImporter(
        db,
        delivery.rest,
        clock,
        lease_seconds=settings.delivery.lease_seconds,
        poll_seconds=settings.delivery.poll_seconds,
        backoff_seconds=settings.delivery.backoff_seconds,
        on_done=delivery.wake,
        on_page=lambda outcome: metrics.roster_pages.labels(outcome).inc(),
    )
    bot = MentorBot(
        db,
        env,
        delivery,
        settings.allowed_tenants,
        settings.turn_deadline_seconds,
        on_install=roster.wake,
    )
    health = Health(
        db,
        {"delivery worker": lambda: delivery.alive, "roster importer": lambda: roster.alive},
        instance=delivery.worker_id,
    )
    Routes(adapter, bot, metrics).install(app)
    ExportRoutes(db, env).install(app)
    TabRoutes(db, env, settings, on_queued=delivery.wake).install(app)
    health.install(app)
    MetricsRoute(metrics, db, settings).install(app)
    app[DB_KEY], app[DELIVERY_KEY], app[ROSTER_KEY] = db, delivery, roster
    app[METRICS_KEY], app[HEALTH_KEY] = metrics, health
    scheduler = app[SCHEDULER_KEY] = Scheduler(
        db,
        clock,
        jobs,
        report=errors.report,
        on_ran=delivery.wake,
        env=env,
        on_run=metrics.job_run,
    )

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await migrate_logged(db)
        adapter.bot_framework_authentication.start()  # signing keys, fetched off the loop
        delivery.start()
        roster.start()
        scheduler.start()
        yield
        # Turns under way have finished (aiohttp waits for them before cleanup).
        await scheduler.stop()
        await roster.stop()
        await delivery.stop(grace=settings.shutdown_grace_seconds)
        await adapter.bot_framework_authentication.close()
        await db.dispose()

    async def draining(_app: web.Application) -> None:
        health.draining = True  # /readyz says 503 while the last turns finish

    app.on_shutdown.append(draining)
    app.cleanup_ctx.append(lifecycle)
    return app


async def migrate_logged(db: Database) -> None:
    """Migrate (under the database's lock) and say what happened: one replica of many
    that start together logs "migrated", the others "already at"."""
    before, after = await db.migrate()
    if before == after:
        log.info("database schema already at %s", after, extra={"revision": after})
    else:
        log.info(
            "migrated database schema from %s to %s",
            before or "empty",
            after,
            extra={"revision": after, "from_revision": before},
        )


def configure_logging(settings: Settings) -> None:
    logs.configure(settings)


def serve(settings: Settings) -> None:
    configure_logging(settings)
    log.info("listening on http://%s:%d/api/messages", settings.host, settings.port)
    app = create_app(settings)
    app.on_startup.append(_freeze_heap)  # after the lifecycle's start (migrations run)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        # SIGTERM: stop accepting, let turns under way finish for this long, then clean up.
        shutdown_timeout=settings.shutdown_grace_seconds,
    )


async def _freeze_heap(_app: web.Application) -> None:
    """What start-up built (modules, the route table, SDK objects) lives as long as the
    process: kept out of the garbage collector's full passes, each of which would
    otherwise walk it all (hundreds of ms here) in the middle of someone's turn."""
    gc.collect()
    gc.freeze()


def migrate(settings: Settings) -> None:
    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await migrate_logged(db)
        finally:
            await db.dispose()

    configure_logging(settings)
    asyncio.run(run())
    print(f"database is at the newest schema ({_redacted(settings.database_url)})")


def build_manifest(settings: Settings, app_id: str | None, out: Path, base_url: str | None) -> None:
    from manifest.build import write_package

    path = write_package(app_id or settings.app_id, out, build_table(), base_url=base_url)
    print(f"wrote {path}")


def pair(args: argparse.Namespace) -> int:
    """`mentorbot pair`: the pairing algorithm on JSON files, for planning and review."""
    from dialogs.coffee import grouping as pairing

    try:
        members = pairing.parse_members(_read_json(args.members, "members"))
        history = pairing.parse_history(
            _read_json(args.history, "history") if args.history else [], members
        )
        result = pairing.make_groups(
            members,
            history,
            group_size=args.group_size,
            seed=args.seed,
            window=args.window,
            prefer_cross_department=args.cross_department,
        )
    except ValueError as exc:
        print(f"mentorbot pair: {exc}", file=sys.stderr)
        return 2
    text = json.dumps({"groups": result.groups, "summary": result.summary.to_dict()}, indent=1)
    try:
        if args.out:
            args.out.write_text(text + "\n")
        else:
            print(text)
    except OSError as exc:
        print(f"mentorbot pair: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def match_mentors(args: argparse.Namespace) -> int:
    """`mentorbot match`: mentor matching on JSON files, for planning and review."""
    from dialogs.mentoring import matching

    try:
        mentors = matching.parse_people(
            _read_json(args.mentors, "mentors"), "mentors", default_capacity=args.default_capacity
        )
        mentees = matching.parse_people(_read_json(args.mentees, "mentees"), "mentees")
        weights = matching.parse_weights(
            _read_json(args.weights, "weights") if args.weights else None
        )
        result = matching.match(mentors, mentees, weights, at=_instant(args.at))
    except ValueError as exc:
        print(f"mentorbot match: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(result.to_dict(), indent=1, ensure_ascii=False)
    try:
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
    except OSError as exc:
        print(f"mentorbot match: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def _instant(text: str | None) -> datetime:
    """--at: an ISO 8601 date or time (UTC unless it says otherwise); default now."""
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--at must be an ISO 8601 date or time, e.g. 2025-03-01T09:00Z ({text!r})"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _read_json(path: Path, what: str) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the {what} file {path} is not valid JSON: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mentorbot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="run the bot (default)")
    serve_cmd.add_argument("--port", type=int)
    sub.add_parser("migrate", help="apply database migrations and exit")
    manifest_cmd = sub.add_parser("manifest", help="write the Teams app package (zip)")
    manifest_cmd.add_argument("--app-id", help="Microsoft app id (default: MicrosoftAppId)")
    manifest_cmd.add_argument("--out", type=Path, default=Path("mentorbot-app.zip"))
    manifest_cmd.add_argument("--base-url", help="public https URL of the bot's website")
    pair_cmd = sub.add_parser("pair", help="make coffee-chat groups offline (JSON in and out)")
    pair_cmd.add_argument("--members", type=Path, required=True, help="JSON list of members")
    pair_cmd.add_argument("--history", type=Path, help="JSON list of past rounds, oldest first")
    pair_cmd.add_argument("--group-size", type=int, default=2, help="2 to 4 (default 2)")
    pair_cmd.add_argument("--seed", type=int, default=0, help="same seed, same groups")
    pair_cmd.add_argument("--window", type=int, default=12, help="rounds that count as recent")
    pair_cmd.add_argument("--cross-department", action="store_true", help="prefer mixing")
    pair_cmd.add_argument("--out", type=Path, help="write here instead of stdout")
    match_cmd = sub.add_parser("match", help="match mentees with mentors offline (JSON in and out)")
    match_cmd.add_argument("--mentors", type=Path, required=True, help="JSON list of mentors")
    match_cmd.add_argument("--mentees", type=Path, required=True, help="JSON list of mentees")
    match_cmd.add_argument("--weights", type=Path, help="JSON object: criterion -> 0 to 10")
    match_cmd.add_argument(
        "--default-capacity", type=int, default=2, help="mentees per mentor without one (1-5)"
    )
    match_cmd.add_argument("--at", help="instant for time-zone offsets, ISO 8601 (default: now)")
    match_cmd.add_argument("--out", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    if args.command == "pair":  # offline: needs no settings
        return pair(args)
    if args.command == "match":  # offline: needs no settings
        return match_mentors(args)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"mentorbot: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate(settings)
    elif args.command == "manifest":
        try:
            build_manifest(settings, args.app_id, args.out, args.base_url)
        except ValueError as exc:
            print(f"mentorbot: {exc}", file=sys.stderr)
            return 2
    else:
        port = getattr(args, "port", None)
        serve(settings.with_(port=port) if port else settings)
    return 0


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if "@" in rest else url


if __name__ == "__main__":
    sys.exit(main())
