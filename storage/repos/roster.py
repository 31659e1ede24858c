"""Roster imports: a team's member list read page by page after an install."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sql
from storage.models import Membership, RosterImport


class RosterImportRepo:
    def __init__(self, session: AsyncSession, origin: str | None = None) -> None:
        self.s = session
        self.origin = origin

    async def start(self, team_id: int, now: datetime) -> RosterImport:
        """A new import of the team's roster (an unfinished one for the team is dropped:
        this one reads everything again)."""
        await self.s.execute(
            update(RosterImport)
            .where(RosterImport.team_id == team_id, RosterImport.status == "pending")
            .values(status="superseded", finished_at=now, claimed_by=None, lease_until=None)
        )
        row = RosterImport(
            team_id=team_id,
            status="pending",
            pages=0,
            members=0,
            attempts=0,
            origin=self.origin,
            created_at=now,
        )
        self.s.add(row)
        await self.s.flush()
        return row

    async def claim(self, worker: str, now: datetime, lease_until: datetime) -> RosterImport | None:
        """The oldest pending import nobody holds (or whose holder's lease ran out)."""
        stmt = (
            select(RosterImport)
            .where(RosterImport.status == "pending")
            .where(or_(RosterImport.lease_until.is_(None), RosterImport.lease_until < now))
            .order_by(RosterImport.id)
            .limit(1)
        )
        if sql.is_postgres(self.s):
            stmt = stmt.with_for_update(skip_locked=True)
        row = await self.s.scalar(stmt)
        if row is not None:
            row.claimed_by, row.lease_until = worker, lease_until
        return row

    async def held(self, import_id: int, worker: str) -> RosterImport | None:
        """The import, if this worker still holds it (locked against a takeover)."""
        stmt = select(RosterImport).where(
            RosterImport.id == import_id,
            RosterImport.claimed_by == worker,
            RosterImport.status == "pending",
        )
        if sql.is_postgres(self.s):
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)

    async def release(self, worker: str) -> None:
        """Give this worker's claims back (it stops): another worker resumes them now."""
        await self.s.execute(
            update(RosterImport)
            .where(RosterImport.claimed_by == worker, RosterImport.status == "pending")
            .values(claimed_by=None, lease_until=None)
        )

    async def latest(self, team_id: int) -> RosterImport | None:
        stmt = (
            select(RosterImport)
            .where(RosterImport.team_id == team_id)
            .order_by(RosterImport.id.desc())
            .limit(1)
        )
        return await self.s.scalar(stmt)

    async def mark_listed(self, import_id: int, team_id: int, user_ids: Iterable[int]) -> None:
        ids = list(user_ids)
        if ids:
            await self.s.execute(
                update(Membership)
                .where(Membership.team_id == team_id, Membership.user_id.in_(ids))
                .values(roster_import_id=import_id)
                .execution_options(synchronize_session=False)
            )

    async def unlisted(self, import_id: int, team_id: int) -> set[int]:
        """Active members this import did not list: they left while the bot was away."""
        stmt = select(Membership.user_id).where(
            Membership.team_id == team_id,
            Membership.active.is_(True),
            or_(Membership.roster_import_id.is_(None), Membership.roster_import_id != import_id),
        )
        return set(await self.s.scalars(stmt))
