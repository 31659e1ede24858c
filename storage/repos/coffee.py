"""Coffee-pairing storage: pools, members' choices, don't-pair lists, rounds and seats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sql
from storage.models import (
    DontPair,
    Membership,
    PairChoice,
    PairGroup,
    PairPool,
    PairRound,
    PairSeat,
    Profile,
    Team,
    User,
)


class Followup(NamedTuple):
    """A seat whose "did you meet?" went out: when, and when it was answered."""

    followup_at: datetime
    answered_at: datetime | None


UPSERT_CHUNK = 1000  # rows per multi-row statement (bound parameters stay under limits)


@dataclass(frozen=True)
class RoundStats:
    """A round with its follow-up answers counted (for `/pair history`)."""

    round: PairRound
    groups: int
    seats: int
    met: dict[str, int]  # yes | not_yet | no -> answers
    ratings: list[int]


class PairingRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # --- pools and choices ---------------------------------------------------------
    async def pool(self, team_id: int) -> PairPool | None:
        return await self.s.get(PairPool, team_id)

    async def ensure_pool(self, team_id: int, now: datetime) -> PairPool:
        pool = await self.pool(team_id)
        if pool is None:
            pool = PairPool(
                team_id=team_id,
                opt_in=False,
                group_size=2,
                history_rounds=12,
                cross_department=False,
                followup_days=5,
                lottery_winners=0,
                updated_at=now,
            )
            self.s.add(pool)
            await self.s.flush()
        return pool

    async def pools(self, team_ids: Iterable[int]) -> dict[int, PairPool]:
        ids = list(team_ids)
        rows = await self.s.scalars(select(PairPool).where(PairPool.team_id.in_(ids)))
        return {p.team_id: p for p in rows}

    async def choices(self, team_id: int) -> dict[int, PairChoice]:
        rows = await self.s.scalars(select(PairChoice).where(PairChoice.team_id == team_id))
        return {c.user_id: c for c in rows}

    async def choices_of(self, user_id: int) -> dict[int, PairChoice]:
        rows = await self.s.scalars(select(PairChoice).where(PairChoice.user_id == user_id))
        return {c.team_id: c for c in rows}

    async def choice(self, team_id: int, user_id: int, now: datetime) -> PairChoice:
        """The member's choice row, created (neutral) when they have none."""
        row = await self.s.scalar(
            select(PairChoice).where(PairChoice.team_id == team_id, PairChoice.user_id == user_id)
        )
        if row is None:
            row = PairChoice(team_id=team_id, user_id=user_id, joined=True, updated_at=now)
            self.s.add(row)
        return row

    async def clear_ghost_pauses(self, user_id: int, now: datetime) -> int:
        """End ghost pauses everywhere; misses before now no longer count."""
        result = await self.s.execute(
            update(PairChoice)
            .where(PairChoice.user_id == user_id, PairChoice.ghost_paused_at.is_not(None))
            .values(ghost_paused_at=None, misses_from=now, updated_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # --- don't-pair lists -----------------------------------------------------------
    async def dont_pair_of(self, user_id: int) -> list[User]:
        stmt = (
            select(User)
            .join(DontPair, DontPair.other_id == User.id)
            .where(DontPair.user_id == user_id)
            .order_by(DontPair.created_at)
        )
        return list(await self.s.scalars(stmt))

    async def add_dont_pair(self, user_id: int, other_id: int, now: datetime) -> bool:
        exists = await self.s.scalar(
            select(DontPair.id).where(DontPair.user_id == user_id, DontPair.other_id == other_id)
        )
        if exists is not None:
            return False
        self.s.add(DontPair(user_id=user_id, other_id=other_id, created_at=now))
        return True

    async def remove_dont_pair(self, user_id: int, other_id: int) -> bool:
        result = await self.s.execute(
            delete(DontPair).where(DontPair.user_id == user_id, DontPair.other_id == other_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def dont_pair_in_team(self, team_id: int) -> dict[int, set[int]]:
        """The don't-pair ids of each active member of the team (one direction; the
        algorithm mirrors them), read by the team rather than by a list of ids."""
        members = select(Membership.user_id).where(
            Membership.team_id == team_id, Membership.active.is_(True)
        )
        rows = await self.s.execute(
            select(DontPair.user_id, DontPair.other_id).where(DontPair.user_id.in_(members))
        )
        out: dict[int, set[int]] = defaultdict(set)
        for user_id, other_id in rows:
            out[user_id].add(other_id)
        return out

    async def member_profiles(self, team_id: int) -> dict[int, Profile]:
        """The profiles of the team's active members."""
        rows = await self.s.scalars(
            select(Profile)
            .join(Membership, Membership.user_id == Profile.user_id)
            .where(Membership.team_id == team_id, Membership.active.is_(True))
        )
        return {p.user_id: p for p in rows}

    # --- rounds ---------------------------------------------------------------------
    async def add_round(self, pair_round: PairRound) -> PairRound:
        self.s.add(pair_round)
        await self.s.flush()
        return pair_round

    async def add_group(
        self, pair_round: PairRound, user_ids: list[int], lottery: bool
    ) -> tuple[PairGroup, list[PairSeat]]:
        group = PairGroup(round_id=pair_round.id, team_id=pair_round.team_id, lottery=lottery)
        self.s.add(group)
        await self.s.flush()
        seats = [
            PairSeat(group_id=group.id, round_id=pair_round.id, team_id=group.team_id, user_id=u)
            for u in user_ids
        ]
        self.s.add_all(seats)
        return group, seats

    async def add_groups(
        self, pair_round: PairRound, groups: Sequence[tuple[Sequence[int], bool]]
    ) -> list[int]:
        """A round's groups (member ids, lottery) and their seats, in a fixed number of
        statements whatever their count (call after the round's own insert, see
        `sql.reserve_ids`); the new groups' ids, in the order given."""
        if not groups:
            return []
        table = cast(Table, PairGroup.__table__)
        ids = await sql.reserve_ids(self.s, table, len(groups))
        await self.s.execute(
            insert(table),
            [
                {
                    "id": group_id,
                    "round_id": pair_round.id,
                    "team_id": pair_round.team_id,
                    "lottery": lottery,
                }
                for group_id, (_members, lottery) in zip(ids, groups, strict=True)
            ],
        )
        seats = [
            {
                "group_id": group_id,
                "round_id": pair_round.id,
                "team_id": pair_round.team_id,
                "user_id": user_id,
            }
            for group_id, (members, _lottery) in zip(ids, groups, strict=True)
            for user_id in members
        ]
        await self.s.execute(insert(cast(Table, PairSeat.__table__)), seats)
        return ids

    async def ghost_pause(self, team_id: int, user_ids: Sequence[int], now: datetime) -> None:
        """Pause these members' coffee chats here for unanswered follow-ups: their choice
        rows, made (as joined) where they have none, a statement per 1,000 members."""
        table = cast(Table, PairChoice.__table__)
        connection = await self.s.connection()
        for start in range(0, len(user_ids), UPSERT_CHUNK):
            rows = [
                {
                    "team_id": team_id,
                    "user_id": u,
                    "joined": True,
                    "ghost_paused_at": now,
                    "updated_at": now,
                }
                for u in user_ids[start : start + UPSERT_CHUNK]
            ]
            stmt = sql.insert(self.s, table).values(rows)
            stmt = stmt.on_conflict_do_update(
                index_elements=["team_id", "user_id"],
                set_={"ghost_paused_at": now, "updated_at": now},
            )
            await connection.execute(stmt)
        paused = set(user_ids)
        for row in list(self.s.identity_map.values()):  # rows read before: read them again
            if isinstance(row, PairChoice) and row.team_id == team_id and row.user_id in paused:
                self.s.expire(row)

    async def round_by_period(self, team_id: int, period: str) -> PairRound | None:
        return await self.s.scalar(
            select(PairRound).where(PairRound.team_id == team_id, PairRound.period == period)
        )

    async def last_round(self, team_id: int) -> PairRound | None:
        return await self.s.scalar(
            select(PairRound)
            .where(PairRound.team_id == team_id)
            .order_by(PairRound.created_at.desc(), PairRound.id.desc())
            .limit(1)
        )

    async def history(self, team_id: int, rounds: int) -> list[list[list[int]]]:
        """The team's last `rounds` rounds, oldest first: each a list of groups of user ids."""
        if rounds <= 0:
            return []
        recent = (
            select(PairRound.id)
            .where(PairRound.team_id == team_id)
            .order_by(PairRound.created_at.desc(), PairRound.id.desc())
            .limit(rounds)
        )
        ids = list(await self.s.scalars(recent))
        rows = await self.s.execute(
            select(PairSeat.round_id, PairSeat.group_id, PairSeat.user_id)
            .where(PairSeat.round_id.in_(ids))
            .order_by(PairSeat.group_id, PairSeat.user_id)
        )
        by_round: dict[int, dict[int, list[int]]] = {i: defaultdict(list) for i in ids}
        for round_id, group_id, user_id in rows:
            by_round[round_id][group_id].append(user_id)
        return [list(by_round[i].values()) for i in reversed(ids)]

    async def recent_followups(self, team_id: int, per_user: int) -> dict[int, list[Followup]]:
        """Each team member's latest `per_user` seats here whose follow-up went out, newest
        first (one statement: the ranking is done by the database)."""
        rank = (
            func.row_number()
            .over(
                partition_by=PairSeat.user_id,
                order_by=(PairSeat.followup_at.desc(), PairSeat.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(PairSeat.user_id, PairSeat.followup_at, PairSeat.answered_at, rank)
            .where(PairSeat.team_id == team_id, PairSeat.followup_at.is_not(None))
            .subquery()
        )
        rows = await self.s.execute(
            select(ranked.c.user_id, ranked.c.followup_at, ranked.c.answered_at)
            .where(ranked.c.rank <= per_user)
            .order_by(ranked.c.user_id, ranked.c.rank)
        )
        out: dict[int, list[Followup]] = defaultdict(list)
        for user_id, followup_at, answered_at in rows:
            out[user_id].append(Followup(followup_at, answered_at))
        return out

    async def lottery_wins(self, team_id: int, host_id: int, since: datetime) -> dict[int, int]:
        """How often each member won the lottery with this host since `since`."""
        stmt = (
            select(PairSeat.user_id, func.count())
            .join(PairGroup, PairGroup.id == PairSeat.group_id)
            .join(PairRound, PairRound.id == PairSeat.round_id)
            .where(PairGroup.team_id == team_id, PairGroup.lottery.is_(True))
            .where(PairSeat.user_id != host_id, PairRound.created_at >= since)
            .group_by(PairSeat.user_id)
        )
        return {user_id: int(n) for user_id, n in await self.s.execute(stmt)}

    # --- follow-ups -----------------------------------------------------------------
    async def followups_due(
        self, now: datetime, oldest: datetime
    ) -> list[tuple[PairSeat, PairRound, PairPool]]:
        """Seats whose follow-up is due (round + the pool's delay) and not yet queued.

        Rounds older than `oldest` are left alone: after long downtime a stale
        "did you meet?" would only confuse."""
        stmt = (
            select(PairSeat, PairRound, PairPool)
            .join(PairRound, PairRound.id == PairSeat.round_id)
            .join(PairPool, PairPool.team_id == PairRound.team_id)
            .where(PairSeat.followup_at.is_(None), PairRound.created_at >= oldest)
            .order_by(PairSeat.id)
        )
        rows = (await self.s.execute(stmt)).tuples()
        return [
            (seat, pair_round, pool)
            for seat, pair_round, pool in rows
            if pair_round.created_at + timedelta(days=pool.followup_days) <= now
        ]

    async def seat(self, group_id: int, user_id: int) -> PairSeat | None:
        return await self.s.scalar(
            select(PairSeat).where(PairSeat.group_id == group_id, PairSeat.user_id == user_id)
        )

    async def locked_group(self, group_id: int) -> PairGroup | None:
        """A coffee group, locked for this unit of work: its bookings take turns."""
        stmt = select(PairGroup).where(PairGroup.id == group_id).with_for_update()
        return (await self.s.scalars(stmt)).first()

    async def group_members(self, group_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(group_ids)
        out: dict[int, list[int]] = defaultdict(list)
        if ids:
            rows = await self.s.execute(
                select(PairSeat.group_id, PairSeat.user_id)
                .where(PairSeat.group_id.in_(ids))
                .order_by(PairSeat.id)
            )
            for group_id, user_id in rows:
                out[group_id].append(user_id)
        return out

    async def recent_stats(self, team_id: int, limit: int) -> list[RoundStats]:
        rounds = list(
            await self.s.scalars(
                select(PairRound)
                .where(PairRound.team_id == team_id)
                .order_by(PairRound.created_at.desc(), PairRound.id.desc())
                .limit(limit)
            )
        )
        seats = await self.s.scalars(
            select(PairSeat).where(PairSeat.round_id.in_([r.id for r in rounds]))
        )
        by_round: dict[int, list[PairSeat]] = defaultdict(list)
        for seat in seats:
            by_round[seat.round_id].append(seat)
        return [_stats(r, by_round[r.id]) for r in rounds]

    async def seats_of(self, user_id: int) -> list[tuple[PairSeat, PairRound, Team]]:
        stmt = (
            select(PairSeat, PairRound, Team)
            .join(PairRound, PairRound.id == PairSeat.round_id)
            .join(Team, Team.id == PairSeat.team_id)
            .where(PairSeat.user_id == user_id)
            .order_by(PairRound.created_at)
        )
        return list((await self.s.execute(stmt)).tuples())

    async def erase_user(self, user_id: int) -> None:
        """Their lists, choices and words go; seats stay (others' history needs them)."""
        await self.s.execute(delete(DontPair).where(DontPair.user_id == user_id))
        await self.s.execute(delete(PairChoice).where(PairChoice.user_id == user_id))
        await self.s.execute(
            update(PairSeat).where(PairSeat.user_id == user_id).values(comment=None)
        )

    async def active_member_users(self, team_id: int) -> list[User]:
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_id, Membership.active.is_(True))
            .order_by(User.id)
        )
        return list(await self.s.scalars(stmt))

    async def users_in_teams_matching(self, team_ids: Iterable[int], query: str) -> list[User]:
        """Active members of any of these teams whose name, email or UPN matches."""
        pattern = f"%{query.lower()}%"
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id.in_(list(team_ids)), Membership.active.is_(True))
            .where(
                or_(
                    func.lower(User.name).like(pattern),
                    func.lower(User.email).like(pattern),
                    func.lower(User.upn).like(pattern),
                )
            )
            .distinct()
            .order_by(User.name)
        )
        return list(await self.s.scalars(stmt))


def _stats(pair_round: PairRound, seats: list[PairSeat]) -> RoundStats:
    met = {"yes": 0, "not_yet": 0, "no": 0}
    for seat in seats:
        if seat.met in met:
            met[seat.met] += 1
    return RoundStats(
        pair_round,
        groups=len({s.group_id for s in seats}),
        seats=len(seats),
        met=met,
        ratings=[s.rating for s in seats if s.rating is not None],
    )
