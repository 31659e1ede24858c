"""Matching in a program: a run in the program's mode (automatic, choose, approve),
suggestions and requests in "choose" mode, and the two jobs (requests that ran out,
matching at the enrolment deadline).

`matching.py` scores every pair and finds the optimal assignment; `criteria.py` says what
each criterion means and explains a pair. This module reads the enrolments, applies the
program's mode and writes proposals, mentorships and messages in the caller's unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from dialogs.core import forms, i18n, members, outbox
from dialogs.core.i18n import N_, catalog
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.mentoring import criteria, programs
from dialogs.mentoring.agreements import and_list, language_for, reason_list, start_agreement
from dialogs.mentoring.agreements import match_words as why
from dialogs.mentoring.programs import CARDS
from scheduler.types import JobContext
from storage.models import Enrolment, MatchProposal, Profile, Program, User
from storage.repos import Repos

_ = catalog(__package__)

REQUEST_ACTION, ANSWER_ACTION = "match_request", "match_answer"
MAX_LISTED = 10  # unmatched mentees named in a run's summary
# A pair's score in words: the floors of "strong", "good", "fair"; below, "weak".
FITS = (
    (70, N_("a strong fit")),
    (50, N_("a good fit")),
    (30, N_("a fair fit")),
    (0, N_("a weak fit")),
)
# A program's mode as a run's summary names it.
MODES = {"automatic": N_("automatic"), "choose": N_("choose"), "approve": N_("approve")}
# Why a request passed on to the mentee's next choice (said to the mentee).
COULD_NOT = N_("{mentor} couldn't take you on")
NO_SEAT = N_("{mentor} has no free seat any more")
NO_ANSWER = N_("{mentor} didn't answer within {days} days")
REQUEST_DAYS = 3  # a mentor answers a mentee's request within this, else it passes on
SUGGESTIONS = (3, 5)  # a mentee in "choose" mode sees up to 5, at least 3 when there are


def _algorithm() -> ModuleType:
    """The scoring and the solver, loaded at the first matching run: numpy, scipy and
    HiGHS cost start-up time that a bot which never matches should not pay."""
    from dialogs.mentoring import matching

    return matching


@dataclass
class RunResult:
    """What one matching run did, for the admin's reply."""

    matched: int = 0
    suggested: int = 0
    proposed: int = 0
    # Each mentee left without a mentor, with why (`criteria.why_unmatched` facts).
    unmatched: list[tuple[User, dict[str, Any]]] = field(default_factory=list)
    messages: int = 0
    pairs: list[tuple[User, User, float]] = field(default_factory=list)  # mentor, mentee, %
    graph: bool = False  # Graph connected: new pairs may get a group chat


@dataclass
class Pool:
    program: Program
    mentors: list[tuple[User, Enrolment, int]]  # with seats left
    mentees: list[tuple[User, Enrolment]]  # without a mentor or an open proposal
    profiles: dict[int, Profile]
    full: list[tuple[User, Enrolment]]  # mentors without a free seat (to say why)
    # (mentor, mentee) pairs never proposed again: ended before, declined, let run out,
    # or rejected by an admin.
    ended: set[tuple[int, int]]
    # Each person's manager from the directory (user ids): never matched with them.
    managers: dict[int, int] = field(default_factory=dict)

    def people(self) -> tuple[list[criteria.Person], list[criteria.Person]]:
        """The mentors with a free seat and the waiting mentees, as the matching reads them."""
        boss, profile = self.managers.get, self.profiles.get
        mentors = [person(u, e, profile(u.id), s, boss(u.id)) for u, e, s in self.mentors]
        return mentors, [person(u, e, profile(u.id), 0, boss(u.id)) for u, e in self.mentees]


