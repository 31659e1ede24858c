"""GET /exports/{token}: a file behind a short-lived link: an admin's CSV export, or a
person's own `my data` JSON.

The dialogs decide everything (dialogs/core/downloads.py: the link and its expiry;
dialogs/feedback/exports.py: the admin's rights now and the CSV; dialogs/account/data.py:
the person's file); this route only turns the answer into HTTP: 200 with the file as an
attachment, or 403/404/410 with a plain sentence. Nothing is cached.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import logging

from aiohttp import web

from dialogs.account import data
from dialogs.core import downloads
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
                link = await downloads.find(repos, token, self.env.clock())
                if link.what == downloads.MY_DATA:
                    found = await data.download(repos, self.env, link)
                else:
                    found = await exports.download(repos, self.env.admins, link)
        except downloads.Refused as refused:
            log.info("export refused status=%d", refused.status)
            return web.Response(status=refused.status, text=refused.reason, headers=NO_STORE)
        log.info("export sent bytes=%d", len(found.body))
        disposition = f'attachment; filename="{found.filename}"'
        return web.Response(
            body=found.body.encode("utf-8"),
            content_type=found.content_type,
            charset="utf-8",
            headers=NO_STORE | {"Content-Disposition": disposition},
        )
