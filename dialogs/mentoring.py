"""Matching in a program and the life of a mentorship: proposals in three modes, the
agreement both sides confirm, "not a good fit" with priority re-matching, and ending.

`dialogs/matching_algorithm.py` does the scoring and the optimal assignment; this module
reads the enrolments, applies the program's mode and writes proposals, mentorships and
messages in the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from dialogs import matching_algorithm as algo
from dialogs.cards import card_id, render
from dialogs.people import display
from dialogs.programs import CADENCES, end_politely, named_program
from dialogs.router import Turn
from scheduler.types import JobContext
from storage.models import Enrolment, MatchProposal, Mentorship, Profile, Program, User
from storage.repos import Repos

REQUEST_DAYS = 3  # a mentor answers a mentee's request within this, else it passes on
SUGGESTIONS = (3, 5)  # a mentee in "choose" mode sees up to 5, at least 3 when there are
MAX_REASON = 500
CHANNELS = {"chat": "Chat", "video": "Video call", "in_person": "In person"}


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


# --- reading a program's people ------------------------------------------------------------------
@dataclass
class Pool:
    program: Program
    mentors: list[tuple[User, Enrolment, int]]  # with seats left
    mentees: list[tuple[User, Enrolment]]  # without a mentor or an open proposal
    profiles: dict[int, Profile]
    # (mentor, mentee) pairs never proposed again: ended before, declined, let run out,
    # or rejected by an admin.
    ended: set[tuple[int, int]]


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
    ruled_out = await repos.programs.ended_pairs(program.id)
    ruled_out |= await repos.programs.refused_pairs(program.id)
    return Pool(program, mentors, mentees, profiles, ruled_out)


def person(user: User, enrolment: Enrolment, profile: Profile | None, seats: int) -> algo.Person:
    p = profile
    return algo.Person(
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
    )


def weights_of(program: Program) -> dict[str, float]:
    chosen = dict(program.weights or {})
    if "diversity" in program.objectives and "cross_department" not in chosen:
        chosen["cross_department"] = 3  # a diversity program prefers cross-department pairs
    return algo.parse_weights(chosen)


# --- a matching run ------------------------------------------------------------------------------
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
    mentors = [person(u, e, pool.profiles.get(u.id), s) for u, e, s in pool.mentors]
    people = [person(u, e, pool.profiles.get(u.id), 0) for u, e in pool.mentees]
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
    mentors: list[algo.Person],
    people: list[algo.Person],
    weights: dict[str, float],
    now: datetime,
) -> Any:
    """Pair scores (0.1 % units; 0 = never) with pairs that ended before ruled out."""
    if not mentors or not people:
        return np.zeros((len(people), len(mentors)), dtype=np.int32)
    units = algo.score_matrix(mentors, people, weights, at=now).units.copy()
    for i, (mentee, _) in enumerate(pool.mentees):
        for j, (mentor, _, _) in enumerate(pool.mentors):
            if (mentor.id, mentee.id) in pool.ended:
                units[i, j] = 0
    return units


async def _suggest(repos: Repos, pool: Pool, now: datetime, result: RunResult) -> None:
    """Mode "choose": each mentee gets their best mentors (up to 5) to request one."""
    program = pool.program
    mentors = [person(u, e, pool.profiles.get(u.id), s) for u, e, s in pool.mentors]
    people = [person(u, e, pool.profiles.get(u.id), 0) for u, e in pool.mentees]
    weights = weights_of(program)
    units = (
        algo.score_matrix(mentors, people, weights, at=now).units if mentors and people else None
    )
    unmatched = []
    for i, (mentee, _) in enumerate(pool.mentees):
        ranked = (
            []
            if units is None
            else sorted(
                (j for j in range(len(mentors)) if units[i, j] > 0),
                key=lambda j: (-int(units[i, j]), j),
            )
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
    mentor: algo.Person, mentee: algo.Person, weights: dict[str, float], at: datetime
) -> list[str]:
    found = algo.explain_pair(mentor, mentee, weights, at=at)
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
        await repos.outbox.enqueue(
            f"unmatched:program{program.id}:user{user.id}:{now.isoformat()}",
            {
                "to": "user",
                "text": f"No mentor for you in '{program.name}' yet, sorry: {_lower(why)}. "
                "You stay enrolled, and I'll try again when matching runs next.",
            },
            now,
            user_id=user.id,
            team_id=program.team_id,
        )
        result.messages += 1


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- the agreement -------------------------------------------------------------------------------
async def start_agreement(
    repos: Repos,
    program: Program,
    mentor: User,
    mentee: User,
    score: float,
    reasons: list[str],
    now: datetime,
) -> Mentorship:
    """A new pair: both get an intro with the agreement to confirm before it starts."""
    mentorship = await repos.programs.add_mentorship(
        Mentorship(
            program_id=program.id,
            mentor_id=mentor.id,
            mentee_id=mentee.id,
            status="agreeing",
            score=round(float(score), 1),
            reasons=reasons,
            agreement={},
            created_at=now,
        )
    )
    await repos.programs.close_proposals(program.id, mentee.id, now)
    for me, other, side in ((mentor, mentee, "mentor"), (mentee, mentor, "mentee")):
        await repos.outbox.enqueue(
            f"agreement:{mentorship.id}:user{me.id}",
            {"to": "user", "card": agreement_card(program, mentorship, other, side)},
            now,
            user_id=me.id,
            team_id=program.team_id,
        )
    return mentorship


def agreement_card(
    program: Program, mentorship: Mentorship, other: User, side: str
) -> dict[str, Any]:
    resources = program.resources_mentors if side == "mentor" else program.resources_mentees
    return render(
        "agreement",
        title=f"🌱 {program.name}: meet your {'mentee' if side == 'mentor' else 'mentor'}, "
        f"{display(other)}",
        why=f"{mentorship.score:g}% match: " + "; ".join(mentorship.reasons)
        if mentorship.reasons
        else f"{mentorship.score:g}% match",
        rules=program.agreement or "Be on time, be kind, keep what is shared between you.",
        cadence=f"Meet {CADENCES[program.cadence]}, from {program.starts_on} to {program.ends_on}.",
        channel_choices=[{"title": t, "value": v} for v, t in CHANNELS.items()],
        mentorship=mentorship.id,
        links=[
            {"type": "Action.OpenUrl", "title": r["title"][:40], "url": r["url"]}
            for r in resources[:5]
        ],
        has_links=bool(resources),
    )


async def confirm_agreement(turn: Turn) -> None:
    """`agreement_confirm`: one side agrees; when both have, the mentorship starts."""
    mentorship = await _my_mentorship(turn)
    if mentorship is None:
        return
    if mentorship.status != "agreeing":
        turn.say("That agreement is settled already. Nothing changed.")
        return
    channel = turn.inbound.value.get("channel")
    if channel not in CHANNELS:
        turn.say(
            "Please choose how you'd like to meet (chat, video call or in person). "
            "Nothing was saved."
        )
        return
    side = "mentor" if mentorship.mentor_id == turn.user.id else "mentee"
    mentorship.agreement = mentorship.agreement | {
        side: {"at": turn.now.isoformat(), "channel": channel}
    }
    other_id = mentorship.mentee_id if side == "mentor" else mentorship.mentor_id
    other = await turn.repos.users.get(other_id)
    if len(mentorship.agreement) < 2:
        turn.say(f"Thanks! I'll let you know as soon as {display(other)} confirms too.")
        return
    mentorship.status, mentorship.started_at = "active", turn.now
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    text = (
        f"You and {display(turn.user)} have both agreed: your mentorship in "
        f"'{program.name}' starts now. Say hi and pick a first date!"
    )
    await turn.repos.outbox.enqueue(
        f"mentorshipstarted:{mentorship.id}:user{other_id}",
        {"to": "user", "text": text},
        turn.now,
        user_id=other_id,
        team_id=program.team_id,
    )
    turn.result.queued += 1
    turn.say(f"You've both agreed: your mentorship with {display(other)} starts now. 🎉")


# --- mode "choose": suggestions, requests, answers -----------------------------------------------
async def _send_suggestions(
    repos: Repos,
    program: Program,
    mentee: User,
    proposals: list[tuple[MatchProposal, User]],
    now: datetime,
) -> None:
    blocks = []
    for proposal, mentor in proposals:
        blocks.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "text": f"**{display(mentor)}**: {proposal.score:g}% match",
                        "wrap": True,
                    },
                    {
                        "type": "TextBlock",
                        "text": "; ".join(proposal.reasons) or "—",
                        "wrap": True,
                        "isSubtle": True,
                    },
                    {
                        "type": "ActionSet",
                        "actions": [
                            {
                                "type": "Action.Submit",
                                "title": f"Ask {display(mentor).split()[0]}",
                                "data": {"action": "match_request", "proposal": proposal.id},
                            }
                        ],
                    },
                ],
            }
        )
    card = render("match_suggestions", pname=program.name, suggestions=blocks, days=REQUEST_DAYS)
    await repos.outbox.enqueue(
        f"suggestions:program{program.id}:user{mentee.id}:{now.isoformat()}",
        {"to": "user", "card": card},
        now,
        user_id=mentee.id,
        team_id=program.team_id,
    )


async def request_mentor(turn: Turn) -> None:
    """`match_request`: a mentee asks one of their own suggestions."""
    proposal = await _proposal_from_card(turn)
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
    card = render(
        "match_request",
        title=f"{display(mentee)} would like you as their mentor in '{program.name}'",
        why=f"{proposal.score:g}% match: " + ("; ".join(proposal.reasons) or "—"),
        wants=(enrolment.wants if enrolment and enrolment.wants else "—"),
        days=REQUEST_DAYS,
        proposal=proposal.id,
    )
    await repos.outbox.enqueue(
        f"request:{proposal.id}",
        {"to": "user", "card": card},
        now,
        user_id=proposal.mentor_id,
        team_id=program.team_id,
    )


async def answer_request(turn: Turn) -> None:
    """`match_answer`: the mentor accepts or declines a request."""
    proposal = await _proposal_from_card(turn)
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
    await repos.outbox.enqueue(
        f"passedon:{proposal.id}",
        {"to": "user", "text": text},
        now,
        user_id=proposal.mentee_id,
        team_id=program.team_id,
    )
    return sent


async def expire_requests(ctx: JobContext) -> None:
    """The "mentoring_requests" job: unanswered requests pass to the next choice."""
    for proposal in await ctx.repos.programs.expired_requests(ctx.now):
        proposal.status, proposal.decided_at = "expired", ctx.now
        await ctx.repos.outbox.enqueue(
            f"requestexpired:{proposal.id}",
            {
                "to": "user",
                "text": "A mentoring request to you ran out after "
                f"{REQUEST_DAYS} days; I've passed it on. No action needed.",
            },
            ctx.now,
            user_id=proposal.mentor_id,
        )
        await pass_on(ctx.repos, proposal, ctx.now, f"didn't answer within {REQUEST_DAYS} days")


async def match_at_deadline(ctx: JobContext) -> None:
    """The "program_matching" job: match each program once its enrolment deadline passed."""
    for program in await ctx.repos.programs.deadline_passed(ctx.now.date()):
        program.matched_at = ctx.now
        await run_matching(ctx.repos, program, ctx.now)


# --- living with a mentorship --------------------------------------------------------------------
async def my_mentoring(turn: Turn) -> None:
    mine = await turn.repos.programs.mentorships_of(turn.user.id)
    if not mine:
        turn.say("You have no mentorship right now. Type `join <program>` to enrol in one.")
        return
    others = await turn.repos.users.by_ids(
        m.mentee_id if m.mentor_id == turn.user.id else m.mentor_id for m in mine
    )
    blocks = []
    for m in mine:
        program = await turn.repos.programs.get(m.program_id)
        other = others.get(m.mentee_id if m.mentor_id == turn.user.id else m.mentor_id)
        role = "your mentee" if m.mentor_id == turn.user.id else "your mentor"
        state = "active" if m.status == "active" else "waiting for both to confirm the agreement"
        actions = []
        if m.status == "active":
            actions.append(
                {
                    "type": "Action.Submit",
                    "title": "Not a good fit",
                    "data": {"action": "mentorship_not_fit", "mentorship": m.id},
                }
            )
        blocks.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "text": f"**{display(other)}**, {role} in '{_name(program)}'",
                        "wrap": True,
                    },
                    {"type": "TextBlock", "text": state, "isSubtle": True, "wrap": True},
                ]
                + ([{"type": "ActionSet", "actions": actions}] if actions else []),
            }
        )
    turn.result.show(render("mentoring_view", items=blocks))


async def not_a_good_fit(turn: Turn) -> None:
    """`mentorship_not_fit`: ends it privately; admins are told; the mentee re-matched first."""
    mentorship = await _my_mentorship(turn)
    if mentorship is None:
        return
    if mentorship.status != "active":
        turn.say(
            "That mentorship isn't running (it may not have started, or it ended). Nothing changed."
        )
        return
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    await end_politely(turn, program, mentorship, "not_fit", None)
    enrolment = await turn.repos.programs.enrolment(program.id, mentorship.mentee_id)
    if enrolment is not None:
        enrolment.priority = True
    turn.result.queued += 1 + await _tell_admins(turn, program, mentorship)
    result = (
        await run_matching(turn.repos, program, turn.now)
        if program.status == "open"
        else RunResult()
    )
    turn.result.queued += result.messages
    turn.say(
        "Thanks for telling me; that's ended, and only the program's admins know it wasn't "
        "a good fit. "
        + (
            "I'm finding you a new mentor first thing."
            if mentorship.mentee_id == turn.user.id
            else ""
        )
    )


async def _tell_admins(turn: Turn, program: Program, mentorship: Mentorship) -> int:
    admins = await turn.repos.admins.reachable_of_team(program.team_id)
    people = await turn.repos.users.by_ids([mentorship.mentor_id, mentorship.mentee_id])
    text = (
        f"In '{program.name}', the mentorship of {display(people.get(mentorship.mentor_id))} "
        f"(mentor) and {display(people.get(mentorship.mentee_id))} (mentee) ended as not a good "
        "fit. The mentee is being re-matched first."
    )
    for admin in admins:
        await turn.repos.outbox.enqueue(
            f"notfit:{mentorship.id}:admin{admin.id}",
            {"to": "user", "text": text},
            turn.now,
            user_id=admin.id,
            team_id=program.team_id,
        )
    return len(admins)


async def end_mentoring(turn: Turn) -> None:
    """`end mentoring [name] [reason="..."]`: the reason stays private to the sender."""
    mine = await turn.repos.programs.mentorships_of(turn.user.id)
    if not mine:
        turn.say("You have no mentorship to end. Nothing changed.")
        return
    reason = (turn.args.get("reason") or "").strip()
    if len(reason) > MAX_REASON:
        turn.say(f"Please keep the reason under {MAX_REASON} characters. Nothing changed.")
        return
    name = turn.rest.strip().lstrip("@").lower()
    others = await turn.repos.users.by_ids(
        m.mentee_id if m.mentor_id == turn.user.id else m.mentor_id for m in mine
    )

    def other_of(m: Mentorship) -> User | None:
        return others.get(m.mentee_id if m.mentor_id == turn.user.id else m.mentor_id)

    chosen = [m for m in mine if name and name in display(other_of(m)).lower()] if name else mine
    if len(chosen) != 1:
        names = ", ".join(display(other_of(m)) for m in mine)
        turn.say(f"Which one? Type `end mentoring <name>` ({names}). Nothing changed.")
        return
    mentorship = chosen[0]
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    await end_politely(turn, program, mentorship, "ended", reason or None)
    turn.result.queued += 1
    turn.say(
        f"Your mentorship with {display(other_of(mentorship))} has ended; I've thanked them. "
        + ("Your reason stays with me; nobody else sees it." if reason else "")
    )


# --- admin: /match run|review|approve|reject|weights ---------------------------------------------
async def admin_run(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    if program.status != "open":
        turn.say(f"'{program.name}' is {program.status}: nothing to match. Nothing changed.")
        return
    result = await run_matching(turn.repos, program, turn.now)
    turn.result.queued += result.messages
    lines = [f"**Matching in '{program.name}'** ({program.mode})"]
    if program.mode == "automatic":
        lines.append(f"- {result.matched} new pairs introduced (both confirm the agreement next)")
    elif program.mode == "choose":
        lines.append(f"- {result.suggested} mentees got suggestions to choose from")
    else:
        lines.append(f"- {result.proposed} proposals wait for you: `/match review {program.name}`")
    if result.lowest is not None:
        lines.append(f"- Total score {result.total:g}, lowest pair {result.lowest:g}%")
    if result.unmatched:
        lines.append(
            f"- Not matched: {len(result.unmatched)} ("
            + ", ".join(display(u) for u, _ in result.unmatched[:10])
            + ")"
        )
    turn.say("\n".join(lines))


async def review(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    waiting = [
        p for p in await turn.repos.programs.open_proposals(program.id) if p.status == "proposed"
    ]
    if not waiting:
        turn.say(f"No proposals wait for review in '{program.name}'.")
        return
    people = await turn.repos.users.by_ids(
        {p.mentor_id for p in waiting} | {p.mentee_id for p in waiting}
    )
    lines = [f"**Proposals in '{program.name}'** (nobody has been told yet)"]
    lines += [
        f"- #{p.id}: {display(people.get(p.mentor_id))} mentors "
        f"{display(people.get(p.mentee_id))}, {p.score:g}%: " + "; ".join(p.reasons)
        for p in waiting
    ]
    lines.append("`/match approve <#>` or `/match reject <#>`, or `all` plus the program name.")
    turn.say("\n".join(lines))


async def approve(turn: Turn) -> None:
    await _decide(turn, approve=True)


async def reject(turn: Turn) -> None:
    await _decide(turn, approve=False)


async def _decide(turn: Turn, approve: bool) -> None:
    verb = "approve" if approve else "reject"
    words = turn.rest.split()
    if not words:
        turn.say(f"Which proposal? `/match {verb} <#>` or `/match {verb} all <program>`.")
        return
    proposals = await _chosen_proposals(turn, words, verb)
    if proposals is None:
        return
    done = 0
    # All of them belong to one program: the one named, or the single proposal's.
    program = await turn.repos.programs.get(proposals[0].program_id) if proposals else None
    live = await turn.repos.programs.live_mentorships(program.id) if program else []
    busy = {m.mentee_id for m in live}
    for proposal in proposals:
        assert program is not None
        if not approve:
            proposal.status, proposal.decided_at = "rejected", turn.now
            done += 1
            continue
        if proposal.mentee_id in busy or program.status != "open":
            proposal.status, proposal.decided_at = "closed", turn.now
            continue
        # A proposed proposal has held its mentor's seat since the run: no seat check.
        mentor = await turn.repos.users.get(proposal.mentor_id)
        mentee = await turn.repos.users.get(proposal.mentee_id)
        assert mentor is not None and mentee is not None
        proposal.status, proposal.decided_at = "accepted", turn.now
        await start_agreement(
            turn.repos, program, mentor, mentee, proposal.score, proposal.reasons, turn.now
        )
        busy.add(mentee.id)
        turn.result.queued += 2
        done += 1
    turn.say(
        f"{'Approved' if approve else 'Rejected'} {done} proposal(s)."
        + (" Both sides of each get the agreement to confirm." if approve and done else "")
    )


async def _chosen_proposals(turn: Turn, words: list[str], verb: str) -> list[MatchProposal] | None:
    team = turn.team
    assert team is not None
    if words[0].lower() == "all":
        name = " ".join(words[1:])
        found = await turn.repos.programs.by_name([team.id], name) if name else []
        if not found:
            turn.say(f"Which program? `/match {verb} all <program name>`. Nothing changed.")
            return None
        return [
            p
            for p in await turn.repos.programs.open_proposals(found[0].id)
            if p.status == "proposed"
        ]
    number = words[0].lstrip("#")
    wanted = card_id(number)
    proposal = await turn.repos.programs.proposal(wanted) if wanted else None
    program = await turn.repos.programs.get(proposal.program_id) if proposal else None
    if (
        proposal is None
        or program is None
        or program.team_id != team.id
        or proposal.status != "proposed"
    ):
        turn.say(f"There is no proposal #{number} waiting in {team.name}. Nothing changed.")
        return None
    return [proposal]


async def set_weights(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    changes = {k: v for k, v in turn.args.items() if k in algo.CRITERIA}
    if changes:
        try:
            numbers = {k: float(v) for k, v in changes.items()}
            weights = algo.parse_weights((program.weights or {}) | numbers)
        except ValueError as exc:
            turn.say(f"{str(exc).removeprefix('weights: ')}. Nothing changed.")
            return
        program.weights = {k: v for k, v in weights.items()}
        program.updated_at = turn.now
    shown = weights_of(program)
    lines = [f"**Matching weights in '{program.name}'** (0 to 10; 10 = must-have)"]
    lines += [
        f"- {k.replace('_', ' ')}: {v:g}" + (" (must-have)" if v >= algo.MUST_HAVE else "")
        for k, v in shown.items()
    ]
    turn.say(("Saved.\n" if changes else "") + "\n".join(lines))


def _name(program: Program | None) -> str:
    return program.name if program else "a closed program"


# --- helpers -------------------------------------------------------------------------------------
async def _my_mentorship(turn: Turn) -> Mentorship | None:
    mentorship_id = card_id(turn.inbound.value.get("mentorship"))
    mentorship = await turn.repos.programs.mentorship(mentorship_id) if mentorship_id else None
    if mentorship is None or turn.user.id not in (mentorship.mentor_id, mentorship.mentee_id):
        turn.say("I can't find that mentorship of yours. Nothing changed.")
        return None
    return mentorship


async def _proposal_from_card(turn: Turn) -> MatchProposal | None:
    proposal_id = card_id(turn.inbound.value.get("proposal"))
    return await turn.repos.programs.proposal(proposal_id) if proposal_id else None
