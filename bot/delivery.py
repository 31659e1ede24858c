"""The delivery worker: drains the outbox into Teams, within Teams' rate limits.

Each row is claimed (pending -> sending, with this worker's id and a lease) before it
is sent, and its outcome is written back afterwards. The row's idempotency key travels
as the activity id, so a send whose outcome was lost (a crash, a timeout) is repeated
with the same id. See docs/architecture.md for the guarantee this gives and why.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import aiohttp

from bot.connector_rest import ConnectorError, ConnectorRest
from bot.ratelimit import TeamsLimits
from bot.session import SharedSession
from bot.tenant_leases import TenantLeases
from bot.tokens import OutgoingTokens, TokenUnavailable
from dialogs.core.cards import summary as card_summary
from dialogs.core.errors import report
from dialogs.core.outbox import Message
from settings import DeliverySettings
from storage import Database
from storage.models import OutboxMessage, Team, User
from storage.repos import Outcome

log = logging.getLogger("mentorbot.delivery")
RETRY_STATUSES = frozenset({412, 429, 502, 503, 504})
UNREACHABLE_STATUSES = frozenset({403, 404})
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
FLUSH_EVERY = 0.05  # seconds: outcomes are written in small batches...
FLUSH_BATCH = 32  # ...of at most this many rows (what a crash could leave unrecorded)
SPACING_POLL_SECONDS = 5.0  # how soon to look again while the message to space from is out
WallClock = Callable[[], datetime]


class Observer:
    """What the worker tells metrics and logs (bot/metrics.py gives the real one)."""

    def outcome(self, row: OutboxMessage, outcome: Outcome) -> None: ...

    def throttled(self) -> None: ...


class Retry(Exception):
    """Try again later: after `delay` seconds (Retry-After) or the backoff."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class Fail(Exception):
    """Do not try again; the row is marked failed with this reason."""

    def __init__(self, reason: str, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


@dataclass
class Target:
    conversation_id: str
    service_url: str
    tenant_id: str
    bot: dict[str, Any] | None
    user: dict[str, Any] | None = None
    created_ref: str | None = None  # a 1:1 chat opened for this send
    one_on_one: bool = False

    @property
    def limit_key(self) -> str:
        """What Teams' per-conversation limits count: a channel's threads count as it."""
        return self.conversation_id.split(";", 1)[0]


@dataclass
class Claimed:
    row: OutboxMessage
    message: Message  # what the row holds, in the one format dialogs write
    user: User | None
    team: Team | None
    # Earlier messages this one names by key ("update", "thread_of", "after").
    related: dict[str, OutboxMessage] = field(default_factory=dict)

    def refers(self, key: str | None) -> OutboxMessage | None:
        return self.related.get(key) if key else None

    @property
    def original(self) -> OutboxMessage | None:
        """For updates: the message being updated."""
        return self.refers(self.message.update)


@dataclass
class Pending:
    """Outcomes waiting to be written (in one transaction, every FLUSH_EVERY seconds)."""

    outcomes: list[Outcome] = field(default_factory=list)
    since: float = 0.0


class Sdk(Protocol):
    """What the outbox takes from the SDK's side (bot/edge.py's SdkEdge): the shared
    session, the bot's tokens, and the CloudAdapter, which loads the SDK when first
    asked for (for the credentials of a service URL)."""

    http: SharedSession
    tokens: OutgoingTokens

    def adapter(self) -> Any: ...


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        sdk: Sdk,
        app_id: str,
        config: DeliverySettings,
        wall_clock: WallClock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        observer: Observer | None = None,
    ) -> None:
        self.db, self.sdk, self.app_id, self.config = db, sdk, app_id, config
        self.wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self.monotonic = monotonic
        self.worker_id = uuid.uuid4().hex
        self.limits = TeamsLimits(config.conversation_limits, config.tenant_per_second)
        self.leases = TenantLeases(self.worker_id, config, monotonic)
        self.observer = observer or Observer()
        self.rest = ConnectorRest(sdk.http, self._credentials, config.timeout_seconds, sdk.tokens)
        self._http_slots = asyncio.Semaphore(config.concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pending = Pending()
        self._inflight: set[asyncio.Task[None]] = set()

    # --- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mentorbot-delivery")

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace: float = 0.0) -> None:
        """Stop claiming; let sends under way finish for up to `grace` seconds; record
        their outcomes; hand back what is still claimed (rows and tenants)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inflight and grace > 0:
            await asyncio.wait(list(self._inflight), timeout=grace)
        for task in self._inflight:
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        await self._flush()
        await self._hand_back()

    async def _hand_back(self) -> None:
        try:
            async with self.db.unit() as repos:
                rows = await repos.outbox.release_mine(self.worker_id)
                await self.leases.hand_back(repos, self.wall_clock())
        except Exception as exc:  # the leases run out anyway; another replica takes over
            report("delivery", exc, worker=self.worker_id, stage="hand back")
            return
        if rows:
            log.info("handed back %d claimed message(s) at shutdown", rows)

    def wake(self) -> None:
        self._wake.set()

    # --- the loop -----------------------------------------------------------------
    async def _run(self) -> None:
        next_recovery = next_renewal = next_tenants = 0.0
        while True:
            try:
                if self.monotonic() >= next_tenants:
                    await self._renew_tenants()
                    next_tenants = self.monotonic() + self.leases.renew_every
                if self.monotonic() >= next_recovery:
                    await self._recover()
                    self.limits.prune(self.monotonic())  # bounded by what is recent
                    next_recovery = self.monotonic() + self.config.lease_seconds / 2
                if self._inflight and self.monotonic() >= next_renewal:
                    # Rows can wait in the rate limiter longer than a lease; keep them.
                    await self._renew()
                    next_renewal = self.monotonic() + self.config.lease_seconds / 3
                await self._fill()
                await self._wait()
                await self._flush(force=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no fault may stop the worker
                report("delivery", exc, worker=self.worker_id)
                await asyncio.sleep(self.config.poll_seconds)

    async def _fill(self) -> None:
        # Rows claimed but not yet recorded (in flight, or sent and waiting for the flush):
        # bounding both bounds what a crash can send twice.
        room = self.config.concurrency * 2 - len(self._inflight) - len(self._pending.outcomes)
        if room < self.config.concurrency:
            return  # claim in batches (half the window), not one row per finished send
        for claimed in await self._claim(room):
            task = asyncio.create_task(self._deliver(claimed))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _wait(self) -> None:
        """Until a send finishes, something new is queued, or it is time to poll."""
        timeout = (
            FLUSH_EVERY if self._inflight or self._pending.outcomes else await self._idle_seconds()
        )
        waiters = [asyncio.ensure_future(self._wake.wait()), *self._inflight]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiters[0].cancel()
        self._wake.clear()

    async def _idle_seconds(self) -> float:
        """Poll interval, or sooner when a retry comes due before it."""
        async with self.db.unit() as repos:
            due = await repos.outbox.next_retry_at()
        if due is None:
            return self.config.poll_seconds
        seconds = (due - self.wall_clock()).total_seconds()
        return min(max(seconds, 0.0), self.config.poll_seconds)

    # --- claims and outcomes ------------------------------------------------------
    async def _recover(self) -> None:
        async with self.db.unit() as repos:
            count = await repos.outbox.release_expired(self.wall_clock(), self.worker_id)
        if count:
            log.warning("took over %d message(s) whose worker stopped mid-send", count)

    async def _renew_tenants(self) -> None:
        async with self.db.unit() as repos:
            await self.leases.renew(repos, self.wall_clock())

    async def _renew(self) -> None:
        lease = self.wall_clock() + timedelta(seconds=self.config.lease_seconds)
        async with self.db.unit() as repos:
            await repos.outbox.renew(self.worker_id, lease)

    async def _claim(self, limit: int) -> list[Claimed]:
        now = self.wall_clock()
        lease = now + timedelta(seconds=self.config.lease_seconds)
        async with self.db.unit() as repos:
            tenants = self.leases.usable(now)
            rows = await repos.outbox.claim_due(self.worker_id, now, lease, limit, tenants)
            if len(rows) < limit and self.leases.should_look(bool(tenants)):
                more = await self.leases.acquire(repos, now)  # tenants nobody drains
                rows += await repos.outbox.claim_due(
                    self.worker_id, now, lease, limit - len(rows), more
                )
            messages = {r.id: Message.of_row(r) for r in rows}
            users = await repos.users.by_ids({r.user_id for r in rows if r.user_id})
            teams = await repos.teams.by_ids({r.team_id for r in rows if r.team_id})
            related = await repos.outbox.by_keys(
                {key for m in messages.values() for key in m.references()}
            )
            # Too soon after the message they are spaced from: back before anyone sees
            # them claimed (a dialog may still give a waiting row newer content).
            waiting = {r.id: t for r in rows if (t := _spaced_until(messages[r.id], related, now))}
            if waiting:
                await repos.outbox.defer(self.worker_id, waiting)
        for row in rows:
            if row.id not in waiting:
                self.leases.began(row.tenant_id)
        return [
            Claimed(
                row,
                messages[row.id],
                users.get(row.user_id or 0),
                teams.get(row.team_id or 0),
                related,
            )
            for row in rows
            if row.id not in waiting
        ]

    def _record(self, outcome: Outcome, row: OutboxMessage) -> None:
        self.leases.ended(row.tenant_id)
        self.observer.outcome(row, outcome)
        if not self._pending.outcomes:
            self._pending.since = self.monotonic()
        self._pending.outcomes.append(outcome)

    async def _flush(self, force: bool = True) -> None:
        pending = self._pending
        if not pending.outcomes:
            return
        if (
            not force
            and self.monotonic() - pending.since < FLUSH_EVERY
            and len(pending.outcomes) < FLUSH_BATCH
        ):
            return
        self._pending = Pending()
        async with self.db.unit() as repos:
            await repos.outbox.apply(self.worker_id, pending.outcomes)

    # --- one message --------------------------------------------------------------
    async def _deliver(self, claimed: Claimed) -> None:
        row = claimed.row
        try:
            target, activity_id = await self._attempt(claimed)
        except Retry as retry:
            self._record(self._retry_or_fail(row, retry), row)
        except Fail as fail:
            self._record(
                Outcome(
                    row.id,
                    "failed",
                    error=str(fail),
                    unreachable_user=row.user_id if fail.unreachable else None,
                    at=self.wall_clock(),
                ),
                row,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an unknown fault: retried, then failed
            report("delivery", exc, message=row.id)
            self._record(self._retry_or_fail(row, Retry(f"{exc.__class__.__name__}: {exc}")), row)
        else:
            self._record(
                Outcome(
                    row.id,
                    "sent",
                    activity_id=activity_id,
                    conversation_id=target.conversation_id,
                    personal_ref=target.created_ref,
                    ref_user=row.user_id if target.created_ref else None,
                    at=self.wall_clock(),
                ),
                row,
            )

    def _retry_or_fail(self, row: OutboxMessage, retry: Retry) -> Outcome:
        if row.attempts >= self.config.max_attempts:
            return Outcome(
                row.id,
                "failed",
                at=self.wall_clock(),
                error=f"gave up after {row.attempts} tries: {retry}",
            )
        delay = retry.delay if retry.delay is not None else self._backoff(row.attempts)
        return Outcome(
            row.id,
            "pending",
            error=str(retry),
            at=self.wall_clock(),
            not_before=self.wall_clock() + timedelta(seconds=delay),
        )

    def _backoff(self, attempts: int) -> float:
        # Exponential with full jitter: spreads a burst of retries over the window.
        ceiling = self.config.backoff_seconds * (2 ** max(attempts - 1, 0))
        return random.uniform(ceiling / 2, ceiling)

    async def _attempt(self, claimed: Claimed) -> tuple[Target, str | None]:
        if not self.leases.may_send(claimed.row.tenant_id, self.wall_clock()):
            # Our lease could not be renewed (database away): a successor may take the
            # tenant soon, so send nothing that could land in its windows.
            raise Retry("this worker's lease on the tenant is running out", 0.0)
        message = claimed.message
        service_url = self._service_url(claimed)
        if message.update:
            return await self._update(claimed)
        target = await self._target(claimed, service_url)
        if message.thread_of:
            target.conversation_id = _thread(claimed.refers(message.thread_of))
        activity = _activity(message, target, claimed.row.idempotency_key)
        answer = await self._call(
            target, lambda: self.rest.send(target.service_url, target.conversation_id, activity)
        )
        return target, answer.get("id")

    async def _update(self, claimed: Claimed) -> tuple[Target, str | None]:
        original = claimed.original
        if original is None:
            raise Fail("the message to update was never queued")
        if original.status != "sent" or not original.activity_id:
            raise Retry("the message to update is not sent yet")
        activity_id = original.activity_id
        if Message.of_row(original).to == "team" and claimed.team is not None:
            target = _team_target(claimed.team)
        else:
            target = await self._target(claimed, self._service_url(claimed))
        target.conversation_id = original.conversation_id or target.conversation_id
        activity = _activity(claimed.message, target, activity_id)
        await self._call(
            target,
            lambda: self.rest.update(
                target.service_url, target.conversation_id, activity_id, activity
            ),
        )
        return target, activity_id

    async def _target(self, claimed: Claimed, service_url: str) -> Target:
        message, user, team = claimed.message, claimed.user, claimed.team
        if message.to == "team":
            if team is None or not team.active:
                raise Fail("the team is gone or removed the app")
            target = _team_target(team)
            if message.channel:
                # Another channel of the team: same service URL, bot and tenant.
                target.conversation_id = message.channel
            return target
        if user is None or not user.teams_id:
            raise Fail("the recipient deleted their data or is unknown")
        if user.unreachable_at is not None:
            raise Fail(
                "the recipient is unreachable (removed or blocked the app)", unreachable=True
            )
        if user.personal_ref:
            return _ref_target(user.personal_ref, user.tenant_id, one_on_one=True)
        return await self._open_chat(user, team, service_url)

    async def _open_chat(self, user: User, team: Team | None, service_url: str) -> Target:
        """First 1:1 message to someone who never wrote: create the chat (tenant id)."""
        if team is None:
            raise Fail("no team to reach this user through")
        bot = json.loads(team.general_ref).get("bot")
        tenant = user.tenant_id or team.tenant_id or "-"
        member = {"id": user.teams_id, "name": user.name}
        parameters = {
            "isGroup": False,
            "bot": bot,
            "members": [member],
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        probe = Target(f"create:{user.teams_id}", service_url, tenant, bot, member, one_on_one=True)
        created = await self._call(
            probe, lambda: self.rest.create_conversation(service_url, parameters)
        )
        if not created.get("id"):
            raise Retry("Teams did not return the new chat's id")
        service_url = created.get("serviceUrl") or service_url
        target = Target(created["id"], service_url, tenant, bot, member, one_on_one=True)
        target.created_ref = json.dumps(
            {
                "bot": bot,
                "user": member,
                "conversation": {
                    "id": created["id"],
                    "conversationType": "personal",
                    "tenantId": tenant,
                },
                "channelId": "msteams",
                "serviceUrl": service_url,
            }
        )
        return target

    async def _call(
        self, target: Target, send: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        await self._take_slot(target)
        try:
            async with self._http_slots:
                return await send()
        except ConnectorError as exc:
            raise self._classify(exc, target) from None
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            # The connector may have acted on it; the same id goes again.
            raise Retry(f"no answer from Teams ({exc.__class__.__name__})") from None
        except TokenUnavailable as exc:
            raise Retry(str(exc)) from None
        finally:
            self.limits.end(target.limit_key, target.tenant_id, self.monotonic())

    async def _take_slot(self, target: Target) -> None:
        while True:
            now = self.monotonic()
            wait = self.limits.wait_time(target.limit_key, target.tenant_id, now)
            if wait <= 0:
                self.limits.begin(target.limit_key, target.tenant_id)
                return
            await asyncio.sleep(wait)

    def _classify(self, exc: ConnectorError, target: Target) -> Exception:
        status = exc.status
        if status == 429:
            self.observer.throttled()
            pause = exc.retry_after if exc.retry_after is not None else self.config.backoff_seconds
            self.limits.block(target.limit_key, target.tenant_id, self.monotonic() + pause)
            return Retry("throttled by Teams (429)", exc.retry_after)
        if status in RETRY_STATUSES:
            return Retry(f"Teams could not take it now ({status})")
        if status in UNREACHABLE_STATUSES and target.one_on_one:
            return Fail(f"the recipient is unreachable ({status})", unreachable=True)
        return Fail(f"Teams refused it ({status})")

    def _service_url(self, claimed: Claimed) -> str:
        if claimed.message.to == "team" and claimed.team is not None:
            return claimed.team.service_url
        if claimed.user is not None and claimed.user.service_url:
            return claimed.user.service_url
        if claimed.team is not None:
            return claimed.team.service_url
        raise Fail("no service URL for the recipient")

    async def _credentials(self, service_url: str) -> Any:
        """The SDK's credentials for this service URL (its factory picks the cloud)."""
        adapter = self.sdk.adapter()
        auth = adapter.bot_framework_authentication
        identity = adapter.create_claims_identity(self.app_id)
        client = await auth.create_connector_factory(identity).create(service_url, None)
        return client.config.credentials


