"""Living with a mentorship: `mentoring` (mine, with "Not a good fit"), ending one as not
a good fit (only the admins hear why, and the mentee is re-matched first) or with
`end mentoring` (the reason stays private)."""

from __future__ import annotations

from typing import Any

from dialogs.core import i18n, outbox
from dialogs.core.admins import uninvolved_admins
from dialogs.core.i18n import catalog
from dialogs.core.people import display
from dialogs.core.router import DataPart, Turn
from dialogs.mentoring.agreements import language_for, my_mentorship
from dialogs.mentoring.programs import CARDS, end_politely
from dialogs.mentoring.runs import RunResult, run_matching
from storage.models import Mentorship, Program, User

_ = catalog(__package__)

NOT_FIT_ACTION = "mentorship_not_fit"
MAX_REASON = 500


async def my_mentoring(turn: Turn) -> None:
    mine = await turn.repos.programs.mentorships_of(turn.user.id)
    if not mine:
        turn.say(_("You have no mentorship right now. Type `join <program>` to enrol in one."))
        return
    others = await turn.repos.users.by_ids(
        m.mentee_id if m.mentor_id == turn.user.id else m.mentor_id for m in mine
    )
    blocks = []
    for m in mine:
        program = await turn.repos.programs.get(m.program_id)
        other = others.get(m.mentee_id if m.mentor_id == turn.user.id else m.mentor_id)
        state = (
            _("active") if m.status == "active" else _("waiting for both to confirm the agreement")
        )
        item = CARDS.part(
            "mentorship_item",
            name=display(other),
            role=_("your mentee") if m.mentor_id == turn.user.id else _("your mentor"),
            program=_name(program),
            state=state,
            active=m.status == "active",
            mentorship=m.id,
        )
        blocks.append(item)
    turn.result.show(CARDS.render("mentoring_view", items=blocks))


async def not_a_good_fit(turn: Turn) -> None:
    """`mentorship_not_fit`: ends it privately; admins are told; the mentee re-matched first."""
    mentorship = await my_mentorship(turn)
    if mentorship is None:
        return
    if mentorship.status != "active":
        turn.say(
            _(
                "That mentorship isn't running (it may not have started, or it ended). "
                "Nothing changed."
            )
        )
        return
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    await end_politely(turn, program, mentorship, "not_fit", None)
    enrolment = await turn.repos.programs.enrolment(program.id, mentorship.mentee_id)
    if enrolment is not None:
        enrolment.priority = True
    told, note = await _tell_admins(turn, program, mentorship)
    turn.result.queued += 1 + told
    result = (
        await run_matching(turn.repos, program, turn.now, graph=turn.env.graph)
        if program.status == "open"
        else RunResult()
    )
    turn.result.queued += result.messages
    turn.say(
        _("Thanks for telling me; that's ended, and {who}", who=note)
        + (
            " " + _("I'm finding you a new mentor first thing.")
            if mentorship.mentee_id == turn.user.id
            else ""
        )
    )


async def _tell_admins(turn: Turn, program: Program, mentorship: Mentorship) -> tuple[int, str]:
    """The admins who are not in this pair hear it; the sentence says who knows."""
    pair = (mentorship.mentor_id, mentorship.mentee_id)
    admins, inside = await uninvolved_admins(turn.repos, program.team_id, pair)
    people = await turn.repos.users.by_ids(pair)
    queued = 0
    for admin in admins:
        with i18n.speaking(await language_for(turn.repos, admin, program.team_id)):
            text = _(
                "In '{program}', the mentorship of {mentor} (mentor) and {mentee} (mentee) "
                "ended as not a good fit. The mentee is being re-matched first.",
                program=program.name,
                mentor=display(people.get(mentorship.mentor_id)),
                mentee=display(people.get(mentorship.mentee_id)),
            )
        notice = outbox.to_user(
            outbox.key("notfit", mentorship.id, admin=admin.id),
            admin.id,
            text=text,
            team_id=program.team_id,
        )
        queued += await outbox.queue(turn.repos, notice, turn.now)
    if admins:
        return queued, _("only the program's admins know it wasn't a good fit.")
    if inside:
        return queued, _(
            "since the program's only admin is one of you two, I told no one else "
            "that it wasn't a good fit."
        )
    return queued, _("the program has no admin I can reach, so nobody else knows why.")


