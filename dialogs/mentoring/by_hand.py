"""Admins pair by hand: /match pair and /match move (checked against the mentor's seats
and the program's rules, with a warning when a must-have is broken), and /match undo,
which takes the program's last matching run back while nobody has confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogs.core import outbox
from dialogs.core.admins import team_of
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.core.words import and_list, plural
from dialogs.mentoring import criteria
from dialogs.mentoring.agreements import start_agreement
from dialogs.mentoring.programs import CARDS, end_politely, named_program
from dialogs.mentoring.runs import free_seats, pass_on_overflow, person, weights_of
from storage.models import Enrolment, Mentorship, Program, User
from storage.repos.mentoring import UNDONE

PAIR_USAGE = "`/match pair <mentee> <mentor> <program>`"
MOVE_USAGE = "`/match move <mentee> <new mentor> <program>`"
# Anything a person did in reply to a run: then it cannot be taken back quietly.
ACTED = ("requested", "declined", "expired")


@dataclass
class Chosen:
    program: Program
    mentee: User
    mentor: User


async def pair(turn: Turn) -> None:
    chosen = await _chosen(turn, PAIR_USAGE)
    if chosen is None:
        return
    live = await _live_of(turn, chosen)
    if live is not None:
        other = await turn.repos.users.get(live.mentor_id)
        turn.say(
            f"{display(chosen.mentee)} already has a mentor, {display(other)}. To change it: "
            f"{MOVE_USAGE}. Nothing changed."
        )
        return
    await _introduce(turn, chosen, f"Paired {display(chosen.mentee)} with {display(chosen.mentor)}")


async def move(turn: Turn) -> None:
    chosen = await _chosen(turn, MOVE_USAGE)
    if chosen is None:
        return
    live = await _live_of(turn, chosen)
    if live is None:
        turn.say(
            f"{display(chosen.mentee)} has no mentor in '{chosen.program.name}' to move from; "
            f"{PAIR_USAGE} pairs them. Nothing changed."
        )
        return
    if live.mentor_id == chosen.mentor.id:
        turn.say(
            f"{display(chosen.mentor)} mentors {display(chosen.mentee)} already. Nothing changed."
        )
        return
    if await _no_seat(turn, chosen):
        return
    old = await turn.repos.users.get(live.mentor_id)
    await end_politely(turn, chosen.program, live, "moved", None)
    turn.result.queued += 2
    await _introduce(
        turn,
        chosen,
        f"Moved {display(chosen.mentee)} from {display(old)} to {display(chosen.mentor)}",
    )


async def _introduce(turn: Turn, chosen: Chosen, done: str) -> None:
    """Checks the seat and the rules, then both get the agreement, as from a run."""
    if await _no_seat(turn, chosen):
        return
    program, mentor, mentee = chosen.program, chosen.mentor, chosen.mentee
    score, reasons, broken = await _fit(turn, chosen)
    before = await turn.repos.programs.ended_pairs(program.id)
    before |= await turn.repos.programs.refused_pairs(program.id)
    await start_agreement(
        turn.repos, program, mentor, mentee, score, reasons, turn.now, graph=turn.env.graph
    )
    turn.result.queued += 2 + await pass_on_overflow(turn.repos, program, mentor.id, turn.now)
    warnings = []
    if broken:
        rules = and_list([c.replace("_", " ") for c in broken])
        warnings.append(
            f"⚠️ This pair breaks the program's must-have ({rules}): matching would never "
            "have made it."
        )
    if (mentor.id, mentee.id) in before:
        warnings.append(
            "⚠️ They were paired or asked before in this program (it ended, was declined, "
            "ran out or was rejected): matching would not pair them again."
        )
    warning = "".join(f"\n\n{w}" for w in warnings)
    turn.say(
        f"{done} in '{program.name}' ({score:.0f}% match). Both get the agreement to "
        f"confirm.{warning}"
    )


async def _no_seat(turn: Turn, chosen: Chosen) -> bool:
    if await free_seats(turn.repos, chosen.program, chosen.mentor.id) > 0:
        return False
    turn.say(
        f"{display(chosen.mentor)} has no free mentoring seat in '{chosen.program.name}'. "
        "Nothing changed."
    )
    return True


async def _fit(turn: Turn, chosen: Chosen) -> tuple[float, list[dict[str, Any]], list[str]]:
    """The pair's score, reasons and the must-haves it breaks, as a run would see them."""
    from dialogs.mentoring import matching  # numpy and friends: only when pairing

    program = chosen.program
    people = await turn.repos.profiles.of_users([chosen.mentor.id, chosen.mentee.id])
    enrolments = {
        u.id: await turn.repos.programs.enrolment(program.id, u.id)
        for u in (chosen.mentor, chosen.mentee)
    }
    mentor = person(
        chosen.mentor, _known(enrolments[chosen.mentor.id]), people.get(chosen.mentor.id), 1
    )
    mentee = person(
        chosen.mentee, _known(enrolments[chosen.mentee.id]), people.get(chosen.mentee.id), 0
    )
    weights = weights_of(program)
    found = criteria.explain_pair(mentor, mentee, weights, at=turn.now)
    must = [c.name for c in found if weights[c.name] >= criteria.MUST_HAVE and c.score <= 0]
    # Unlike a run, a pair by hand keeps its real score even when a must-have rules it out.
    total = sum(weights[c.name] * c.score for c in found) / sum(weights.values())
    score = round(float(matching.UNITS * total)) / 10
    return score, criteria.offered(found), must


