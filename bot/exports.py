"""GET /exports/{token}: an admin's CSV export behind a short-lived link.

The dialogs decide everything (dialogs/feedback/exports.py: the link's expiry, the
admin's rights now, the file); this route only turns the answer into HTTP: 200 with the
CSV as an attachment, or 403/404/410 with a plain sentence. Nothing is cached.
"""

from __future__ import annotations

import logging

from aiohttp import web

from dialogs.core.router import Env
from dialogs.feedback import exports
from storage import Database

log = logging.getLogger("mentorbot.exports")
NO_STORE = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ExportRoutes:
    def __init__(self, db: Database, env: Env) -> None:
        self.db, self.env = db, env

    def install(self, app: web.Application) -> None:
        app.router.add_get("/exports/{token}", self.download)

    async def download(self, request: web.Request) -> web.Response:
        token = request.match_info.get("token", "")
        try:
            async with self.db.unit() as repos:
                found = await exports.download(repos, self.env.admins, token, self.env.clock())
        except exports.Refused as refused:
            log.info("export refused status=%d", refused.status)
            return web.Response(status=refused.status, text=refused.reason, headers=NO_STORE)
        log.info("export sent bytes=%d", len(found.body))
        disposition = f'attachment; filename="{found.filename}"'
        return web.Response(
            body=found.body.encode("utf-8"),
            content_type="text/csv",
            charset="utf-8",
            headers=NO_STORE | {"Content-Disposition": disposition},
        )
