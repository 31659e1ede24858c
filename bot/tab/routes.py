"""The tab's HTTP routes: pages, sign-in (Teams SSO and one-time links), CSV buttons,
concerns marked handled, the privacy and terms pages, and the static files.

The dialogs decide (dialogs/dashboard/: who is signed in, what they may see, the page's
data); this module only turns requests into those calls and their answers into HTML.
Every response carries a Content-Security-Policy that allows only this app itself (the
Teams JavaScript library is served from here, never a CDN), scripts only with the page's
nonce, and framing only by Teams' hosts. The session cookie is HttpOnly, Secure and
SameSite=None (the tab is an iframe inside Teams); forms carry a token derived from the
session, so another site cannot post them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.auth import AuthError, SigningKeys
from bot.tab import render
from bot.tab.sso import EntraTokens
from dialogs.core import i18n, outbox
from dialogs.core.i18n import N_
from dialogs.core.people import language_of_user
from dialogs.core.router import Env
from dialogs.dashboard import access, actions, concerns, pages
from dialogs.dashboard.access import Refused
from settings import Settings
from storage import Database
from storage.models import User
from storage.repos import Repos

log = logging.getLogger("mentorbot.tab")
_ = i18n.catalog(__package__)
NONCE: web.RequestKey[str] = web.RequestKey("nonce", str)
FORM: web.RequestKey[Any] = web.RequestKey("form", object)
QUEUED: web.RequestKey[bool] = web.RequestKey("queued", bool)
COOKIE = "__Host-mentorbot-tab"
STATIC = Path(__file__).parent / "static"
THEMES = ("default", "dark", "contrast")
FRAME_ANCESTORS = (
    "'self' https://teams.microsoft.com https://*.teams.microsoft.com "
    "https://*.cloud.microsoft https://*.office.com https://*.microsoft365.com "
    "https://*.skype.com https://*.teams.microsoft.us"  # i18n: not said
)
DEFAULT_PRIVACY = N_(
    "Mentorbot stores what you tell it in Teams (your profile, goals, check-ins, meeting "
    "notes and survey answers) and what Teams tells it about you (name, email, team "
    "memberships), in your organization's own database, to run mentoring programs, coffee "
    "chats and icebreakers.\n\nYour team's admins see aggregates of survey answers only "
    "above a minimum number of answers, and never anonymous answers by person. Type `my "
    "data` in your chat with Mentorbot to see everything it stores about you, and `delete "
    "my data` to delete it."
)
DEFAULT_TERMS = N_(
    "Mentorbot is provided by your organization for mentoring programs, coffee chats and "
    "icebreakers. Use it as you would any workplace tool: be kind, keep others' words to "
    "yourself, and tell your admins (type `concern` in your chat with Mentorbot) when "
    "something is wrong.\n\nYou can pause, opt out or delete your data at any time."
)


@dataclass(frozen=True)
class Viewer:
    user: User
    token: str

    @property
    def csrf(self) -> str:
        return hashlib.sha256(f"csrf:{self.token}".encode()).hexdigest()[:32]


Page = Callable[[web.Request, Repos, Viewer], Awaitable[web.StreamResponse]]


class TabRoutes:
    def __init__(
        self, db: Database, env: Env, settings: Settings, on_queued: Callable[[], None]
    ) -> None:
        self.db, self.env, self.settings, self.on_queued = db, env, settings, on_queued
        self.keys = SigningKeys(settings.entra_openid_metadata_url)
        self.sso = (
            EntraTokens(settings.app_id, settings.base_url, self.keys, settings.tab_tenants)
            if settings.app_id
            else None
        )
        self.queries = 0  # statements of the last page (bench/dashboard.py reports them)

    def install(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/privacy", self.privacy)
        r.add_get("/terms", self.terms)
        r.add_get("/tab/start/{token}", self.start)
        r.add_post("/tab/sso", self.sign_in_sso)
        r.add_post("/tab/signout", self.signed_in(self.sign_out))
        r.add_get("/tab/dashboard", self.signed_in(self.home))
        r.add_get("/tab/me", self.signed_in(self.me))
        r.add_get("/tab/programs/{id}", self.signed_in(self.program))
        r.add_get("/tab/teams/{id}/coffee", self.signed_in(self.coffee))
        r.add_get("/tab/teams/{id}/history", self.signed_in(self.history))
        r.add_get("/tab/teams/{id}/icebreakers", self.signed_in(self.icebreakers))
        r.add_post("/tab/programs/{id}/export", self.signed_in(self.program_export))
        r.add_post("/tab/teams/{id}/export", self.signed_in(self.coffee_export))
        r.add_post("/tab/programs/{id}/act", self.signed_in(self.insight_action))
        r.add_post("/tab/concerns/{id}/handled", self.signed_in(self.concern_handled))
        r.add_static("/tab/static", STATIC, append_version=False)
        app.on_response_prepare.append(_headers)
        app.cleanup_ctx.append(self._keys_ctx)

    async def _keys_ctx(self, _app: web.Application) -> Any:
        yield
        await self.keys.close()

    # --- rendering -------------------------------------------------------------------------
    def html(
        self, request: web.Request, template: str, status: int = 200, **ctx: Any
    ) -> web.Response:
        nonce = request.get(NONCE) or secrets.token_urlsafe(16)
        request[NONCE] = nonce
        theme = request.query.get("theme", "default")
        body = render.page(
            template,
            nonce=nonce,
            theme=theme if theme in THEMES else "default",
            theme_query=f"?theme={theme}" if theme in THEMES and theme != "default" else "",
            sso=self.sso is not None,
            **({"signin_needed": False} | ctx),
        )
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    def refused(self, request: web.Request, refused: Refused) -> web.Response:
        log.info("tab refused status=%d path=%s", refused.status, request.path)
        with i18n.speaking(browser_language(request)):
            return self.html(
                request,
                "refused.html",
                status=refused.status,
                refused=refused.said(),
                viewer=None,
                signin_needed=refused.status == 401,
            )

    # --- sessions --------------------------------------------------------------------------
    def signed_in(self, page: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            token = request.cookies.get(COOKIE)
            started = time.perf_counter()
            try:
                async with self.db.unit() as repos:
                    user = await access.viewer(repos, token, self.env.clock())
                    viewer = Viewer(user, token or "")
                    with i18n.speaking(await language_of_user(repos, user)):
                        if request.method == "POST":
                            await _check_form(request, viewer, self.settings.base_url)
                        response = await page(request, repos, viewer)
            except Refused as refused:
                return self.refused(request, refused)
            if request.get(QUEUED):  # committed: now the delivery worker may send it
                self.on_queued()
            response.headers["Server-Timing"] = (
                f"app;dur={1000 * (time.perf_counter() - started):.1f}"
            )
            return response

        return handler

    def _with_cookie(self, response: web.StreamResponse, token: str) -> web.StreamResponse:
        response.set_cookie(
            COOKIE,
            token,
            max_age=access.SESSION_HOURS * 3600,
            path="/",
            secure=True,
            httponly=True,
            samesite="None",
        )
        return response

    async def start(self, request: web.Request) -> web.StreamResponse:
        """A one-time link from the chat: spend it, start a session, go to the right page."""
        now = self.env.clock()
        try:
            async with self.db.unit() as repos:
                token, user = await access.start_with_link(repos, request.match_info["token"], now)
                admin = bool(await pages.admin_teams(repos, self.env.admins, user))
        except Refused as refused:
            return self.refused(request, refused)
        log.info("tab session started via=link")
        where = "/tab/dashboard" if admin else "/tab/me"
        return self._with_cookie(_see_other(where), token)

    async def sign_in_sso(self, request: web.Request) -> web.StreamResponse:
        """The page's Teams SSO token (Authorization: Bearer): validated, then a session."""
        if self.sso is None:
            unset = "single sign-on is not set up"  # i18n: not said
            return web.json_response({"error": unset}, status=404)
        try:
            identity = await self.sso.validate(request.headers.get("Authorization", ""))
        except AuthError as exc:
            log.info("tab sso refused: %s", exc)
            return web.json_response({"error": "sign-in failed"}, status=401)  # i18n: not said
        try:
            async with self.db.unit() as repos:
                token = await access.start_with_sso(
                    repos, identity.tenant_id, identity.object_id, self.env.clock()
                )
        except Refused as refused:
            with i18n.speaking(browser_language(request)):
                said = refused.said().text
            return web.json_response({"error": said}, status=refused.status)
        log.info("tab session started via=sso")
        return self._with_cookie(web.Response(status=204), token)

    async def sign_out(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        await repos.tab.end_session(access.hashed(viewer.token))
        response = _see_other("/tab/me")
        response.del_cookie(COOKIE, path="/")
        return response

    # --- pages -------------------------------------------------------------------------------
    async def home(self, request: web.Request, repos: Repos, viewer: Viewer) -> web.StreamResponse:
        entries = await pages.home(repos, self.env.admins, viewer.user)
        return self.html(request, "home.html", viewer=viewer, entries=entries)

    async def me(self, request: web.Request, repos: Repos, viewer: Viewer) -> web.StreamResponse:
        page = await pages.my_page(repos, self.env.admins, viewer.user, self.env.clock())
        return self.html(request, "me.html", viewer=viewer, page=page)

    async def program(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        q = request.query
        page = await pages.program_page(
            repos,
            self.env.admins,
            viewer.user,
            request.match_info["id"],
            q.get("from"),
            q.get("to"),
            self.env.clock(),
            q.get("state"),
            q.get("sort"),
        )
        return self.html(request, "program.html", viewer=viewer, page=page)

    async def coffee(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        return await self._ranged(request, repos, viewer, pages.coffee_page, "coffee.html")

    async def icebreakers(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        return await self._ranged(request, repos, viewer, pages.icebreaker_page, "icebreakers.html")

    async def _ranged(
        self, request: web.Request, repos: Repos, viewer: Viewer, page_of: Any, template: str
    ) -> web.StreamResponse:
        """A page of one program or team (the id in the path) over ?from=&to=."""
        q = request.query
        page = await page_of(
            repos,
            self.env.admins,
            viewer.user,
            request.match_info["id"],
            q.get("from"),
            q.get("to"),
            self.env.clock(),
        )
        return self.html(request, template, viewer=viewer, page=page)

    async def history(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        page = await pages.history_page(
            repos, self.env.admins, viewer.user, request.match_info["id"], self.env.clock()
        )
        return self.html(request, "history.html", viewer=viewer, page=page)

    async def program_export(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        form = request[FORM]
        token = await pages.program_download(
            repos,
            self.env.admins,
            viewer.user,
            request.match_info["id"],
            str(form.get("what", "")),
            str(form.get("from", "")) or None,
            str(form.get("to", "")) or None,
            self.env.clock(),
        )
        return _see_other(f"/exports/{token}")

    async def coffee_export(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        form = request[FORM]
        token = await pages.coffee_download(
            repos,
            self.env.admins,
            viewer.user,
            request.match_info["id"],
            str(form.get("what", "")),
            str(form.get("from", "")) or None,
            str(form.get("to", "")) or None,
            self.env.clock(),
        )
        return _see_other(f"/exports/{token}")

    async def insight_action(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        """An insight's button: its chat command, run as the admin typed it (committed
        when this unit ends; the delivery worker is woken for what it queued)."""
        key = str(request[FORM].get("key", ""))
        done = await actions.press(repos, self.env, viewer.user, request.match_info["id"], key)
        if done.queued:
            request[QUEUED] = True
        back = f"/tab/programs/{request.match_info['id']}"
        return self.html(request, "action.html", viewer=viewer, done=done, back=back)

    async def concern_handled(
        self, request: web.Request, repos: Repos, viewer: Viewer
    ) -> web.StreamResponse:
        now = self.env.clock()
        found = await pages.handle_concern(
            repos, self.env.admins, viewer.user, request.match_info["id"], now
        )
        if found is not None:
            user_id, team_id, team = found
            cid = int(request.match_info["id"])
            message = await concerns.handled_message(repos, cid, user_id, team_id, team)
            await outbox.queue(repos, message, now)
            self.on_queued()
        back = str(request[FORM].get("back", "")) or "/tab/dashboard"
        return _see_other(back if back.startswith("/tab/") else "/tab/dashboard")

    # --- privacy and terms ---------------------------------------------------------------
    async def privacy(self, request: web.Request) -> web.StreamResponse:
        # An admin's own text stays as they wrote it; the default is in the reader's language.
        with i18n.speaking(browser_language(request)):
            text = self.settings.privacy_text or _(DEFAULT_PRIVACY)
            return self.html(
                request, "legal.html", title=_("Privacy"), paragraphs=_paragraphs(text), viewer=None
            )

    async def terms(self, request: web.Request) -> web.StreamResponse:
        with i18n.speaking(browser_language(request)):
            text = self.settings.terms_text or _(DEFAULT_TERMS)
            return self.html(
                request,
                "legal.html",
                title=_("Terms of use"),
                paragraphs=_paragraphs(text),
                viewer=None,
            )


def browser_language(request: web.Request) -> str:
    """The first language of the browser's Accept-Language that Mentorbot writes (pages
    shown before anyone is signed in: refusals, privacy, terms)."""
    tags = []
    for part in request.headers.get("Accept-Language", "").split(","):
        tag, _sep, weight = part.strip().partition(";q=")
        try:
            tags.append((float(weight or 1), tag))
        except ValueError:
            continue
    return i18n.pick(*(tag for _weight, tag in sorted(tags, key=lambda t: -t[0])))


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\\n", "\n").split("\n\n") if p.strip()]


async def _check_form(request: web.Request, viewer: Viewer, base_url: str) -> None:
    """A form of the tab's own pages: posted from this origin (the browser's Origin and
    Sec-Fetch-Site headers, when it sends them) and carrying the session's token."""
    if not _same_origin(request, base_url):
        raise Refused(
            403, _("Please try again"), _("This form came from another site. Nothing changed.")
        )
    form = await request.post()
    request[FORM] = form
    sent = str(form.get("csrf", ""))
    if not hmac.compare_digest(sent, viewer.csrf):
        raise Refused(
            403, _("Please try again"), _("This form has expired. Reload the page and try again.")
        )


def _same_origin(request: web.Request, base_url: str) -> bool:
    """The browser's word that the form is this site's own: Sec-Fetch-Site when it sends
    it, else the Origin header (a page with no-referrer sends Origin "null" even to its
    own site, so "null" alone proves nothing either way: refused). A client that sends
    neither is no browser posting another site's form; the token still has to match."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() in {request.host.lower(), urlsplit(base_url).netloc}


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every page of the tab (and privacy and terms): the CSP and no caching."""
    if not (request.path.startswith("/tab/") or request.path in ("/privacy", "/terms")):
        return
    nonce = request.get(NONCE, "")
    script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"  # i18n: not said
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {FRAME_ANCESTORS}"  # i18n: not said
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.path.startswith("/tab/static/"):
        response.headers["Cache-Control"] = "no-store"
