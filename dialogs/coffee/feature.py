"""Coffee chats, as the route table sees them: commands, card actions, jobs, help topic
and this feature's part of "my data" (dialogs/routes.py lists it)."""

from __future__ import annotations

from datetime import timedelta

from dialogs.coffee import admin, members, rounds
from dialogs.core.router import TEAM_ARG, USER_ARG, Action, Arg, Command, Feature, Topic
from dialogs.core.router import admin_command as _admin
from scheduler.types import Job

SETTINGS_ARGS = (
    Arg("pairing", "on or off"),
    Arg("cadence", "weekly, biweekly or monthly"),
    Arg("day", "weekday of the round"),
    Arg("time", "local time HH:MM"),
    Arg("timezone", "IANA zone, e.g. Europe/Berlin"),
    Arg("size", "group size 2 to 4"),
    Arg("history", "rounds without repeats (default 12)"),
    Arg("cross_department", "prefer other departments: on or off"),
    Arg("mode", "everyone or opt-in"),
    Arg("followup", 'days until "did you meet?" (default 5)'),
    Arg("channel", "here (this channel gets round notices) or none"),
    Arg("groupchat", "on or off: each group's intro in a group chat (Microsoft Graph)"),
    TEAM_ARG,
)


FEATURE = Feature(
    "coffee",
    commands=(
        Command("coffee", "your coffee chats: where you're in, next round", members.status),
        Command(
            "join coffee",
            "get coffee partners (again)",
            members.join,
            args=(Arg("team", "only this team"),),
            menu=False,
        ),
        Command(
            "leave coffee",
            "no more coffee partners",
            members.leave,
            args=(Arg("team", "only this team"),),
            menu=False,
        ),
        Command(
            "don't pair me with",
            "never group me with someone (private)",
            members.dont_pair,
            usage="@user",
            args=(USER_ARG,),
            menu=False,
        ),
        Command(
            "pair me again with",
            "undo a don't-pair",
            members.allow_pair,
            usage="@user",
            args=(USER_ARG,),
            menu=False,
        ),
        _admin(
            "/pair settings",
            "coffee pairing: show or change when and how",
            admin.settings,
            usage="[key=value ...]",
            args=SETTINGS_ARGS,
        ),
        _admin("/pair preview", "who would be paired now (sends nothing)", admin.preview),
        _admin("/pair now", "run a coffee round at once", admin.run_now),
        _admin("/pair history", "recent rounds with met and rating counts", admin.history),
        _admin(
            "/lottery",
            "coffee lottery: winners meet a host each round",
            admin.lottery,
            usage="host=@user winners=2 | off",
            args=(
                Arg("host", "who the winners meet (@mention, name or email)"),
                Arg("winners", "1 to 3 a round"),
                TEAM_ARG,
            ),
        ),
    ),
    actions=(Action(members.FOLLOWUP_ACTION, members.answer_followup),),
    jobs=(
        # Coffee rounds, at each team's `/pair settings` time.
        Job(rounds.ROUND_JOB, rounds.scheduled_round),
        # "Did you meet?" once a round's follow-up delay has passed (hourly is precise enough).
        Job(rounds.FOLLOWUP_JOB, rounds.send_followups, "global", every=timedelta(hours=1)),
    ),
    help=Topic(
        ("coffee", "pairing"),
        "Coffee chats",
        "meet a colleague or two each round. `coffee` shows where you take part.",
    ),
    admin_help=Topic(
        ("pair", "coffee", "lottery"),
        "Coffee pairing",
        "when rounds run and how groups are made (`/pair settings`), `/pair preview`, "
        "`/pair now`, `/pair history`, `/lottery`.",
    ),
    data=(members.DATA,),
)
