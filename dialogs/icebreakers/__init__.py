"""Weekly icebreaker questions in a team channel: the built-in bank (`bank.py`), the
rotation (`rotation.py`, pure), the posts with their live count and digest, answers, and
what admins steer."""

from __future__ import annotations

from typing import Any

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
            "suggest an icebreaker question to your team's admins",
            commands.suggest_command,
            scopes=EVERYWHERE,
            usage="<question>",
            args=(Arg("team", "which team, when you're in more than one (1:1 only)"),),
            menu=False,
            free_text=True,
        ),
        _admin("/icebreaker", "icebreaker settings and commands", commands.overview),
        _admin(
            "/icebreaker settings",
            "when and where icebreakers are posted; on or off",
            commands.settings_command,
            "[on|off] [day=monday] [time=10:00] [timezone=Europe/Berlin] "
            "[cadence=weekly] [channel=here|general]",
            args=(
                Arg("day", "weekday, e.g. monday"),
                Arg("time", "local time, HH:MM"),
                Arg("timezone", "IANA time zone, e.g. Europe/Berlin"),
                Arg("cadence", "weekly, biweekly or monthly"),
                Arg("channel", "`here` (say it in that channel) or `general`"),
                TEAM_ARG,
            ),
        ),
        _admin(
            "/icebreaker add",
            "add your team's own question (asked before the built-in ones)",
            commands.add_command,
            "<question>",
            free_text=True,
        ),
        _admin(
            "/icebreaker list",
            "your questions, suggestions waiting, what's in rotation",
            commands.list_command,
            "[bank]",
        ),
        _admin(
            "/icebreaker remove",
            "take a question out of rotation, or decline a suggestion",
            commands.remove_command,
            "<id>",
        ),
        _admin(
            "/icebreaker approve",
            "approve a member's suggested question",
            commands.approve_command,
            "<id>",
        ),
        _admin("/icebreaker now", "post the next question right away", commands.now_command),
        _admin(
            "/icebreaker skip",
            "skip the next scheduled question",
            commands.skip_command,
            "[undo]",
        ),
        _admin(
            "/icebreaker categories",
            "turn question categories on or off",
            commands.categories_command,
            "[<category> on|off]",
        ),
    ),
    actions=(Action(answers.ANSWER_ACTION, answers.answer_from_card, scopes=("team",)),),
    jobs=(
        # Weekly icebreaker questions: timing from each team's schedules row job="icebreaker".
        Job(posts.JOB, posts.run_job),
    ),
    help=Topic(
        ("icebreakers", "icebreaker", "suggest"),
        "Icebreakers",
        "a question for your team each week; answer on the card. "
        "`suggest <question>` proposes one.",
    ),
    admin_help=Topic(
        ("icebreaker", "icebreakers"),
        "Icebreakers",
        "weekly questions in a channel: `/icebreaker settings on`, `/icebreaker now`, "
        "`/icebreaker add <question>`, `/icebreaker list`.",
    ),
    data=(answers.DATA,),
    # A reply under an icebreaker post is an answer, not a command.
    interceptors=(answers.thread_reply,),
    listeners=(answers.is_thread_answer,),
)