async def read_pool(repos: Repos, program: Program) -> Pool:
    enrolled = await repos.programs.enrolments(program.id)
    users = await repos.users.by_ids(e.user_id for e in enrolled)
    live = await repos.programs.live_mentorships(program.id)
    pending = await repos.programs.open_proposals(program.id)
    taken = Counter(m.mentor_id for m in live)
    taken.update(p.mentor_id for p in pending if p.status in ("requested", "proposed"))
    busy = {m.mentee_id for m in live} | {p.mentee_id for p in pending}
    mentors, mentees, full = [], [], []
    for e in enrolled:
        user = users.get(e.user_id)
        if user is None or user.opted_out or user.teams_id is None:
            continue
        if e.role == "mentor":
            seats = (e.capacity or program.capacity) - taken[user.id]
            if seats > 0:
                mentors.append((user, e, seats))
            else:
                full.append((user, e))
        elif user.id not in busy:
            mentees.append((user, e))
    profiles = await repos.profiles.of_users(users)
    managers = await managers_of(repos, users.values())
    ruled_out = await repos.programs.ended_pairs(program.id)
    ruled_out |= await repos.programs.refused_pairs(program.id)
    return Pool(program, mentors, mentees, profiles, full, ruled_out, managers)


async def managers_of(repos: Repos, users: Iterable[User]) -> dict[int, int]:
    """Each person's manager (user ids) as the directory says, where both are known."""
    people = list(users)
    entries = await repos.directory.entries(u.id for u in people)
    tenants = {u.id: u.tenant_id for u in people}
    found: dict[int, int] = {}
    for tenant in {tenants[e.user_id] for e in entries.values()}:
        chosen = [e for e in entries.values() if tenants[e.user_id] == tenant and e.manager_aad_id]
        bosses = await repos.directory.users_by_aad(tenant, (e.manager_aad_id for e in chosen))
        found |= {
            e.user_id: bosses[e.manager_aad_id].id for e in chosen if e.manager_aad_id in bosses
        }
    return found


def person(
    user: User,
    enrolment: Enrolment,
    profile: Profile | None,
    seats: int,
    manager: int | None = None,
) -> criteria.Person:
    p = profile
    return criteria.Person(
        id=str(user.id),
        name=display(user),
        skills_offer=tuple(p.skills_offer) if p else (),
        skills_want=tuple(p.skills_want) if p else (),
        goals=" ".join(x for x in ((p.goals if p else ""), enrolment.wants) if x),
        interests=tuple(p.interests) if p else (),
        languages=tuple(p.languages) if p else (),
        department=(p.department or None) if p else None,
        location=(p.location or None) if p else None,
        timezone=(p.timezone if p else None) or user.timezone_hint,
        meeting_format=p.meeting_format if p else "any",
        seniority=enrolment.experience_years,
        capacity=seats,
        manager_id=str(manager) if manager is not None else None,
    )


def weights_of(program: Program) -> dict[str, float]:
    chosen = dict(program.weights or {})
    if "diversity" in program.objectives and "cross_department" not in chosen:
        chosen["cross_department"] = 3  # a diversity program prefers cross-department pairs
    return criteria.parse_weights(chosen)


async def run_matching(
    repos: Repos, program: Program, now: datetime, *, graph: bool = False
) -> RunResult:
    """Match every waiting mentee (re-matches first), in the program's mode. `graph`:
    Microsoft Graph is connected (new pairs may get a group chat, `start_agreement`)."""
    result = RunResult(graph=graph)
    pool = await read_pool(repos, program)
    first = [m for m in pool.mentees if m[1].priority]
    if first:
        rest = {u.id for u, e in pool.mentees if not e.priority}
        pool.mentees = first
        await _run(repos, program, now, pool, result)
        pool = await read_pool(repos, program)  # seats as the first pass left them
        pool.mentees = [m for m in pool.mentees if m[0].id in rest]
    if pool.mentees:
        await _run(repos, program, now, pool, result)
    return result


