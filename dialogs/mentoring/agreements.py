"""A new pair's agreement: both sides get the program's ground rules, cadence and
resources, choose how they'd like to meet, and confirm; then the mentorship is active."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.core import forms, i18n, members, outbox, words
from dialogs.core.i18n import N_, catalog
from dialogs.core.links import chat_link, handle, meeting_link
from dialogs.core.people import display, language_of_user
from dialogs.core.router import Turn
from dialogs.directory.store import chats_allowed
from dialogs.mentoring import criteria
from dialogs.mentoring.programs import CADENCES, CARDS, rules_of
from storage.models import GroupChat, Mentorship, Program, User
from storage.repos import Repos

_ = catalog(__package__)

CONFIRM_ACTION = "agreement_confirm"
SETTLE_ACTION = "agreement_settle"


def match_words(score: float, reasons: list[Any], reader: str) -> str:
    """A pair's fit for one reader: "82% match: Ana offers SQL, which you want to grow",
    in the language in force."""
    said = reason_list(reasons, reader)
    if not said:
        return _("{score:.0f}% match", score=score)
    return _("{score:.0f}% match: {reasons}", score=score, reasons=said)


def reason_list(reasons: list[Any], reader: str) -> str:
    """The reasons of a pair's fit alone: "Ana offers SQL, which you want to grow; ..."."""
    said = [w for w in (criteria.reason_words(r, reader) for r in reasons) if w]
    return "; ".join(said)


def and_list(items: list[str], limit: int = 0) -> str:
    """words.and_list in the language in force: "a, b and c", "a, b und c", "a、b、c"."""
    language = i18n.current()
    if language == i18n.SOURCE:
        return words.and_list(items, limit)
    shown = list(items[:limit] if limit else items)
    if limit and len(items) > limit:
        shown.append(_("{n} more", n=len(items) - limit))
    if not shown:
        return ""
    from babel.lists import format_list

    return str(format_list(shown, locale=language))


# The ways to meet: as the card's choices, as chosen ("you chose video call"), and how.
CHANNELS = {"chat": N_("Chat"), "video": N_("Video call"), "in_person": N_("In person")}
CHOSEN = {"chat": N_("chat"), "video": N_("video call"), "in_person": N_("in person")}
HOW = {"chat": N_("by chat"), "video": N_("by video call"), "in_person": N_("in person")}


async def language_for(repos: Repos, user: User | None, team_id: int | None) -> str:
    """The language `user` is written to in (people.language_of), with the team's
    default from the program's team."""
    if user is None:
        return i18n.current()
    team = await repos.teams.get(team_id) if team_id is not None else None
    return await language_of_user(repos, user, team)


async def start_agreement(
    repos: Repos,
    program: Program,
    mentor: User,
    mentee: User,
    score: float,
    reasons: list[Any],
    now: datetime,
    run_at: datetime | None = None,
    *,
    graph: bool = False,
) -> Mentorship:
    """A new pair: both get an intro with the agreement to confirm before it starts.
    With the program's group chats on (and Graph connected, `graph`), the pair's chat is
    recorded instead (keyed by the mentorship, in the caller's transaction): the Graph
    worker (bot/graph/chats.py) makes it, posts one intro there, or sends these same
    1:1 intros when Graph may not."""
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
    intros = []
    for me, other, side in ((mentor, mentee, "mentor"), (mentee, mentor, "mentee")):
        profile = await repos.profiles.get(me.id)
        liked = profile.meeting_format if profile else ""
        with i18n.speaking(await language_for(repos, me, program.team_id)):
            card = agreement_card(program, mentorship, other, side, liked)
        intros.append(
            outbox.to_user(
                outbox.key("agreement", mentorship.id, user=me.id),
                me.id,
                card=card,
                team_id=program.team_id,
            )
        )
    if graph and await _in_group_chat(repos, program, mentor, mentee, now):
        # One intro in the pair's chat: in their language when they share one, else in
        # the team's (the 1:1 fallbacks above are each in their reader's).
        both = {await language_for(repos, u, program.team_id) for u in (mentor, mentee)}
        team = await repos.teams.get(program.team_id)
        shared = both.pop() if len(both) == 1 else (team.language if team else None)
        with i18n.speaking(shared):
            chat = _group_chat(program, mentorship, mentor, mentee, intros, now)
        repos.directory.add_chat(chat)
        return mentorship
    for message in intros:
        await outbox.queue(repos, message, now)
    return mentorship


