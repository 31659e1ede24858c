"""An activity is handled once: Teams retries a delivery when a turn is slow, and a
double click sends a card twice. The first is recognised by its activity id, the second
by what was submitted on which card by whom. A repeat gets the first answer and changes
nothing (the record is part of the turn's transaction, so a turn that rolled back was
never handled). Keys are hashes: the table holds no ids in clear."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime

from dialogs.core.types import Inbound, Reply, TurnResult
from storage.repos import Repos

# Rows live this long (the retention job drops older ones): Teams retries within
# minutes, and a card pressed again the next day is still the same click.
KEEP_HOURS = 48


def key_of(inbound: Inbound) -> str | None:
    if inbound.kind == "submit" and inbound.reply_to_id:
        value = json.dumps(inbound.value, sort_keys=True, default=str)
        parts = ["submit", inbound.sender.id, inbound.conversation_id, inbound.reply_to_id, value]
    elif inbound.activity_id:
        parts = ["activity", inbound.conversation_id, inbound.activity_id]
    else:
        return None
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Repeated(Exception):
    """This activity was handled before: roll the turn back and give `answer(key)`."""

    def __init__(self, key: str) -> None:
        super().__init__("the activity was handled before")  # i18n: not said
        self.key = key


async def remember(repos: Repos, key: str, result: TurnResult, now: datetime) -> None:
    """Record the turn's answer under its key, in the turn's transaction; raise Repeated
    when the key was recorded before. One statement for a new activity: a repeat (rare)
    did its work for nothing and is rolled back. On PostgreSQL a concurrent repeat waits
    here for the first one's transaction, then sees its row."""
    replies = [asdict(r) for r in result.replies]
    if not await repos.inbound.claim(key, result.sender_id, replies, now):
        raise Repeated(key)


async def answer(repos: Repos, key: str) -> TurnResult:
    """The first time's answer, for a repeat (in a new unit, after the rollback)."""
    replies = [Reply(**r) for r in await repos.inbound.replies(key)]
    return TurnResult(replies=replies, route="repeat")
