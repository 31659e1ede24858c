"""Repositories of who is who: users, teams, memberships, admins and profiles."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sql
from storage.models import Membership, PairChoice, Profile, Team, TeamAdmin, User

_BY_TEAMS_ID = select(User).where(User.teams_id == bindparam("teams_id"))


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, user_id: int) -> User | None:
        return await self.s.get(User, user_id)

    async def by_teams_id(self, teams_id: str) -> User | None:
        # Every turn asks this: one statement object, so its cache key is computed once.
        return await self.s.scalar(_BY_TEAMS_ID, {"teams_id": teams_id})

    async def by_teams_ids(self, teams_ids: Iterable[str]) -> dict[str, User]:
        ids = list(teams_ids)
        if not ids:
            return {}
        rows = await self.s.scalars(select(User).where(User.teams_id.in_(ids)))
        return {u.teams_id: u for u in rows if u.teams_id}

    async def by_ids(self, ids: Iterable[int]) -> dict[int, User]:
        wanted = list(ids)
        if not wanted:
            return {}
        return {u.id: u for u in await self.s.scalars(select(User).where(User.id.in_(wanted)))}

    async def unreachable_in_team(self, team_id: int) -> int:
        stmt = (
            select(func.count())
            .select_from(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_id, Membership.active.is_(True))
            .where(User.unreachable_at.is_not(None))
        )
        return int(await self.s.scalar(stmt) or 0)

    async def add(self, user: User) -> User:
        self.s.add(user)
        await self.s.flush()
        return user

    async def in_team_matching(self, team_id: int, query: str) -> list[User]:
        """Active members of a team whose name, email or UPN matches the query."""
        pattern = f"%{query.lower()}%"
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_id, Membership.active.is_(True))
            .where(
                or_(
                    func.lower(User.name).like(pattern),
                    func.lower(User.email).like(pattern),
                    func.lower(User.upn).like(pattern),
                )
            )
            .order_by(User.name)
        )
        return list(await self.s.scalars(stmt))


class TeamRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, team_pk: int) -> Team | None:
        return await self.s.get(Team, team_pk)

    async def by_team_id(self, team_id: str) -> Team | None:
        return await self.s.scalar(select(Team).where(Team.team_id == team_id))

    async def lock(self, team_pk: int) -> None:
        """Hold the team's row until the unit ends (PostgreSQL: SELECT ... FOR UPDATE;
        SQLite has one writer anyway). Another unit locking it waits for this one."""
        if sql.is_postgres(self.s):
            await self.s.execute(select(Team.id).where(Team.id == team_pk).with_for_update())

    async def by_ids(self, ids: Iterable[int]) -> dict[int, Team]:
        wanted = list(ids)
        if not wanted:
            return {}
        return {t.id: t for t in await self.s.scalars(select(Team).where(Team.id.in_(wanted)))}

    async def add(self, team: Team) -> Team:
        self.s.add(team)
        await self.s.flush()
        return team

    async def active(self) -> list[Team]:
        return list(
            await self.s.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.id))
        )

    async def forget_person(self, teams_id: str) -> None:
        """Drop a person's account from the conversation references the teams keep (the
        reference of the install names who installed; sending needs only the rest)."""
        stmt = select(Team).where(Team.general_ref.contains(teams_id, autoescape=True))
        for team in await self.s.scalars(stmt):
            ref = json.loads(team.general_ref)
            if (ref.get("user") or {}).get("id") == teams_id:
                ref.pop("user")
            team.general_ref = json.dumps(ref)

    async def installed_by(self, user_id: int) -> list[Team]:
        stmt = select(Team).where(Team.installer_id == user_id, Team.active.is_(True))
        return list(await self.s.scalars(stmt.order_by(Team.id)))


class MembershipRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def for_team(self, team_id: int) -> dict[int, Membership]:
        rows = await self.s.scalars(select(Membership).where(Membership.team_id == team_id))
        return {m.user_id: m for m in rows}

    async def active_users(self, team_id: int) -> list[User]:
        """The team's active members, in the order they joined."""
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_id, Membership.active.is_(True))
            .order_by(Membership.id)
        )
        return list(await self.s.scalars(stmt))

    async def active_count(self, team_id: int) -> int:
        stmt = (
            select(func.count())
            .select_from(Membership)
            .where(Membership.team_id == team_id, Membership.active.is_(True))
        )
        return int(await self.s.scalar(stmt) or 0)

    async def for_users(self, team_id: int, user_ids: Iterable[int]) -> dict[int, Membership]:
        """These users' memberships of the team (a roster page's, not all 20,000)."""
        ids = list(user_ids)
        if not ids:
            return {}
        stmt = select(Membership).where(Membership.team_id == team_id, Membership.user_id.in_(ids))
        return {m.user_id: m for m in await self.s.scalars(stmt)}

    async def get(self, team_id: int, user_id: int) -> Membership | None:
        stmt = select(Membership).where(
            Membership.team_id == team_id, Membership.user_id == user_id
        )
        return await self.s.scalar(stmt)

    def add(self, membership: Membership) -> None:
        self.s.add(membership)

    async def sender_in(
        self, team_id: str, teams_id: str
    ) -> tuple[Team | None, User | None, Membership | None]:
        """The team (by Teams' id), the sender (by Teams id) and their membership, in one
        query (every channel turn asks)."""
        stmt = (
            select(Team, User, Membership)
            .select_from(Team)
            .outerjoin(User, User.teams_id == teams_id)
            .outerjoin(
                Membership, and_(Membership.team_id == Team.id, Membership.user_id == User.id)
            )
            .where(Team.team_id == team_id)
        )
        row = (await self.s.execute(stmt)).first()
        return (row[0], row[1], row[2]) if row is not None else (None, None, None)

    async def of_user(self, user_id: int) -> list[tuple[Membership, Team]]:
        stmt = (
            select(Membership, Team)
            .join(Team, Team.id == Membership.team_id)
            .where(Membership.user_id == user_id)
            .order_by(Team.id)
        )
        return [(m, t) for m, t in (await self.s.execute(stmt)).all()]

    async def team_counts(self, team_id: int) -> dict[str, int]:
        """Counts of a team's members by state: no names, no content."""
        active = Membership.active.is_(True)
        stmt = (
            select(
                func.count().filter(active),
                func.count().filter(~active),
                func.count(Profile.user_id).filter(active),
                func.count().filter(active, User.paused.is_(True)),
                func.count().filter(active, User.opted_out.is_(True)),
                # Paused by the coffee pool for unanswered follow-ups (this team's only).
                func.count(PairChoice.id).filter(active, PairChoice.ghost_paused_at.is_not(None)),
            )
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .outerjoin(Profile, Profile.user_id == Membership.user_id)
            .outerjoin(
                PairChoice,
                and_(PairChoice.team_id == team_id, PairChoice.user_id == Membership.user_id),
            )
            .where(Membership.team_id == team_id)
        )
        row = (await self.s.execute(stmt)).one()
        keys = ("active", "inactive", "profiles", "paused", "opted_out", "ghost_paused")
        return dict(zip(keys, (int(v) for v in row), strict=True))


class AdminRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def is_admin(self, team_id: int, user_id: int) -> bool:
        stmt = select(TeamAdmin.id).where(
            TeamAdmin.team_id == team_id, TeamAdmin.user_id == user_id
        )
        return await self.s.scalar(stmt) is not None

    async def add(self, team_id: int, user_id: int, added_by: int | None, now: datetime) -> bool:
        if await self.is_admin(team_id, user_id):
            return False
        self.s.add(TeamAdmin(team_id=team_id, user_id=user_id, added_by_id=added_by, added_at=now))
        await self.s.flush()
        return True

    async def remove(self, team_id: int, user_id: int) -> bool:
        stmt = delete(TeamAdmin).where(TeamAdmin.team_id == team_id, TeamAdmin.user_id == user_id)
        result = await self.s.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def of_team(self, team_id: int) -> list[User]:
        stmt = (
            select(User)
            .join(TeamAdmin, TeamAdmin.user_id == User.id)
            .where(TeamAdmin.team_id == team_id)
            .order_by(User.name)
        )
        return list(await self.s.scalars(stmt))

    async def reachable_of_team(self, team_id: int) -> list[User]:
        """Who to tell as the team's admins: the rows plus the installer, minus anyone
        who deleted their data or opted out."""
        admins = {u.id: u for u in await self.of_team(team_id)}
        team = await self.s.get(Team, team_id)
        if team is not None and team.installer_id and team.installer_id not in admins:
            installer = await self.s.get(User, team.installer_id)
            if installer is not None:
                admins[installer.id] = installer
        return [u for u in admins.values() if u.teams_id is not None and not u.opted_out]

    async def teams_of(self, user_id: int) -> list[Team]:
        stmt = (
            select(Team)
            .join(TeamAdmin, TeamAdmin.team_id == Team.id)
            .where(TeamAdmin.user_id == user_id, Team.active.is_(True))
            .order_by(Team.id)
        )
        return list(await self.s.scalars(stmt))

    async def remove_user(self, user_id: int) -> None:
        await self.s.execute(delete(TeamAdmin).where(TeamAdmin.user_id == user_id))


class ProfileRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, user_id: int) -> Profile | None:
        return await self.s.get(Profile, user_id)

    async def of_users(self, user_ids: Iterable[int]) -> dict[int, Profile]:
        ids = list(user_ids)
        if not ids:
            return {}
        rows = await self.s.scalars(select(Profile).where(Profile.user_id.in_(ids)))
        return {p.user_id: p for p in rows}

    async def zones_of(self, user_ids: Iterable[int]) -> dict[int, str]:
        """The profile time zones of these users (those with a profile)."""
        ids = list(user_ids)
        if not ids:
            return {}
        stmt = select(Profile.user_id, Profile.timezone).where(Profile.user_id.in_(ids))
        return {user_id: zone for user_id, zone in (await self.s.execute(stmt)).all() if zone}

    async def save(self, user_id: int, values: dict[str, Any], now: datetime) -> bool:
        """Create or update in one statement; True when the profile is new."""
        params = {
            **dict.fromkeys(_PROFILE_FIELDS),
            "title_history": False,  # agreed only when the form says so
            **values,
            "user_id": user_id,
            "created_at": now,
            "updated_at": now,
        }
        # On the connection, not the session: a plain Core statement skips the ORM's
        # bulk-insert machinery (no Profile object of this user is in the session).
        connection = await self.s.connection()
        result = await connection.execute(_profile_upsert(connection.dialect.name), params)
        return result.scalar_one() == now

    async def delete(self, user_id: int) -> None:
        await self.s.execute(delete(Profile).where(Profile.user_id == user_id))


_PROFILE_FIELDS = tuple(
    c.name for c in Profile.__table__.columns if c.name not in ("user_id", "created_at")
)


@cache
def _profile_upsert(dialect_name: str) -> Any:
    """Built once per dialect so SQLAlchemy compiles it once; values come as parameters."""
    stmt = sql.insert_for(dialect_name, Profile)
    return stmt.on_conflict_do_update(
        index_elements=[Profile.user_id],
        set_={name: stmt.excluded[name] for name in _PROFILE_FIELDS},
    ).returning(Profile.created_at)
