"""Goals and check-ins storage: goals and their shares, check-in settings, check-ins and
their entries, session agendas, notes and action items, and pairs' inactivity nudges."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import sql
from storage.models import (
    ActionItem,
    Checkin,
    CheckinEntry,
    CheckinSettings,
    Goal,
    GoalShare,
    Mentorship,
    PairNudge,
    PairSeat,
    Profile,
    Program,
    SessionAgenda,
    SessionNotes,
    User,
)

OPEN = ("on_track", "at_risk", "blocked")  # a goal with one of these statuses is open


class GoalRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # --- goals ---------------------------------------------------------------------------
    async def lock_owner(self, user_id: int) -> None:
        """Serialize one member's goal numbering (PostgreSQL; SQLite has one writer)."""
        if sql.is_postgres(self.s):
            await self.s.execute(select(User.id).where(User.id == user_id).with_for_update())

    async def next_number(self, user_id: int) -> int:
        top = await self.s.scalar(select(func.max(Goal.number)).where(Goal.user_id == user_id))
        return int(top or 0) + 1

    async def add_goal(self, goal: Goal) -> Goal:
        self.s.add(goal)
        await self.s.flush()
        return goal

    async def goal(self, goal_id: int) -> Goal | None:
        return await self.s.get(Goal, goal_id)

    async def goal_by_number(self, user_id: int, number: int) -> Goal | None:
        stmt = select(Goal).where(Goal.user_id == user_id, Goal.number == number)
        return await self.s.scalar(stmt)

    async def goals_of(self, user_id: int, open_only: bool = False) -> list[Goal]:
        stmt = select(Goal).where(Goal.user_id == user_id)
        if open_only:
            stmt = stmt.where(Goal.status.in_(OPEN))
        return list(await self.s.scalars(stmt.order_by(Goal.number)))

    async def with_open_goals(self, user_ids: Iterable[int]) -> set[int]:
        ids = list(user_ids)
        if not ids:
            return set()
        stmt = select(Goal.user_id).where(Goal.user_id.in_(ids), Goal.status.in_(OPEN))
        return set(await self.s.scalars(stmt.distinct()))

    # --- shares --------------------------------------------------------------------------
    async def share(self, goal_id: int, user_id: int, now: datetime) -> GoalShare | None:
        """Share a goal with someone; None when it was shared with them already."""
        found = await self.s.scalar(
            select(GoalShare).where(GoalShare.goal_id == goal_id, GoalShare.user_id == user_id)
        )
        if found is not None:
            return None
        share = GoalShare(goal_id=goal_id, user_id=user_id, created_at=now)
        self.s.add(share)
        await self.s.flush()
        return share

    async def unshare(self, goal_id: int, user_id: int) -> bool:
        result = await self.s.execute(
            delete(GoalShare).where(GoalShare.goal_id == goal_id, GoalShare.user_id == user_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def shared_with_of(self, goal_ids: Iterable[int]) -> dict[int, list[int]]:
        """Who each goal is shared with (user ids, in the order they were shared)."""
        ids = list(goal_ids)
        out: dict[int, list[int]] = defaultdict(list)
        if ids:
            rows = await self.s.execute(
                select(GoalShare.goal_id, GoalShare.user_id)
                .where(GoalShare.goal_id.in_(ids))
                .order_by(GoalShare.id)
            )
            for goal_id, user_id in rows:
                out[goal_id].append(user_id)
        return out

    async def shared_to(self, viewer_id: int) -> list[Goal]:
        """Goals other members shared with `viewer_id` (not dropped), by owner and number."""
        stmt = (
            select(Goal)
            .join(GoalShare, GoalShare.goal_id == Goal.id)
            .where(GoalShare.user_id == viewer_id, Goal.status != "dropped")
            .order_by(Goal.user_id, Goal.number)
        )
        return list(await self.s.scalars(stmt))

    # --- check-in settings ----------------------------------------------------------------
    async def settings(self, user_id: int) -> CheckinSettings | None:
        return await self.s.get(CheckinSettings, user_id)

    async def add_settings(self, row: CheckinSettings) -> CheckinSettings:
        self.s.add(row)
        await self.s.flush()
        return row

    async def schedules_on(self) -> list[tuple[CheckinSettings, User, str | None]]:
        """Enabled check-in settings of members still with us, with their profile's zone."""
        stmt = (
            select(CheckinSettings, User, Profile.timezone)
            .join(User, User.id == CheckinSettings.user_id)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(CheckinSettings.enabled.is_(True))
            .where(User.opted_out.is_(False), User.erased_at.is_(None))
            .order_by(CheckinSettings.user_id)
        )
        return [(c, u, tz) for c, u, tz in (await self.s.execute(stmt)).all()]

    # --- check-ins -------------------------------------------------------------------------
    async def checkin(self, checkin_id: int, lock: bool = False) -> Checkin | None:
        stmt = select(Checkin).where(Checkin.id == checkin_id)
        if lock and sql.is_postgres(self.s):
            stmt = stmt.with_for_update()  # two presses of one card save one at a time
        return await self.s.scalar(stmt)

    async def add_checkin(
        self,
        user_id: int,
        period: str,
        trigger: str,
        goal_ids: list[int],
        due_at: datetime,
        now: datetime,
    ) -> Checkin | None:
        """A new check-in, unless (user, period) exists already (a concurrent run of
        another replica: on PostgreSQL this waits for it and then does nothing)."""
        values = dict(
            user_id=user_id,
            period=period,
            trigger=trigger,
            goal_ids=goal_ids,
            due_at=due_at,
            created_at=now,
        )
        stmt = sql.insert(self.s, Checkin).values(**values).on_conflict_do_nothing()
        new_id = (await self.s.execute(stmt.returning(Checkin.id))).scalar()
        return None if new_id is None else await self.s.get(Checkin, new_id)

    async def periods_sent(self, keys: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of these (user, period) check-ins exist already."""
        wanted = set(keys)
        if not wanted:
            return set()
        rows = await self.s.execute(
            select(Checkin.user_id, Checkin.period).where(
                Checkin.user_id.in_({u for u, _ in wanted}),
                Checkin.period.in_({p for _, p in wanted}),
            )
        )
        return {(u, p) for u, p in rows} & wanted

    async def count_checkins(self, user_id: int) -> int:
        stmt = select(func.count()).select_from(Checkin).where(Checkin.user_id == user_id)
        return int(await self.s.scalar(stmt) or 0)

    async def checkins_of(self, user_id: int) -> list[Checkin]:
        stmt = select(Checkin).where(Checkin.user_id == user_id).order_by(Checkin.id)
        return list(await self.s.scalars(stmt))

    async def entries(self, checkin_id: int) -> dict[int, CheckinEntry]:
        rows = await self.s.scalars(
            select(CheckinEntry).where(CheckinEntry.checkin_id == checkin_id)
        )
        return {e.goal_id: e for e in rows}

    def add_entry(self, entry: CheckinEntry) -> None:
        self.s.add(entry)

    async def history(self, goal_ids: Iterable[int]) -> dict[int, list[CheckinEntry]]:
        """Each goal's check-in entries, newest first."""
        ids = list(goal_ids)
        out: dict[int, list[CheckinEntry]] = defaultdict(list)
        if ids:
            rows = await self.s.scalars(
                select(CheckinEntry)
                .where(CheckinEntry.goal_id.in_(ids))
                .order_by(CheckinEntry.created_at.desc(), CheckinEntry.id.desc())
            )
            for entry in rows:
                out[entry.goal_id].append(entry)
        return out

    async def reminders_due(self, sent_before: datetime, sent_after: datetime) -> list[Checkin]:
        """Scheduled check-ins sent in that window, unanswered, never reminded, and still
        their member's newest check-in (a newer one supersedes a reminder)."""
        later = aliased(Checkin)
        stmt = (
            select(Checkin)
            .where(
                Checkin.trigger == "schedule",
                Checkin.answered_at.is_(None),
                Checkin.reminded_at.is_(None),
                Checkin.created_at <= sent_before,
                Checkin.created_at >= sent_after,
            )
            .where(
                ~select(later.id)
                .where(later.user_id == Checkin.user_id, later.id > Checkin.id)
                .exists()
            )
            .order_by(Checkin.id)
        )
        return list(await self.s.scalars(stmt))

    async def last_answered(self, user_ids: Iterable[int]) -> dict[int, datetime]:
        ids = list(user_ids)
        if not ids:
            return {}
        rows = await self.s.execute(
            select(Checkin.user_id, func.max(Checkin.answered_at))
            .where(Checkin.user_id.in_(ids), Checkin.answered_at.is_not(None))
            .group_by(Checkin.user_id)
        )
        return {u: at for u, at in rows if at is not None}

    # --- sessions: agendas, notes, action items -------------------------------------------
    async def add_agenda(self, agenda: SessionAgenda) -> SessionAgenda:
        self.s.add(agenda)
        await self.s.flush()
        return agenda

    async def add_notes(self, notes: SessionNotes) -> SessionNotes:
        self.s.add(notes)
        await self.s.flush()
        return notes

    async def add_item(self, item: ActionItem) -> ActionItem:
        self.s.add(item)
        await self.s.flush()
        return item

    async def latest_agenda(self, pair_key: str, author_id: int) -> SessionAgenda | None:
        stmt = (
            select(SessionAgenda)
            .where(SessionAgenda.pair_key == pair_key, SessionAgenda.author_id == author_id)
            .order_by(SessionAgenda.id.desc())
            .limit(1)
        )
        return await self.s.scalar(stmt)

    async def latest_notes(self, pair_key: str) -> SessionNotes | None:
        stmt = (
            select(SessionNotes)
            .where(SessionNotes.pair_key == pair_key)
            .order_by(SessionNotes.id.desc())
            .limit(1)
        )
        return await self.s.scalar(stmt)

    async def open_items(self, pair_key: str) -> list[ActionItem]:
        stmt = (
            select(ActionItem)
            .where(ActionItem.pair_key == pair_key, ActionItem.done_at.is_(None))
            .order_by(ActionItem.due_on, ActionItem.id)
        )
        return list(await self.s.scalars(stmt))

    async def item(self, item_id: int) -> ActionItem | None:
        return await self.s.get(ActionItem, item_id)

    async def items_to_remind(self, due_by: date) -> list[tuple[ActionItem, User, str | None]]:
        """Open, unreminded action items due on or before `due_by`, with their owner and the
        owner's profile zone (the caller decides per owner's local date)."""
        stmt = (
            select(ActionItem, User, Profile.timezone)
            .join(User, User.id == ActionItem.owner_id)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(
                ActionItem.done_at.is_(None),
                ActionItem.reminded_at.is_(None),
                ActionItem.due_on <= due_by,
            )
            .order_by(ActionItem.id)
        )
        return [(i, u, tz) for i, u, tz in (await self.s.execute(stmt)).all()]

    async def last_session(self, pair_keys: Iterable[str]) -> dict[str, datetime]:
        """Each pair's latest agenda or notes."""
        keys = list(pair_keys)
        if not keys:
            return {}
        both = union_all(
            select(SessionAgenda.pair_key, SessionAgenda.created_at).where(
                SessionAgenda.pair_key.in_(keys)
            ),
            select(SessionNotes.pair_key, SessionNotes.created_at).where(
                SessionNotes.pair_key.in_(keys)
            ),
        ).subquery()
        rows = await self.s.execute(
            select(both.c.pair_key, func.max(both.c.created_at)).group_by(both.c.pair_key)
        )
        return {k: _aware(at) for k, at in rows if at is not None}

    async def coffee_session_keys(self) -> set[str]:
        """Coffee pairs that have used agendas or notes."""
        agendas = select(SessionAgenda.pair_key).where(SessionAgenda.pair_key.like("c%"))
        notes = select(SessionNotes.pair_key).where(SessionNotes.pair_key.like("c%"))
        return set(await self.s.scalars(union_all(agendas, notes)))

    async def active_mentorships(self) -> list[tuple[Mentorship, Program]]:
        stmt = (
            select(Mentorship, Program)
            .join(Program, Program.id == Mentorship.program_id)
            .where(Mentorship.status == "active")
            .order_by(Mentorship.id)
        )
        return [(m, p) for m, p in (await self.s.execute(stmt)).all()]

    # --- nudges ----------------------------------------------------------------------------
    async def nudge_once(self, pair_key: str, kind: str, stretch: str, now: datetime) -> bool:
        """Record a nudge or escalation of one stretch; False when it was recorded before."""
        stmt = (
            sql.insert(self.s, PairNudge)
            .values(pair_key=pair_key, kind=kind, stretch=stretch, created_at=now)
            .on_conflict_do_nothing()
        )
        return bool((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    # --- coffee partners -----------------------------------------------------------------
    async def coffee_partners(self, user_id: int) -> list[tuple[int, int]]:
        """(partner id, team id) for everyone who shared a coffee group with `user_id`
        where both answered "yes, we met"."""
        mine, theirs = aliased(PairSeat), aliased(PairSeat)
        stmt = (
            select(theirs.user_id, theirs.team_id)
            .join(mine, mine.group_id == theirs.group_id)
            .where(mine.user_id == user_id, theirs.user_id != user_id)
            .where(mine.met == "yes", theirs.met == "yes")
            .distinct()
            .order_by(theirs.user_id, theirs.team_id)
        )
        return [(u, t) for u, t in await self.s.execute(stmt)]

    async def last_coffee_answer(self, a: int, b: int) -> datetime | None:
        """The latest follow-up answer either of two members gave about a group of both."""
        seat_a, seat_b, any_seat = aliased(PairSeat), aliased(PairSeat), aliased(PairSeat)
        groups = (
            select(seat_a.group_id)
            .join(seat_b, seat_b.group_id == seat_a.group_id)
            .where(seat_a.user_id == a, seat_b.user_id == b)
        )
        at = await self.s.scalar(
            select(func.max(any_seat.answered_at)).where(
                any_seat.group_id.in_(groups), any_seat.user_id.in_([a, b])
            )
        )
        return _aware(at) if at else None

    # --- your data -------------------------------------------------------------------------
    async def agendas_by(self, user_id: int) -> list[SessionAgenda]:
        stmt = select(SessionAgenda).where(SessionAgenda.author_id == user_id)
        return list(await self.s.scalars(stmt.order_by(SessionAgenda.id)))

    async def notes_of(self, user_id: int) -> list[SessionNotes]:
        """Notes they wrote or that were written about a meeting with them."""
        stmt = select(SessionNotes).where(
            or_(SessionNotes.author_id == user_id, SessionNotes.partner_id == user_id)
        )
        return list(await self.s.scalars(stmt.order_by(SessionNotes.id)))

    async def items_of(self, user_id: int) -> list[ActionItem]:
        stmt = select(ActionItem).where(ActionItem.owner_id == user_id)
        return list(await self.s.scalars(stmt.order_by(ActionItem.id)))

    async def erase_user(self, user_id: int) -> None:
        """Delete their goals with shares and history, check-ins, settings, the agendas and
        notes they wrote (with their action items) and action items they own; shares of
        other people's goals with them are removed too."""
        goals = select(Goal.id).where(Goal.user_id == user_id)
        checkins = select(Checkin.id).where(Checkin.user_id == user_id)
        notes = select(SessionNotes.id).where(SessionNotes.author_id == user_id)
        for stmt in (
            delete(CheckinEntry).where(
                or_(CheckinEntry.goal_id.in_(goals), CheckinEntry.checkin_id.in_(checkins))
            ),
            delete(GoalShare).where(
                or_(GoalShare.goal_id.in_(goals), GoalShare.user_id == user_id)
            ),
            delete(Goal).where(Goal.user_id == user_id),
            delete(Checkin).where(Checkin.user_id == user_id),
            delete(CheckinSettings).where(CheckinSettings.user_id == user_id),
            delete(ActionItem).where(
                or_(ActionItem.notes_id.in_(notes), ActionItem.owner_id == user_id)
            ),
            delete(SessionNotes).where(SessionNotes.author_id == user_id),
            delete(SessionAgenda).where(SessionAgenda.author_id == user_id),
        ):
            await self.s.execute(stmt)


def _aware(moment: datetime | str) -> datetime:
    """Aggregates over a union lose the column type on SQLite (text, or a naive time)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
