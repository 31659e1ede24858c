"""Weekly icebreaker questions in a team channel: the built-in bank (`bank.py`), the
rotation (`rotation.py`, pure), the posts with their live count and digest, answers, and
what admins steer."""

from __future__ import annotations

from typing import Any

from dialogs.core.i18n import N_
from dialogs.core.router import (
    EVERYWHERE,
    TEAM_ARG,
    Action,
    Arg,
    Command,
    Feature,
    Handler,
    Topic,
    admin_command,
)
from dialogs.icebreakers import answers, commands, posts
from scheduler.types import Job


def _admin(name: str, summary: str, handler: Handler, usage: str = "", **kw: Any) -> Command:
    """Icebreaker commands are listed by /help, not in the manifest's full menus."""
    return admin_command(name, summary, handler, usage=usage, menu=False, **kw)


FEATURE = Feature(
    "icebreakers",
    commands=(
        Command(
            "suggest",
            N_("suggest an icebreaker question to your team's admins"),
            commands.suggest_command,
            scopes=EVERYWHERE,
            usage="<question>",
            args=(Arg("team", N_("which team, when you're in more than one (1:1 only)")),),
            menu=False,
            free_text=True,
        ),
        _admin("/icebreaker", N_("icebreaker settings and commands"), commands.overview),
        _admin(
            "/icebreaker settings",  # i18n: not said
            N_("when and where icebreakers are posted; on or off"),
            commands.settings_command,
            "[on|off] [day=monday] [time=10:00] [timezone=Europe/Berlin] "
            "[cadence=weekly] [channel=here|general]",  # i18n: not said
            args=(
                Arg("day", N_("weekday, e.g. monday")),
                Arg("time", N_("local time, HH:MM")),
                Arg("timezone", N_("IANA time zone, e.g. Europe/Berlin")),
                Arg("cadence", N_("weekly, biweekly or monthly")),
                Arg("channel", N_("`here` (say it in that channel) or `general`")),
                TEAM_ARG,
            ),
        ),
        _admin(
            "/icebreaker add",  # i18n: not said
            N_("add your team's own question (asked before the built-in ones)"),
            commands.add_command,
            "<question>",  # i18n: not said
            free_text=True,
        ),
        _admin(
            "/icebreaker list",  # i18n: not said
            N_("your questions, suggestions waiting, what's in rotation"),
            commands.list_command,
            "[bank]",  # i18n: not said
        ),
        _admin(
            "/icebreaker remove",  # i18n: not said
            N_("take a question out of rotation, or decline a suggestion"),
            commands.remove_command,
            "<id>",  # i18n: not said
        ),
        _admin(
            "/icebreaker approve",  # i18n: not said
            N_("approve a member's suggested question"),
            commands.approve_command,
            "<id>",  # i18n: not said
        ),
        _admin(
            "/icebreaker now",  # i18n: not said
            N_("post the next question right away"),
            commands.now_command,
        ),
        _admin(
            "/icebreaker skip",  # i18n: not said
            N_("skip the next scheduled question"),
            commands.skip_command,
            "[undo]",  # i18n: not said
        ),
        _admin(
            "/icebreaker categories",  # i18n: not said
            N_("turn question categories on or off"),
            commands.categories_command,
            "[<category> on|off]",  # i18n: not said
        ),
    ),
    actions=(Action(answers.ANSWER_ACTION, answers.answer_from_card, scopes=("team",)),),
    jobs=(
        # Weekly icebreaker questions: timing from each team's schedules row job="icebreaker".
        Job(posts.JOB, posts.run_job),
    ),
    help=Topic(
        ("icebreakers", "icebreaker", "suggest"),
        N_("Icebreakers"),
        N_(
            "a question for your team each week; answer on the card. "
            "`suggest <question>` proposes one."
        ),
    ),
    admin_help=Topic(
        ("icebreaker", "icebreakers"),
        N_("Icebreakers"),
        N_(
            "weekly questions in a channel: `/icebreaker settings on`, `/icebreaker now`, "
            "`/icebreaker add <question>`, `/icebreaker list`."
        ),
    ),
    data=(answers.DATA,),
    # A reply under an icebreaker post is an answer, not a command.
    interceptors=(answers.thread_reply,),
    listeners=(answers.is_thread_answer,),
)
