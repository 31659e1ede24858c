"""An activity is handled once: Teams retries a delivery when a turn is slow, and a
double click sends a card twice. The first is recognised by its activity id, the second
by what was submitted on which card by whom. A repeat gets the first answer and changes
nothing (the claim is part of the turn's transaction, so a turn that rolled back was
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


async def repeated(repos: Repos, key: str, now: datetime) -> TurnResult | None:
    """None when this is the first time; else the answer the first time gave."""
    if await repos.inbound.claim(key, now):
        return None
    replies = [Reply(**r) for r in await repos.inbound.replies(key)]
    return TurnResult(replies=replies, route="repeat")


async def remember(repos: Repos, key: str, result: TurnResult) -> None:
    await repos.inbound.record(key, result.sender_id, [asdict(r) for r in result.replies])
