"""Mentoring-program storage: programs, enrolments, proposals and mentorships."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Cohort,
    Enrolment,
    MatchProposal,
    Meeting,
    Mentorship,
    PairGroup,
    PairSeat,
    Program,
    Survey,
    SurveyResponse,
)

LIVE = ("agreeing", "active")  # mentorships that hold a mentor's seat
UNDONE = "undone"  # the end kind of a pair whose matching run an admin undid
OPEN_PROPOSALS = ("suggested", "requested", "proposed")


class ProgramRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # --- programs ---------------------------------------------------------------------
    async def get(self, program_id: int) -> Program | None:
        return await self.s.get(Program, program_id)

    async def by_name(self, team_ids: Iterable[int], name: str) -> list[Program]:
        stmt = select(Program).where(
            Program.team_id.in_(list(team_ids)), func.lower(Program.name) == name.lower()
        )
        return list(await self.s.scalars(stmt))

    async def of_team(self, team_id: int) -> list[Program]:
        stmt = select(Program).where(Program.team_id == team_id).order_by(Program.created_at)
        return list(await self.s.scalars(stmt))

    async def add(self, program: Program) -> Program:
        self.s.add(program)
        await self.s.flush()
        return program

    async def deadline_passed(self, today: date) -> list[Program]:
        """Open programs whose enrolment deadline is over and that were not matched yet."""
        stmt = select(Program).where(
            Program.status == "open",
            Program.enrol_by.is_not(None),
            Program.enrol_by < today,
            Program.matched_at.is_(None),
        )
        return list(await self.s.scalars(stmt))

    # --- enrolments ---------------------------------------------------------------------
    async def enrolment(self, program_id: int, user_id: int) -> Enrolment | None:
        return await self.s.scalar(
            select(Enrolment).where(
                Enrolment.program_id == program_id, Enrolment.user_id == user_id
            )
        )

    async def enrolments(self, program_id: int) -> list[Enrolment]:
        stmt = (
            select(Enrolment)
            .where(Enrolment.program_id == program_id, Enrolment.active.is_(True))
            .order_by(Enrolment.priority.desc(), Enrolment.id)
        )
        return list(await self.s.scalars(stmt))

    async def enrolments_of(self, user_id: int) -> list[Enrolment]:
        return list(await self.s.scalars(select(Enrolment).where(Enrolment.user_id == user_id)))

    def add_enrolment(self, enrolment: Enrolment) -> None:
        self.s.add(enrolment)

    # --- cohorts ----------------------------------------------------------------------
    async def cohorts(self, program_id: int) -> list[Cohort]:
        """A program's cohorts, oldest first (none until it is first split)."""
        stmt = (
            select(Cohort)
            .where(Cohort.program_id == program_id)
            .order_by(Cohort.started_at, Cohort.id)
        )
        return list(await self.s.scalars(stmt))

    async def current_cohort(self, program_id: int) -> int | None:
        """The cohort a new enrolment of the program joins: the latest started."""
        cohorts = await self.cohorts(program_id)
        return cohorts[-1].id if cohorts else None

    async def add_cohort(self, cohort: Cohort) -> Cohort:
        self.s.add(cohort)
        await self.s.flush()
        return cohort

    async def start_first_cohort(self, cohort: Cohort) -> None:
        """The program's first cohort: every enrolment and survey response so far is
        in it (there was only one group of people until now)."""
        await self.add_cohort(cohort)
        program_id = cohort.program_id
        await self.s.execute(
            update(Enrolment)
            .where(Enrolment.program_id == program_id, Enrolment.cohort_id.is_(None))
            .values(cohort_id=cohort.id)
        )
        surveys = select(Survey.id).where(Survey.program_id == program_id)
        await self.s.execute(
            update(SurveyResponse)
            .where(SurveyResponse.survey_id.in_(surveys), SurveyResponse.cohort_id.is_(None))
            .values(cohort_id=cohort.id)
        )

    async def erase_user(self, user_id: int, now: datetime) -> None:
        """Leave every program: enrolments off and their words gone, open proposals closed,
        live mentorships ended; their private end reasons are blanked."""
        await self.s.execute(
            update(Enrolment).where(Enrolment.user_id == user_id).values(active=False, wants="")
        )
        await self.s.execute(
            update(MatchProposal)
            .where(
                or_(MatchProposal.mentor_id == user_id, MatchProposal.mentee_id == user_id),
                MatchProposal.status.in_(OPEN_PROPOSALS),
            )
            .values(status="closed", decided_at=now)
        )
        await self.s.execute(
            update(Mentorship)
            .where(
                or_(Mentorship.mentor_id == user_id, Mentorship.mentee_id == user_id),
                Mentorship.status.in_(LIVE),
            )
            .values(status="ended", ended_at=now, end_kind="erased")
        )
        await self.s.execute(
            update(Mentorship).where(Mentorship.ended_by_id == user_id).values(end_reason=None)
        )

    # --- mentorships --------------------------------------------------------------------
    async def mentorship(self, mentorship_id: int) -> Mentorship | None:
        return await self.s.get(Mentorship, mentorship_id)

    async def live_mentorships(self, program_id: int) -> list[Mentorship]:
        stmt = select(Mentorship).where(
            Mentorship.program_id == program_id, Mentorship.status.in_(LIVE)
        )
        return list(await self.s.scalars(stmt))

    async def mentorships_of(self, user_id: int, live_only: bool = True) -> list[Mentorship]:
        stmt = select(Mentorship).where(
            or_(Mentorship.mentor_id == user_id, Mentorship.mentee_id == user_id)
        )
        if live_only:
            stmt = stmt.where(Mentorship.status.in_(LIVE))
        return list(await self.s.scalars(stmt.order_by(Mentorship.id)))

    async def ended_pairs(self, program_id: int) -> set[tuple[int, int]]:
        """(mentor, mentee) pairs that ended in this program: never proposed again."""
        rows = await self.s.execute(
            select(Mentorship.mentor_id, Mentorship.mentee_id).where(
                Mentorship.program_id == program_id,
                Mentorship.status == "ended",
                # An undone run's pairs never met: they may be proposed again.
                or_(Mentorship.end_kind.is_(None), Mentorship.end_kind != UNDONE),
            )
        )
        return {(a, b) for a, b in rows}

    async def refused_pairs(self, program_id: int) -> set[tuple[int, int]]:
        """(mentor, mentee) pairs a mentor declined or let run out, or an admin rejected."""
        rows = await self.s.execute(
            select(MatchProposal.mentor_id, MatchProposal.mentee_id).where(
                MatchProposal.program_id == program_id,
                MatchProposal.status.in_(("declined", "expired", "rejected")),
            )
        )
        return {(a, b) for a, b in rows}

    async def add_mentorship(self, mentorship: Mentorship) -> Mentorship:
        self.s.add(mentorship)
        await self.s.flush()
        return mentorship

    # --- proposals ----------------------------------------------------------------------
    async def proposal(self, proposal_id: int) -> MatchProposal | None:
        return await self.s.get(MatchProposal, proposal_id)

    async def open_proposals(self, program_id: int) -> list[MatchProposal]:
        stmt = (
            select(MatchProposal)
            .where(
                MatchProposal.program_id == program_id,
                MatchProposal.status.in_(OPEN_PROPOSALS),
            )
            .order_by(MatchProposal.mentee_id, MatchProposal.rank, MatchProposal.id)
        )
        return list(await self.s.scalars(stmt))

    async def suggestions_of(self, program_id: int, mentee_id: int) -> list[MatchProposal]:
        stmt = (
            select(MatchProposal)
            .where(
                MatchProposal.program_id == program_id,
                MatchProposal.mentee_id == mentee_id,
                MatchProposal.status == "suggested",
            )
            .order_by(MatchProposal.rank)
        )
        return list(await self.s.scalars(stmt))

    async def rejected(self, program_id: int) -> list[MatchProposal]:
        """Proposals an admin rejected in the program, oldest first."""
        stmt = select(MatchProposal).where(
            MatchProposal.program_id == program_id, MatchProposal.status == "rejected"
        )
        return list(await self.s.scalars(stmt.order_by(MatchProposal.id)))

    async def expired_requests(self, now: datetime) -> list[MatchProposal]:
        stmt = select(MatchProposal).where(
            MatchProposal.status == "requested", MatchProposal.expires_at <= now
        )
        return list(await self.s.scalars(stmt.order_by(MatchProposal.id)))

    def add_proposal(self, proposal: MatchProposal) -> None:
        self.s.add(proposal)

    async def close_proposals(self, program_id: int, mentee_id: int | None, now: datetime) -> None:
        """Retire open proposals of a program (of one mentee, when given)."""
        stmt = update(MatchProposal).where(
            MatchProposal.program_id == program_id,
            MatchProposal.status.in_(OPEN_PROPOSALS),
        )
        if mentee_id is not None:
            stmt = stmt.where(MatchProposal.mentee_id == mentee_id)
        await self.s.execute(stmt.values(status="closed", decided_at=now))

    async def last_run(self, program_id: int) -> tuple[list[MatchProposal], list[Mentorship]]:
        """What the program's latest matching run made: its proposals and mentorships."""
        latest = func.max(MatchProposal.run_at)
        at = await self.s.scalar(select(latest).where(MatchProposal.program_id == program_id))
        made = await self.s.scalar(
            select(func.max(Mentorship.run_at)).where(Mentorship.program_id == program_id)
        )
        run_at = max((t for t in (at, made) if t is not None), default=None)
        if run_at is None:
            return [], []
        proposals = await self.s.scalars(
            select(MatchProposal)
            .where(MatchProposal.program_id == program_id, MatchProposal.run_at == run_at)
            .order_by(MatchProposal.id)
        )
        pairs = await self.s.scalars(
            select(Mentorship)
            .where(Mentorship.program_id == program_id, Mentorship.run_at == run_at)
            .order_by(Mentorship.id)
        )
        return list(proposals), list(pairs)

    async def counts(self, program_id: int) -> Counter[str]:
        """Enrolled mentors and mentees, live and ended mentorships, open proposals."""
        counts: Counter[str] = Counter()
        rows = await self.s.execute(
            select(Enrolment.role, func.count())
            .where(Enrolment.program_id == program_id, Enrolment.active.is_(True))
            .group_by(Enrolment.role)
        )
        counts.update({f"{role}s": n for role, n in rows})
        rows = await self.s.execute(
            select(Mentorship.status, func.count())
            .where(Mentorship.program_id == program_id)
            .group_by(Mentorship.status)
        )
        counts.update({status: n for status, n in rows})
        rows = await self.s.execute(
            select(MatchProposal.status, func.count())
            .where(MatchProposal.program_id == program_id)
            .group_by(MatchProposal.status)
        )
        counts.update({f"proposals_{status}": n for status, n in rows})
        return counts

    # --- meetings on the calendar ---------------------------------------------------
    async def locked_mentorship(self, mentorship_id: int) -> Mentorship | None:
        """The mentorship, locked for this unit of work: bookings of one pair take turns."""
        stmt = select(Mentorship).where(Mentorship.id == mentorship_id).with_for_update()
        return (await self.s.scalars(stmt)).first()

    async def booked_meeting(
        self, mentorship_id: int | None = None, *, group_id: int | None = None
    ) -> Meeting | None:
        """The booked meeting of a mentor pair (or, with `group_id`, a coffee group)."""
        stmt = select(Meeting).where(_owner(mentorship_id, group_id), Meeting.status == "booked")
        return (await self.s.scalars(stmt.order_by(Meeting.id))).first()

    async def meeting_at(
        self, mentorship_id: int | None, starts_at: datetime, *, group_id: int | None = None
    ) -> Meeting | None:
        owner = _owner(mentorship_id, group_id)
        stmt = select(Meeting).where(owner, Meeting.starts_at == starts_at)
        return (await self.s.scalars(stmt)).first()

    async def add_meeting(self, meeting: Meeting) -> Meeting:
        self.s.add(meeting)
        await self.s.flush()
        return meeting

    # --- meetings that end with their mentorship (cancelled after commit) ---------------
    async def meetings_of(self, user_id: int) -> list[tuple[Meeting, Mentorship]]:
        """Every meeting row of this person's mentorships (theirs to see and erase)."""
        stmt = (
            select(Meeting, Mentorship)
            .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
            .where(or_(Mentorship.mentor_id == user_id, Mentorship.mentee_id == user_id))
            .order_by(Meeting.starts_at, Meeting.id)
        )
        return [(m, ms) for m, ms in (await self.s.execute(stmt)).all()]

    async def booked_with_pairs(self) -> list[tuple[Meeting, Mentorship, Program]]:
        """Booked meetings with their mentorship and program (few: at most one a pair)."""
        stmt = (
            select(Meeting, Mentorship, Program)
            .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
            .join(Program, Program.id == Mentorship.program_id)
            .where(Meeting.status == "booked")
            .order_by(Meeting.id)
        )
        return [(m, ms, p) for m, ms, p in (await self.s.execute(stmt)).all()]

    async def cancelling_meetings(self, limit: int) -> list[tuple[Meeting, int]]:
        """Meetings whose event is to be cancelled, a pair's or a coffee group's, each with
        its team's id."""
        stmt = (
            select(Meeting, func.coalesce(Program.team_id, PairGroup.team_id))
            .outerjoin(Mentorship, Mentorship.id == Meeting.mentorship_id)
            .outerjoin(Program, Program.id == Mentorship.program_id)
            .outerjoin(PairGroup, PairGroup.id == Meeting.group_id)
            .where(Meeting.status == "cancelling")
            .order_by(Meeting.id)
            .limit(limit)
        )
        return [(m, team_id) for m, team_id in (await self.s.execute(stmt)).all()]

    async def group_meetings_of(self, user_id: int) -> list[tuple[Meeting, list[int]]]:
        """Every meeting row of this person's coffee groups, with each group's members."""
        stmt = (
            select(Meeting)
            .join(PairSeat, PairSeat.group_id == Meeting.group_id)
            .where(PairSeat.user_id == user_id)
            .order_by(Meeting.starts_at, Meeting.id)
        )
        meetings = list((await self.s.scalars(stmt)).all())
        members: dict[int, list[int]] = {}
        if meetings:
            seats = select(PairSeat.group_id, PairSeat.user_id).where(
                PairSeat.group_id.in_({m.group_id for m in meetings})
            )
            for group_id, member in (await self.s.execute(seats.order_by(PairSeat.id))).all():
                members.setdefault(group_id, []).append(member)
        return [(m, members.get(m.group_id or 0, [])) for m in meetings]

    async def meeting(self, meeting_id: int) -> Meeting | None:
        return await self.s.get(Meeting, meeting_id, with_for_update=True)


def _owner(mentorship_id: int | None, group_id: int | None) -> Any:
    """A meeting belongs to a mentorship or to a coffee group: exactly one is given."""
    if group_id is not None:
        return Meeting.group_id == group_id
    assert mentorship_id is not None
    return Meeting.mentorship_id == mentorship_id
