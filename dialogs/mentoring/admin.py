"""Admins steer a program's matching: /match run|review|approve|reject|weights, and by
hand: /match pair|move|undo."""

from __future__ import annotations

from dialogs.core import forms
from dialogs.core.admins import team_of
from dialogs.core.i18n import N_, catalog
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.mentoring import criteria
from dialogs.mentoring.agreements import match_words as why
from dialogs.mentoring.agreements import start_agreement
from dialogs.mentoring.programs import named_program
from dialogs.mentoring.runs import run_matching, run_summary, weights_of
from storage.models import MatchProposal, Program

_ = catalog(__package__)

MAX_NOTE = 300  # an admin's reason for rejecting a proposal
# A program's status as an admin reads it.
STATUSES = {"draft": N_("draft"), "open": N_("open"), "closed": N_("closed")}


def status_of(program: Program) -> str:
    return _(STATUSES[program.status]) if program.status in STATUSES else program.status


async def admin_run(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    if program.status != "open":
        turn.say(
            _(
                "'{program}' is {status}: nothing to match. Nothing changed.",
                program=program.name,
                status=status_of(program),
            )
        )
        return
    result = await run_matching(turn.repos, program, turn.now, graph=turn.env.graph)
    turn.result.queued += result.messages
    turn.say(run_summary(program, result))


async def review(turn: Turn) -> None:
    program = await named_program(turn)
    if program is None:
        return
    waiting = [
        p for p in await turn.repos.programs.open_proposals(program.id) if p.status == "proposed"
    ]
    if not waiting:
        turn.say(_("No proposals wait for review in '{program}'.", program=program.name))
        return
    people = await turn.repos.users.by_ids(
        {p.mentor_id for p in waiting} | {p.mentee_id for p in waiting}
    )
    earlier = await turn.repos.programs.rejected(program.id)
    lines = [_("**Proposals in '{program}'** (nobody has been told yet)", program=program.name)]
    for p in waiting:
        mentor, mentee = display(people.get(p.mentor_id)), display(people.get(p.mentee_id))
        fit = why(p.score, p.reasons, "admin")
        line = _(
            "- #{id}: {mentor} mentors {mentee}, {fit}",
            id=p.id,
            mentor=mentor,
            mentee=mentee,
            fit=fit,
        )
        before = [r for r in earlier if r.mentee_id == p.mentee_id and r.note]
        if before:
            line += _(" (rejected with someone else before: {note})", note=before[-1].note)
        lines.append(line)
    lines.append(
        _("`/match approve <#>` or `/match reject <#> <why>`, or `all` plus the program name.")
    )
    turn.say("\n".join(lines))


async def approve(turn: Turn) -> None:
    await _decide(turn, approve=True)


async def reject(turn: Turn) -> None:
    await _decide(turn, approve=False)


async def _decide(turn: Turn, approve: bool) -> None:
    verb = "approve" if approve else "reject"  # i18n: not said
    words = turn.rest.split()
    if not words:
        usage = "<#>" if approve else "<#> <why>"  # i18n: not said
        turn.say(
            _(
                "Which proposal? `/match {verb} {usage}` or `/match {verb} all <program>`.",
                verb=verb,
                usage=usage,
            )
        )
        return
    proposals = await _chosen_proposals(turn, words, verb)
    if proposals is None:
        return
    note = _rejection_note(turn, words)
    if not approve and not note:
        turn.say(
            _(
                "Why not this pair? Add a reason for the other admins: `/match reject <#> they "
                'work side by side` or `/match reject all <program> reason="..."`. '
                "Nothing changed."
            )
        )
        return
    done = 0
    # All of them belong to one program: the one named, or the single proposal's.
    program = await turn.repos.programs.get(proposals[0].program_id) if proposals else None
    live = await turn.repos.programs.live_mentorships(program.id) if program else []
    busy = {m.mentee_id for m in live}
    for proposal in proposals:
        assert program is not None
        if not approve:
            # Back in the pool: the next run proposes the mentee again, with someone else.
            proposal.status, proposal.decided_at, proposal.note = "rejected", turn.now, note
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
            turn.repos,
            program,
            mentor,
            mentee,
            proposal.score,
            proposal.reasons,
            turn.now,
            run_at=proposal.run_at,
            graph=turn.env.graph,
        )
        busy.add(mentee.id)
        turn.result.queued += 2
        done += 1
    if approve:
        turn.say(
            _.ngettext(
                "Approved {n} proposal. Both sides of each get the agreement to confirm.",
                "Approved {n} proposals. Both sides of each get the agreement to confirm.",
                done,
            )
            if done
            else _("Approved 0 proposals.")
        )
        return
    turn.say(
        _.ngettext(
            "Rejected {n} proposal. The mentee is back in the pool and get a new proposal, "
            "with someone else, when matching runs next. Your reason stays with the admins.",
            "Rejected {n} proposals. The mentees are back in the pool and get a new proposal, "
            "with someone else, when matching runs next. Your reason stays with the admins.",
            done,
        )
    )


def _rejection_note(turn: Turn, words: list[str]) -> str:
    """The admin's reason: `reason=` or, after a proposal number, the words that follow."""
    note = turn.args.get("reason") or ("" if words[0].lower() == "all" else " ".join(words[1:]))
    return " ".join(note.split())[:MAX_NOTE]


async def _chosen_proposals(turn: Turn, words: list[str], verb: str) -> list[MatchProposal] | None:
    team = team_of(turn)
    if words[0].lower() == "all":
        name = " ".join(words[1:])
        found = await turn.repos.programs.by_name([team.id], name) if name else []
        if not found:
            turn.say(
                _("Which program? `/match {verb} all <program name>`. Nothing changed.", verb=verb)
            )
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
        turn.say(
            _(
                "There is no proposal #{number} waiting in {team}. Nothing changed.",
                number=number,
                team=team.name,
            )
        )
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
            problem = str(exc).removeprefix("weights: ")
            turn.say(_("{problem}. Nothing changed.", problem=problem))
            return
        program.weights = {k: v for k, v in weights.items()}
        program.updated_at = turn.now
    shown = weights_of(program)
    lines = [
        _("**Matching weights in '{program}'** (0 to 10; 10 = must-have)", program=program.name)
    ]
    lines += [
        _("- {criterion}: {weight:g} (must-have)", criterion=k.replace("_", " "), weight=v)
        if v >= criteria.MUST_HAVE
        else f"- {k.replace('_', ' ')}: {v:g}"
        for k, v in shown.items()
    ]
    turn.say((_("Saved.") + "\n" if changes else "") + "\n".join(lines))
