"""Directory entries (what Graph says about members), each tenant's delta sync, and
which Graph features work in a tenant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    DirectoryEntry,
    GraphFeature,
    GraphSync,
    GroupChat,
    JobTitleChange,
    Membership,
    PairSeat,
    Profile,
    Team,
    User,
)


class DirectoryRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def tenants(self) -> list[str]:
        """Tenants with an active team: whose directory is read."""
        stmt = select(Team.tenant_id).where(Team.active, Team.tenant_id.is_not(None)).distinct()
        return sorted(t for t in await self.s.scalars(stmt) if t)

    async def members_by_aad(self, tenant_id: str, aad_ids: Iterable[str]) -> dict[str, User]:
        """Users of this tenant with these Entra ids who are active members of a team."""
        ids = list(set(aad_ids))
        if not ids:
            return {}
        stmt = select(User).where(
            User.tenant_id == tenant_id,
            User.aad_object_id.in_(ids),
            User.erased_at.is_(None),
            exists().where(Membership.user_id == User.id, Membership.active),
        )
        return {u.aad_object_id: u for u in await self.s.scalars(stmt) if u.aad_object_id}

    async def users_by_aad(self, tenant_id: str | None, aad_ids: Iterable[str]) -> dict[str, User]:
        ids = list({a for a in aad_ids if a})
        if not ids:
            return {}
        stmt = select(User).where(User.tenant_id == tenant_id, User.aad_object_id.in_(ids))
        return {u.aad_object_id: u for u in await self.s.scalars(stmt) if u.aad_object_id}

    async def entries(self, user_ids: Iterable[int]) -> dict[int, DirectoryEntry]:
        ids = list(set(user_ids))
        if not ids:
            return {}
        stmt = select(DirectoryEntry).where(DirectoryEntry.user_id.in_(ids))
        return {e.user_id: e for e in await self.s.scalars(stmt)}

    async def get(self, user_id: int) -> DirectoryEntry | None:
        return await self.s.get(DirectoryEntry, user_id)

    def add(self, entry: DirectoryEntry) -> None:
        self.s.add(entry)

    async def without_entry(self, tenant_id: str, limit: int) -> list[User]:
        """Active members with an Entra id whom the directory has not described yet."""
        stmt = (
            select(User)
            .where(
                User.tenant_id == tenant_id,
                User.aad_object_id.is_not(None),
                User.erased_at.is_(None),
                exists().where(Membership.user_id == User.id, Membership.active),
                ~exists().where(DirectoryEntry.user_id == User.id),
            )
            .order_by(User.id)
            .limit(limit)
        )
        return list(await self.s.scalars(stmt))

    async def without_mailbox(self, tenant_id: str, limit: int) -> list[DirectoryEntry]:
        stmt = (
            select(DirectoryEntry)
            .where(
                DirectoryEntry.tenant_id == tenant_id,
                DirectoryEntry.mailbox_at.is_(None),
                DirectoryEntry.removed_at.is_(None),
            )
            .order_by(DirectoryEntry.user_id)
            .limit(limit)
        )
        return list(await self.s.scalars(stmt))

    async def forget_departed(self, tenant_id: str) -> int:
        """Entries (and job title histories) of people who are no longer an active member
        of any team: deleted."""
        stmt = delete(DirectoryEntry).where(
            DirectoryEntry.tenant_id == tenant_id,
            ~exists().where(Membership.user_id == DirectoryEntry.user_id, Membership.active),
        )
        gone = int((await self.s.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]
        await self.s.execute(
            delete(JobTitleChange).where(
                ~exists().where(Membership.user_id == JobTitleChange.user_id, Membership.active)
            )
        )
        return gone

    async def erase(self, user_id: int) -> None:
        await self.s.execute(delete(DirectoryEntry).where(DirectoryEntry.user_id == user_id))
        await self.forget_titles(user_id)

    # -- job title history (only of people who agreed) ---------------------------------
    async def title_consents(self, user_ids: Iterable[int]) -> set[int]:
        """Of these users, those whose profile lets job title changes count in outcomes."""
        ids = list(set(user_ids))
        if not ids:
            return set()
        stmt = select(Profile.user_id).where(Profile.user_id.in_(ids), Profile.title_history)
        return set(await self.s.scalars(stmt))

    def add_title_change(self, change: JobTitleChange) -> None:
        self.s.add(change)

    async def title_changes(self, user_id: int) -> list[JobTitleChange]:
        stmt = (
            select(JobTitleChange)
            .where(JobTitleChange.user_id == user_id)
            .order_by(JobTitleChange.changed_at, JobTitleChange.id)
        )
        return list(await self.s.scalars(stmt))

    async def forget_titles(self, user_id: int) -> None:
        await self.s.execute(delete(JobTitleChange).where(JobTitleChange.user_id == user_id))

    # -- the tenant's sync ------------------------------------------------------------
    async def sync_state(self, tenant_id: str) -> GraphSync | None:
        return await self.s.get(GraphSync, tenant_id)

    async def sync(self, tenant_id: str) -> GraphSync:
        found = await self.s.get(GraphSync, tenant_id)
        if found is None:
            found = GraphSync(tenant_id=tenant_id, rounds=0)
            self.s.add(found)
            await self.s.flush()
        return found

    # -- features ----------------------------------------------------------------------
    async def features(self, tenant_id: str) -> dict[str, GraphFeature]:
        stmt = select(GraphFeature).where(GraphFeature.tenant_id == tenant_id)
        return {f.feature: f for f in await self.s.scalars(stmt)}

    async def feature(self, tenant_id: str, name: str, now: datetime) -> GraphFeature:
        stmt = select(GraphFeature).where(
            GraphFeature.tenant_id == tenant_id, GraphFeature.feature == name
        )
        found = (await self.s.scalars(stmt.with_for_update())).first()
        if found is None:
            found = GraphFeature(
                tenant_id=tenant_id, feature=name, state="unknown", detail="", checked_at=now
            )
            self.s.add(found)
            await self.s.flush()
        return found

    async def teams_of_tenant(self, tenant_id: str) -> list[Team]:
        stmt = select(Team).where(Team.tenant_id == tenant_id, Team.active).order_by(Team.id)
        return list(await self.s.scalars(stmt))

    # -- group chats (a Graph chat per coffee group) -------------------------------------
    def add_chat(self, chat: GroupChat) -> None:
        self.s.add(chat)

    async def chats_in(self, states: Iterable[str], limit: int) -> list[GroupChat]:
        stmt = (
            select(GroupChat)
            .where(GroupChat.state.in_(list(states)))
            .order_by(GroupChat.id)
            .limit(limit)
        )
        return list(await self.s.scalars(stmt))

    async def claim_chat(self, chat_id: int, state: str, to: str, now: datetime) -> bool:
        """Move one chat row on from `state`; False when another worker did first."""
        stmt = (
            update(GroupChat)
            .where(GroupChat.id == chat_id, GroupChat.state == state)
            .values(state=to, attempts=GroupChat.attempts + 1, updated_at=now)
        )
        result = await self.s.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def chat(self, chat_id: int) -> GroupChat | None:
        return await self.s.get(GroupChat, chat_id, with_for_update=True)

    async def chats_of_user(self, user_id: int) -> list[GroupChat]:
        """The group chats of the coffee groups this person sat in."""
        groups = select(PairSeat.group_id).where(PairSeat.user_id == user_id)
        stmt = (
            select(GroupChat)
            .where(GroupChat.kind == "coffee", GroupChat.ref_id.in_(groups))
            .order_by(GroupChat.id)
        )
        return list(await self.s.scalars(stmt))
