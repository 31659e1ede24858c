"""The Graph port (dialogs/core/graph.py) on msgraph-sdk, with the app's own credential.

msgraph-sdk's request adapter does the authentication (azure-identity), the HTTP and its
retry middleware, which honours Retry-After on 429/503/504 for a whole request. Delta
pages and JSON $batch go through the same adapter as plain JSON: their annotations
(`manager@delta`, `@removed`) and sub-responses are read here, and the sub-requests a
batch answered with 429/503/504 are sent again on their own (after the longest
Retry-After they carried), so one throttled user never costs the other nineteen a retry.
Requests are paced to `requests_per_second` so a big install stays under the tenant's
limit instead of running into it.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import asyncio
import json
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken
from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.aad_user_conversation_member import AadUserConversationMember
from msgraph.generated.models.attendee import Attendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.chat import Chat
from msgraph.generated.models.chat_type import ChatType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.day_of_week import DayOfWeek
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
from msgraph.generated.models.patterned_recurrence import PatternedRecurrence
from msgraph.generated.models.recurrence_pattern import RecurrencePattern
from msgraph.generated.models.recurrence_pattern_type import RecurrencePatternType
from msgraph.generated.models.recurrence_range import RecurrenceRange
from msgraph.generated.models.recurrence_range_type import RecurrenceRangeType
from msgraph.generated.models.teams_app_installation import TeamsAppInstallation
from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_request_body import (
    GetSchedulePostRequestBody,
)

from dialogs.core.graph import (
    BATCH_SIZE,
    Batched,
    Busy,
    DeltaPage,
    DirectoryUser,
    EventDraft,
    GraphError,
    Mailbox,
    WorkingHours,
)
from dialogs.core.local_time import iana_zone
from settings import GraphSettings

SCOPES = ["https://graph.microsoft.com/.default"]
RETRY_STATUSES = frozenset({429, 503, 504})
USER_SELECT = "id,department,jobTitle,officeLocation,preferredLanguage"
DELTA_SELECT = USER_SELECT + ",manager"
ERRORS: dict[str, Any] = {"XXX": ODataError}
MAX_BATCH_ROUNDS = 6


class GraphClient:
    """The Graph port. `adapter` is msgraph-sdk's request adapter (its base URL set)."""

    def __init__(
        self, adapter: GraphRequestAdapter, *, requests_per_second: float = 20.0, credential=None
    ) -> None:
        self.adapter, self.sdk = adapter, GraphServiceClient(request_adapter=adapter)
        self.base_url = adapter.base_url.rstrip("/")
        self.pace = Pace(requests_per_second)
        self.credential = credential
        self.requests = 0  # HTTP requests sent (the SDK's own retries not counted)

    async def users_delta(self, link: str | None) -> DeltaPage:
        url = link or f"{self.base_url}/users/delta?$select={DELTA_SELECT}"
        page = await self._json(Method.GET, url, feature="directory")
        users = tuple(_directory_user(v) for v in page.get("value") or [] if _has_id(v))
        return DeltaPage(users, page.get("@odata.nextLink"), page.get("@odata.deltaLink"))

    async def manager(self, aad_id: str) -> str | None:
        try:
            await self.pace.wait()
            found = await self.sdk.users.by_user_id(aad_id).manager.get()
        except APIError as exc:
            if exc.response_status_code == 404:
                return None  # no manager
            raise _error(exc, "directory") from exc
        return found.id if found is not None else None

    async def mailbox_settings(self, aad_id: str) -> Mailbox:
        return _mailbox(await self._json(Method.GET, _mailbox_path(aad_id), feature="mailbox"))

    async def mailboxes(self, aad_ids: Sequence[str]) -> Batched[Mailbox]:
        paths = {a: _mailbox_path(a) for a in aad_ids}
        found, failed = await self._batched(paths, "mailbox")
        return Batched({a: _mailbox(body) for a, body in found.items()}, failed)

    async def directory_users(self, aad_ids: Sequence[str]) -> Batched[DirectoryUser]:
        """Members the delta rounds did not describe (joined a team later)."""
        paths = {
            a: f"/users/{a}?$select={USER_SELECT}&$expand=manager($select=id)" for a in aad_ids
        }
        found, failed = await self._batched(paths, "directory")
        return Batched({a: _listed_user(a, body) for a, body in found.items()}, failed)

    async def _batched(
        self, paths: dict[str, str], feature: str
    ) -> tuple[dict[str, dict[str, Any]], dict[str, GraphError]]:
        """Every path, 20 a $batch. Sub-requests answered 429/503/504 are collected and
        sent again together (only they) after the longest Retry-After among them."""
        found: dict[str, dict[str, Any]] = {}
        failed: dict[str, GraphError] = {}
        pending = list(paths)
        for _ in range(MAX_BATCH_ROUNDS):
            again: list[str] = []
            wait = 0.0
            for i in range(0, len(pending), BATCH_SIZE):
                chunk = pending[i : i + BATCH_SIZE]
                throttled, delay = await self._one_batch(chunk, paths, feature, found, failed)
                again += throttled
                wait = max(wait, delay)
            if not again:
                return found, failed
            pending = again
            await asyncio.sleep(wait)
        for key in pending:
            failed[key] = GraphError(429, "still throttled", feature=feature)
        return found, failed

    async def _one_batch(
        self,
        keys: list[str],
        paths: dict[str, str],
        feature: str,
        found: dict[str, dict[str, Any]],
        failed: dict[str, GraphError],
    ) -> tuple[list[str], float]:
        """One $batch; returns the keys to ask again and how long to wait first."""
        asked = {str(n): key for n, key in enumerate(keys)}
        requests = [{"id": n, "method": "GET", "url": paths[k]} for n, k in asked.items()]
        answer = await self._json(
            Method.POST, f"{self.base_url}/$batch", {"requests": requests}, feature=feature
        )
        again, wait = [], 0.0
        for item in answer.get("responses") or []:
            key, status = asked.pop(str(item.get("id")), None), int(item.get("status") or 0)
            if key is None:
                continue
            if status in RETRY_STATUSES:
                again.append(key)
                wait = max(wait, _retry_after(item.get("headers") or {}))
            elif 200 <= status < 300:
                found[key] = item.get("body") or {}
            else:
                failed[key] = GraphError(status, _message(item), feature=feature)
        return again + list(asked.values()), wait  # unanswered ones too

    async def create_chat(self, member_aad_ids: Sequence[str], topic: str) -> str:
        chat = Chat(
            chat_type=ChatType.Group, topic=topic, members=[_member(a) for a in member_aad_ids]
        )
        made = await self._sdk("chats", self.sdk.chats.post(chat))
        return str(made.id)

    async def install_app_in_chat(self, chat_id: str, teams_app_id: str) -> None:
        install = TeamsAppInstallation(
            additional_data={
                "teamsApp@odata.bind": f"{self.base_url}/appCatalogs/teamsApps/{teams_app_id}"
            }
        )
        await self._sdk("chat_app", self.sdk.chats.by_chat_id(chat_id).installed_apps.post(install))

    async def get_schedule(
        self, organizer: str, people: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[Busy]]:
        body = GetSchedulePostRequestBody(
            schedules=list(people),
            start_time=_when(start),
            end_time=_when(end),
            availability_view_interval=30,
        )
        call = self.sdk.users.by_user_id(organizer).calendar.get_schedule.post(body)
        answer = await self._sdk("schedule", call)
        busy: dict[str, list[Busy]] = {p: [] for p in people}
        for info in (answer.value if answer else None) or []:
            busy[str(info.schedule_id)] = [_busy(i) for i in info.schedule_items or []]
        return busy

    async def create_event(self, organizer: str, draft: EventDraft) -> str:
        call = self.sdk.users.by_user_id(organizer).events.post(_event(draft))
        made = await self._sdk("events", call)
        return str(made.id)

    async def update_event(self, organizer: str, event_id: str, draft: EventDraft) -> None:
        call = (
            self.sdk.users.by_user_id(organizer).events.by_event_id(event_id).patch(_event(draft))
        )
        await self._sdk("events", call)

    async def delete_event(self, organizer: str, event_id: str) -> None:
        call = self.sdk.users.by_user_id(organizer).events.by_event_id(event_id).delete()
        await self._sdk("events", call)

    async def close(self) -> None:
        client = getattr(self.adapter, "_http_client", None)
        if client is not None:
            await client.aclose()
        close = getattr(self.credential, "close", None)
        if close is not None:
            await close()

    async def _sdk(self, feature: str, call: Any) -> Any:
        await self.pace.wait()
        self.requests += 1
        try:
            return await call
        except APIError as exc:
            raise _error(exc, feature) from exc

    async def _json(
        self, method: Method, url: str, body: Any = None, *, feature: str
    ) -> dict[str, Any]:
        info = RequestInformation(method)
        info.url = url if "://" in url else f"{self.base_url}{url}"
        if body is not None:
            info.set_stream_content(json.dumps(body).encode(), "application/json")
        info.headers.try_add("Accept", "application/json")
        await self.pace.wait()
        self.requests += 1
        try:
            raw = await self.adapter.send_primitive_async(info, "bytes", ERRORS)
        except APIError as exc:
            raise _error(exc, feature) from exc
        return json.loads(raw) if raw else {}


