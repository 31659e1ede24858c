"""Mentorbot's composition root: `create_app(settings)`, and serve, migrate and manifest.

Importing this module has no side effects; the app and its resources are built
when `create_app` is called and opened when the aiohttp app starts. The `mentorbot`
command line is cli.py: it loads this module only for the commands that need the bot.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import logs
from bot.delivery import DeliveryWorker
from bot.edge import SdkEdge
from bot.exports import ExportRoutes
from bot.graph.sync import DirectorySync
from bot.health import Health
from bot.metrics import Metrics, MetricsRoute
from bot.roster_import import RosterImporter
from bot.tab.routes import TabRoutes
from dialogs.core import errors
from dialogs.core.graph import Graph
from dialogs.core.router import Env
from dialogs.core.types import Clock, system_clock
from dialogs.jobs import JOBS
from dialogs.routes import build_table
from scheduler import Job, Scheduler
from settings import Settings
from storage import Database

log = logging.getLogger("mentorbot")
DB_KEY: web.AppKey[Database] = web.AppKey("db", Database)
SCHEDULER_KEY: web.AppKey[Scheduler] = web.AppKey("scheduler", Scheduler)
DELIVERY_KEY: web.AppKey[DeliveryWorker] = web.AppKey("delivery", DeliveryWorker)
ROSTER_KEY: web.AppKey[RosterImporter] = web.AppKey("roster", RosterImporter)
METRICS_KEY: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
HEALTH_KEY: web.AppKey[Health] = web.AppKey("health", Health)
DIRECTORY_KEY: web.AppKey[object] = web.AppKey("directory", object)
SDK_KEY: web.AppKey[SdkEdge] = web.AppKey("sdk", SdkEdge)


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    jobs: tuple[Job, ...] = JOBS,
    graph: Graph | None = None,
) -> web.Application:
    """`graph` replaces the Graph client that GRAPH_CREDENTIAL would build (tests)."""
    app = web.Application(client_max_size=1024 * 1024)
    db = Database(settings.database_url, wait_seconds=settings.turn_deadline_seconds)
    env = Env(
        admins=settings.admins,
        clock=clock,
        table=build_table(),
        retention_days=settings.retention_days,
        public_url=settings.base_url,
        tab_sso=bool(settings.app_id),
        graph=graph is not None or settings.graph.enabled,
    )
    graph = _graph_client(settings, graph)
    env.calendar = graph
    metrics = Metrics()
    # The Bot Framework SDK loads on first use or just after start-up (bot/edge.py).
    sdk = SdkEdge(settings, metrics, lambda: _bot(settings, db, env, delivery, roster))
    delivery = DeliveryWorker(
        db, sdk, settings.app_id, settings.delivery, observer=metrics.delivery_observer()
    )
    roster = RosterImporter(
        db,
        delivery.rest,
        clock,
        lease_seconds=settings.delivery.lease_seconds,
        poll_seconds=settings.delivery.poll_seconds,
        backoff_seconds=settings.delivery.backoff_seconds,
        on_done=lambda: _wake_all(delivery.wake, directory.wake),
        on_page=lambda outcome: metrics.roster_pages.labels(outcome).inc(),
    )
    directory = _directory_sync(settings, db, clock, graph, delivery.wake)
    health = Health(
        db,
        {
            "delivery worker": lambda: delivery.alive,
            "roster importer": lambda: roster.alive,
            **({"directory sync": lambda: directory.alive} if directory.enabled else {}),
        },
        instance=delivery.worker_id,
    )
    sdk.install(app)
    ExportRoutes(db, env).install(app)
    TabRoutes(db, env, settings, on_queued=delivery.wake).install(app)
    health.install(app)
    MetricsRoute(metrics, db, settings).install(app)
    app[DB_KEY], app[DELIVERY_KEY], app[ROSTER_KEY] = db, delivery, roster
    app[METRICS_KEY], app[HEALTH_KEY] = metrics, health
    app[DIRECTORY_KEY], app[SDK_KEY] = directory, sdk
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
        sdk.start()  # signing keys fetched off the loop; the SDK loaded in a thread
        delivery.start()
        roster.start()
        directory.start()
        scheduler.start()
        yield
        # Turns under way have finished (aiohttp waits for them before cleanup).
        await scheduler.stop()
        await roster.stop()
        await directory.stop()
        await delivery.stop(grace=settings.shutdown_grace_seconds)
        await sdk.close()
        await db.dispose()

    async def draining(_app: web.Application) -> None:
        health.draining = True  # /readyz says 503 while the last turns finish

    app.on_shutdown.append(draining)
    app.cleanup_ctx.append(lifecycle)
    return app


def _bot(
    settings: Settings,
    db: Database,
    env: Env,
    delivery: DeliveryWorker,
    roster: RosterImporter,
) -> Any:
    """bot/handler.py's MentorBot: built with the SDK, when it loads (bot/edge.py)."""
    from bot.handler import MentorBot

    return MentorBot(
        db,
        env,
        delivery,
        settings.allowed_tenants,
        settings.turn_deadline_seconds,
        on_install=roster.wake,
    )


def _wake_all(*wakes: Callable[[], None]) -> None:
    for wake in wakes:
        wake()


class _NoSync:
    """Graph is not configured: nothing to sync (and msgraph is never imported)."""

    enabled, alive = False, False

    def start(self) -> None: ...
    async def stop(self) -> None: ...
    def wake(self) -> None: ...


def _graph_client(settings: Settings, graph: Graph | None) -> Graph | None:
    """One Graph client for the sync worker and the turns; None without Graph."""
    if graph is None and settings.graph.enabled:
        from bot.graph.client import build  # msgraph-sdk loads here, only with Graph on

        graph = build(settings.graph)
    return graph


def _directory_sync(
    settings: Settings, db: Database, clock: Clock, graph: Graph | None, on_done: Callable[[], None]
) -> DirectorySync | _NoSync:
    if graph is None:
        return _NoSync()
    return DirectorySync(
        db,
        graph,
        clock,
        sync_hours=settings.graph.sync_hours,
        on_done=on_done,
        teams_app_id=settings.graph.teams_app_id or settings.app_id,
    )


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
    app[SDK_KEY].on_warm = _freeze_now  # and again once the SDK has loaded
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
    _freeze_now()


# Young objects collected every 50,000 allocations instead of 700. With the start-up heap
# frozen, the collector's rule that a full pass waits until a quarter of the old objects
# are new no longer holds it back: a dashboard page (hundreds of thousands of objects,
# alive until it is rendered) set off two or three full passes over them, about 50 ms.
COLLECTOR_THRESHOLDS = (50_000, 20, 20)


def _freeze_now() -> None:
    settle_heap()


def settle_heap() -> None:
    """What `serve` does once started, and again once the SDK has loaded: the start-up
    heap frozen out of the collector's passes, and the collector's thresholds set."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


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


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if "@" in rest else url


if __name__ == "__main__":  # `python app.py` / `python -m app`: the same command line
    from cli import main

    sys.exit(main())