async def _run(
    repos: Repos, program: Program, now: datetime, pool: Pool, result: RunResult
) -> None:
    if program.mode == "choose":
        await _suggest(repos, pool, now, result)
        return
    weights = weights_of(program)
    mentors, people = pool.people()
    algo = _algorithm()
    units = _allowed_units(pool, mentors, people, weights, now)
    assignment = algo.assign(units, [p.capacity for p in mentors]) if units.size else None
    left: list[int] = []
    for i, (mentee, _) in enumerate(pool.mentees):
        j = int(assignment.mentor_of[i]) if assignment is not None else -1
        if j < 0:
            left.append(i)
            continue
        mentor, score = pool.mentors[j][0], int(units[i, j]) / 10
        reasons = reasons_for(mentors[j], people[i], weights, now)
        result.pairs.append((mentor, mentee, score))
        if program.mode == "automatic":
            await start_agreement(
                repos, program, mentor, mentee, score, reasons, now, run_at=now, graph=result.graph
            )
            result.matched += 1
            result.messages += 2
        else:
            proposal = _proposal(program, mentor, mentee, score, reasons, "proposed", now)
            repos.programs.add_proposal(proposal)
            result.proposed += 1
    unmatched = unmatched_reasons(pool, left, weights, now)
    if program.mode == "automatic":
        await _tell_unmatched(repos, pool, unmatched, now, result)
    else:
        result.unmatched += unmatched  # told nothing until an admin decides


def unmatched_reasons(
    pool: Pool, left: list[int], weights: dict[str, float], now: datetime
) -> list[tuple[User, dict[str, Any]]]:
    """Why each mentee of `left` (indexes into pool.mentees) has no mentor, from every
    mentor enrolled: full ones too, so "the two mentors who fit are full" can be said."""
    if not left:
        return []
    everyone = [(u, e, s) for u, e, s in pool.mentors] + [(u, e, 1) for u, e in pool.full]
    boss, profile = pool.managers.get, pool.profiles.get
    mentors = [person(u, e, profile(u.id), max(s, 1), boss(u.id)) for u, e, s in everyone]
    waiting = [pool.mentees[i] for i in left]
    people = [person(u, e, profile(u.id), 0, boss(u.id)) for u, e in waiting]
    scores = None
    if mentors:
        scores = _algorithm().score_matrix(mentors, people, weights, at=now, keep_misses=True)
    found = []
    for i, (mentee, _) in enumerate(waiting):
        causes = [
            _cause(scores, i, j, (u.id, mentee.id) in pool.ended)
            for j, (u, _, _) in enumerate(everyone)
        ]
        found.append((mentee, criteria.why_unmatched(people[i], causes)))
    return found


def _cause(scores: Any, i: int, j: int, before: bool) -> str:
    """What keeps mentee i and mentor j apart (see `criteria.why_unmatched`)."""
    for name in criteria.CRITERIA:
        if name in scores.misses and scores.misses[name][i, j]:
            return f"must:{name}"
    if scores.units[i, j] <= 0:
        return "nothing"
    return "before" if before else "full"


def _allowed_units(
    pool: Pool,
    mentors: list[criteria.Person],
    people: list[criteria.Person],
    weights: dict[str, float],
    now: datetime,
) -> Any:
    """Pair scores (0.1 % units; 0 = never) with pairs that ended before ruled out."""
    units = _scores(mentors, people, weights, now).copy()
    for i, (mentee, _) in enumerate(pool.mentees):
        for j, (mentor, _, _) in enumerate(pool.mentors):
            if (mentor.id, mentee.id) in pool.ended:
                units[i, j] = 0
    return units


def _scores(
    mentors: list[criteria.Person],
    people: list[criteria.Person],
    weights: dict[str, float],
    now: datetime,
) -> Any:
    """Every pair's score in 0.1 % units (a matrix, mentees by mentors)."""
    algo = _algorithm()
    if not mentors or not people:
        return algo.no_scores(len(people), len(mentors))
    return algo.score_matrix(mentors, people, weights, at=now).units


