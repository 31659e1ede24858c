"""The registry of scheduled jobs: name -> (async function, trigger arguments).

Empty until the features that need it (delivery, pairing, icebreakers, check-ins)
register their jobs here; one place keeps the whole schedule readable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[..., Awaitable[None]]
    trigger: str
    trigger_args: dict[str, Any]


JOBS: tuple[Job, ...] = ()
