"""Mentoring programs: admins set them up and invite; members enrol; matching is optimal
and explained (`matching.py`, pure, also `mentorbot match`), in three modes; pairs agree
on how they work together; either side can end it, privately."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dialogs.core.i18n import N_
from dialogs.core.router import (
    TEAM_ARG,
    Action,
    Arg,
    Command,
    Feature,
    Handler,
    Topic,
    admin_command,
)
from dialogs.mentoring import (
    admin,
    agreements,
    by_hand,
    criteria,
    meeting_ends,
    meetings,
    mentorships,
    programs,
    runs,
)
from scheduler.types import Job

IN_CHAT = ("personal", "groupChat")  # 1:1, or the pair's own group chat
PROGRAM_ARG = Arg("name", N_("the program's name (or type it after the command)"))
PEOPLE_ARGS = (
    Arg("mentee", N_("the mentee's name (when names have spaces)")),
    Arg("mentor", N_("the mentor's name")),
)
WEIGHT_ARGS = tuple(Arg(c, N_("0 to 10 (10 = must-have)")) for c in criteria.CRITERIA)


def _admin(
    name: str, summary: str, handler: Handler, usage: str = "<program>", *more: Arg
) -> Command:
    """Admin commands of programs; listed by /help, not in the manifest's menu."""
    return admin_command(
        name, summary, handler, usage=usage, args=(PROGRAM_ARG, *more, TEAM_ARG), menu=False
    )


def _commands() -> tuple[Command, ...]:
    members: list[Any] = [
        Command("join", N_("enrol in a mentoring program"), programs.join, usage="<program>"),
        Command(
            "mentoring", N_("your mentor or mentees, and how it goes"), mentorships.my_mentoring
        ),
        Command(
            "schedule",
            N_("find a time with your mentor or mentee and put it on both calendars"),
            meetings.schedule,
            usage="[name]",
        ),
        Command(
            "end mentoring",  # i18n: not said
            N_("end a mentorship (the reason stays private)"),
            mentorships.end_mentoring,
            usage="[name]",
            args=(Arg("reason", N_("why, for me only (optional)")),),
            menu=False,
        ),
    ]
    steering = [
        _admin(
            "/program new",  # i18n: not said
            N_("start a mentoring program (then a form)"),
            programs.new,
            'name="..."',
        ),
        _admin(
            "/program list",  # i18n: not said
            N_("programs of this team"),
            programs.list_programs,
            "",
        ),
        _admin(
            "/program show",  # i18n: not said
            N_("a program's settings and counts"),
            programs.show,
        ),
        _admin(
            "/program edit",  # i18n: not said
            N_("change a program (the form again)"),
            programs.edit,
        ),
        _admin(
            "/program settings",  # i18n: not said
            N_("a program's options: a group chat per new pair"),
            programs.settings,
            "<program> [groupchat=on|off]",  # i18n: not said
            Arg("groupchat", N_("on|off: a Graph group chat of each new pair for its intro")),
        ),
        _admin(
            "/program invite",  # i18n: not said
            N_("post a join card in the channel"),
            programs.invite,
        ),
        _admin(
            "/program close",  # i18n: not said
            N_("end a program and all its mentorships"),
            programs.close,
        ),
        _admin(
            "/program cohort",  # i18n: not said
            N_("start a new cohort: enrolments from now on are in it"),
            programs.cohort,
            '<program> cohort="..."',  # i18n: not said
            Arg("cohort", N_("the new cohort's name")),
        ),
        _admin(
            "/match run",  # i18n: not said
            N_("match waiting mentees now (in the program's mode)"),
            admin.admin_run,
        ),
        _admin(
            "/match review",  # i18n: not said
            N_("proposals waiting for your approval"),
            admin.review,
        ),
        _admin(
            "/match approve",  # i18n: not said
            N_("approve a proposal: <#> or all <program>"),
            admin.approve,
            "<#> | all <program>",  # i18n: not said
        ),
        _admin(
            "/match reject",  # i18n: not said
            N_("reject a proposal with your reason; the mentee is proposed again next run"),
            admin.reject,
            "<#> <why> | all <program> reason=...",  # i18n: not said
            Arg("reason", N_("why not this pair (for the admins)")),
        ),
        _admin(
            "/match pair",  # i18n: not said
            N_("pair a mentee with a mentor by hand (seats and must-haves checked)"),
            by_hand.pair,
            "<mentee> <mentor> <program>",  # i18n: not said
            *PEOPLE_ARGS,
        ),
        _admin(
            "/match move",  # i18n: not said
            N_("move a mentee to another mentor"),
            by_hand.move,
            "<mentee> <new mentor> <program>",  # i18n: not said
            *PEOPLE_ARGS,
        ),
        _admin(
            "/match undo",  # i18n: not said
            N_("take the last matching run back while nobody has confirmed"),
            by_hand.undo,
        ),
        _admin(
            "/match weights",  # i18n: not said
            N_("show or set matching weights"),
            admin.set_weights,
            "<program> [skills=8 ...]",  # i18n: not said
            *WEIGHT_ARGS,
        ),
    ]
    return (*members, *steering)


FEATURE = Feature(
    "mentoring",
    commands=_commands(),
    actions=(
        Action(programs.SAVE_ACTION, programs.save),
        # The invitation's Join button is pressed in the channel; the questions go 1:1.
        Action(programs.JOIN_ACTION, programs.join_from_card, scopes=("personal", "team")),
        Action(programs.ENROL_ACTION, runs.save_enrolment),
        # A pair's group chat carries the agreement and Find a time (bot/graph/chats.py).
        Action(agreements.CONFIRM_ACTION, agreements.confirm_agreement, scopes=IN_CHAT),
        Action(agreements.SETTLE_ACTION, agreements.settle_format),
        Action(runs.REQUEST_ACTION, runs.request_mentor),
        Action(runs.ANSWER_ACTION, runs.answer_request),
        Action(mentorships.NOT_FIT_ACTION, mentorships.not_a_good_fit),
        Action(meetings.FIND_ACTION, meetings.find_from_card, scopes=IN_CHAT),
        Action(meetings.MOVE_ACTION, meetings.find_from_card, scopes=IN_CHAT),
        Action(meetings.BOOK_ACTION, meetings.book, scopes=IN_CHAT),
        Action(meetings.CANCEL_ACTION, meetings.cancel, scopes=IN_CHAT),
    ),
    jobs=(
        # Unanswered requests pass on after 3 days; programs match at their deadline.
        Job("mentoring_requests", runs.expire_requests, "global", every=timedelta(hours=1)),
        Job("program_matching", runs.match_at_deadline, "global", every=timedelta(hours=1)),
    ),
    help=Topic(
        ("programs", "program", "mentoring", "mentor"),
        N_("Mentoring programs"),
        N_(
            "`join <program>` to take part; `mentoring` shows your mentor or mentees; "
            "`schedule` finds a time with them and books it."
        ),
    ),
    admin_help=Topic(
        ("program", "programs", "match", "mentoring"),
        N_("Mentoring programs"),
        N_(
            'start one with `/program new name="..."`, invite with `/program invite`, '
            "match with `/match run` (`/match undo` takes it back until someone confirms), "
            "or pair by hand with `/match pair` and `/match move`."
        ),
    ),
    data=(mentorships.DATA, meeting_ends.DATA),
)
