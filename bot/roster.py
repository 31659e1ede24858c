"""Reading a team's roster through the connector (all pages)."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.activity import person_of
from dialogs.core.types import Person

log = logging.getLogger("mentorbot.roster")
PAGE_SIZE = 500


async def full_roster(context: TurnContext, team_id: str) -> tuple[Person, ...]:
    bot_id = context.activity.recipient.id if context.activity.recipient else None
    people: list[Person] = []
    token: str | None = None
    while True:
        page = await TeamsInfo.get_paged_team_members(context, team_id, token, PAGE_SIZE)
        people += [person_of(m) for m in page.members or [] if m.id and m.id != bot_id]
        token = page.continuation_token
        if not token:
            return tuple(people)


async def with_details(
    context: TurnContext, team_id: str, people: tuple[Person, ...]
) -> tuple[Person, ...]:
    """Added members arrive as bare ids; look each up for a name and email."""
    detailed = []
    for person in people:
        try:
            member = await TeamsInfo.get_team_member(context, team_id, person.id)
            detailed.append(person_of(member))
        except Exception as exc:  # keep the bare id: the member is still stored and greeted
            log.warning("could not read member details: %s", exc.__class__.__name__)
            detailed.append(person)
    return tuple(detailed)
