"""Plain data of scheduled work: a job's definition and what one run of it is given."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from storage import Repos

Scope = Literal["team", "global"]
Clock = Callable[[], datetime]


class Reporter(Protocol):
    """Where unexpected errors go: (where, error, **context of ids and names)."""

    def __call__(self, where: str, error: BaseException, **context: object) -> None: ...


@dataclass(frozen=True)
class JobContext:
    """One claimed period. `repos` is the claiming transaction: write results and outbox
    rows through it (never open another `Database.unit()`), so they commit with the claim
    or roll back with it."""

    repos: Repos
    team_id: int | None  # teams.id for a team job; None for a global job
    period: str
    due_at: datetime  # when the period was due (earlier than `now` after a catch-up)
    now: datetime
    # What the app hands every job (dialogs.core.router.Env: retention days, admins).
    env: Any = None


JobFunction = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """A named async function. Team jobs run per team with an enabled `schedules` row
    named like the job; global jobs run once per `every`-long UTC interval."""

    name: str
    run: JobFunction
    scope: Scope = "team"
    every: timedelta | None = None

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 100:
            raise ValueError("job name: must be 1 to 100 characters")
        if self.scope not in ("team", "global"):
            raise ValueError(f"job {self.name}: scope must be 'team' or 'global'")
        if (self.scope == "global") != (self.every is not None):
            raise ValueError(f"job {self.name}: `every` is required for global jobs only")
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError(f"job {self.name}: `every` must be positive")