async def end_mentoring(turn: Turn) -> None:
    """`end mentoring [name] [reason="..."]`: the reason stays private to the sender."""
    mine = await turn.repos.programs.mentorships_of(turn.user.id)
    if not mine:
        turn.say(_("You have no mentorship to end. Nothing changed."))
        return
    reason = (turn.args.get("reason") or "").strip()
    if len(reason) > MAX_REASON:
        turn.say(
            _(
                "Please keep the reason under {n} characters. Nothing changed.",
                n=i18n.number(MAX_REASON),
            )
        )
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
        turn.say(
            _("Which one? Type `end mentoring <name>` ({names}). Nothing changed.", names=names)
        )
        return
    mentorship = chosen[0]
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    await end_politely(turn, program, mentorship, "ended", reason or None)
    turn.result.queued += 1
    turn.say(
        _(
            "Your mentorship with {name} has ended; I've thanked them. ",
            name=display(other_of(mentorship)),
        )
        + (_("Your reason stays with me; nobody else sees it.") if reason else "")
    )


def _name(program: Program | None) -> str:
    return program.name if program else _("a closed program")


# --- members' data -----------------------------------------------------------------------
async def export(turn: Turn) -> dict[str, Any]:
    """Their enrolments and mentorships, with their own private end reasons only."""
    repos, user = turn.repos, turn.user
    enrolments = await repos.programs.enrolments_of(user.id)
    mentorships = await repos.programs.mentorships_of(user.id, live_only=False)
    programs = {
        p.id: p
        for p in [
            await repos.programs.get(i)
            for i in {e.program_id for e in enrolments} | {m.program_id for m in mentorships}
        ]
        if p
    }
    people = await repos.users.by_ids(
        {m.mentor_id for m in mentorships} | {m.mentee_id for m in mentorships}
    )
    return {
        "enrolments": [
            {
                "program": programs[e.program_id].name if e.program_id in programs else None,
                "role": e.role,
                "what_i_want": e.wants,
                "capacity": e.capacity,
                "active": e.active,
            }
            for e in enrolments
        ],
        "mentorships": [
            {
                "program": programs[m.program_id].name if m.program_id in programs else None,
                "mentor": display(people.get(m.mentor_id)),
                "mentee": display(people.get(m.mentee_id)),
                "status": m.status,
                "started": m.started_at,
                "ended": m.ended_at,
                "my_reason_for_ending": m.end_reason if m.ended_by_id == user.id else None,
            }
            for m in mentorships
        ],
    }


async def erase(turn: Turn) -> None:
    """Leave every program: enrolments, proposals and live mentorships end, and each
    partner of a pending or live one is told it ended, in this same unit of work."""
    for mentorship in await turn.repos.programs.mentorships_of(turn.user.id):
        turn.result.queued += await _tell_partner_it_ended(turn, mentorship)
    await turn.repos.programs.erase_user(turn.user.id, turn.now)


async def _tell_partner_it_ended(turn: Turn, mentorship: Mentorship) -> int:
    """No reason and no name: the person asked for their data to go, and `delete my
    data` blanks every message that names them (this one is the partner's to keep)."""
    program = await turn.repos.programs.get(mentorship.program_id)
    mine_as = "mentor" if mentorship.mentor_id == turn.user.id else "mentee"
    partner = mentorship.mentee_id if mine_as == "mentor" else mentorship.mentor_id
    partner_user = await turn.repos.users.get(partner)
    team_id = program.team_id if program else None
    with i18n.speaking(await language_for(turn.repos, partner_user, team_id)):
        role = _("you were the mentee") if mine_as == "mentor" else _("you were the mentor")
        if program:
            text = _(
                "Your mentorship in '{program}' ({role}) has ended. Thank you for the time "
                "you gave it! Type `mentoring` to see the mentorships you still have.",
                program=program.name,
                role=role,
            )
        else:
            text = _(
                "Your mentorship ({role}) has ended. Thank you for the time you gave it! "
                "Type `mentoring` to see the mentorships you still have.",
                role=role,
            )
    ended = outbox.to_user(
        outbox.key("mentorshiperased", mentorship.id, user=partner),
        partner,
        text=text,
        team_id=program.team_id if program else None,
    )
    return await outbox.queue(turn.repos, ended, turn.now)


DATA = DataPart(
    "mentoring",
    export,
    erase,
    words=lambda e: (
        [x["what_i_want"] for x in e["enrolments"]]
        + [m["my_reason_for_ending"] or "" for m in e["mentorships"]]
    ),
)
