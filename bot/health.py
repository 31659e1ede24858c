"""Probes: GET /livez (the process answers), GET /readyz (it can do its work), /healthz.

A liveness probe must not depend on the database: a database outage would otherwise
restart every healthy container. Readiness says whether to send traffic here: the
database answers, its schema is at the newest migration, the delivery worker and the
roster importer run, and the process is not shutting down.
"""

from __future__ import annotations

# i18n: this module says nothing to people
from collections.abc import Callable

from aiohttp import web

from storage import Database

Check = Callable[[], bool]


class Health:
    def __init__(self, db: Database, workers: dict[str, Check], instance: str = "") -> None:
        self.db, self.workers = db, workers
        self.instance = instance  # which replica answered (its delivery worker's id)
        self.draining = False  # set when shutdown begins: stop sending us traffic

    def install(self, app: web.Application) -> None:
        app.router.add_get("/livez", self.livez)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/healthz", self.readyz)  # older probes: same as /readyz

    async def livez(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "alive", "instance": self.instance})

    async def readyz(self, _request: web.Request) -> web.Response:
        problems = await self.problems()
        if problems:
            return web.json_response({"status": "not ready", "problems": problems}, status=503)
        return web.json_response({"status": "ok"})

    async def problems(self) -> list[str]:
        found = ["shutting down"] if self.draining else []
        if not await self.db.ping():
            return [*found, "database unavailable"]
        if not await self.db.schema_at_head():
            found.append("database schema is not at the newest migration (run mentorbot migrate)")
        found += [f"{name} is not running" for name, alive in self.workers.items() if not alive()]
        return found
