"""Feedback surveys and outcome metrics: surveys at the moments that matter (after a
session, day 30, halfway, the end, 60 days on; a coffee pulse), answered 1:1 at the
person's local morning, anonymous where the survey says so; and the numbers that show a
program works (`metrics.py`, pure), as a report card and CSV files for admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dialogs.core.router import TEAM_ARG, Action, Arg, Command, Feature, Handler, Topic
from dialogs.core.router import admin_command as _admin_command
from dialogs.feedback import admin, answers, data, exports, moments, report
from scheduler.types import Job

PROGRAM_ARG = Arg("name", "the program's name (or type it after the command)")
WINDOW_ARGS = (
    Arg("from", "first day, YYYY-MM-DD (default: the program's start)"),
    Arg("to", "last day, YYYY-MM-DD (default: today)"),
)
TEMPLATE_ARG = Arg("template", "session, day30, mid.mentee, mid.mentor, end.mentee, ...")
SETTING_ARGS = (
    *(Arg(m, f"on or off: {help}") for m, help in admin.MOMENT_HELP.items()),
    Arg("k", "answers needed before admins see an aggregate (3 to 50)"),
    Arg("days", "days a survey stays open (2 to 30)"),
    Arg("demographics", "optional self-reported questions at the end: on or off"),
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
        Command("surveys", "your open surveys", answers.list_surveys, menu=False),
        _private(
            "/program report",
            "a program's numbers (card)",
            report.program_report,
            "<program> [from=] [to=]",
            *WINDOW_ARGS,
        ),
        _private(
            "/program export",
            "a program's CSV: pairs, participants, metrics, feedback",
            exports.program_export,
            "<program> what=... [from=] [to=]",
            Arg("what", "pairs, participants, metrics or feedback"),
            *WINDOW_ARGS,
        ),
        _admin_command(
            "/pair report",
            "coffee chats' numbers (card)",
            report.coffee_report,
            usage="[from=] [to=]",
            args=(*WINDOW_ARGS, TEAM_ARG),
            menu=False,
            scopes=("personal",),
        ),
        _admin_command(
            "/pair export",
            "coffee chats' CSV: groups or metrics",
            exports.coffee_export,
            usage="[what=pairs|metrics] [from=] [to=]",
            args=(Arg("what", "pairs or metrics"), *WINDOW_ARGS, TEAM_ARG),
            menu=False,
            scopes=("personal",),
        ),
        _admin(
            "/survey settings",
            "a program's survey moments, k, days open, demographics",
            admin.settings,
            "<program> [session=on|off ...] [k=3] [days=7]",
            *SETTING_ARGS,
        ),
        _admin(
            "/survey remind",
            "remind everyone whose survey of a program is still open, now",
            admin.remind_now,
            "<program>",
        ),
        _admin(
            "/survey show",
            "a program's survey templates and their questions",
            admin.show,
            "<program> [template=...]",
            TEMPLATE_ARG,
        ),
        _admin(
            "/survey add",
            "add a question (a new template version)",
            admin.add,
            '<program> template=... kind=rating text="..." [options="a, b"]',
            TEMPLATE_ARG,
            Arg("kind", "rating, recommend, yes_no, choice or text"),
            Arg("text", "the question, 5 to 200 characters"),
            Arg("options", "for kind=choice: 2 to 8, separated by commas"),
        ),
        _admin(
            "/survey reword",
            "reword a question (a new template version)",
            admin.reword,
            '<program> template=... question=<key> text="..."',
            TEMPLATE_ARG,
            Arg("question", "the question's key"),
            Arg("text", "the new wording"),
        ),
        _admin(
            "/survey remove",
            "remove a question (a new template version)",
            admin.remove,
            "<program> template=... question=<key>",
            TEMPLATE_ARG,
            Arg("question", "the question's key"),
        ),
        _admin_command(
            "/survey pulse",
            "coffee chats: one optional question per round",
            admin.pulse,
            usage="[on|off] [k=] [days=]",
            args=(
                Arg("k", "answers needed (3 to 50)"),
                Arg("days", "days open (2 to 30)"),
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
        "Surveys",
        "short surveys after sessions and at key moments of a program; `surveys` shows "
        "the ones open for you.",
    ),
    admin_help=Topic(
        ("report", "survey", "surveys", "export", "feedback"),
        "Surveys and reports",
        "`/program report <program>` for the numbers, `/program export` and `/pair export` "
        "for CSV files, `/survey settings <program>` for the surveys.",
    ),
    data=(data.DATA,),
    on_program_closed=moments.program_closed,
)
