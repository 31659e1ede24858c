"""Repositories: the only code that writes SQL, split by what they store. One `Repos`
per unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repos.coffee import PairingRepo
from storage.repos.directory import DirectoryRepo
from storage.repos.feedback import FeedbackRepo
from storage.repos.goals import GoalRepo
from storage.repos.icebreakers import IcebreakerRepo
from storage.repos.inbound import InboundRepo
from storage.repos.leases import LeaseRepo
from storage.repos.mentoring import ProgramRepo
from storage.repos.outbox import OutboxRepo, Outcome
from storage.repos.people import AdminRepo, MembershipRepo, ProfileRepo, TeamRepo, UserRepo
from storage.repos.roster import RosterImportRepo
from storage.repos.schedules import JobRunRepo, ScheduleRepo
from storage.repos.tab import TabRepo

__all__ = ["Outcome", "Repos"]


class Repos:
    def __init__(self, session: AsyncSession, origin: str | None = None) -> None:
        self.session = session
        self.origin = origin
        self.users = UserRepo(session)
        self.teams = TeamRepo(session)
        self.members = MembershipRepo(session)
        self.admins = AdminRepo(session)
        self.profiles = ProfileRepo(session)
        self.outbox = OutboxRepo(session, origin)
        self.leases = LeaseRepo(session)
        self.roster_imports = RosterImportRepo(session, origin)
        self.schedules = ScheduleRepo(session)
        self.job_runs = JobRunRepo(session)
        self.pairing = PairingRepo(session)
        self.icebreakers = IcebreakerRepo(session)
        self.programs = ProgramRepo(session)
        self.goals = GoalRepo(session)
        self.inbound = InboundRepo(session)
        self.feedback = FeedbackRepo(session)
        self.tab = TabRepo(session)
        self.directory = DirectoryRepo(session)

    async def flush(self) -> None:
        await self.session.flush()
