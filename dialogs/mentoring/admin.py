"""Admins steer a program's matching: /match run|review|approve|reject|weights."""

from __future__ import annotations

from dialogs.core import forms
from dialogs.core.admins import team_of
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.mentoring import criteria
from dialogs.mentoring.agreements import start_agreement
from dialogs.mentoring.programs import named_program
from dialogs.mentoring.runs import run_matching, weights_of
from storage.models import MatchProposal


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
    team = team_of(turn)
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
    wanted = forms.row_id(number)
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
    changes = {k: v for k, v in turn.args.items() if k in criteria.CRITERIA}
    if changes:
        try:
            numbers = {k: float(v) for k, v in changes.items()}
            weights = criteria.parse_weights((program.weights or {}) | numbers)
        except ValueError as exc:
            turn.say(f"{str(exc).removeprefix('weights: ')}. Nothing changed.")
            return
        program.weights = {k: v for k, v in weights.items()}
        program.updated_at = turn.now
    shown = weights_of(program)
    lines = [f"**Matching weights in '{program.name}'** (0 to 10; 10 = must-have)"]
    lines += [
        f"- {k.replace('_', ' ')}: {v:g}" + (" (must-have)" if v >= criteria.MUST_HAVE else "")
        for k, v in shown.items()
    ]
    turn.say(("Saved.\n" if changes else "") + "\n".join(lines))
