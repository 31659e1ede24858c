"""Tenant leases of the delivery workers: one worker drains a tenant's outbox at a time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sql
from storage.models import DeliveryLease, OutboxMessage


class LeaseRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def free_tenants(self, worker: str, now: datetime, limit: int) -> list[str]:
        """Tenants with messages due that no live lease of another worker holds."""
        stmt = (
            select(OutboxMessage.tenant_id)
            .distinct()
            .outerjoin(DeliveryLease, DeliveryLease.tenant_id == OutboxMessage.tenant_id)
            .where(OutboxMessage.status == "pending")
            .where(or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now))
            .where(
                or_(
                    DeliveryLease.tenant_id.is_(None),
                    DeliveryLease.lease_until <= now,
                    DeliveryLease.worker == worker,
                )
            )
            .limit(limit)
        )
        return list(await self.s.scalars(stmt))

    async def take(self, worker: str, tenant: str, now: datetime, until: datetime) -> None:
        """Hold `tenant` until `until`, unless another worker's lease on it is live.

        On PostgreSQL a concurrent taker waits for this row and then re-checks the
        condition against the committed lease, so only one of them gets it."""
        insert = sql.insert(self.s, DeliveryLease)
        stmt = insert.values(tenant_id=tenant, worker=worker, lease_until=until)
        stmt = stmt.on_conflict_do_update(
            index_elements=[DeliveryLease.tenant_id],
            set_={"worker": worker, "lease_until": until},
            where=or_(DeliveryLease.lease_until <= now, DeliveryLease.worker == worker),
        )
        await self.s.execute(stmt)

    async def renew(self, worker: str, until: datetime) -> None:
        await self.s.execute(
            update(DeliveryLease).where(DeliveryLease.worker == worker).values(lease_until=until)
        )

    async def held(self, worker: str, now: datetime) -> dict[str, datetime]:
        """The tenants this worker holds a live lease on, with each lease's end."""
        stmt = select(DeliveryLease.tenant_id, DeliveryLease.lease_until).where(
            DeliveryLease.worker == worker, DeliveryLease.lease_until > now
        )
        return {tenant: until for tenant, until in (await self.s.execute(stmt)).all()}

    async def shorten(self, worker: str, tenant: str, until: datetime) -> None:
        await self.s.execute(
            update(DeliveryLease)
            .where(DeliveryLease.worker == worker, DeliveryLease.tenant_id == tenant)
            .values(lease_until=until)
        )

    async def release(self, worker: str, tenants: Iterable[str]) -> None:
        wanted = list(tenants)
        if wanted:
            await self.s.execute(
                delete(DeliveryLease).where(
                    DeliveryLease.worker == worker, DeliveryLease.tenant_id.in_(wanted)
                )
            )

    async def all(self) -> list[DeliveryLease]:
        return list(await self.s.scalars(select(DeliveryLease).order_by(DeliveryLease.tenant_id)))