async def _in_group_chat(
    repos: Repos, program: Program, mentor: User, mentee: User, now: datetime
) -> bool:
    if not (program.group_chats and mentor.aad_object_id and mentee.aad_object_id):
        return False
    team = await repos.teams.get(program.team_id)
    return team is not None and await chats_allowed(repos, team.tenant_id, now)


def _group_chat(
    program: Program,
    mentorship: Mentorship,
    mentor: User,
    mentee: User,
    intros: list[outbox.Message],
    now: datetime,
) -> GroupChat:
    """The pair's chat row: topic, members, the one intro for the chat, and the 1:1
    intros to send instead when Graph may not make it (their usual `agreement:` keys)."""
    intro = {
        "key": outbox.key("mentorchat", mentorship.id),
        "text": _(
            "{program}: {mentor} mentors {mentee}.",
            program=program.name,
            mentor=display(mentor),
            mentee=display(mentee),
        ),
        "card": chat_agreement_card(program, mentorship, mentor, mentee),
    }
    return GroupChat(
        kind="mentoring",
        ref_id=mentorship.id,
        team_id=program.team_id,
        tenant_id=mentor.tenant_id or mentee.tenant_id or "",
        state="pending",
        payload={
            "topic": _("Mentoring ({program})", program=program.name)[:250],
            "members": [mentor.aad_object_id, mentee.aad_object_id],
            "intro": intro,
            "fallback": [
                {"key": m.key, "user_id": m.user_id, "team_id": m.team_id, "payload": m.payload()}
                for m in intros
            ],
        },
        attempts=0,
        created_at=now,
        updated_at=now,
    )


def chat_agreement_card(
    program: Program, mentorship: Mentorship, mentor: User, mentee: User
) -> dict[str, Any]:
    """The intro posted once in the pair's own chat: both people, the agreement each
    confirms there (the side is whoever presses), both sides' resources."""
    resources = [*program.resources_mentors, *program.resources_mentees]
    reach = [h for h in (handle(mentor), handle(mentee)) if h]
    return CARDS.render(
        "agreement_chat",
        title=_(
            "🌱 {program}: {mentor} mentors {mentee}",
            program=program.name,
            mentor=display(mentor),
            mentee=display(mentee),
        ),
        why=match_words(mentorship.score, mentorship.reasons, "admin"),
        rules=rules_of(program),
        cadence=_cadence(program),
        channel_choices=_choices(CHANNELS),
        mentorship=mentorship.id,
        links=[
            {"type": "Action.OpenUrl", "title": r["title"][:40], "url": r["url"]}
            for r in resources[:5]
        ],
        has_links=bool(resources),
        meeting_url=meeting_link(
            reach,
            _("Mentoring ({program})", program=program.name),
            _("Our first mentoring meeting ({program})", program=program.name),
        ),
        has_contact=len(reach) == 2,
    )


def agreement_card(
    program: Program, mentorship: Mentorship, other: User, side: str, liked: str = ""
) -> dict[str, Any]:
    """`liked`: the profile's meeting format, chosen in advance when it is one of ours."""
    resources = program.resources_mentors if side == "mentor" else program.resources_mentees
    reach = [h for h in [handle(other)] if h]
    topic = _("Mentoring ({program})", program=program.name)
    title = (
        _("🌱 {program}: meet your mentee, {name}", program=program.name, name=display(other))
        if side == "mentor"
        else _("🌱 {program}: meet your mentor, {name}", program=program.name, name=display(other))
    )
    return CARDS.render(
        "agreement",
        title=title,
        why=match_words(mentorship.score, mentorship.reasons, side),
        rules=rules_of(program),
        cadence=_cadence(program),
        channel_choices=_choices(CHANNELS),
        channel=liked if liked in CHANNELS else "",
        mentorship=mentorship.id,
        links=[
            {"type": "Action.OpenUrl", "title": r["title"][:40], "url": r["url"]}
            for r in resources[:5]
        ],
        has_links=bool(resources),
        chat_url=chat_link(
            reach,
            topic,
            _("Hi {name}! Looking forward to it.", name=display(other).split()[0]),
        ),
        meeting_url=meeting_link(
            reach, topic, _("Our first mentoring meeting ({program})", program=program.name)
        ),
        has_contact=bool(reach),
        no_contact=not reach,
        other=display(other),
    )