async def _suggest(repos: Repos, pool: Pool, now: datetime, result: RunResult) -> None:
    """Mode "choose": each mentee gets their best mentors (up to 5) to request one."""
    program = pool.program
    mentors, people = pool.people()
    weights = weights_of(program)
    units = _scores(mentors, people, weights, now)
    left: list[int] = []
    for i, (mentee, _) in enumerate(pool.mentees):
        ranked = sorted(
            (j for j in range(len(mentors)) if units[i, j] > 0),
            key=lambda j: (-int(units[i, j]), j),
        )
        ranked = [j for j in ranked if (pool.mentors[j][0].id, mentee.id) not in pool.ended]
        if not ranked:
            left.append(i)
            continue
        picks = ranked[: SUGGESTIONS[1]]
        proposals = []
        for rank, j in enumerate(picks, 1):
            mentor = pool.mentors[j][0]
            reasons = reasons_for(mentors[j], people[i], weights, now)
            proposal = _proposal(
                program, mentor, mentee, units[i, j] / 10, reasons, "suggested", now
            )
            proposal.rank = rank
            repos.programs.add_proposal(proposal)
            proposals.append((proposal, mentor))
        await repos.session.flush()
        await _send_suggestions(repos, program, mentee, proposals, now)
        result.suggested += 1
        result.messages += 1
    await _tell_unmatched(repos, pool, unmatched_reasons(pool, left, weights, now), now, result)


def reasons_for(
    mentor: criteria.Person, mentee: criteria.Person, weights: dict[str, float], at: datetime
) -> list[dict[str, Any]]:
    """The facts of the pair's strongest reasons worth saying (at most three)."""
    return criteria.offered(criteria.explain_pair(mentor, mentee, weights, at=at))


def _proposal(
    program: Program,
    mentor: User,
    mentee: User,
    score: float,
    reasons: Any,
    status: str,
    now: datetime,
) -> MatchProposal:
    return MatchProposal(
        program_id=program.id,
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        status=status,
        rank=0,
        score=round(float(score), 1),
        reasons=list(reasons),
        created_at=now,
        run_at=now,
    )


async def _tell_unmatched(
    repos: Repos,
    pool: Pool,
    unmatched: list[tuple[User, dict[str, Any]]],
    now: datetime,
    result: RunResult,
) -> None:
    program = pool.program
    for user, reason in unmatched:
        result.unmatched.append((user, reason))
        with i18n.speaking(await language_for(repos, user, program.team_id)):
            text = _(
                "No mentor for you in '{program}' yet, sorry: {why}. "
                "You stay enrolled, and I'll try again when matching runs next.",
                program=program.name,
                why=criteria.unmatched_words(reason, "mentee"),
            )
        message = outbox.to_user(
            outbox.key("unmatched", program=program.id, user=user.id, at=now.isoformat()),
            user.id,
            text=text,
            team_id=program.team_id,
        )
        result.messages += await outbox.queue(repos, message, now)


async def _send_suggestions(
    repos: Repos,
    program: Program,
    mentee: User,
    proposals: list[tuple[MatchProposal, User]],
    now: datetime,
) -> None:
    with i18n.speaking(await language_for(repos, mentee, program.team_id)):
        blocks = [
            CARDS.part(
                "match_suggestion",
                name=display(mentor),
                first_name=display(mentor).split()[0],
                score=f"{proposal.score:.0f}",
                reasons=reason_list(proposal.reasons, "mentee") or "—",
                proposal=proposal.id,
            )
            for proposal, mentor in proposals
        ]
        card = CARDS.render(
            "match_suggestions", pname=program.name, suggestions=blocks, days=REQUEST_DAYS
        )
    message = outbox.to_user(
        outbox.key("suggestions", program=program.id, user=mentee.id, at=now.isoformat()),
        mentee.id,
        card=card,
        team_id=program.team_id,
    )
    await outbox.queue(repos, message, now)