def _known(enrolment: Enrolment | None) -> Enrolment:
    assert enrolment is not None  # checked by _chosen
    return enrolment


async def _live_of(turn: Turn, chosen: Chosen) -> Mentorship | None:
    live = await turn.repos.programs.live_mentorships(chosen.program.id)
    return next((m for m in live if m.mentee_id == chosen.mentee.id), None)


# --- who and where --------------------------------------------------------------------
async def _chosen(turn: Turn, usage: str) -> Chosen | None:
    """The mentee, mentor and program the command names, as `mentee=` `mentor=` and the
    program's name, or as plain words: the one way to split them that names a mentee
    and a mentor enrolled in a program of the team."""
    team = team_of(turn)
    programs = {p.name.lower(): p for p in await turn.repos.programs.of_team(team.id)}
    words = turn.rest.split()
    # The program's name: `name=`, else the shortest run of last words that names one.
    cuts = [len(words)] if turn.args.get("name") else range(len(words) - 1, -1, -1)
    for cut in cuts:
        name = turn.args.get("name") or " ".join(words[cut:])
        program = programs.get(" ".join(name.split()).lower())
        if program is None:
            continue
        if program.status != "open":
            turn.say(
                f"'{program.name}' is {program.status}: nobody can be paired. Nothing changed."
            )
            return None
        chosen = await _people(turn, program, words[:cut])
        if chosen is not None:
            return chosen
        turn.say(
            f"I couldn't tell the mentee and the mentor apart among those words in "
            f'\'{program.name}\': {usage}, or name them with mentee="..." mentor="...". '
            "Nothing changed."
        )
        return None
    names = and_list([f"'{p.name}'" for p in programs.values()]) or "none yet"
    turn.say(f"Which program? {usage} (programs in {team.name}: {names}). Nothing changed.")
    return None


async def _people(turn: Turn, program: Program, words: list[str]) -> Chosen | None:
    enrolled = [e for e in await turn.repos.programs.enrolments(program.id) if e.active]
    users = await turn.repos.users.by_ids(e.user_id for e in enrolled)
    sides = {
        role: [users[e.user_id] for e in enrolled if e.role == role and e.user_id in users]
        for role in ("mentor", "mentee")
    }
    if turn.args.get("mentee") and turn.args.get("mentor"):
        splits = [(turn.args["mentee"], turn.args["mentor"])]
    else:
        splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    found = {
        (mentee.id, mentor.id): Chosen(program, mentee, mentor)
        for a, b in splits
        if (mentee := _one_named(sides["mentee"], a)) is not None
        and (mentor := _one_named(sides["mentor"], b)) is not None
    }
    return next(iter(found.values())) if len(found) == 1 else None


