"""Member details for people added to a team (the whole roster: bot/roster_import.py)."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.activity import person_of
from dialogs.core.types import Person

log = logging.getLogger("mentorbot.roster")


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