async def request_mentor(turn: Turn) -> None:
    """`match_request`: a mentee asks one of their own suggestions."""
    proposal = await proposal_from_card(turn)
    if (
        proposal is None
        or proposal.mentee_id != turn.user.id
        or proposal.status
        not in (
            "suggested",
            "requested",
        )
    ):
        turn.say(_("That mentor isn't among your current suggestions. Nothing changed."))
        return
    waiting = [
        p
        for p in await turn.repos.programs.open_proposals(proposal.program_id)
        if p.mentee_id == turn.user.id and p.status == "requested"
    ]
    if waiting:
        mentor = await turn.repos.users.get(waiting[0].mentor_id)
        turn.say(
            _(
                "You've asked {name} already; they have until the request runs out. "
                "Nothing changed.",
                name=display(mentor),
            )
        )
        return
    mentor = await turn.repos.users.get(proposal.mentor_id)
    program = await turn.repos.programs.get(proposal.program_id)
    assert program is not None
    if await free_seats(turn.repos, program, proposal.mentor_id) <= 0:
        await _full_since(turn, program, proposal, display(mentor))
        return
    await _ask(turn.repos, proposal, turn.now)
    turn.result.queued += 1
    turn.say(
        _(
            "I've asked {name}. They have {days} days to answer; I'll tell you.",
            name=display(mentor),
            days=REQUEST_DAYS,
        )
    )


async def _full_since(turn: Turn, program: Program, proposal: MatchProposal, name: str) -> None:
    """The mentee asked a suggestion whose seats filled up since: nobody is asked; the
    suggestions that still have room are named, or the mentee goes back to the pool."""
    proposal.status, proposal.decided_at = "closed", turn.now
    pool = await read_pool(turn.repos, program)
    free = {u.id: display(u) for u, _, _ in pool.mentors}
    left = [
        free[p.mentor_id]
        for p in await turn.repos.programs.suggestions_of(program.id, turn.user.id)
        if p.mentor_id in free
    ]
    sorry = _(
        "{name}'s mentoring seats have filled up since I suggested them, so I haven't asked.",
        name=name,
    )
    if left:
        turn.say(
            _(
                "{sorry} Still free among your suggestions: {names}. Nothing else changed.",
                sorry=sorry,
                names=and_list(left),
            )
        )
        return
    await turn.repos.programs.close_proposals(program.id, turn.user.id, turn.now)
    turn.say(
        _(
            "{sorry} None of your other suggestions has a free seat either; you stay "
            "enrolled, and I'll suggest mentors again when matching runs next.",
            sorry=sorry,
        )
    )


async def _ask(repos: Repos, proposal: MatchProposal, now: datetime) -> None:
    proposal.status, proposal.expires_at = "requested", now + timedelta(days=REQUEST_DAYS)
    program = await repos.programs.get(proposal.program_id)
    mentee = await repos.users.get(proposal.mentee_id)
    assert program is not None and mentee is not None
    enrolment = await repos.programs.enrolment(program.id, mentee.id)
    mentor = await repos.users.get(proposal.mentor_id)
    with i18n.speaking(await language_for(repos, mentor, program.team_id)):
        card = CARDS.render(
            "match_request",
            title=_(
                "{name} would like you as their mentor in '{program}'",
                name=display(mentee),
                program=program.name,
            ),
            why=why(proposal.score, proposal.reasons, "mentor"),
            wants=(enrolment.wants if enrolment and enrolment.wants else "—"),
            days=REQUEST_DAYS,
            proposal=proposal.id,
        )
    request = outbox.to_user(
        outbox.key("request", proposal.id), proposal.mentor_id, card=card, team_id=program.team_id
    )
    await outbox.queue(repos, request, now)