def _spaced_until(
    message: Message, related: dict[str, OutboxMessage], now: datetime
) -> datetime | None:
    """ "after" + "gap_seconds": not sooner than that long after the message "after" was
    sent (a card's count updates), timed on the worker's wall clock, as sent_at is."""
    gap = message.gap_seconds
    earlier = related.get(message.after) if message.after else None
    if earlier is None or gap is None or earlier.status == "failed":
        return None
    if earlier.status != "sent" or earlier.sent_at is None:  # still on its way: look again
        return now + timedelta(seconds=min(gap, SPACING_POLL_SECONDS))
    until = earlier.sent_at + timedelta(seconds=gap)
    return until if until > now else None


def _thread(root: OutboxMessage | None) -> str:
    """The conversation id of the thread under an earlier channel post."""
    if root is None:
        raise Fail("the message to reply to was never queued")
    if root.status != "sent" or not root.activity_id or not root.conversation_id:
        raise Retry("the message to reply to is not sent yet")
    return f"{root.conversation_id.split(';', 1)[0]};messageid={root.activity_id}"


def _team_target(team: Team) -> Target:
    return _ref_target(team.general_ref, team.tenant_id, one_on_one=False)


def _ref_target(reference_json: str, tenant: str | None, one_on_one: bool) -> Target:
    ref = json.loads(reference_json)
    conversation = ref.get("conversation") or {}
    tenant_id = conversation.get("tenantId") or tenant or "-"
    return Target(
        conversation["id"],
        ref["serviceUrl"],
        tenant_id,
        ref.get("bot"),
        ref.get("user") if one_on_one else None,
        one_on_one=one_on_one,
    )


def _activity(message: Message, target: Target, activity_id: str | None) -> dict[str, Any]:
    """A message as Bot Connector JSON; a new message's id is its idempotency key."""
    activity: dict[str, Any] = {
        "type": "message",
        "channelId": "msteams",
        "serviceUrl": target.service_url,
        "conversation": {"id": target.conversation_id, "tenantId": target.tenant_id},
    }
    if activity_id:
        activity["id"] = activity_id
    if target.bot:
        activity["from"] = target.bot
    if target.user:
        activity["recipient"] = target.user
    if message.text:
        activity["text"] = message.text
    if message.card:
        activity["attachments"] = [{"contentType": CARD_TYPE, "content": message.card}]
        if not message.text:  # what the notification says instead of "sent a card"
            activity["summary"] = card_summary(message.card)
    return activity
