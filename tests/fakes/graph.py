"""A fake Microsoft Graph: an aiohttp server on 127.0.0.1 that records every call.

It serves what Mentorbot asks of Graph (users delta pages with `manager@delta`,
managers, mailbox settings with Windows zone names, JSON $batch, getSchedule, chats,
installedApps, events) from a small in-memory directory, and injects faults: 429 with
Retry-After, 403 (a permission missing), 404 (a deleted user) and 5xx, for the next N
matching calls, inside $batch too (a sub-request is matched by its own URL). With
`per_second` set it throttles like Graph does: past that many requests in a second,
429 with Retry-After.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from aiohttp import web
from aiohttp.test_utils import TestServer

PREFIX = "/v1.0"


@dataclass
class GraphUser:
    id: str
    department: str = ""
    job_title: str = ""
    office: str = ""
    language: str = "en-US"
    manager: str | None = None
    zone: str = "W. Europe Standard Time"  # Windows names, as Exchange stores them
    hours: tuple[str, str] = ("09:00:00.0000000", "17:00:00.0000000")
    days: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday")
    busy: list[tuple[str, str]] = field(default_factory=list)  # ISO UTC start, end
    deleted: bool = False
    mail: str = ""  # the SMTP address getSchedule and attendees name them by

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "department": self.department,
            "jobTitle": self.job_title,
            "officeLocation": self.office,
            "preferredLanguage": self.language,
        }
        if self.manager:
            body["manager@delta"] = [{"@odata.type": "#microsoft.graph.user", "id": self.manager}]
        return body

    def mailbox(self) -> dict[str, Any]:
        return {
            "timeZone": self.zone,
            "language": {"locale": self.language, "displayName": self.language},
            "workingHours": {
                "daysOfWeek": list(self.days),
                "startTime": self.hours[0],
                "endTime": self.hours[1],
                "timeZone": {"name": self.zone},
            },
        }


@dataclass
class Call:
    method: str
    path: str  # without /v1.0
    body: Any
    headers: dict[str, str]
    status: int = 0
    in_batch: bool = False


@dataclass
class Fault:
    pattern: re.Pattern[str]
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    method: str | None = None


class FakeGraph:
    def __init__(self, *, page_size: int = 200, per_second: int = 0) -> None:
        self.users: dict[str, GraphUser] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.page_size, self.per_second = page_size, per_second
        self.changed: set[str] = set()  # users changed since the last delta round began
        self.rounds = itertools.count(1)
        self.delta_marks: dict[str, set[str]] = {}
        self.snapshots: dict[str, list[str]] = {}
        self.chats: dict[str, dict[str, Any]] = {}
        self.installed: dict[str, list[str]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.recent: deque[float] = deque()
        self.server: TestServer | None = None

    # -- set-up ------------------------------------------------------------------------
    def add(self, user: GraphUser) -> GraphUser:
        self.users[user.id] = user
        self.changed.add(user.id)
        return user

    def change(self, aad_id: str, **fields: Any) -> None:
        user = self.users[aad_id]
        for name, value in fields.items():
            setattr(user, name, value)
        self.changed.add(aad_id)

    def fail(
        self,
        pattern: str,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.faults.append(Fault(re.compile(pattern), status, headers, times, method))

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}{PREFIX}"

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", PREFIX + "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    # -- what tests read ---------------------------------------------------------------
    def top_level(self, path_pattern: str = "") -> list[Call]:
        return [c for c in self.calls if not c.in_batch and re.search(path_pattern, c.path)]

    def sub_requests(self, path_pattern: str = "") -> list[Call]:
        return [c for c in self.calls if c.in_batch and re.search(path_pattern, c.path)]

    # -- serving -----------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        path = request.path_qs[len(PREFIX) :]
        call = Call(request.method, path, body, dict(request.headers))
        self.calls.append(call)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return self._respond(call, 401, _error("InvalidAuthenticationToken", "no token"))
        if self._throttled():
            return self._respond(
                call, 429, _error("TooManyRequests", "slow down"), {"Retry-After": "1"}
            )
        if path.startswith("/$batch") and request.method == "POST":
            return self._respond(call, 200, self._batch(body or {}))
        status, answer, headers = self._route(request.method, path, body)
        return self._respond(call, status, answer, headers)

    def _respond(
        self, call: Call, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        call.status = status
        if status == 204:
            return web.Response(status=204, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def _throttled(self) -> bool:
        if not self.per_second:
            return False
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.per_second:
            return True
        self.recent.append(now)
        return False

    def _batch(self, body: dict[str, Any]) -> dict[str, Any]:
        responses = []
        for item in body.get("requests") or []:
            url = "/" + str(item.get("url", "")).lstrip("/")
            call = Call(item.get("method", "GET"), url, item.get("body"), {}, in_batch=True)
            self.calls.append(call)
            status, answer, headers = self._route(call.method, url, call.body)
            call.status = status
            responses.append(
                {"id": item.get("id"), "status": status, "headers": headers or {}, "body": answer}
            )
        return {"responses": responses}

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        fault = self._fault(method, path)
        if fault is not None:
            return fault.status, _error(_code(fault.status), "injected"), dict(fault.headers)
        plain = unquote(urlsplit(path).path)
        for pattern, verb, handler in self._table():
            match = re.fullmatch(pattern, plain)
            if match and verb == method:
                return handler(path, body, *match.groups())
        return 404, _error("NotFound", f"no route {method} {plain}"), {}

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.pattern.search(path) and fault.method in (None, method):
                fault.times -= 1
                return fault
        return None

    def _table(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/users/delta", "GET", self._delta),
            (r"/users/([^/]+)/manager", "GET", self._manager),
            (r"/users/([^/]+)", "GET", self._get_user),
            (r"/users/([^/]+)/mailboxSettings", "GET", self._mailbox),
            (r"/users/([^/]+)/calendar/getSchedule", "POST", self._schedule),
            (r"/users/([^/]+)/events", "POST", self._create_event),
            (r"/users/([^/]+)/events/([^/]+)", "PATCH", self._update_event),
            (r"/users/([^/]+)/events/([^/]+)", "DELETE", self._delete_event),
            (r"/chats", "POST", self._create_chat),
            (r"/chats/([^/]+)/installedApps", "POST", self._install_app),
        ]

    def _user(self, aad_id: str) -> GraphUser | None:
        user = self.users.get(aad_id)
        return None if user is None or user.deleted else user

    def _delta(self, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        """A round: every user (first round) or those changed since the last delta link,
        in pages; changes made during a round go to the next one."""
        query = parse_qs(urlsplit(path).query)
        if "$skiptoken" in query:
            mark, offset_text = query["$skiptoken"][0].split(":", 1)
            ids, offset = self.snapshots.get(mark), int(offset_text)
            if ids is None:
                return 410, _error("SyncStateNotFound", "resync"), {}
        else:
            if "$deltatoken" in query:
                tracked = self.delta_marks.pop(query["$deltatoken"][0], None)
                if tracked is None:
                    return 410, _error("SyncStateNotFound", "resync"), {}
                ids = sorted(tracked)
            else:
                ids = sorted(self.users)
            self.changed = set()
            mark, offset = f"s{next(self.rounds)}", 0
            self.snapshots[mark] = ids
        value = [self._delta_item(i) for i in ids[offset : offset + self.page_size]]
        answer: dict[str, Any] = {"value": value}
        base = f"{self.base_url}/users/delta"
        if offset + self.page_size < len(ids):
            answer["@odata.nextLink"] = f"{base}?$skiptoken={mark}:{offset + self.page_size}"
        else:
            token = f"d{next(self.rounds)}"
            self.delta_marks[token] = self.changed
            answer["@odata.deltaLink"] = f"{base}?$deltatoken={token}"
        return 200, answer, {}

    def _delta_item(self, aad_id: str) -> dict[str, Any]:
        user = self.users[aad_id]
        if user.deleted:
            return {"id": aad_id, "@removed": {"reason": "changed"}}
        return user.json()

    def _get_user(self, path: str, body: Any, aad_id: str) -> tuple[int, Any, dict[str, str]]:
        user = self._user(aad_id)
        if user is None:
            return 404, _error("Request_ResourceNotFound", "no such user"), {}
        answer = {k: v for k, v in user.json().items() if k != "manager@delta"}
        if "$expand=manager" in unquote(path) and user.manager:
            answer["manager"] = {"@odata.type": "#microsoft.graph.user", "id": user.manager}
        return 200, answer, {}

    def _manager(self, path: str, body: Any, aad_id: str) -> tuple[int, Any, dict[str, str]]:
        user = self._user(aad_id)
        if user is None:
            return 404, _error("Request_ResourceNotFound", "no such user"), {}
        if not user.manager:
            return 404, _error("Request_ResourceNotFound", "no manager"), {}
        return 200, {"@odata.type": "#microsoft.graph.user", "id": user.manager}, {}

    def _mailbox(self, path: str, body: Any, aad_id: str) -> tuple[int, Any, dict[str, str]]:
        user = self._user(aad_id)
        if user is None:
            return 404, _error("ErrorItemNotFound", "no such user"), {}
        return 200, user.mailbox(), {}

    def _schedule(self, path: str, body: Any, organizer: str) -> tuple[int, Any, dict[str, str]]:
        value = []
        # msgraph-sdk writes this body's names in PascalCase; Graph reads either.
        fields = {str(k).lower(): v for k, v in (body or {}).items()}
        for who in fields.get("schedules") or []:
            user = self._by_address(who)
            items = [
                {
                    "status": "busy",
                    "start": {"dateTime": s, "timeZone": "UTC"},
                    "end": {"dateTime": e, "timeZone": "UTC"},
                }
                for s, e in (user.busy if user else [])
            ]
            value.append({"scheduleId": who, "scheduleItems": items})
        return 200, {"value": value}, {}

    def _by_address(self, address: str) -> GraphUser | None:
        found = [u for u in self.users.values() if address.lower() in (u.mail.lower(), u.id)]
        return self._user(found[0].id) if found else None

    def _create_chat(self, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        chat_id = f"19:chat{next(self.ids)}@thread.v2"
        self.chats[chat_id] = body or {}
        return 201, {"id": chat_id, "chatType": "group", "topic": (body or {}).get("topic")}, {}

    def _install_app(self, path: str, body: Any, chat_id: str) -> tuple[int, Any, dict[str, str]]:
        if chat_id not in self.chats:
            return 404, _error("NotFound", "no such chat"), {}
        self.installed.setdefault(chat_id, []).append((body or {}).get("teamsApp@odata.bind", ""))
        return 201, {"id": f"app{next(self.ids)}"}, {}

    def _create_event(
        self, path: str, body: Any, organizer: str
    ) -> tuple[int, Any, dict[str, str]]:
        key = (body or {}).get("transactionId")
        for known_id, known in self.events.items():
            if key and known.get("transactionId") == key and known["organizer"] == organizer:
                return 201, {"id": known_id, **known}, {}  # Graph's idempotent create
        event_id = f"ev{next(self.ids)}"
        self.events[event_id] = {"organizer": organizer, **(body or {})}
        return 201, {"id": event_id, **(body or {})}, {}

    def _update_event(
        self, path: str, body: Any, organizer: str, event_id: str
    ) -> tuple[int, Any, dict[str, str]]:
        if event_id not in self.events:
            return 404, _error("ErrorItemNotFound", "no such event"), {}
        self.events[event_id].update(body or {})
        return 200, {"id": event_id, **self.events[event_id]}, {}

    def _delete_event(
        self, path: str, body: Any, organizer: str, event_id: str
    ) -> tuple[int, Any, dict[str, str]]:
        if self.events.pop(event_id, None) is None:
            return 404, _error("ErrorItemNotFound", "no such event"), {}
        return 204, None, {}


def _code(status: int) -> str:
    return {
        403: "Authorization_RequestDenied",
        404: "Request_ResourceNotFound",
        429: "TooManyRequests",
    }.get(status, "ServiceUnavailable")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