async def answer_request(turn: Turn) -> None:
    """`match_answer`: the mentor accepts or declines a request."""
    proposal = await proposal_from_card(turn)
    if proposal is None or proposal.mentor_id != turn.user.id:
        turn.say(_("I can't find that request of yours. Nothing changed."))
        return
    if proposal.status != "requested":
        turn.say(_("That request was answered or ran out already. Nothing changed."))
        return
    answer = turn.inbound.value.get("answer")
    program = await turn.repos.programs.get(proposal.program_id)
    mentee = await turn.repos.users.get(proposal.mentee_id)
    assert program is not None and mentee is not None
    if answer == "accept":
        if await free_seats(turn.repos, program, turn.user.id, but=proposal.id) <= 0:
            turn.say(_("You have no free seat in this program right now, so I'll pass it on."))
            answer = "decline"
        else:
            proposal.status, proposal.decided_at = "accepted", turn.now
            await start_agreement(
                turn.repos,
                program,
                turn.user,
                mentee,
                proposal.score,
                proposal.reasons,
                turn.now,
                run_at=proposal.run_at,
                graph=turn.env.graph,
            )
            turn.result.queued += 2 + await pass_on_overflow(
                turn.repos, program, turn.user.id, turn.now
            )
            turn.say(
                _(
                    "Wonderful! {name} and you each get the agreement to confirm.",
                    name=display(mentee),
                )
            )
            return
    if answer != "decline":
        turn.say(_("Please answer with the Accept or Decline button. Nothing changed."))
        return
    proposal.status, proposal.decided_at = "declined", turn.now
    turn.result.queued += await pass_on(turn.repos, proposal, turn.now, COULD_NOT)
    if not turn.result.replies:
        turn.say(_("Thanks for answering. I'll pass the request on to their next choice."))


async def free_seats(repos: Repos, program: Program, mentor_id: int, but: int = 0) -> int:
    """A mentor's seats left, not counting the proposal `but` (the one being decided)."""
    enrolment = await repos.programs.enrolment(program.id, mentor_id)
    if enrolment is None or not enrolment.active or enrolment.role != "mentor":
        return 0
    live = [
        m for m in await repos.programs.live_mentorships(program.id) if m.mentor_id == mentor_id
    ]
    held = [
        p
        for p in await repos.programs.open_proposals(program.id)
        if p.mentor_id == mentor_id and p.status in ("requested", "proposed") and p.id != but
    ]
    return (enrolment.capacity or program.capacity) - len(live) - len(held)


async def save_enrolment(turn: Turn) -> None:
    """The enrolment card's submit: saved (programs.py); a mentor who now has fewer seats
    than requests waiting has the newest passed on at once."""
    await programs.save_enrolment(turn)
    program_id = forms.row_id(turn.inbound.value.get("program"))
    program = await turn.repos.programs.get(program_id) if program_id else None
    enrolment = await turn.repos.programs.enrolment(program.id, turn.user.id) if program else None
    if program is not None and enrolment is not None and enrolment.role == "mentor":
        turn.result.queued += await pass_on_overflow(turn.repos, program, turn.user.id, turn.now)


async def pass_on_overflow(repos: Repos, program: Program, mentor_id: int, now: datetime) -> int:
    """A mentor's seats filled up (a request accepted, an admin's pairing): requests to
    them that can no longer be met pass on to each mentee's next choice, and the request
    is taken back before the mentor sees it (or its card says so). Messages queued."""
    over = -await free_seats(repos, program, mentor_id)
    if over <= 0:
        return 0
    waiting = [
        p
        for p in await repos.programs.open_proposals(program.id)
        if p.mentor_id == mentor_id and p.status == "requested"
    ]
    sent = 0
    for proposal in sorted(waiting, key=lambda p: p.id, reverse=True)[:over]:
        proposal.status, proposal.decided_at = "closed", now
        if not await outbox.withdraw(repos, outbox.key("request", proposal.id)):
            sent += await _request_taken_back(repos, program, proposal, now)
        sent += await pass_on(repos, proposal, now, NO_SEAT)
    return sent


