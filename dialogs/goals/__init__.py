"""Goals and check-ins: a member's own goals, check-ins at their own local time, sharing a
goal with a partner, agendas and notes between pairs, action items, and nudges for pairs
that went quiet."""

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
from dialogs.goals import checkin_settings, checkins, goals, nudges, sessions
from scheduler.types import Job


def _mine(name: str, summary: str, handler: Handler, usage: str = "", **kw: Any) -> Command:
    """1:1 only, not in the manifest's menus (they are full)."""
    return Command(name, summary, handler, usage=usage, menu=False, **kw)


FEATURE = Feature(
    "goals",
    commands=(
        _mine("goals", N_("your goals, and the ones partners shared with you"), goals.list_goals),
        _mine("goal", N_("one of your goals in full"), goals.show_goal, "<#>"),
        _mine(
            "goal add",  # i18n: not said
            N_("add a goal (a form, or the title with target=)"),
            goals.add_goal,
            "[title] [target=YYYY-MM-DD] [why=...] [measure=...]",  # i18n: not said
            args=(
                Arg("title", N_("the goal, instead of typing it after the command")),
                Arg("target", N_("target date, YYYY-MM-DD (today or later)")),
                Arg("why", N_("why it matters to you")),
                Arg("measure", N_("how you'll know you succeeded")),
            ),
            free_text=True,
        ),
        _mine(
            "goal edit",  # i18n: not said
            N_("change one of your goals (a form)"),
            goals.edit_goal,
            "<#>",
        ),
        _mine(
            "goal done",  # i18n: not said
            N_("mark a goal done, and celebrate"),
            goals.mark_done,
            "<#>",
        ),
        _mine(
            "goal drop",  # i18n: not said
            N_("drop a goal you no longer pursue"),
            goals.drop_goal,
            "<#>",
        ),
        _mine(
            "goal share",  # i18n: not said
            N_("share a goal with your mentor, mentee or coffee partner"),
            goals.share_goal,
            "<#> [name]",  # i18n: not said
        ),
        _mine(
            "goal unshare",  # i18n: not said
            N_("stop sharing a goal"),
            goals.unshare_goal,
            "<#> [name]",  # i18n: not said
        ),
        _mine("checkin", N_("check in on your goals now"), checkins.checkin_now),
        _mine("checkins", N_("your check-ins, per goal"), checkins.history, "[#]"),
        _mine(
            "checkin settings",  # i18n: not said
            N_("when your check-ins come (your own day, time and zone)"),
            checkin_settings.settings_command,
            "[on|off] [cadence=weekly] [day=monday] [time=09:00] "
            "[timezone=Europe/Berlin]",  # i18n: not said
            args=(
                Arg("cadence", N_("weekly, biweekly, monthly or off")),
                Arg("day", N_("weekday, e.g. monday")),
                Arg("time", N_("your local time, HH:MM")),
                Arg("timezone", N_("IANA zone, or `profile` to follow your profile")),
            ),
        ),
        _mine(
            "agenda",
            N_("plan your next meeting with your mentor or partner"),
            sessions.agenda_command,
            "[name]",
        ),
        _mine(
            "notes", N_("notes and action items after a meeting"), sessions.notes_command, "[name]"
        ),
        admin_command(
            "/program nudge",  # i18n: not said
            N_("nudge a program's pairs quiet for 21+ days now"),
            nudges.nudge_program,
            usage="<program>",
            args=(Arg("name", N_("the program's name (or type it after the command)")), TEAM_ARG),
            menu=False,
        ),
    ),
    actions=(
        Action(goals.SAVE_ACTION, goals.save_goal),
        Action(goals.SHOUTOUT_ACTION, goals.shoutout),
        Action(checkins.SAVE_ACTION, checkins.save),
        Action(sessions.AGENDA_ACTION, sessions.save_agenda),
        Action(sessions.NOTES_ACTION, sessions.save_notes),
        Action(sessions.ITEM_DONE_ACTION, sessions.item_done),
    ),
    jobs=(
        # Goal check-ins at each member's own local time; one reminder 2 days after an
        # unanswered one; action items at 09:00 local on their due date.
        Job(checkins.JOB, checkins.send_due, "global", every=timedelta(minutes=15)),
        Job(checkins.REMINDER_JOB, checkins.send_reminders, "global", every=timedelta(minutes=15)),
        Job(sessions.ITEMS_JOB, sessions.remind_items, "global", every=timedelta(minutes=15)),
        # Pairs quiet for 21 days get a nudge; mentorships quiet for 35, their admins a word.
        Job(nudges.NUDGE_JOB, nudges.nudge_pairs, "global", every=timedelta(hours=1)),
    ),
    help=Topic(
        ("goals", "goal", "checkins", "checkin", "agenda", "notes"),
        N_("Goals and check-ins"),
        N_(
            "set a goal with `goal add`, see them with `goals`; I check in at your own time. "
            "With a mentor or partner: `agenda` and `notes`."
        ),
    ),
    admin_help=Topic(
        ("nudge", "nudges", "quiet"),
        N_("Quiet pairs"),
        N_(
            "pairs quiet for 21 days get a nudge by themselves; `/program nudge <program>` "
            "sends it now."
        ),
    ),
    data=(goals.DATA,),
)