def _one_named(people: list[User], query: str) -> User | None:
    """The one person whose name is `query`, or starts or contains it (ignoring case)."""
    q = " ".join(query.casefold().split())
    if not q:
        return None
    names = [(u, display(u).casefold()) for u in people]
    for test in (
        lambda n: n == q,
        lambda n: n.startswith(q + " "),
        lambda n: q in n,
    ):
        hits = [u for u, n in names if test(n)]
        if hits:
            return hits[0] if len(hits) == 1 else None
    return None


# --- /match undo ---------------------------------------------------------------------
async def undo(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    proposals, pairs = await turn.repos.programs.last_run(program.id)
    live_pairs = [m for m in pairs if m.status in ("agreeing", "active")]
    open_ones = [p for p in proposals if p.status in ("suggested", "proposed")]
    if not live_pairs and not open_ones:
        turn.say(f"There is no matching run to undo in '{program.name}'. Nothing changed.")
        return
    acted = [m for m in live_pairs if m.agreement or m.status == "active"]
    asked = [p for p in proposals if p.status in ACTED]
    if acted or asked:
        who = await _who_acted(turn, acted, asked)
        turn.say(
            f"The last run in '{program.name}' can't be undone: {who} already answered. "
            "`/match move` or `end mentoring` change single pairs. Nothing changed."
        )
        return
    for proposal in open_ones:
        proposal.status, proposal.decided_at = "closed", turn.now
    suggested = {p.mentee_id for p in open_ones if p.rank}  # suggestions have a rank
    for mentorship in live_pairs:
        mentorship.status, mentorship.ended_at, mentorship.end_kind = "ended", turn.now, UNDONE
        mentorship.ended_by_id = turn.user.id
        for user_id in (mentorship.mentor_id, mentorship.mentee_id):
            key = outbox.key("agreement", mentorship.id, user=user_id)
            await _take_back(turn, program, key, user_id)
    run_at = (proposals or pairs)[0].run_at
    for mentee_id in suggested:
        assert run_at is not None
        key = outbox.key("suggestions", program=program.id, user=mentee_id, at=run_at.isoformat())
        await _take_back(turn, program, key, mentee_id)
    parts = [
        plural(len(live_pairs), "introduction"),
        plural(len([p for p in open_ones if not p.rank]), "proposal"),
        plural(len(suggested), "set of suggestions", "sets of suggestions"),
    ]
    turn.say(
        f"Undid the last matching run in '{program.name}': "
        + and_list([p for p in parts if not p.startswith("0 ")])
        + " taken back. Everyone in it is back in the pool for the next run."
    )


async def _take_back(turn: Turn, program: Program, key: str, user_id: int) -> None:
    """Unsent: withdrawn, nobody sees it. Sent: the card now says it was taken back."""
    if await outbox.withdraw(turn.repos, key):
        return
    if key not in await turn.repos.outbox.by_keys([key]):
        return
    card = CARDS.render(
        "mentoring_notice",
        title=f"{program.name}: this introduction was taken back",
        text="An admin undid this matching round before anyone confirmed. You stay "
        "enrolled, and I'll message you when matching runs again. Sorry for the mix-up!",
    )
    update = outbox.card_update(
        outbox.key("undone", key), key, card, user_id=user_id, team_id=program.team_id
    )
    turn.result.queued += await outbox.queue(turn.repos, update, turn.now)


async def _who_acted(turn: Turn, acted: list[Mentorship], asked: list[Any]) -> str:
    ids = {
        i
        for m in acted
        for side, i in (("mentor", m.mentor_id), ("mentee", m.mentee_id))
        if side in m.agreement
    }
    ids |= {p.mentee_id for p in asked}
    people = await turn.repos.users.by_ids(ids)
    names = sorted(display(u) for u in people.values())
    return and_list(names, limit=3) or "someone"