async def _request_taken_back(
    repos: Repos, program: Program, proposal: MatchProposal, now: datetime
) -> int:
    """The request's card was sent already: it now says it was passed on."""
    mentee = await repos.users.get(proposal.mentee_id)
    mentor = await repos.users.get(proposal.mentor_id)
    with i18n.speaking(await language_for(repos, mentor, program.team_id)):
        card = CARDS.render(
            "mentoring_notice",
            title=_(
                "{name}'s request in '{program}' was passed on",
                name=display(mentee),
                program=program.name,
            ),
            text=_("Your mentoring seats are full now, so I've passed it on. No action needed."),
        )
    update = outbox.card_update(
        outbox.key("requestpassed", proposal.id),
        outbox.key("request", proposal.id),
        card,
        user_id=proposal.mentor_id,
        team_id=program.team_id,
    )
    return await outbox.queue(repos, update, now)


async def pass_on(repos: Repos, proposal: MatchProposal, now: datetime, what: str) -> int:
    """A request failed: ask the mentee's next suggestion with a free seat. Messages queued.
    `what` is why, one of COULD_NOT, NO_SEAT, NO_ANSWER (said in the mentee's language)."""
    program = await repos.programs.get(proposal.program_id)
    mentor = await repos.users.get(proposal.mentor_id)
    assert program is not None
    pool = await read_pool(repos, program)
    free = {u.id for u, _, _ in pool.mentors}
    remaining = [
        p
        for p in await repos.programs.suggestions_of(program.id, proposal.mentee_id)
        if p.mentor_id in free
    ]
    mentee = await repos.users.get(proposal.mentee_id)
    nxt_mentor = None
    if remaining:
        nxt = remaining[0]
        await _ask(repos, nxt, now)
        nxt_mentor = await repos.users.get(nxt.mentor_id)
        sent = 2
    else:
        # Back in the pool: the next run suggests again (without the mentors who said no).
        await repos.programs.close_proposals(program.id, proposal.mentee_id, now)
        sent = 1
    with i18n.speaking(await language_for(repos, mentee, program.team_id)):
        because = _(what, mentor=display(mentor), days=REQUEST_DAYS)
        if remaining:
            text = _(
                "{what}, so I've asked your next choice, {name}. They have {days} days to answer.",
                what=because,
                name=display(nxt_mentor),
                days=REQUEST_DAYS,
            )
        else:
            text = _(
                "{what}, and none of your other suggestions has a free seat. You stay "
                "enrolled; I'll suggest mentors again when matching runs next.",
                what=because,
            )
    told = outbox.to_user(
        outbox.key("passedon", proposal.id), proposal.mentee_id, text=text, team_id=program.team_id
    )
    await outbox.queue(repos, told, now)
    return sent


def run_summary(program: Program, result: RunResult) -> str:
    """What a run did, for admins: counts, the fit in words, and who was left out, why."""
    mode = _(MODES[program.mode]) if program.mode in MODES else program.mode
    lines = [_("**Matching in '{program}'** ({mode})", program=program.name, mode=mode)]
    if program.mode == "automatic":
        lines.append(
            _.ngettext(
                "- {n} new pair introduced (both confirm the agreement next)",
                "- {n} new pairs introduced (both confirm the agreement next)",
                result.matched,
            )
        )
    elif program.mode == "choose":
        lines.append(
            _.ngettext(
                "- {n} mentee got suggestions to choose from",
                "- {n} mentees got suggestions to choose from",
                result.suggested,
            )
        )
    else:
        lines.append(
            _.ngettext(
                "- {n} proposal waits for you: `/match review {program}`",
                "- {n} proposals wait for you: `/match review {program}`",
                result.proposed,
                program=program.name,
            )
        )
    lines += fit_lines(result.pairs)
    if result.unmatched:
        lines.append(_("- Not matched: {n}", n=len(result.unmatched)))
        lines += [
            f"  - {display(u)}: {criteria.unmatched_words(reason, 'admin')}"
            for u, reason in result.unmatched[:MAX_LISTED]
        ]
        if len(result.unmatched) > MAX_LISTED:
            lines.append("  - " + _("and {n} more", n=len(result.unmatched) - MAX_LISTED))
    if result.pairs or result.suggested:
        lines.append(
            _(
                "`/match undo {program}` takes this run back until someone confirms.",
                program=program.name,
            )
        )
    return "\n".join(lines)


