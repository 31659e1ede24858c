"""Coffee chats, as the route table sees them: commands, card actions, jobs, help topic
and this feature's part of "my data" (dialogs/routes.py lists it)."""

from __future__ import annotations

from datetime import timedelta

from dialogs.coffee import admin, members, rounds
from dialogs.core.i18n import N_
from dialogs.core.router import TEAM_ARG, USER_ARG, Action, Arg, Command, Feature, Topic
from dialogs.core.router import admin_command as _admin
from scheduler.types import Job

SETTINGS_ARGS = (
    Arg("pairing", N_("on or off")),
    Arg("cadence", N_("weekly, biweekly or monthly")),
    Arg("day", N_("weekday of the round")),
    Arg("time", N_("local time HH:MM")),
    Arg("timezone", N_("IANA zone, e.g. Europe/Berlin")),
    Arg("size", N_("group size 2 to 4")),
    Arg("history", N_("rounds without repeats (default 12)")),
    Arg("cross_department", N_("prefer other departments: on or off")),
    Arg("mode", N_("everyone or opt-in")),
    Arg("followup", N_('days until "did you meet?" (default 5)')),
    Arg("channel", N_("here (this channel gets round notices) or none")),
    Arg("groupchat", N_("on or off: each group's intro in a group chat (Microsoft Graph)")),
    TEAM_ARG,
)


FEATURE = Feature(
    "coffee",
    commands=(
        Command("coffee", N_("your coffee chats: where you're in, next round"), members.status),
        Command(
            "join coffee",  # i18n: not said
            N_("get coffee partners (again)"),
            members.join,
            args=(Arg("team", N_("only this team")),),
            menu=False,
        ),
        Command(
            "leave coffee",  # i18n: not said
            N_("no more coffee partners"),
            members.leave,
            args=(Arg("team", N_("only this team")),),
            menu=False,
        ),
        Command(
            "don't pair me with",  # i18n: not said
            N_("never group me with someone (private)"),
            members.dont_pair,
            usage="@user",
            args=(USER_ARG,),
            menu=False,
        ),
        Command(
            "pair me again with",  # i18n: not said
            N_("undo a don't-pair"),
            members.allow_pair,
            usage="@user",
            args=(USER_ARG,),
            menu=False,
        ),
        _admin(
            "/pair settings",  # i18n: not said
            N_("coffee pairing: show or change when and how"),
            admin.settings,
            usage="[key=value ...]",  # i18n: not said
            args=SETTINGS_ARGS,
        ),
        _admin(
            "/pair preview",  # i18n: not said
            N_("who would be paired now (sends nothing)"),
            admin.preview,
        ),
        _admin(
            "/pair now",  # i18n: not said
            N_("run a coffee round at once"),
            admin.run_now,
        ),
        _admin(
            "/pair history",  # i18n: not said
            N_("recent rounds with met and rating counts"),
            admin.history,
        ),
        _admin(
            "/lottery",  # i18n: not said
            N_("coffee lottery: winners meet a host each round"),
            admin.lottery,
            usage="host=@user winners=2 | off",  # i18n: not said
            args=(
                Arg("host", N_("who the winners meet (@mention, name or email)")),
                Arg("winners", N_("1 to 3 a round")),
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
        N_("Coffee chats"),
        N_("meet a colleague or two each round. `coffee` shows where you take part."),
    ),
    admin_help=Topic(
        ("pair", "coffee", "lottery"),
        N_("Coffee pairing"),
        N_(
            "when rounds run and how groups are made (`/pair settings`), `/pair preview`, "
            "`/pair now`, `/pair history`, `/lottery`."
        ),
    ),
    data=(members.DATA,),
)
