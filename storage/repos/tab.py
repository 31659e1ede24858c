"""The Teams tab's storage: one-time sign-in links, dashboard sessions, concerns, and the
few reads the pages need beyond the metrics' fact reads (programs of the teams someone
administers; the member's own page)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Concern, Goal, Program, TabLink, TabSession, User


class TabRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # --- one-time links and sessions ------------------------------------------------------
    def add_link(self, link: TabLink) -> None:
        self.s.add(link)

    async def use_link(self, token_hash: str, now: datetime) -> TabLink | None:
        """Mark the link used, once: None when unknown, already used or expired (the
        UPDATE decides, so two tabs opening one link at once get one session)."""
        stmt = (
            update(TabLink)
            .where(TabLink.token_hash == token_hash, TabLink.used_at.is_(None))
            .where(TabLink.expires_at > now)
            .values(used_at=now)
            .returning(TabLink.id, TabLink.user_id)
        )
        row = (await self.s.execute(stmt)).first()
        return await self.s.get(TabLink, row[0]) if row else None

    def add_session(self, session: TabSession) -> None:
        self.s.add(session)

    async def session_user(self, token_hash: str, now: datetime) -> User | None:
        stmt = (
            select(User)
            .join(TabSession, TabSession.user_id == User.id)
            .where(TabSession.token_hash == token_hash, TabSession.expires_at > now)
            .where(User.erased_at.is_(None))
        )
        return await self.s.scalar(stmt)

    async def end_session(self, token_hash: str) -> None:
        await self.s.execute(delete(TabSession).where(TabSession.token_hash == token_hash))

    async def prune(self, now: datetime) -> None:
        await self.s.execute(delete(TabSession).where(TabSession.expires_at <= now))
        await self.s.execute(delete(TabLink).where(TabLink.expires_at <= now))

    async def user_by_object_id(self, tenant_id: str, object_id: str) -> User | None:
        """The person an Entra token names (their object id, in their tenant)."""
        stmt = (
            select(User)
            .where(func.lower(User.aad_object_id) == object_id.lower())
            .where(User.erased_at.is_(None))
            .order_by(User.last_seen_at.desc().nulls_last(), User.id.desc())
        )
        found = list(await self.s.scalars(stmt.limit(5)))
        same = [u for u in found if (u.tenant_id or "").lower() == tenant_id.lower()]
        chosen = same or [u for u in found if not u.tenant_id]
        return chosen[0] if chosen else None

    # --- what the pages read ---------------------------------------------------------------
    async def programs_of(self, team_ids: Iterable[int]) -> list[Program]:
        ids = list(team_ids)
        if not ids:
            return []
        stmt = select(Program).where(Program.team_id.in_(ids))
        return list(await self.s.scalars(stmt.order_by(Program.team_id, Program.starts_on)))

    async def blocked_goal_owners(self, user_ids: Iterable[int]) -> set[int]:
        ids = list(user_ids)
        if not ids:
            return set()
        stmt = select(Goal.user_id).where(Goal.user_id.in_(ids), Goal.status == "blocked")
        return set(await self.s.scalars(stmt.distinct()))

    # --- concerns ---------------------------------------------------------------------------
    async def add_concern(self, concern: Concern) -> Concern:
        self.s.add(concern)
        await self.s.flush()
        return concern

    async def concern(self, concern_id: int) -> Concern | None:
        return await self.s.get(Concern, concern_id)

    async def open_concerns(self, team_ids: Iterable[int]) -> list[tuple[Concern, User]]:
        ids = list(team_ids)
        if not ids:
            return []
        stmt = (
            select(Concern, User)
            .join(User, User.id == Concern.user_id)
            .where(Concern.team_id.in_(ids), Concern.handled_at.is_(None))
            .order_by(Concern.created_at, Concern.id)
        )
        return [(c, u) for c, u in (await self.s.execute(stmt)).all()]

    async def concerns_by(self, user_id: int) -> list[Concern]:
        stmt = select(Concern).where(Concern.user_id == user_id).order_by(Concern.id)
        return list(await self.s.scalars(stmt))

    async def handle(self, concern_id: int, admin_id: int, now: datetime) -> bool:
        """Mark handled once (a second admin pressing the same button changes nothing)."""
        stmt = (
            update(Concern)
            .where(Concern.id == concern_id, Concern.handled_at.is_(None))
            .values(handled_at=now, handled_by_id=admin_id)
        )
        return bool((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def erase_user(self, user_id: int) -> None:
        """`delete my data`: their links, sessions and concerns (their own words)."""
        await self.s.execute(delete(TabLink).where(TabLink.user_id == user_id))
        await self.s.execute(delete(TabSession).where(TabSession.user_id == user_id))
        await self.s.execute(delete(Concern).where(Concern.user_id == user_id))
        await self.s.execute(
            update(Concern).where(Concern.handled_by_id == user_id).values(handled_by_id=None)
        )
