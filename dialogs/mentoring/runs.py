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

from dialogs.core import forms, members, outbox
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.mentoring import criteria
from dialogs.mentoring.agreements import start_agreement
from dialogs.mentoring.programs import CARDS
from scheduler.types import JobContext
from storage.models import Enrolment, MatchProposal, Profile, Program, User
from storage.repos import Repos

REQUEST_ACTION, ANSWER_ACTION = "match_request", "match_answer"
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
    unmatched: list[tuple[User, str]] = field(default_factory=list)
    messages: int = 0
    lowest: float | None = None
    total: float = 0.0


@dataclass
class Pool:
    program: Program
    mentors: list[tuple[User, Enrolment, int]]  # with seats left
    mentees: list[tuple[User, Enrolment]]  # without a mentor or an open proposal
    profiles: dict[int, Profile]
    # (mentor, mentee) pairs never proposed again: ended before, declined, let run out,
    # or rejected by an admin.
    ended: set[tuple[int, int]]
    # Each person's manager from the directory (user ids): never matched with them.
    managers: dict[int, int] = field(default_factory=dict)


async def read_pool(repos: Repos, program: Program) -> Pool:
    enrolled = await repos.programs.enrolments(program.id)
    users = await repos.users.by_ids(e.user_id for e in enrolled)
    live = await repos.programs.live_mentorships(program.id)
    pending = await repos.programs.open_proposals(program.id)
    taken = Counter(m.mentor_id for m in live)
    taken.update(p.mentor_id for p in pending if p.status in ("requested", "proposed"))
    busy = {m.mentee_id for m in live} | {p.mentee_id for p in pending}
    mentors, mentees = [], []
    for e in enrolled:
        user = users.get(e.user_id)
        if user is None or user.opted_out or user.teams_id is None:
            continue
        if e.role == "mentor":
            seats = (e.capacity or program.capacity) - taken[user.id]
            if seats > 0:
                mentors.append((user, e, seats))
        elif user.id not in busy:
            mentees.append((user, e))
    profiles = await repos.profiles.of_users(users)
    managers = await managers_of(repos, users.values())
    ruled_out = await repos.programs.ended_pairs(program.id)
    ruled_out |= await repos.programs.refused_pairs(program.id)
    return Pool(program, mentors, mentees, profiles, ruled_out, managers)


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


async def run_matching(repos: Repos, program: Program, now: datetime) -> RunResult:
    """Match every waiting mentee (re-matches first), in the program's mode."""
    result = RunResult()
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
    mentors = [
        person(u, e, pool.profiles.get(u.id), s, pool.managers.get(u.id))
        for u, e, s in pool.mentors
    ]
    people = [
        person(u, e, pool.profiles.get(u.id), 0, pool.managers.get(u.id)) for u, e in pool.mentees
    ]
    algo = _algorithm()
    units = _allowed_units(pool, mentors, people, weights, now)
    assignment = algo.assign(units, [p.capacity for p in mentors]) if units.size else None
    unmatched = []
    for i, (mentee, _) in enumerate(pool.mentees):
        j = int(assignment.mentor_of[i]) if assignment is not None else -1
        if j < 0:
            fits = units.size and bool((units[i] > 0).any())
            why = "the mentors who fit you are full" if fits else "no mentor fits you yet"
            unmatched.append((mentee, why))
            continue
        mentor, score = pool.mentors[j][0], int(units[i, j]) / 10
        reasons = reasons_for(mentors[j], people[i], weights, now)
        result.total += score
        result.lowest = score if result.lowest is None else min(result.lowest, score)
        if program.mode == "automatic":
            await start_agreement(repos, program, mentor, mentee, score, reasons, now)
            result.matched += 1
            result.messages += 2
        else:
            proposal = _proposal(program, mentor, mentee, score, reasons, "proposed", now)
            repos.programs.add_proposal(proposal)
            result.proposed += 1
    if program.mode == "automatic":
        await _tell_unmatched(repos, pool, unmatched, now, result)
    else:
        result.unmatched += unmatched  # told nothing until an admin decides


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
    mentors = [
        person(u, e, pool.profiles.get(u.id), s, pool.managers.get(u.id))
        for u, e, s in pool.mentors
    ]
    people = [
        person(u, e, pool.profiles.get(u.id), 0, pool.managers.get(u.id)) for u, e in pool.mentees
    ]
    weights = weights_of(program)
    units = _scores(mentors, people, weights, now)
    unmatched = []
    for i, (mentee, _) in enumerate(pool.mentees):
        ranked = sorted(
            (j for j in range(len(mentors)) if units[i, j] > 0),
            key=lambda j: (-int(units[i, j]), j),
        )
        ranked = [j for j in ranked if (pool.mentors[j][0].id, mentee.id) not in pool.ended]
        if not ranked:
            unmatched.append((mentee, "no mentor in the program fits you yet"))
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
    await _tell_unmatched(repos, pool, unmatched, now, result)


def reasons_for(
    mentor: criteria.Person, mentee: criteria.Person, weights: dict[str, float], at: datetime
) -> list[str]:
    found = criteria.explain_pair(mentor, mentee, weights, at=at)
    return [c.reason for c in found if c.score > 0 and c.reason][:3]


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
    )


async def _tell_unmatched(
    repos: Repos, pool: Pool, unmatched: list[tuple[User, str]], now: datetime, result: RunResult
) -> None:
    program = pool.program
    for user, why in unmatched:
        result.unmatched.append((user, why))
        text = (
            f"No mentor for you in '{program.name}' yet, sorry: {_lower(why)}. "
            "You stay enrolled, and I'll try again when matching runs next."
        )
        message = outbox.to_user(
            outbox.key("unmatched", program=program.id, user=user.id, at=now.isoformat()),
            user.id,
            text=text,
            team_id=program.team_id,
        )
        result.messages += await outbox.queue(repos, message, now)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


