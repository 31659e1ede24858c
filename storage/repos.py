"""Repositories: the only code that writes SQL. One `Repos` per unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.goals import GoalRepo
from storage.icebreakers import IcebreakerRepo
from storage.models import Membership, OutboxMessage, Profile, Team, TeamAdmin, User
from storage.pairing import PairingRepo
from storage.programs import ProgramRepo
from storage.schedules import JobRunRepo, ScheduleRepo


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


class Repos:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.users = UserRepo(session)
        self.teams = TeamRepo(session)
        self.members = MembershipRepo(session)
        self.admins = AdminRepo(session)
        self.profiles = ProfileRepo(session)
        self.outbox = OutboxRepo(session)
        self.schedules = ScheduleRepo(session)
        self.job_runs = JobRunRepo(session)
        self.pairing = PairingRepo(session)
        self.icebreakers = IcebreakerRepo(session)
        self.programs = ProgramRepo(session)
        self.goals = GoalRepo(session)

    async def flush(self) -> None:
        await self.session.flush()


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, user_id: int) -> User | None:
        return await self.s.get(User, user_id)

    async def by_teams_id(self, teams_id: str) -> User | None:
        return await self.s.scalar(select(User).where(User.teams_id == teams_id))

    async def by_teams_ids(self, teams_ids: Iterable[str]) -> dict[str, User]:
        ids = list(teams_ids)
        rows = await self.s.scalars(select(User).where(User.teams_id.in_(ids))) if ids else []
        return {u.teams_id: u for u in rows if u.teams_id}

    async def by_ids(self, ids: Iterable[int]) -> dict[int, User]:
        wanted = list(ids)
        rows = await self.s.scalars(select(User).where(User.id.in_(wanted))) if wanted else []
        return {u.id: u for u in rows}

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

    async def by_ids(self, ids: Iterable[int]) -> dict[int, Team]:
        wanted = list(ids)
        rows = await self.s.scalars(select(Team).where(Team.id.in_(wanted))) if wanted else []
        return {t.id: t for t in rows}

    async def add(self, team: Team) -> Team:
        self.s.add(team)
        await self.s.flush()
        return team

    async def active(self) -> list[Team]:
        return list(
            await self.s.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.id))
        )

    async def installed_by(self, user_id: int) -> list[Team]:
        stmt = select(Team).where(Team.installer_id == user_id, Team.active.is_(True))
        return list(await self.s.scalars(stmt.order_by(Team.id)))


class MembershipRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def for_team(self, team_id: int) -> dict[int, Membership]:
        rows = await self.s.scalars(select(Membership).where(Membership.team_id == team_id))
        return {m.user_id: m for m in rows}

    async def get(self, team_id: int, user_id: int) -> Membership | None:
        stmt = select(Membership).where(
            Membership.team_id == team_id, Membership.user_id == user_id
        )
        return await self.s.scalar(stmt)

    def add(self, membership: Membership) -> None:
        self.s.add(membership)

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
            )
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .outerjoin(Profile, Profile.user_id == Membership.user_id)
            .where(Membership.team_id == team_id)
        )
        row = (await self.s.execute(stmt)).one()
        keys = ("active", "inactive", "profiles", "paused", "opted_out")
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
        rows = await self.s.scalars(select(Profile).where(Profile.user_id.in_(ids))) if ids else []
        return {p.user_id: p for p in rows}

    async def save(self, user_id: int, values: dict[str, Any], now: datetime) -> bool:
        """Create or update in one statement; True when the profile is new."""
        params = {
            **dict.fromkeys(_PROFILE_FIELDS),
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


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

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
        )
        stmt = _dialect(self.s).insert(OutboxMessage).values(**values).on_conflict_do_nothing()
        result = await self.s.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def replace_pending(self, key: str, payload: dict[str, Any]) -> bool:
        """New content for a message still waiting to be sent; False once it was claimed
        (on PostgreSQL this waits for a concurrent claim and then sees it)."""
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.idempotency_key == key, OutboxMessage.status == "pending")
            .values(payload=payload)
        )
        return bool((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def claim_due(
        self, worker: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Claim up to `limit` due rows for one worker (pending -> sending, with a lease)."""
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending")
            .where(or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if self.s.bind.dialect.name == "postgresql":
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
        table = OutboxMessage.__table__
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

    async def drop_for_user(self, user_id: int) -> None:
        await self.s.execute(
            delete(OutboxMessage).where(
                OutboxMessage.user_id == user_id, OutboxMessage.status != "sent"
            )
        )
        await self.s.execute(
            update(OutboxMessage).where(OutboxMessage.user_id == user_id).values(payload={})
        )

    async def all(self) -> list[OutboxMessage]:
        return list(await self.s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _dialect(session: AsyncSession) -> Any:
    """The dialect module whose insert() knows ON CONFLICT."""
    return postgresql if session.bind.dialect.name == "postgresql" else sqlite


_PROFILE_FIELDS = tuple(
    c.name for c in Profile.__table__.columns if c.name not in ("user_id", "created_at")
)


@cache
def _profile_upsert(dialect_name: str) -> Any:
    """Built once per dialect so SQLAlchemy compiles it once; values come as parameters."""
    module = postgresql if dialect_name == "postgresql" else sqlite
    stmt = module.insert(Profile)
    return stmt.on_conflict_do_update(
        index_elements=[Profile.user_id],
        set_={name: stmt.excluded[name] for name in _PROFILE_FIELDS},
    ).returning(Profile.created_at)
