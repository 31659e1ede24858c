"""A fake Bot Connector: an aiohttp server on 127.0.0.1 that records every call.

It answers the calls Mentorbot makes (send, reply, update, create conversation, paged
roster, member details, team details) and can inject faults: a status code with
optional headers, a delay, or a dropped connection, for the next N matching calls.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

_ACTIVITIES = re.compile(r"/v3/conversations/[^/]+/activities(/[^/]+)?")
_CONVERSATION = re.compile(r"/v3/conversations/([^/]+)")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int = 0  # what the fake answered
    duplicate: bool = False  # a repeat of an activity id it had already delivered
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def delivered(self) -> bool:
        return 200 <= self.status < 300 and not self.duplicate

    @property
    def conversation_id(self) -> str | None:
        match = _CONVERSATION.match(self.path)
        return match.group(1) if match else None

    @property
    def is_activity_post(self) -> bool:
        """A message sent or replied (POST .../activities)."""
        return self.method == "POST" and _ACTIVITIES.fullmatch(self.path) is not None

    @property
    def text(self) -> str | None:
        return self.body.get("text") if isinstance(self.body, dict) else None

    @property
    def cards(self) -> list[dict[str, Any]]:
        if not isinstance(self.body, dict):
            return []
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class Fault:
    pattern: re.Pattern[str]
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    delay: float = 0.0
    method: str | None = None
    skip: int = 0  # matching calls let through before the fault starts
    query: dict[str, str] | None = None  # only calls with these query values


@dataclass
class Member:
    id: str
    name: str
    aad_object_id: str
    email: str
    upn: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "email": self.email,
            "userPrincipalName": self.upn or self.email,
            "userRole": "user",
        }


class FakeConnector:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.rosters: dict[str, list[Member]] = {}
        self.team_names: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._server: TestServer | None = None
        # Seconds each request takes (to make a fan-out last long enough to crash it).
        self.latency = 0.0
        # Activity ids already delivered, per conversation: a repeat is answered with
        # the first response and not delivered again (recorded as a duplicate).
        self._seen: dict[tuple[str, str], str] = {}

    # --- setup -----------------------------------------------------------------
    def set_roster(self, team_id: str, members: list[Member], name: str = "Team") -> None:
        self.rosters[team_id] = list(members)
        self.team_names[team_id] = name

    def fail(
        self,
        pattern: str,
        status: int = 500,
        *,
        times: int = 1,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        skip: int = 0,
        query: dict[str, str] | None = None,
    ) -> None:
        self.faults.append(
            Fault(re.compile(pattern), status, headers or {}, times, delay, method, skip, query)
        )

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}/"

    # --- what was sent ---------------------------------------------------------
    def messages(self, conversation_id: str | None = None) -> list[Call]:
        """Messages sent or replied (POST .../activities), optionally to one conversation."""
        return [c for c in self.attempts(conversation_id) if c.delivered]

    def attempts(self, conversation_id: str | None = None) -> list[Call]:
        """Every POST of an activity, including failed ones and repeats."""
        return [
            c
            for c in self.calls
            if c.is_activity_post
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def texts(self, conversation_id: str | None = None) -> list[str]:
        return [c.text or "" for c in self.messages(conversation_id)]

    async def quiet(self, timeout: float = 10.0) -> None:
        """Wait until every request received so far has been answered."""
        for _ in range(int(timeout / 0.02)):
            if all(call.status for call in self.calls):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the fake connector still has requests in progress")

    def created_conversations(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == "/v3/conversations"]

    def clear(self) -> None:
        self.calls.clear()

    # --- the server ------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        call = Call(request.method, request.path, dict(request.query), body, dict(request.headers))
        self.calls.append(call)
        try:
            response = await self._respond(call, request)
        finally:
            call.status = call.status or 499  # the client gave up before the answer
        call.status = response.status
        return response

    async def _respond(self, call: Call, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._take_fault(call)
        if fault is None:
            return await self._answer(call)
        if 200 <= fault.status < 300:  # it acts on the request; the answer comes late
            response = await self._answer(call)
            call.status = response.status
            await asyncio.sleep(fault.delay)
            return response
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status == 0:  # drop the connection without an answer
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=599)
        return web.json_response(
            {"error": {"code": "Injected", "message": "fault"}},
            status=fault.status,
            headers=fault.headers,
        )

    def _take_fault(self, call: Call) -> Fault | None:
        for fault in self.faults:
            if (
                fault.times > 0
                and fault.pattern.search(call.path)
                and (fault.method is None or fault.method == call.method)
                and all(call.query.get(k) == v for k, v in (fault.query or {}).items())
            ):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    async def _answer(self, call: Call) -> web.Response:
        path = call.path
        if call.method == "POST" and path == "/v3/conversations":
            member = (call.body or {}).get("members", [{}])[0].get("id", "unknown")
            return web.json_response(
                {"id": f"a:1on1-{member}", "activityId": None, "serviceUrl": self.url}, status=201
            )
        paged = re.fullmatch(r"/v3/conversations/([^/]+)/pagedmembers", path)
        if paged:
            return self._page(paged.group(1), call.query)
        member = re.fullmatch(r"/v3/conversations/([^/]+)/members/([^/]+)", path)
        if member:
            return self._member(member.group(1), member.group(2))
        team = re.fullmatch(r"/v3/teams/([^/]+)", path)
        if team:
            return web.json_response(
                {"id": team.group(1), "name": self.team_names.get(team.group(1), "Team")}
            )
        if call.method == "POST" and _ACTIVITIES.fullmatch(path):
            return self._post_activity(call)
        if call.method in ("POST", "PUT") and "/activities" in path:
            return web.json_response(
                {"id": f"activity-{next(self._ids)}"}, status=200 if call.method == "PUT" else 201
            )
        return web.json_response({"error": {"code": "NotFound", "message": path}}, status=404)

    def _post_activity(self, call: Call) -> web.Response:
        client_id = (call.body or {}).get("id")
        key = (call.conversation_id or "", client_id) if client_id else None
        if key is not None and key in self._seen:
            call.duplicate = True
            return web.json_response({"id": self._seen[key]}, status=201)
        activity_id = f"activity-{next(self._ids)}"
        if key is not None:
            self._seen[key] = activity_id
        return web.json_response({"id": activity_id}, status=201)

    def _page(self, team_id: str, query: dict[str, str]) -> web.Response:
        members = self.rosters.get(team_id, [])
        size = int(query.get("pageSize", "100"))
        start = int(query.get("continuationToken") or 0)
        page = members[start : start + size]
        more = start + size < len(members)
        return web.json_response(
            {
                "members": [m.json() for m in page],
                "continuationToken": str(start + size) if more else None,
            }
        )

    def _member(self, team_id: str, member_id: str) -> web.Response:
        for member in self.rosters.get(team_id, []):
            if member.id == member_id:
                return web.json_response(member.json())
        return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