def fit_words(percent: float) -> str:
    """A score in words an admin can weigh (see docs/architecture.md, "Match fit")."""
    for floor, words in FITS:
        if percent >= floor:
            return words
    return FITS[-1][1]


def fit_lines(pairs: list[tuple[User, User, float]]) -> list[str]:
    """How well a run's pairs fit: the average in words and percent, and the weakest pair."""
    if not pairs:
        return []
    average = sum(score for _, _, score in pairs) / len(pairs)
    lines = [_("- Average fit: {average:.0f}%, {fit}", average=average, fit=_(fit_words(average)))]
    if len(pairs) > 1:
        mentor, mentee, score = min(pairs, key=lambda p: p[2])
        lines.append(
            _(
                "- Weakest pair: {mentor} and {mentee}, {score:.0f}% ({fit})",
                mentor=display(mentor),
                mentee=display(mentee),
                score=score,
                fit=_(fit_words(score)),
            )
        )
    return lines


async def expire_requests(ctx: JobContext) -> None:
    """The "mentoring_requests" job: unanswered requests pass to the next choice."""
    for proposal in await ctx.repos.programs.expired_requests(ctx.now):
        proposal.status, proposal.decided_at = "expired", ctx.now
        program = await ctx.repos.programs.get(proposal.program_id)
        mentor = await ctx.repos.users.get(proposal.mentor_id)
        team_id = program.team_id if program else None
        with i18n.speaking(await language_for(ctx.repos, mentor, team_id)):
            text = _(
                "A mentoring request to you ran out after {days} days; "
                "I've passed it on. No action needed.",
                days=REQUEST_DAYS,
            )
        expired = outbox.to_user(
            outbox.key("requestexpired", proposal.id), proposal.mentor_id, text=text
        )
        await outbox.queue(ctx.repos, expired, ctx.now)
        await pass_on(ctx.repos, proposal, ctx.now, NO_ANSWER)


async def match_at_deadline(ctx: JobContext) -> None:
    """The "program_matching" job: match each program once its enrolment deadline passed."""
    for program in await ctx.repos.programs.deadline_passed(ctx.now.date()):
        program.matched_at = ctx.now
        graph = bool(getattr(ctx.env, "graph", False))
        result = await run_matching(ctx.repos, program, ctx.now, graph=graph)
        # Admins see what the run did, and why anyone was left out, as if they had run it.
        for admin in await ctx.repos.admins.reachable_of_team(program.team_id):
            with i18n.speaking(await language_for(ctx.repos, admin, program.team_id)):
                text = (
                    _("Matching ran at the enrolment deadline.")
                    + "\n\n"
                    + run_summary(program, result)
                )
            notice = outbox.to_user(
                outbox.key("deadlinerun", program=program.id, admin=admin.id),
                admin.id,
                text=text,
                team_id=program.team_id,
            )
            await outbox.queue(ctx.repos, notice, ctx.now)


async def proposal_from_card(turn: Turn) -> MatchProposal | None:
    """The card's proposal, if its program's team is one the sender may act for (else
    they are told, and None)."""
    proposal_id = forms.row_id(turn.inbound.value.get("proposal"))
    proposal = await turn.repos.programs.proposal(proposal_id) if proposal_id else None
    if proposal is None:
        return None
    program = await turn.repos.programs.get(proposal.program_id)
    if program is None or not await members.require(turn, program.team_id):
        return None
    return proposal