def _cadence(program: Program) -> str:
    return _(
        "Meet {cadence}, from {start} to {end}.",
        cadence=_(CADENCES[program.cadence]),
        start=program.starts_on,
        end=program.ends_on,
    )


def _choices(options: dict[str, str]) -> list[dict[str, str]]:
    return [{"title": _(t), "value": v} for v, t in options.items()]


def _sides(mentorship: Mentorship) -> dict[str, dict[str, str]]:
    """Who confirmed, with the format each chose (the agreement also holds the result)."""
    return {k: v for k, v in mentorship.agreement.items() if k in ("mentor", "mentee")}


async def confirm_agreement(turn: Turn) -> None:
    """`agreement_confirm`: one side agrees; when both have and chose the same way to
    meet, the mentorship starts; when their choices differ, both are asked to settle one."""
    mentorship = await my_mentorship(turn)
    if mentorship is None:
        return
    if mentorship.status != "agreeing":
        turn.say(_("That agreement is settled already. Nothing changed."))
        return
    channel = turn.inbound.value.get("channel")
    if channel not in CHANNELS:
        turn.say(
            _(
                "Please choose how you'd like to meet (chat, video call or in person). "
                "Nothing was saved."
            )
        )
        return
    side = _side(turn, mentorship)
    mentorship.agreement = mentorship.agreement | {
        side: {"at": turn.now.isoformat(), "channel": channel}
    }
    other = await turn.repos.users.get(_other_id(mentorship, side))
    sides = _sides(mentorship)
    if len(sides) < 2:
        turn.say(
            _("Thanks! I'll let you know as soon as {name} confirms too.", name=display(other))
        )
        return
    theirs = sides["mentee" if side == "mentor" else "mentor"]["channel"]
    if theirs == channel:
        await _start(turn, mentorship, other, channel)
        return
    await _ask_to_settle(turn, mentorship, other, side)
    turn.say(
        _(
            "Thanks! {name} would rather meet {how}, you chose {chosen}. I've sent you both "
            "a card to settle on one; the mentorship starts as soon as one of you picks.",
            name=display(other),
            how=_(HOW[theirs]),
            chosen=_(CHOSEN[channel]),
        )
    )


async def settle_format(turn: Turn) -> None:
    """`agreement_settle`: either side picks the way to meet; the mentorship starts and
    both settle cards show the result."""
    mentorship = await my_mentorship(turn)
    if mentorship is None:
        return
    if mentorship.status != "agreeing":
        agreed = mentorship.agreement.get("channel")
        turn.say(
            _(
                "That's settled already: you're meeting {how}. Nothing changed.",
                how=_(HOW[agreed]),
            )
            if agreed in HOW
            else _("That's settled already. Nothing changed.")
        )
        return
    channel = turn.inbound.value.get("channel")
    if len(_sides(mentorship)) < 2 or channel not in CHANNELS:
        turn.say(_("Please pick one of the ways to meet on the card. Nothing was saved."))
        return
    side = _side(turn, mentorship)
    other = await turn.repos.users.get(_other_id(mentorship, side))
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    for me, partner in ((turn.user, other), (other, turn.user)):
        if me is None:
            continue
        with i18n.speaking(await _language(turn, me, program)):
            card = _settle_card(program, mentorship, partner, me.id, settled=channel, by=turn.user)
        update = outbox.card_update(
            outbox.key("agreementsettled", mentorship.id, user=me.id),
            outbox.key("agreementsettle", mentorship.id, user=me.id),
            card,
            user_id=me.id,
            team_id=program.team_id,
        )
        turn.result.queued += await outbox.queue(turn.repos, update, turn.now)
    await _start(turn, mentorship, other, channel)


