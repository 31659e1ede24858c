"""Who is paired with whom, for the features that work between two people (goal
sharing, agendas and notes, check-in notices, feedback).

A *pair* is an active mentorship (key "m<id>") or two coffee partners who keep meeting:
they shared a coffee group and both answered "yes, we met" (key "c<low id>-<high id>").
Someone who is both counts once, as the mentorship. A pair lives in a team (the program's,
or the coffee round's) and counts only while both are active members there
(dialogs/core/members.py): someone removed from the team no longer acts for it.
Everything here reads repositories only; a card submit names its pair by key and is
checked against the sender's own pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.core import i18n
from dialogs.core.members import active_in
from dialogs.core.people import display
from dialogs.core.router import Turn
from storage.models import Mentorship, User
from storage.repos import Repos

_ = i18n.catalog(__package__)


@dataclass(frozen=True)
class Pair:
    key: str
    partner: User
    kind: str  # mentorship | coffee
    # The partner seen from me: "your mentor", "your mentee", "your coffee partner", in
    # the language in force when the pair was read (the turn's: said to its sender).
    role: str
    team_id: int | None  # the team of the program or coffee round (for the outbox)


def coffee_key(a: int, b: int) -> str:
    return f"c{min(a, b)}-{max(a, b)}"


async def pairs_of(repos: Repos, user: User) -> list[Pair]:
    """The member's live pairs: active mentorships first, then coffee partners who met."""
    mentorships = [m for m in await repos.programs.mentorships_of(user.id) if m.status == "active"]
    coffee = await repos.goals.coffee_partners(user.id)
    people = await repos.users.by_ids(
        {_other(m, user.id) for m in mentorships} | {partner for partner, _ in coffee}
    )
    pairs, seen = [], set()
    for m in mentorships:
        other = people.get(_other(m, user.id))
        program = await repos.programs.get(m.program_id)
        if other is None or other.teams_id is None or program is None or other.id in seen:
            continue
        if not await active_in(repos, program.team_id, [user.id, other.id]):
            continue
        role = _("your mentee") if m.mentor_id == user.id else _("your mentor")
        pairs.append(Pair(f"m{m.id}", other, "mentorship", role, program.team_id))
        seen.add(other.id)
    for partner_id, team_id in coffee:
        other = people.get(partner_id)
        if other is None or other.teams_id is None or other.id in seen:
            continue
        if not await active_in(repos, team_id, [user.id, other.id]):
            continue
        key = coffee_key(user.id, other.id)
        pairs.append(Pair(key, other, "coffee", _("your coffee partner"), team_id))
        seen.add(other.id)
    return pairs


def _other(m: Mentorship, user_id: int) -> int:
    return m.mentee_id if m.mentor_id == user_id else m.mentor_id


async def choose_pair(turn: Turn, verb: str, query: str | None = None) -> Pair | None:
    """The pair a command is about: the only one, or the one named (or @mentioned)."""
    pairs = await pairs_of(turn.repos, turn.user)
    if not pairs:
        turn.say(
            _(
                "`{verb}` is for you and your mentor, mentee or a coffee partner you keep "
                "meeting, and you don't have one right now. Nothing changed.",
                verb=verb,
            )
        )
        return None
    chosen = _named(pairs, turn, turn.rest if query is None else query)
    if chosen is None and len(pairs) == 1 and not _asked_for_someone(turn, query):
        chosen = pairs[0]
    if chosen is None:
        names = ", ".join(f"{display(p.partner)} ({p.role})" for p in pairs)
        turn.say(
            _("With whom? Type `{verb} <name>`: {names}. Nothing changed.", verb=verb, names=names)
        )
    return chosen


def _named(pairs: list[Pair], turn: Turn, query: str) -> Pair | None:
    mentioned = {m.id for m in turn.inbound.mentions}
    if mentioned:
        found = [p for p in pairs if p.partner.teams_id in mentioned]
        return found[0] if len(found) == 1 else None
    wanted = query.strip().lstrip("@").lower()
    if not wanted:
        return None
    found = [p for p in pairs if wanted in display(p.partner).lower()]
    return found[0] if len(found) == 1 else None


def _asked_for_someone(turn: Turn, query: str | None) -> bool:
    return bool(turn.inbound.mentions) or bool((turn.rest if query is None else query).strip())


async def pair_from_card(turn: Turn) -> Pair | None:
    """The pair a card submit names, if the sender is in it and it is still live."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    key = value.get("pair")
    pairs = await pairs_of(turn.repos, turn.user) if isinstance(key, str) else []
    found = [p for p in pairs if p.key == key]
    if not found:
        turn.say(
            _(
                "I can't find that pair of yours (it may have ended, or the card isn't "
                "yours). Nothing was saved."
            )
        )
        return None
    return found[0]
