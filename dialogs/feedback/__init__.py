"""Feedback surveys and outcome metrics: surveys at the moments that matter (after a
session, day 30, halfway, the end, 60 days on; a coffee pulse), answered 1:1 at the
person's local morning, anonymous where the survey says so; and the numbers that show a
program works (`metrics.py`, pure), as a report card and CSV files for admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dialogs.core.i18n import N_
from dialogs.core.router import TEAM_ARG, Action, Arg, Command, Feature, Handler, Topic
from dialogs.core.router import admin_command as _admin_command
from dialogs.feedback import admin, answers, data, exports, moments, report
from scheduler.types import Job

PROGRAM_ARG = Arg("name", N_("the program's name (or type it after the command)"))
WINDOW_ARGS = (
    Arg("from", N_("first day, YYYY-MM-DD (default: the program's start)")),
    Arg("to", N_("last day, YYYY-MM-DD (default: today)")),
)
TEMPLATE_ARG = Arg(
    "template",
    "session, day30, mid.mentee, mid.mentor, end.mentee, ...",  # i18n: not said
)
SETTING_ARGS = (
    # One per moment of admin.MOMENT_HELP, each a whole message.
    Arg("session", N_("on or off: after each session whose notes were saved (both sides)")),
    Arg("day30", N_("on or off: day 30 of each mentorship (both sides)")),
    Arg("mid", N_("on or off: halfway through the program (anonymous)")),
    Arg("end", N_("on or off: at the program's end (anonymous)")),
    Arg("progress", N_("on or off: mentors rate their mentee's progress (mid and end)")),
    Arg("after", N_("on or off: 60 days after the end: still meeting? (both sides)")),
    Arg("k", N_("answers needed before admins see an aggregate (3 to 50)")),
    Arg("days", N_("days a survey stays open (2 to 30)")),
    Arg("demographics", N_("optional self-reported questions at the end: on or off")),
)


def _admin(name: str, summary: str, handler: Handler, usage: str, *more: Arg, **kw: Any) -> Command:
    """Listed by /help, not in the manifest's menus (they are full)."""
    return _admin_command(
        name, summary, handler, usage=usage, args=(PROGRAM_ARG, *more, TEAM_ARG), menu=False, **kw
    )


def _private(name: str, summary: str, handler: Handler, usage: str, *args: Arg) -> Command:
    """Reports and exports come 1:1: the numbers and links are for the admin who asked."""
    return _admin(name, summary, handler, usage, *args, scopes=("personal",))


FEATURE = Feature(
    "feedback",
    commands=(
        Command(
            "surveys",  # i18n: not said
            N_("your open surveys"),
            answers.list_surveys,
            menu=False,
        ),
        _private(
            "/program report",  # i18n: not said
            N_("a program's numbers (card)"),
            report.program_report,
            "<program> [from=] [to=]",  # i18n: not said
            *WINDOW_ARGS,
        ),
        _private(
            "/program export",  # i18n: not said
            N_("a program's CSV: pairs, participants, metrics, feedback"),
            exports.program_export,
            "<program> what=... [from=] [to=]",  # i18n: not said
            Arg("what", N_("pairs, participants, metrics or feedback")),
            *WINDOW_ARGS,
        ),
        _admin_command(
            "/pair report",  # i18n: not said
            N_("coffee chats' numbers (card)"),
            report.coffee_report,
            usage="[from=] [to=]",  # i18n: not said
            args=(*WINDOW_ARGS, TEAM_ARG),
            menu=False,
            scopes=("personal",),
        ),
        _admin_command(
            "/pair export",  # i18n: not said
            N_("coffee chats' CSV: groups or metrics"),
            exports.coffee_export,
            usage="[what=pairs|metrics] [from=] [to=]",  # i18n: not said
            args=(Arg("what", N_("pairs or metrics")), *WINDOW_ARGS, TEAM_ARG),
            menu=False,
            scopes=("personal",),
        ),
        _admin(
            "/survey settings",  # i18n: not said
            N_("a program's survey moments, k, days open, demographics"),
            admin.settings,
            "<program> [session=on|off ...] [k=3] [days=7]",  # i18n: not said
            *SETTING_ARGS,
        ),
        _admin(
            "/survey remind",  # i18n: not said
            N_("remind everyone whose survey of a program is still open, now"),
            admin.remind_now,
            "<program>",  # i18n: not said
        ),
        _admin(
            "/survey show",  # i18n: not said
            N_("a program's survey templates and their questions"),
            admin.show,
            "<program> [template=...]",  # i18n: not said
            TEMPLATE_ARG,
        ),
        _admin(
            "/survey add",  # i18n: not said
            N_("add a question (a new template version)"),
            admin.add,
            '<program> template=... kind=rating text="..." [options="a, b"]',  # i18n: not said
            TEMPLATE_ARG,
            Arg("kind", N_("rating, recommend, yes_no, choice or text")),
            Arg("text", N_("the question, 5 to 200 characters")),
            Arg("options", N_("for kind=choice: 2 to 8, separated by commas")),
        ),
        _admin(
            "/survey reword",  # i18n: not said
            N_("reword a question (a new template version)"),
            admin.reword,
            '<program> template=... question=<key> text="..."',  # i18n: not said
            TEMPLATE_ARG,
            Arg("question", N_("the question's key")),
            Arg("text", N_("the new wording")),
        ),
        _admin(
            "/survey remove",  # i18n: not said
            N_("remove a question (a new template version)"),
            admin.remove,
            "<program> template=... question=<key>",  # i18n: not said
            TEMPLATE_ARG,
            Arg("question", N_("the question's key")),
        ),
        _admin_command(
            "/survey pulse",  # i18n: not said
            N_("coffee chats: one optional question per round"),
            admin.pulse,
            usage="[on|off] [k=] [days=]",  # i18n: not said
            args=(
                Arg("k", N_("answers needed (3 to 50)")),
                Arg("days", N_("days open (2 to 30)")),
                TEAM_ARG,
            ),
            menu=False,
        ),
    ),
    actions=(
        Action(answers.ANSWER_ACTION, answers.answer),
        Action(answers.OPEN_ACTION, answers.open_survey),
        Action(exports.EXPORT_ACTION, exports.export_from_card),
    ),
    jobs=(
        # Makes the surveys of moments that happened, sends those due at people's 09:00,
        # and reminds once two mornings later.
        Job(moments.JOB, moments.run_job, "global", every=timedelta(minutes=15)),
    ),
    help=Topic(
        ("surveys", "survey", "feedback"),
        N_("Surveys"),
        N_(
            "short surveys after sessions and at key moments of a program; `surveys` shows "
            "the ones open for you."
        ),
    ),
    admin_help=Topic(
        ("report", "survey", "surveys", "export", "feedback"),
        N_("Surveys and reports"),
        N_(
            "`/program report <program>` for the numbers, `/program export` and `/pair export` "
            "for CSV files, `/survey settings <program>` for the surveys."
        ),
    ),
    data=(data.DATA,),
    on_program_closed=moments.program_closed,
)
