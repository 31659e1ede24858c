"""Repository for icebreakers: team settings, the team's own questions, posts, answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    IcebreakerAnswer,
    IcebreakerPost,
    IcebreakerQuestion,
    IcebreakerSettings,
    OutboxMessage,
    Team,
    User,
)


class IcebreakerRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # --- for the dashboard --------------------------------------------------------------
    async def answers_per_post(
        self, team_id: int, start: datetime, end: datetime
    ) -> list[tuple[datetime, str, int]]:
        """(posted at, question, answers) of the team's posts in [start, end), in order;
        counts only, never who answered what."""
        stmt = (
            select(
                IcebreakerPost.posted_at,
                IcebreakerPost.question_text,
                func.count(IcebreakerAnswer.id),
            )
            .outerjoin(IcebreakerAnswer, IcebreakerAnswer.post_id == IcebreakerPost.id)
            .where(IcebreakerPost.team_id == team_id)
            .where(IcebreakerPost.posted_at >= start, IcebreakerPost.posted_at < end)
            .group_by(IcebreakerPost.id, IcebreakerPost.posted_at, IcebreakerPost.question_text)
            .order_by(IcebreakerPost.posted_at, IcebreakerPost.id)
        )
        return [(at, q, int(n)) for at, q, n in (await self.s.execute(stmt)).all()]

    # --- settings ---------------------------------------------------------------------
    async def settings(self, team_id: int) -> IcebreakerSettings | None:
        return await self.s.get(IcebreakerSettings, team_id)

    async def settings_to_change(self, team_id: int, now: datetime) -> IcebreakerSettings:
        """The team's settings row, created with the defaults when there is none."""
        row = await self.settings(team_id)
        if row is None:
            row = IcebreakerSettings(
                team_id=team_id, categories_off=[], questions_off=[], skip_next=False
            )
            self.s.add(row)
        row.updated_at = now
        await self.s.flush()
        return row

    # --- the team's own questions -------------------------------------------------------
    async def questions(self, team_id: int, *statuses: str) -> list[IcebreakerQuestion]:
        stmt = (
            select(IcebreakerQuestion)
            .where(IcebreakerQuestion.team_id == team_id)
            .where(IcebreakerQuestion.status.in_(statuses))
            .order_by(IcebreakerQuestion.id)
        )
        return list(await self.s.scalars(stmt))

    async def question(self, team_id: int, question_id: int) -> IcebreakerQuestion | None:
        row = await self.s.get(IcebreakerQuestion, question_id)
        return row if row is not None and row.team_id == team_id else None

    async def add_question(self, question: IcebreakerQuestion) -> IcebreakerQuestion:
        self.s.add(question)
        await self.s.flush()
        return question

    async def open_suggestions_by(self, team_id: int, user_id: int) -> int:
        stmt = select(func.count()).where(
            IcebreakerQuestion.team_id == team_id,
            IcebreakerQuestion.suggested_by_id == user_id,
            IcebreakerQuestion.status == "suggested",
        )
        return int(await self.s.scalar(stmt) or 0)

    # --- posts ------------------------------------------------------------------------
    async def lock_team(self, team_id: int) -> None:
        """Hold the team's row to the end of the unit (PostgreSQL; SQLite has one writer
        anyway), so two posts at once cannot both pick the same next question."""
        await self.s.execute(select(Team.id).where(Team.id == team_id).with_for_update())

    async def add_post(self, post: IcebreakerPost) -> IcebreakerPost:
        self.s.add(post)
        await self.s.flush()
        return post

    async def post_in_period(self, team_id: int, period: str) -> IcebreakerPost | None:
        stmt = select(IcebreakerPost).where(
            IcebreakerPost.team_id == team_id, IcebreakerPost.period == period
        )
        return await self.s.scalar(stmt)

    async def post(self, post_id: int, lock: bool = False) -> IcebreakerPost | None:
        """A post; `lock` holds its row to the end of the unit (PostgreSQL), so answers to
        one post are counted one turn at a time and no count update is lost."""
        stmt = select(IcebreakerPost).where(IcebreakerPost.id == post_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return await self.s.scalar(stmt)

    async def latest_post(self, team_id: int) -> IcebreakerPost | None:
        stmt = (
            select(IcebreakerPost)
            .where(IcebreakerPost.team_id == team_id)
            .order_by(IcebreakerPost.id.desc())
            .limit(1)
        )
        return await self.s.scalar(stmt)

    async def posts(self, team_id: int) -> list[IcebreakerPost]:
        stmt = select(IcebreakerPost).where(IcebreakerPost.team_id == team_id)
        return list(await self.s.scalars(stmt.order_by(IcebreakerPost.id)))

    async def used_in_cycle(self, team_id: int, cycle: int) -> set[str]:
        stmt = select(IcebreakerPost.question_key).where(
            IcebreakerPost.team_id == team_id, IcebreakerPost.cycle == cycle
        )
        return set(await self.s.scalars(stmt))

    async def post_of_message(
        self, team_id: int, conversation_id: str, activity_id: str
    ) -> IcebreakerPost | None:
        """The post whose card Teams knows as `activity_id` in that channel."""
        stmt = (
            select(IcebreakerPost)
            .join(OutboxMessage, OutboxMessage.idempotency_key == IcebreakerPost.outbox_key)
            .where(
                IcebreakerPost.team_id == team_id,
                OutboxMessage.activity_id == activity_id,
                OutboxMessage.conversation_id == conversation_id,
            )
        )
        return await self.s.scalar(stmt)

    # --- answers ----------------------------------------------------------------------
    async def answer_of(self, post_id: int, user_id: int) -> IcebreakerAnswer | None:
        stmt = select(IcebreakerAnswer).where(
            IcebreakerAnswer.post_id == post_id, IcebreakerAnswer.user_id == user_id
        )
        return await self.s.scalar(stmt)

    async def add_answer(self, answer: IcebreakerAnswer) -> None:
        self.s.add(answer)
        await self.s.flush()

    async def count_answers(self, post_id: int) -> int:
        stmt = select(func.count()).where(IcebreakerAnswer.post_id == post_id)
        return int(await self.s.scalar(stmt) or 0)

    async def shared_answers(self, post_id: int) -> list[tuple[IcebreakerAnswer, User]]:
        stmt = (
            select(IcebreakerAnswer, User)
            .join(User, User.id == IcebreakerAnswer.user_id)
            .where(IcebreakerAnswer.post_id == post_id, IcebreakerAnswer.share.is_(True))
            .order_by(IcebreakerAnswer.created_at, IcebreakerAnswer.id)
        )
        return [(a, u) for a, u in (await self.s.execute(stmt)).all()]

    # --- a member's own data ----------------------------------------------------------
    async def answers_of_user(
        self, user_id: int
    ) -> list[tuple[IcebreakerAnswer, IcebreakerPost, Team]]:
        stmt = (
            select(IcebreakerAnswer, IcebreakerPost, Team)
            .join(IcebreakerPost, IcebreakerPost.id == IcebreakerAnswer.post_id)
            .join(Team, Team.id == IcebreakerAnswer.team_id)
            .where(IcebreakerAnswer.user_id == user_id)
            .order_by(IcebreakerAnswer.id)
        )
        return [(a, p, t) for a, p, t in (await self.s.execute(stmt)).all()]

    async def suggestions_of_user(self, user_id: int) -> list[tuple[IcebreakerQuestion, Team]]:
        stmt = (
            select(IcebreakerQuestion, Team)
            .join(Team, Team.id == IcebreakerQuestion.team_id)
            .where(IcebreakerQuestion.suggested_by_id == user_id)
            .order_by(IcebreakerQuestion.id)
        )
        return [(q, t) for q, t in (await self.s.execute(stmt)).all()]

    async def erase_user(self, user_id: int) -> list[int]:
        """Delete a member's answers and open suggestions; returns the posts answered.

        Questions of theirs the team adopted stay, without their name."""
        answered = await self.s.scalars(
            select(IcebreakerAnswer.post_id).where(IcebreakerAnswer.user_id == user_id)
        )
        posts = sorted(set(answered))
        await self.s.execute(delete(IcebreakerAnswer).where(IcebreakerAnswer.user_id == user_id))
        mine = IcebreakerQuestion.suggested_by_id == user_id
        await self.s.execute(
            delete(IcebreakerQuestion).where(mine, IcebreakerQuestion.status != "active")
        )
        await self.s.execute(update(IcebreakerQuestion).where(mine).values(suggested_by_id=None))
        await self.s.execute(
            update(IcebreakerQuestion)
            .where(IcebreakerQuestion.added_by_id == user_id)
            .values(added_by_id=None)
        )
        return posts

    async def latest_posts_of(self, post_ids: Iterable[int]) -> list[IcebreakerPost]:
        """Of these posts, those that are still their team's latest (the card people see)."""
        wanted = list(post_ids)
        if not wanted:
            return []
        latest = select(func.max(IcebreakerPost.id)).group_by(IcebreakerPost.team_id)
        stmt = select(IcebreakerPost).where(
            IcebreakerPost.id.in_(wanted), IcebreakerPost.id.in_(latest)
        )
        return list(await self.s.scalars(stmt))
