"""Admins pair by hand: /match pair and /match move (checked against the mentor's seats
and the program's rules, with a warning when a must-have is broken), and /match undo,
which takes the program's last matching run back while nobody has confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogs.core import i18n, outbox
from dialogs.core.admins import team_of
from dialogs.core.i18n import catalog
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.mentoring import criteria
from dialogs.mentoring.admin import status_of
from dialogs.mentoring.agreements import and_list, language_for, start_agreement
from dialogs.mentoring.programs import CARDS, end_politely, named_program
from dialogs.mentoring.runs import free_seats, pass_on_overflow, person, weights_of
from storage.models import Enrolment, Mentorship, Program, User
from storage.repos.mentoring import UNDONE

_ = catalog(__package__)

PAIR_USAGE = "`/match pair <mentee> <mentor> <program>`"  # i18n: not said
MOVE_USAGE = "`/match move <mentee> <new mentor> <program>`"  # i18n: not said
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
            _(
                "{mentee} already has a mentor, {mentor}. To change it: {usage}. Nothing changed.",
                mentee=display(chosen.mentee),
                mentor=display(other),
                usage=MOVE_USAGE,
            )
        )
        return
    await _introduce(turn, chosen)


async def move(turn: Turn) -> None:
    chosen = await _chosen(turn, MOVE_USAGE)
    if chosen is None:
        return
    live = await _live_of(turn, chosen)
    if live is None:
        turn.say(
            _(
                "{mentee} has no mentor in '{program}' to move from; {usage} pairs them. "
                "Nothing changed.",
                mentee=display(chosen.mentee),
                program=chosen.program.name,
                usage=PAIR_USAGE,
            )
        )
        return
    if live.mentor_id == chosen.mentor.id:
        turn.say(
            _(
                "{mentor} mentors {mentee} already. Nothing changed.",
                mentor=display(chosen.mentor),
                mentee=display(chosen.mentee),
            )
        )
        return
    if await _no_seat(turn, chosen):
        return
    old = await turn.repos.users.get(live.mentor_id)
    await end_politely(turn, chosen.program, live, "moved", None)
    turn.result.queued += 2
    await _introduce(turn, chosen, display(old))


async def _introduce(turn: Turn, chosen: Chosen, old: str | None = None) -> None:
    """Checks the seat and the rules, then both get the agreement, as from a run (`old`:
    the name of the mentor the mentee moved from)."""
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
            _(
                "⚠️ This pair breaks the program's must-have ({rules}): matching would never "
                "have made it.",
                rules=rules,
            )
        )
    if (mentor.id, mentee.id) in before:
        warnings.append(
            _(
                "⚠️ They were paired or asked before in this program (it ended, was declined, "
                "ran out or was rejected): matching would not pair them again."
            )
        )
    warning = "".join(f"\n\n{w}" for w in warnings)
    names = {"mentee": display(mentee), "mentor": display(mentor), "program": program.name}
    if old is None:
        done = _(
            "Paired {mentee} with {mentor} in '{program}' ({score:.0f}% match). Both get the "
            "agreement to confirm.",
            score=score,
            **names,
        )
    else:
        done = _(
            "Moved {mentee} from {old} to {mentor} in '{program}' ({score:.0f}% match). Both "
            "get the agreement to confirm.",
            old=old,
            score=score,
            **names,
        )
    turn.say(done + warning)


async def _no_seat(turn: Turn, chosen: Chosen) -> bool:
    if await free_seats(turn.repos, chosen.program, chosen.mentor.id) > 0:
        return False
    turn.say(
        _(
            "{mentor} has no free mentoring seat in '{program}'. Nothing changed.",
            mentor=display(chosen.mentor),
            program=chosen.program.name,
        )
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
                _(
                    "'{program}' is {status}: nobody can be paired. Nothing changed.",
                    program=program.name,
                    status=status_of(program),
                )
            )
            return None
        chosen = await _people(turn, program, words[:cut])
        if chosen is not None:
            return chosen
        turn.say(
            _(
                "I couldn't tell the mentee and the mentor apart among those words in "
                '\'{program}\': {usage}, or name them with mentee="..." mentor="...". '
                "Nothing changed.",
                program=program.name,
                usage=usage,
            )
        )
        return None
    names = and_list([f"'{p.name}'" for p in programs.values()]) or _("none yet")
    turn.say(
        _(
            "Which program? {usage} (programs in {team}: {names}). Nothing changed.",
            usage=usage,
            team=team.name,
            names=names,
        )
    )
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
        turn.say(
            _(
                "There is no matching run to undo in '{program}'. Nothing changed.",
                program=program.name,
            )
        )
        return
    acted = [m for m in live_pairs if m.agreement or m.status == "active"]
    asked = [p for p in proposals if p.status in ACTED]
    if acted or asked:
        who = await _who_acted(turn, acted, asked)
        turn.say(
            _(
                "The last run in '{program}' can't be undone: {who} already answered. "
                "`/match move` or `end mentoring` change single pairs. Nothing changed.",
                program=program.name,
                who=who,
            )
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
    counts = [
        (len(live_pairs), _.ngettext("{n} introduction", "{n} introductions", len(live_pairs))),
        (
            len([p for p in open_ones if not p.rank]),
            _.ngettext("{n} proposal", "{n} proposals", len([p for p in open_ones if not p.rank])),
        ),
        (
            len(suggested),
            _.ngettext("{n} set of suggestions", "{n} sets of suggestions", len(suggested)),
        ),
    ]
    turn.say(
        _(
            "Undid the last matching run in '{program}': {what} taken back. Everyone in it is "
            "back in the pool for the next run.",
            program=program.name,
            what=and_list([words for count, words in counts if count]),
        )
    )


async def _take_back(turn: Turn, program: Program, key: str, user_id: int) -> None:
    """Unsent: withdrawn, nobody sees it. Sent: the card now says it was taken back."""
    if await outbox.withdraw(turn.repos, key):
        return
    if key not in await turn.repos.outbox.by_keys([key]):
        return
    with i18n.speaking(
        await language_for(turn.repos, await turn.repos.users.get(user_id), program.team_id)
    ):
        card = CARDS.render(
            "mentoring_notice",
            title=_("{program}: this introduction was taken back", program=program.name),
            text=_(
                "An admin undid this matching round before anyone confirmed. You stay "
                "enrolled, and I'll message you when matching runs again. Sorry for the mix-up!"
            ),
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
    return and_list(names, limit=3) or _("someone")
