"""A fake Bot Connector: an aiohttp server on 127.0.0.1 that records every call.

It answers the calls Mentorbot makes (send, reply, update, create conversation, paged
roster, member details, team details) and can inject faults: a status code with
optional headers, a delay, or a dropped connection, for the next N matching calls.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

_ACTIVITIES = re.compile(r"/v3/conversations/[^/]+/activities(/[^/]+)?")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]

    @property
    def conversation_id(self) -> str | None:
        match = re.match(r"/v3/conversations/([^/]+)", self.path)
        return match.group(1) if match else None

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
    ) -> None:
        self.faults.append(Fault(re.compile(pattern), status, headers or {}, times, delay, method))

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
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and _ACTIVITIES.fullmatch(c.path)
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def texts(self, conversation_id: str | None = None) -> list[str]:
        return [c.text or "" for c in self.messages(conversation_id)]

    def created_conversations(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == "/v3/conversations"]

    def clear(self) -> None:
        self.calls.clear()

    # --- the server ------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        call = Call(request.method, request.path, dict(request.query), body, dict(request.headers))
        self.calls.append(call)
        fault = self._take_fault(call)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status == 0:
                raise ConnectionResetError("fault injected: connection dropped")
            return web.json_response(
                {"error": {"code": "Injected", "message": "fault"}},
                status=fault.status,
                headers=fault.headers,
            )
        return await self._answer(call)

    def _take_fault(self, call: Call) -> Fault | None:
        for fault in self.faults:
            if (
                fault.times > 0
                and fault.pattern.search(call.path)
                and (fault.method is None or fault.method == call.method)
            ):
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
        if call.method in ("POST", "PUT") and "/activities" in path:
            return web.json_response(
                {"id": f"activity-{next(self._ids)}"}, status=200 if call.method == "PUT" else 201
            )
        return web.json_response({"error": {"code": "NotFound", "message": path}}, status=404)

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
