"""Activities already handled, so that a retried delivery is answered, not redone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sql
from storage.models import InboundActivity
from storage.sql import cast_text, json_escaped


class InboundRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def claim(
        self, key: str, user_id: int | None, replies: list[dict[str, Any]], now: datetime
    ) -> bool:
        """Record a handled activity; False when its key was recorded before. On
        PostgreSQL a concurrent turn with the same key makes this wait until that turn's
        transaction ends (then: False after its commit, True after its rollback)."""
        if self.s.new or self.s.dirty or self.s.deleted:
            await self.s.flush()  # as the ORM would before any statement: same order
        params = {"key": key, "user_id": user_id, "replies": replies, "created_at": now}
        result = await self.s.execute(_claim(sql.dialect_name(self.s)), params)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def replies(self, key: str) -> list[dict[str, Any]]:
        stmt = select(InboundActivity.replies).where(InboundActivity.key == key)
        return list(await self.s.scalar(stmt) or [])

    async def erase_user(self, user_id: int, needles: Iterable[str]) -> None:
        """Their remembered activities go; others' remembered answers that name them or
        carry their words are blanked (the activity is still known as handled)."""
        await self.s.execute(delete(InboundActivity).where(InboundActivity.user_id == user_id))
        found = [n for n in dict.fromkeys(needles) if n]
        for start in range(0, len(found), 50):
            text = cast_text(InboundActivity.replies)
            mentions = or_(
                *(
                    text.icontains(json_escaped(n), autoescape=True)
                    for n in found[start : start + 50]
                )
            )
            await self.s.execute(update(InboundActivity).where(mentions).values(replies=[]))

    async def purge(self, before: datetime) -> int:
        stmt = delete(InboundActivity).where(InboundActivity.created_at < before)
        return int((await self.s.execute(stmt)).rowcount)  # type: ignore[attr-defined]


@cache
def _claim(dialect_name: str) -> Any:
    """Every turn runs this: built once per dialect, on the table rather than the mapped
    class, so neither the statement nor the ORM's bulk-insert path is rebuilt per turn
    (a Core statement, so the caller flushes pending changes first)."""
    table = InboundActivity.__table__
    return sql.insert_for(dialect_name, table).on_conflict_do_nothing()
