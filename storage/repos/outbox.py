"""The outbox: messages waiting to go out, their claims, leases and outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sql
from storage.models import OutboxMessage, Team, User
from storage.sql import cast_text, json_escaped


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed outbox row."""

    row_id: int
    status: str  # sent | pending (retry later) | failed
    at: datetime
    activity_id: str | None = None
    conversation_id: str | None = None
    error: str | None = None
    not_before: datetime | None = None
    unreachable_user: int | None = None
    personal_ref: str | None = None  # a 1:1 chat opened for this send
    ref_user: int | None = None

    def params(self, worker: str) -> dict[str, Any]:
        return {
            "row_id": self.row_id,
            "worker": worker,
            "new_status": self.status,
            "new_activity_id": self.activity_id,
            "new_conversation_id": self.conversation_id,
            "new_sent_at": self.at if self.status == "sent" else None,
            "new_error": self.error,
            "new_not_before": self.not_before,
        }


@dataclass(frozen=True)
class Queued:
    """One row for `enqueue_many`: what `enqueue` takes, but `now`."""

    key: str
    payload: dict[str, Any]
    user_id: int | None = None
    team_id: int | None = None
    not_before: datetime | None = None


def _tenant_of(user_id: int | None, team_id: int | None) -> Any:
    """The recipient's tenant, else the team's, else "" (read in the INSERT itself)."""
    user_tenant = select(User.tenant_id).where(User.id == user_id).scalar_subquery()
    team_tenant = select(Team.tenant_id).where(Team.id == team_id).scalar_subquery()
    return func.coalesce(user_tenant, team_tenant, "")