class Pace:
    """At most `per_second` requests in any second (0: no pacing)."""

    def __init__(self, per_second: float) -> None:
        self.limit = int(per_second)
        self.sent: deque[float] = deque()

    async def wait(self) -> None:
        if self.limit <= 0:
            return
        while True:
            now = time.monotonic()
            while self.sent and now - self.sent[0] >= 1.0:
                self.sent.popleft()
            if len(self.sent) < self.limit:
                self.sent.append(now)
                return
            await asyncio.sleep(1.0 - (now - self.sent[0]) + 0.001)


def build(settings: GraphSettings, *, credential: Any = None) -> GraphClient:
    """The client for these settings; `credential` replaces the configured one (tests)."""
    credential = credential if credential is not None else make_credential(settings)
    host = urlsplit(settings.base_url).hostname or "graph.microsoft.com"
    auth = AzureIdentityAuthenticationProvider(credential, scopes=SCOPES, allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = settings.base_url.rstrip("/")
    return GraphClient(
        adapter, requests_per_second=settings.requests_per_second, credential=credential
    )


def make_credential(settings: GraphSettings) -> Any:
    """The app's own credential: client secret, certificate or managed identity."""
    from azure.identity.aio import (
        CertificateCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
    )

    if settings.credential == "secret":
        return ClientSecretCredential(settings.tenant_id, settings.client_id, settings.secret)
    if settings.credential == "certificate":
        return CertificateCredential(
            settings.tenant_id, settings.client_id, certificate_path=settings.certificate_path
        )
    return ManagedIdentityCredential(client_id=settings.client_id or None)


class StaticCredential:
    """A credential that hands out one fixed token (tests and the benchmark)."""

    def __init__(self, token: str = "test-token") -> None:
        self.token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None


def _error(exc: APIError, feature: str) -> GraphError:
    status = int(exc.response_status_code or 0)
    detail = getattr(getattr(exc, "error", None), "message", None) or exc.message or ""
    return GraphError(status, str(detail)[:300], feature=feature)


def _has_id(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str) and bool(value["id"])


def _directory_user(value: dict[str, Any]) -> DirectoryUser:
    if "@removed" in value:
        return DirectoryUser(value["id"], removed=True)
    return DirectoryUser(
        value["id"],
        department=_text(value, "department"),
        job_title=_text(value, "jobTitle"),
        office=_text(value, "officeLocation"),
        language=_text(value, "preferredLanguage"),
        manager_aad_id=_manager_of(value),
    )


def _listed_user(aad_id: str, value: dict[str, Any]) -> DirectoryUser:
    manager = value.get("manager")
    return DirectoryUser(
        aad_id,
        department=_text(value, "department") or "",
        job_title=_text(value, "jobTitle") or "",
        office=_text(value, "officeLocation") or "",
        language=_text(value, "preferredLanguage") or "",
        manager_aad_id=manager.get("id", "") if isinstance(manager, dict) else "",
    )


def _text(value: dict[str, Any], name: str) -> str | None:
    if name not in value:
        return None  # not in this page: unchanged
    found = value[name]
    return found.strip() if isinstance(found, str) else ""


def _manager_of(value: dict[str, Any]) -> str | None:
    links = value.get("manager@delta")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and isinstance(link.get("id"), str):
            return "" if "@removed" in link else link["id"]
    return ""


def _mailbox_path(aad_id: str) -> str:
    return f"/users/{aad_id}/mailboxSettings"


def _mailbox(body: dict[str, Any]) -> Mailbox:
    zone = iana_zone(body.get("timeZone"))
    language = (
        (body.get("language") or {}).get("locale")
        if isinstance(body.get("language"), dict)
        else None
    )
    return Mailbox(zone, language or None, _hours(body.get("workingHours"), zone))


def _hours(value: Any, fallback: str | None) -> WorkingHours | None:
    if not isinstance(value, dict) or not value.get("startTime") or not value.get("endTime"):
        return None
    zone_name = (
        (value.get("timeZone") or {}).get("name")
        if isinstance(value.get("timeZone"), dict)
        else None
    )
    days = tuple(str(d).lower() for d in value.get("daysOfWeek") or [])
    return WorkingHours(
        days,
        str(value["startTime"])[:5],
        str(value["endTime"])[:5],
        iana_zone(zone_name) or fallback,
    )


def _retry_after(headers: dict[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return min(max(float(value), 0.0), 120.0)
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def _message(item: dict[str, Any]) -> str:
    error = (item.get("body") or {}).get("error") if isinstance(item.get("body"), dict) else None
    return str((error or {}).get("message") or f"status {item.get('status')}")[:300]


def _member(aad_id: str) -> AadUserConversationMember:
    return AadUserConversationMember(
        odata_type="#microsoft.graph.aadUserConversationMember",
        roles=["owner"],
        additional_data={"user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{aad_id}')"},
    )


def _when(moment: datetime) -> DateTimeTimeZone:
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return DateTimeTimeZone(date_time=utc.isoformat(timespec="seconds"), time_zone="UTC")


def _busy(item: Any) -> Busy:
    return Busy(_moment(item.start), _moment(item.end))


def _moment(value: Any) -> datetime:
    text = str(value.date_time).split(".")[0]
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _event(draft: EventDraft) -> Event:
    return Event(
        subject=draft.subject,
        body=ItemBody(content_type=BodyType.Text, content=draft.body),
        start=_when(draft.start),
        end=_when(draft.end),
        attendees=[
            Attendee(email_address=EmailAddress(address=a), type=AttendeeType.Required)
            for a in draft.attendees
        ],
        is_online_meeting=True,
        online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
        transaction_id=draft.transaction_id or None,
        recurrence=_recurrence(draft),
    )


def _recurrence(draft: EventDraft) -> PatternedRecurrence | None:
    """The series at the pair's cadence, in UTC like the event's start (same weekday)."""
    if not draft.recurrence:
        return None
    start = draft.start.astimezone(UTC)
    if draft.recurrence == "monthly":
        pattern = RecurrencePattern(
            type=RecurrencePatternType.AbsoluteMonthly, interval=1, day_of_month=start.day
        )
    else:
        pattern = RecurrencePattern(
            type=RecurrencePatternType.Weekly,
            interval=2 if draft.recurrence == "biweekly" else 1,
            days_of_week=[DayOfWeek(start.strftime("%A").lower())],
        )
    until = draft.until if draft.until and draft.until >= start.date() else None
    span = RecurrenceRange(
        type=RecurrenceRangeType.EndDate if until else RecurrenceRangeType.NoEnd,
        start_date=start.date(),
        end_date=until,
    )
    return PatternedRecurrence(pattern=pattern, range=span)
