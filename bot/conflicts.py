"""A turn's unit of work, tried again when it collided with another replica's.

Two replicas can run turns about the same thing at the same moment: the same new
person's first two messages, two admins' commands on one team, a double-clicked card.
The loser of such a race gets a unique-key violation, a serialization failure or a
deadlock from PostgreSQL, and its transaction was rolled back, so nothing it did is
visible. Running the turn again from the start sees the winner's committed rows and
answers with what happened ("a round ran 0 hours ago") instead of "something went
wrong". Replies are only sent after a commit, so a retried turn says nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import Database, Repos

log = logging.getLogger("mentorbot.turn")
T = TypeVar("T")
TRIES = 3
# PostgreSQL: serialization_failure, deadlock_detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})


async def in_unit(
    db: Database, origin: str, work: Callable[[Repos], Awaitable[T]], tries: int = TRIES
) -> T:
    """Run `work` in one unit; on a conflict with a concurrent transaction, run it again."""
    for attempt in range(1, tries + 1):
        try:
            async with db.unit(origin=origin) as repos:
                return await work(repos)
        except DBAPIError as exc:
            if attempt == tries or not is_conflict(exc):
                raise
            log.info(
                "a concurrent change collided with this turn; trying again (%d)",
                attempt,
                extra={"origin": origin, "conflict": exc.__class__.__name__},
            )
    raise AssertionError("unreachable")


def is_conflict(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state in RETRY_SQLSTATES