async def _send_suggestions(
    repos: Repos,
    program: Program,
    mentee: User,
    proposals: list[tuple[MatchProposal, User]],
    now: datetime,
) -> None:
    blocks = [
        CARDS.part(
            "match_suggestion",
            name=display(mentor),
            first_name=display(mentor).split()[0],
            score=f"{proposal.score:g}",
            reasons="; ".join(proposal.reasons) or "—",
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
        turn.say("That mentor isn't among your current suggestions. Nothing changed.")
        return
    waiting = [
        p
        for p in await turn.repos.programs.open_proposals(proposal.program_id)
        if p.mentee_id == turn.user.id and p.status == "requested"
    ]
    if waiting:
        mentor = await turn.repos.users.get(waiting[0].mentor_id)
        turn.say(
            f"You've asked {display(mentor)} already; they have until the request runs out. "
            "Nothing changed."
        )
        return
    await _ask(turn.repos, proposal, turn.now)
    turn.result.queued += 1
    mentor = await turn.repos.users.get(proposal.mentor_id)
    turn.say(
        f"I've asked {display(mentor)}. They have {REQUEST_DAYS} days to answer; I'll tell you."
    )


async def _ask(repos: Repos, proposal: MatchProposal, now: datetime) -> None:
    proposal.status, proposal.expires_at = "requested", now + timedelta(days=REQUEST_DAYS)
    program = await repos.programs.get(proposal.program_id)
    mentee = await repos.users.get(proposal.mentee_id)
    assert program is not None and mentee is not None
    enrolment = await repos.programs.enrolment(program.id, mentee.id)
    card = CARDS.render(
        "match_request",
        title=f"{display(mentee)} would like you as their mentor in '{program.name}'",
        why=f"{proposal.score:g}% match: " + ("; ".join(proposal.reasons) or "—"),
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
        turn.say("I can't find that request of yours. Nothing changed.")
        return
    if proposal.status != "requested":
        turn.say("That request was answered or ran out already. Nothing changed.")
        return
    answer = turn.inbound.value.get("answer")
    program = await turn.repos.programs.get(proposal.program_id)
    mentee = await turn.repos.users.get(proposal.mentee_id)
    assert program is not None and mentee is not None
    if answer == "accept":
        if await free_seats(turn.repos, program, turn.user.id, but=proposal.id) <= 0:
            turn.say("You have no free seat in this program right now, so I'll pass it on.")
            answer = "decline"
        else:
            proposal.status, proposal.decided_at = "accepted", turn.now
            await start_agreement(
                turn.repos, program, turn.user, mentee, proposal.score, proposal.reasons, turn.now
            )
            turn.result.queued += 2
            turn.say(f"Wonderful! {display(mentee)} and you each get the agreement to confirm.")
            return
    if answer != "decline":
        turn.say("Please answer with the Accept or Decline button. Nothing changed.")
        return
    proposal.status, proposal.decided_at = "declined", turn.now
    turn.result.queued += await pass_on(turn.repos, proposal, turn.now, "couldn't take you on")
    if not turn.result.replies:
        turn.say("Thanks for answering. I'll pass the request on to their next choice.")


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


async def pass_on(repos: Repos, proposal: MatchProposal, now: datetime, what: str) -> int:
    """A request failed: ask the mentee's next suggestion with a free seat. Messages queued."""
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
    if remaining:
        nxt = remaining[0]
        await _ask(repos, nxt, now)
        nxt_mentor = await repos.users.get(nxt.mentor_id)
        text = (
            f"{display(mentor)} {what}, so I've asked your next choice, "
            f"{display(nxt_mentor)}. They have {REQUEST_DAYS} days to answer."
        )
        sent = 2
    else:
        # Back in the pool: the next run suggests again (without the mentors who said no).
        await repos.programs.close_proposals(program.id, proposal.mentee_id, now)
        text = (
            f"{display(mentor)} {what}, and none of your other suggestions has a free "
            "seat. You stay enrolled; I'll suggest mentors again when matching runs next."
        )
        sent = 1
    told = outbox.to_user(
        outbox.key("passedon", proposal.id), proposal.mentee_id, text=text, team_id=program.team_id
    )
    await outbox.queue(repos, told, now)
    return sent


async def expire_requests(ctx: JobContext) -> None:
    """The "mentoring_requests" job: unanswered requests pass to the next choice."""
    for proposal in await ctx.repos.programs.expired_requests(ctx.now):
        proposal.status, proposal.decided_at = "expired", ctx.now
        text = (
            f"A mentoring request to you ran out after {REQUEST_DAYS} days; "
            "I've passed it on. No action needed."
        )
        expired = outbox.to_user(
            outbox.key("requestexpired", proposal.id), proposal.mentor_id, text=text
        )
        await outbox.queue(ctx.repos, expired, ctx.now)
        await pass_on(ctx.repos, proposal, ctx.now, f"didn't answer within {REQUEST_DAYS} days")


async def match_at_deadline(ctx: JobContext) -> None:
    """The "program_matching" job: match each program once its enrolment deadline passed."""
    for program in await ctx.repos.programs.deadline_passed(ctx.now.date()):
        program.matched_at = ctx.now
        await run_matching(ctx.repos, program, ctx.now)


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