class OutboxRepo:
    def __init__(self, session: AsyncSession, origin: str | None = None) -> None:
        self.s = session
        self.origin = origin  # what the unit runs for: rows queued in it carry it

    async def enqueue(
        self,
        key: str,
        payload: dict[str, Any],
        now: datetime,
        user_id: int | None = None,
        team_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a message once per idempotency key; False when it was queued before.

        `not_before` is compared with the delivery worker's wall clock, never with the
        injected clock: derive it from a time the worker wrote (e.g. a row's `sent_at`)."""
        values = dict(
            idempotency_key=key,
            payload=payload,
            user_id=user_id,
            team_id=team_id,
            status="pending",
            attempts=0,
            created_at=now,
            not_before=not_before,
            tenant_id=_tenant_of(user_id, team_id),
            origin=self.origin,
        )
        stmt = sql.insert(self.s, OutboxMessage).values(**values).on_conflict_do_nothing()
        result = await self.s.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def enqueue_many(self, rows: Sequence[Queued], now: datetime) -> None:
        """Queue many messages in one statement (each once per key, as `enqueue`): the
        same INSERT ... ON CONFLICT DO NOTHING sent with one parameter set per row, each
        row's tenant read in the statement as `enqueue` reads it."""
        if not rows:
            return
        table = cast(Table, OutboxMessage.__table__)
        tenant = func.coalesce(
            select(User.tenant_id).where(User.id == bindparam("tenant_user")).scalar_subquery(),
            select(Team.tenant_id).where(Team.id == bindparam("tenant_team")).scalar_subquery(),
            "",
        )
        stmt = (
            sql.insert(self.s, table)
            .values(
                idempotency_key=bindparam("key"),
                payload=bindparam("payload", type_=table.c.payload.type),
                user_id=bindparam("user"),
                team_id=bindparam("team"),
                status="pending",
                attempts=0,
                created_at=now,
                not_before=bindparam("not_before", type_=table.c.not_before.type),
                tenant_id=tenant,
                origin=self.origin,
            )
            .on_conflict_do_nothing()
        )
        params = [
            {
                "key": row.key,
                "payload": row.payload,
                "user": row.user_id,
                "team": row.team_id,
                "not_before": row.not_before,
                "tenant_user": row.user_id,
                "tenant_team": row.team_id,
            }
            for row in rows
        ]
        connection = await self.s.connection()
        await connection.execute(stmt, params)

    async def replace_pending(self, key: str, payload: dict[str, Any]) -> bool:
        """New content for a message still waiting to be sent; False once it was claimed
        (on PostgreSQL this waits for a concurrent claim and then sees it)."""
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.idempotency_key == key, OutboxMessage.status == "pending")
            .values(payload=payload)
        )
        return bool((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def withdraw_pending(self, key: str) -> bool:
        """Drop a message still waiting to be sent (nobody will see it); False once it was
        claimed or sent."""
        stmt = delete(OutboxMessage).where(
            OutboxMessage.idempotency_key == key, OutboxMessage.status == "pending"
        )
        return bool((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def claim_due(
        self,
        worker: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        tenants: Iterable[str],
    ) -> list[OutboxMessage]:
        """Claim up to `limit` due rows of these tenants for one worker (pending ->
        sending, with a lease). The caller holds the tenants' leases."""
        wanted = list(tenants)
        if not wanted:
            return []
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.tenant_id.in_(wanted))
            .where(or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if sql.is_postgres(self.s):
            due = due.with_for_update(skip_locked=True)  # replicas take different rows
        ids = list(await self.s.scalars(due))
        if not ids:
            return []
        await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
            .values(
                status="sending",
                claimed_by=worker,
                lease_until=lease_until,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        mine = (
            select(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claimed_by == worker,
                OutboxMessage.status == "sending",
            )
            .order_by(OutboxMessage.id)
        )
        return list(await self.s.scalars(mine))

    async def defer(self, worker: str, until: dict[int, datetime]) -> None:
        """Hand claimed rows back unsent, not before `until[id]` (call in the claim's own
        transaction: nobody ever sees them claimed, and the claim's attempt is undone)."""
        table = cast(Table, OutboxMessage.__table__)
        stmt = (
            table.update()
            .where(table.c.id == bindparam("row_id"), table.c.claimed_by == worker)
            .values(
                status="pending",
                not_before=bindparam("until"),
                attempts=table.c.attempts - 1,
                claimed_by=None,
                lease_until=None,
            )
        )
        connection = await self.s.connection()
        await connection.execute(stmt, [{"row_id": i, "until": t} for i, t in until.items()])

    async def renew(self, worker: str, lease_until: datetime) -> None:
        await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending")
            .values(lease_until=lease_until)
        )

    async def release_expired(self, now: datetime, worker: str) -> int:
        """Rows whose worker died mid-send go back to pending (sent again, same key).

        Never the caller's own rows: it is alive, however late its lease renewal."""
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending")
            .where(or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_by != worker))
            .where(or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
            .values(status="pending", claimed_by=None, lease_until=None)
        )
        return int((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def apply(self, worker: str, outcomes: Sequence[Outcome]) -> None:
        """Write send outcomes, only for rows this worker still holds."""
        table = cast(Table, OutboxMessage.__table__)
        stmt = (
            table.update()
            .where(
                table.c.id == bindparam("row_id"),
                table.c.claimed_by == bindparam("worker"),
                table.c.status == "sending",
            )
            .values(
                status=bindparam("new_status"),
                activity_id=bindparam("new_activity_id"),
                conversation_id=bindparam("new_conversation_id"),
                sent_at=bindparam("new_sent_at"),
                last_error=bindparam("new_error"),
                not_before=bindparam("new_not_before"),
                claimed_by=None,
                lease_until=None,
            )
        )
        connection = await self.s.connection()
        await connection.execute(stmt, [o.params(worker) for o in outcomes])
        for outcome in outcomes:
            await self._apply_to_user(outcome)

    async def _apply_to_user(self, outcome: Outcome) -> None:
        if outcome.unreachable_user is not None:
            await self.s.execute(
                update(User)
                .where(User.id == outcome.unreachable_user)
                .values(unreachable_at=outcome.at)
            )
        if outcome.ref_user is not None and outcome.personal_ref:
            await self.s.execute(
                update(User)
                .where(User.id == outcome.ref_user, User.personal_ref.is_(None))
                .values(personal_ref=outcome.personal_ref)
            )

    async def next_retry_at(self) -> datetime | None:
        stmt = select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "pending")
        return await self.s.scalar(stmt)

    async def by_keys(self, keys: Iterable[str]) -> dict[str, OutboxMessage]:
        wanted = list(keys)
        if not wanted:
            return {}
        rows = await self.s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.in_(wanted))
        )
        return {r.idempotency_key: r for r in rows}

    async def team_counts(self, team_id: int) -> dict[str, int]:
        stmt = (
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.team_id == team_id)
            .group_by(OutboxMessage.status)
        )
        counts = {"pending": 0, "sending": 0, "sent": 0, "failed": 0}
        counts |= {status: int(n) for status, n in (await self.s.execute(stmt)).all()}
        return counts

    async def last_failures(
        self, team_id: int, limit: int
    ) -> list[tuple[OutboxMessage, User | None]]:
        stmt = (
            select(OutboxMessage, User)
            .outerjoin(User, User.id == OutboxMessage.user_id)
            .where(OutboxMessage.team_id == team_id, OutboxMessage.status == "failed")
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return [(m, u) for m, u in (await self.s.execute(stmt)).all()]

    async def requeue_failed(self, team_id: int) -> int:
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.team_id == team_id, OutboxMessage.status == "failed")
            .values(status="pending", attempts=0, not_before=None, last_error=None)
        )
        return int((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def erase_user(self, user_id: int, needles: Iterable[str], now: datetime) -> None:
        """`delete my data`: the person's own messages (unsent ones go; sent ones keep only
        whom they were for, not where), and every other message whose contents name them
        or carry their words (unsent ones go; sent ones are blanked)."""
        own = OutboxMessage.user_id == user_id
        await self.s.execute(delete(OutboxMessage).where(own, OutboxMessage.status != "sent"))
        await self.s.execute(
            update(OutboxMessage)
            .where(own)
            .values(
                payload={"to": "user"},
                conversation_id=None,
                activity_id=None,
                last_error=None,
                redacted_at=now,
            )
        )
        found = [n for n in dict.fromkeys(needles) if n]
        for start in range(0, len(found), 50):
            await self._erase_mentions(found[start : start + 50], now)

    async def _erase_mentions(self, needles: list[str], now: datetime) -> None:
        # Payloads are JSON text with non-ASCII escaped: look for the escaped spelling.
        text = cast_text(OutboxMessage.payload)
        mentions = or_(*(text.icontains(json_escaped(n), autoescape=True) for n in needles))
        rows = list(
            await self.s.execute(
                select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.user_id).where(
                    mentions, OutboxMessage.redacted_at.is_(None)
                )
            )
        )
        unsent = [row.id for row in rows if row.status != "sent"]
        if unsent:
            await self.s.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(unsent)))
        sent = [row for row in rows if row.status == "sent"]
        for audience, ids in (
            ("user", [r.id for r in sent if r.user_id is not None]),
            ("team", [r.id for r in sent if r.user_id is None]),
        ):
            if ids:
                await self._blank(OutboxMessage.id.in_(ids), audience, now)

    async def purge_sent(self, before: datetime, now: datetime) -> int:
        """Retention: blank the contents of messages sent before `before`."""
        old = (
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at < before,
            OutboxMessage.redacted_at.is_(None),
        )
        purged = 0
        for audience, whom in (
            ("user", OutboxMessage.user_id.is_not(None)),
            ("team", OutboxMessage.user_id.is_(None)),
        ):
            purged += await self._blank(and_(*old, whom), audience, now)
        return purged

    async def _blank(self, where: Any, audience: str, now: datetime) -> int:
        # A message to a user always names the user (outbox.to_user, card_update with a
        # user); "to" is all a later update of the card reads from a sent row.
        stmt = (
            update(OutboxMessage)
            .where(where)
            .values(payload={"to": audience}, redacted_at=now)
            .execution_options(synchronize_session=False)
        )
        return int((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def release_mine(self, worker: str) -> int:
        """Hand this worker's claimed rows back (graceful stop): another replica sends them
        at once instead of after their lease. The claim's attempt is undone."""
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending")
            .values(
                status="pending",
                claimed_by=None,
                lease_until=None,
                attempts=OutboxMessage.attempts - 1,
            )
        )
        return int((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def depth(self) -> dict[str, int]:
        """Rows by status, all teams (for /metrics)."""
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        counts = {"pending": 0, "sending": 0, "sent": 0, "failed": 0}
        counts |= {status: int(n) for status, n in (await self.s.execute(stmt)).all()}
        return counts

    async def all(self) -> list[OutboxMessage]:
        return list(await self.s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
