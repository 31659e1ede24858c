"""A new pair's agreement: both sides get the program's ground rules, cadence and
resources, choose how they'd like to meet, and confirm; then the mentorship is active."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.core import forms, members, outbox
from dialogs.core.people import display
from dialogs.core.router import Turn
from dialogs.mentoring import criteria
from dialogs.mentoring.programs import CADENCES, CARDS
from storage.models import Mentorship, Program, User
from storage.repos import Repos

CONFIRM_ACTION = "agreement_confirm"


def match_words(score: float, reasons: list[Any], reader: str) -> str:
    """A pair's fit for one reader: "82% match: Ana offers SQL, which you want to grow"."""
    words = [w for w in (criteria.reason_words(r, reader) for r in reasons) if w]
    return f"{score:.0f}% match" + (": " + "; ".join(words) if words else "")


CHANNELS = {"chat": "Chat", "video": "Video call", "in_person": "In person"}


async def start_agreement(
    repos: Repos,
    program: Program,
    mentor: User,
    mentee: User,
    score: float,
    reasons: list[Any],
    now: datetime,
    run_at: datetime | None = None,
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
            run_at=run_at,  # a matching run's pair: undone with the run until confirmed
        )
    )
    await repos.programs.close_proposals(program.id, mentee.id, now)
    for me, other, side in ((mentor, mentee, "mentor"), (mentee, mentor, "mentee")):
        card = agreement_card(program, mentorship, other, side)
        message = outbox.to_user(
            outbox.key("agreement", mentorship.id, user=me.id),
            me.id,
            card=card,
            team_id=program.team_id,
        )
        await outbox.queue(repos, message, now)
    return mentorship


def agreement_card(
    program: Program, mentorship: Mentorship, other: User, side: str
) -> dict[str, Any]:
    resources = program.resources_mentors if side == "mentor" else program.resources_mentees
    return CARDS.render(
        "agreement",
        title=f"🌱 {program.name}: meet your {'mentee' if side == 'mentor' else 'mentor'}, "
        f"{display(other)}",
        why=match_words(mentorship.score, mentorship.reasons, side),
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
    mentorship = await my_mentorship(turn)
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
    started = outbox.to_user(
        outbox.key("mentorshipstarted", mentorship.id, user=other_id),
        other_id,
        text=text,
        team_id=program.team_id,
    )
    turn.result.queued += await outbox.queue(turn.repos, started, turn.now)
    turn.say(f"You've both agreed: your mentorship with {display(other)} starts now. 🎉")


async def my_mentorship(turn: Turn) -> Mentorship | None:
    mentorship_id = forms.row_id(turn.inbound.value.get("mentorship"))
    mentorship = await turn.repos.programs.mentorship(mentorship_id) if mentorship_id else None
    if mentorship is None or turn.user.id not in (mentorship.mentor_id, mentorship.mentee_id):
        turn.say("I can't find that mentorship of yours. Nothing changed.")
        return None
    program = await turn.repos.programs.get(mentorship.program_id)
    if program is None or not await members.require(turn, program.team_id):
        return None
    return mentorship