async def _ask_to_settle(turn: Turn, mentorship: Mentorship, other: User | None, side: str) -> None:
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    for me, partner in ((turn.user, other), (other, turn.user)):
        if me is None:
            continue
        with i18n.speaking(await _language(turn, me, program)):
            card = _settle_card(program, mentorship, partner, me.id)
        ask = outbox.to_user(
            outbox.key("agreementsettle", mentorship.id, user=me.id),
            me.id,
            card=card,
            team_id=program.team_id,
        )
        turn.result.queued += await outbox.queue(turn.repos, ask, turn.now)


def _settle_card(
    program: Program,
    mentorship: Mentorship,
    partner: User | None,
    me_id: int,
    settled: str | None = None,
    by: User | None = None,
) -> dict[str, Any]:
    sides = _sides(mentorship)
    mine = "mentor" if mentorship.mentor_id == me_id else "mentee"
    theirs = "mentee" if mine == "mentor" else "mentor"
    picked = {sides[mine]["channel"], sides[theirs]["channel"]}
    if settled is None:
        result = ""
    elif by is not None and by.id == me_id:
        result = _(
            "✅ Settled: you chose {chosen}. Your mentorship has started.",
            chosen=_(CHOSEN[settled]),
        )
    else:
        result = _(
            "✅ Settled: {name} chose {chosen}. Your mentorship has started.",
            name=display(by),
            chosen=_(CHOSEN[settled]),
        )
    return CARDS.render(
        "agreement_settle",
        title=_(
            "🌱 {program}: how will you and {name} meet?",
            program=program.name,
            name=display(partner),
        ),
        choices=_(
            "You chose {mine}; {name} chose {theirs}. Settle on one you're both happy "
            "with: the first pick counts for both of you.",
            mine=_(CHOSEN[sides[mine]["channel"]]),
            name=display(partner),
            theirs=_(CHOSEN[sides[theirs]["channel"]]),
        ),
        channel_choices=_choices({k: v for k, v in CHANNELS.items() if k in picked}),
        mentorship=mentorship.id,
        open=settled is None,
        done=settled is not None,
        result=result,
    )


async def _start(turn: Turn, mentorship: Mentorship, other: User | None, channel: str) -> None:
    mentorship.status, mentorship.started_at = "active", turn.now
    mentorship.agreement = mentorship.agreement | {"channel": channel}
    program = await turn.repos.programs.get(mentorship.program_id)
    assert program is not None
    other_id = _other_id(mentorship, _side(turn, mentorship))
    with i18n.speaking(await _language(turn, other, program)):
        text = _(
            "You and {name} have both agreed: your mentorship in '{program}' starts now, "
            "and you'll meet {how}. Say hi and pick a first date!",
            name=display(turn.user),
            program=program.name,
            how=_(HOW[channel]),
        )
    started = outbox.to_user(
        outbox.key("mentorshipstarted", mentorship.id, user=other_id),
        other_id,
        text=text,
        team_id=program.team_id,
    )
    turn.result.queued += await outbox.queue(turn.repos, started, turn.now)
    turn.say(
        _(
            "You've both agreed: your mentorship with {name} starts now, and you'll meet {how}. 🎉",
            name=display(other),
            how=_(HOW[channel]),
        )
    )


async def _language(turn: Turn, user: User | None, program: Program) -> str:
    """The sender's language for the sender, the other's for the other."""
    if user is None or user.id == turn.user.id:
        return i18n.current()
    return await language_for(turn.repos, user, program.team_id)


def _side(turn: Turn, mentorship: Mentorship) -> str:
    return "mentor" if mentorship.mentor_id == turn.user.id else "mentee"


def _other_id(mentorship: Mentorship, side: str) -> int:
    return mentorship.mentee_id if side == "mentor" else mentorship.mentor_id


async def my_mentorship(turn: Turn) -> Mentorship | None:
    mentorship_id = forms.row_id(turn.inbound.value.get("mentorship"))
    mentorship = await turn.repos.programs.mentorship(mentorship_id) if mentorship_id else None
    if mentorship is None or turn.user.id not in (mentorship.mentor_id, mentorship.mentee_id):
        turn.say(_("I can't find that mentorship of yours. Nothing changed."))
        return None
    program = await turn.repos.programs.get(mentorship.program_id)
    if program is None or not await members.require(turn, program.team_id):
        return None
    return mentorship
