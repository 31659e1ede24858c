"""THE route table: every command and card action Mentorbot understands.

Help texts (`help`, `/help`) and the manifest's command lists are generated from it.
"""

from __future__ import annotations

from typing import Any

from dialogs import (
    account,
    admin,
    checkin_settings,
    checkins,
    coffee,
    goals,
    icebreakers,
    mentoring,
    pairing_admin,
    programs,
    sessions,
)
from dialogs.matching_algorithm import CRITERIA
from dialogs.router import Action, Arg, Command, Handler, RouteTable

TEAM = ("personal", "team", "groupChat")
TEAM_ARG = Arg("team", "which team, when you admin more than one (1:1 only)")
PAIR_SETTINGS_ARGS = (
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
    TEAM_ARG,
)


def build_table() -> RouteTable:
    return RouteTable(
        commands=[
            Command("help", "what I can do for you", account.show_help, scopes=TEAM),
            Command("profile", "see and edit your profile", account.show_profile),
            Command(
                "pause",
                "take a break from pairings and check-ins",
                account.pause,
                usage="[until YYYY-MM-DD]",
            ),
            Command("resume", "end a pause", account.resume, menu=False),
            Command("opt out", "stop all pairings and messages", account.opt_out),
            Command("opt in", "join again after opting out", account.opt_in, menu=False),
            Command("join", "enrol in a mentoring program", programs.join, usage="<program>"),
            Command("mentoring", "your mentor or mentees, and how it goes", mentoring.my_mentoring),
            Command(
                "end mentoring",
                "end a mentorship (the reason stays private)",
                mentoring.end_mentoring,
                usage="[name]",
                args=(Arg("reason", "why, for me only (optional)"),),
                menu=False,
            ),
            Command("coffee", "your coffee chats: where you're in, next round", coffee.status),
            Command(
                "join coffee",
                "get coffee partners (again)",
                coffee.join,
                args=(Arg("team", "only this team"),),
                menu=False,
            ),
            Command(
                "leave coffee",
                "no more coffee partners",
                coffee.leave,
                args=(Arg("team", "only this team"),),
                menu=False,
            ),
            Command(
                "don't pair me with",
                "never group me with someone (private)",
                coffee.dont_pair,
                usage="@user",
                args=(Arg("user", "name or email, instead of an @mention"),),
                menu=False,
            ),
            Command(
                "pair me again with",
                "undo a don't-pair",
                coffee.allow_pair,
                usage="@user",
                args=(Arg("user", "name or email, instead of an @mention"),),
                menu=False,
            ),
            Command("my data", "everything I store about you", account.my_data),
            Command("delete my data", "remove your personal data (asks first)", account.ask_delete),
            Command(
                "suggest",
                "suggest an icebreaker question to your team's admins",
                icebreakers.suggest_command,
                scopes=TEAM,
                usage="<question>",
                args=(Arg("team", "which team, when you're in more than one (1:1 only)"),),
                menu=False,
                free_text=True,
            ),
            Command("/help", "admin commands", account.show_admin_help, scopes=TEAM),
            Command(
                "/admin add",
                "make someone an admin of this team",
                admin.admin_add,
                who="admin",
                scopes=TEAM,
                usage="@user",
                args=(Arg("user", "name or email, instead of an @mention"), TEAM_ARG),
            ),
            Command(
                "/admin remove",
                "remove an admin of this team",
                admin.admin_remove,
                who="admin",
                scopes=TEAM,
                usage="@user",
                args=(Arg("user", "name or email, instead of an @mention"), TEAM_ARG),
                menu=False,
            ),
            Command(
                "/admin list",
                "who administers this team",
                admin.admin_list,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
                menu=False,
            ),
            Command(
                "/delivery",
                "messages waiting, sent, failed and unreachable members",
                admin.delivery_status,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
            ),
            Command(
                "/delivery retry",
                "send the failed messages again",
                admin.delivery_retry,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
                menu=False,
            ),
            *_icebreaker_commands(),
            Command(
                "/team",
                "team settings and counts",
                admin.team_info,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
            ),
            Command(
                "/pair settings",
                "coffee pairing: show or change when and how",
                pairing_admin.settings,
                who="admin",
                scopes=TEAM,
                usage="[key=value ...]",
                args=PAIR_SETTINGS_ARGS,
            ),
            Command(
                "/pair preview",
                "who would be paired now (sends nothing)",
                pairing_admin.preview,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
            ),
            Command(
                "/pair now",
                "run a coffee round at once",
                pairing_admin.run_now,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
            ),
            Command(
                "/pair history",
                "recent rounds with met and rating counts",
                pairing_admin.history,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
            ),
            Command(
                "/lottery",
                "coffee lottery: winners meet a host each round",
                pairing_admin.lottery,
                who="admin",
                scopes=TEAM,
                usage="host=@user winners=2 | off",
                args=(
                    Arg("host", "who the winners meet (@mention, name or email)"),
                    Arg("winners", "1 to 3 a round"),
                    TEAM_ARG,
                ),
            ),
            *_program_commands(),
            *_goal_commands(),
        ],
        actions=[
            Action(icebreakers.ANSWER_ACTION, icebreakers.answer_from_card, scopes=("team",)),
            Action("profile_save", account.save_profile),
            Action("delete_data_confirm", account.confirm_delete),
            Action("delete_data_cancel", account.cancel_delete),
            Action("pair_followup", coffee.answer_followup),
            Action("program_save", programs.save),
            Action("program_join", programs.join_from_card, scopes=("personal", "team")),
            Action("enrol_save", programs.save_enrolment),
            Action("agreement_confirm", mentoring.confirm_agreement),
            Action("match_request", mentoring.request_mentor),
            Action("match_answer", mentoring.answer_request),
            Action("mentorship_not_fit", mentoring.not_a_good_fit),
            Action(goals.SAVE_ACTION, goals.save_goal),
            Action(goals.SHOUTOUT_ACTION, goals.shoutout),
            Action(checkins.SAVE_ACTION, checkins.save),
            Action(sessions.AGENDA_ACTION, sessions.save_agenda),
            Action(sessions.NOTES_ACTION, sessions.save_notes),
            Action(sessions.ITEM_DONE_ACTION, sessions.item_done),
        ],
    )


PROGRAM_ARG = Arg("name", "the program's name (or type it after the command)")


def _program_commands() -> list[Command]:
    """Admin commands of mentoring programs; listed by /help, not in the manifest's menu."""

    def admin(
        name: str, summary: str, handler: Any, usage: str = "<program>", *more: Arg
    ) -> Command:
        return Command(
            name,
            summary,
            handler,
            who="admin",
            scopes=TEAM,
            usage=usage,
            args=(PROGRAM_ARG, *more, TEAM_ARG),
            menu=False,
        )

    weights = tuple(Arg(c, "0 to 10 (10 = must-have)") for c in CRITERIA)
    return [
        admin(
            "/program new", "start a mentoring program (then a form)", programs.new, 'name="..."'
        ),
        admin("/program list", "programs of this team", programs.list_programs, ""),
        admin("/program show", "a program's settings and counts", programs.show),
        admin("/program edit", "change a program (the form again)", programs.edit),
        admin("/program invite", "post a join card in the channel", programs.invite),
        admin("/program close", "end a program and all its mentorships", programs.close),
        admin(
            "/match run", "match waiting mentees now (in the program's mode)", mentoring.admin_run
        ),
        admin("/match review", "proposals waiting for your approval", mentoring.review),
        admin(
            "/match approve",
            "approve a proposal: <#> or all <program>",
            mentoring.approve,
            "<#> | all <program>",
        ),
        admin(
            "/match reject",
            "reject a proposal: <#> or all <program>",
            mentoring.reject,
            "<#> | all <program>",
        ),
        admin(
            "/match weights",
            "show or set matching weights",
            mentoring.set_weights,
            "<program> [skills=8 ...]",
            *weights,
        ),
    ]


def _icebreaker_commands() -> list[Command]:
    """Admins steer a team's weekly icebreakers (dialogs/icebreakers.py); not in the menus."""

    def admin(name: str, summary: str, handler: Handler, usage: str = "", **kw: Any) -> Command:
        kw.setdefault("args", (TEAM_ARG,))
        return Command(
            name, summary, handler, who="admin", scopes=TEAM, usage=usage, menu=False, **kw
        )

    return [
        admin("/icebreaker", "icebreaker settings and commands", icebreakers.overview),
        admin(
            "/icebreaker settings",
            "when and where icebreakers are posted; on or off",
            icebreakers.settings_command,
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
        admin(
            "/icebreaker add",
            "add your team's own question (asked before the built-in ones)",
            icebreakers.add_command,
            "<question>",
            free_text=True,
        ),
        admin(
            "/icebreaker list",
            "your questions, suggestions waiting, what's in rotation",
            icebreakers.list_command,
            "[bank]",
        ),
        admin(
            "/icebreaker remove",
            "take a question out of rotation, or decline a suggestion",
            icebreakers.remove_command,
            "<id>",
        ),
        admin(
            "/icebreaker approve",
            "approve a member's suggested question",
            icebreakers.approve_command,
            "<id>",
        ),
        admin("/icebreaker now", "post the next question right away", icebreakers.now_command),
        admin(
            "/icebreaker skip",
            "skip the next scheduled question",
            icebreakers.skip_command,
            "[undo]",
        ),
        admin(
            "/icebreaker categories",
            "turn question categories on or off",
            icebreakers.categories_command,
            "[<category> on|off]",
        ),
    ]


def _goal_commands() -> list[Command]:
    """Goals, check-ins and sessions between pairs (dialogs/goals.py, checkins.py,
    checkin_settings.py, sessions.py): 1:1 only, not in the manifest's full menus."""

    def mine(name: str, summary: str, handler: Handler, usage: str = "", **kw: Any) -> Command:
        return Command(name, summary, handler, usage=usage, menu=False, **kw)

    return [
        mine("goals", "your goals, and the ones partners shared with you", goals.list_goals),
        mine("goal", "one of your goals in full", goals.show_goal, "<#>"),
        mine(
            "goal add",
            "add a goal (a form, or the title with target=)",
            goals.add_goal,
            "[title] [target=YYYY-MM-DD] [why=...] [measure=...]",
            args=(
                Arg("title", "the goal, instead of typing it after the command"),
                Arg("target", "target date, YYYY-MM-DD (today or later)"),
                Arg("why", "why it matters to you"),
                Arg("measure", "how you'll know you succeeded"),
            ),
            free_text=True,
        ),
        mine("goal edit", "change one of your goals (a form)", goals.edit_goal, "<#>"),
        mine("goal done", "mark a goal done, and celebrate", goals.mark_done, "<#>"),
        mine("goal drop", "drop a goal you no longer pursue", goals.drop_goal, "<#>"),
        mine(
            "goal share",
            "share a goal with your mentor, mentee or coffee partner",
            goals.share_goal,
            "<#> [name]",
        ),
        mine("goal unshare", "stop sharing a goal", goals.unshare_goal, "<#> [name]"),
        mine("checkin", "check in on your goals now", checkins.checkin_now),
        mine("checkins", "your check-ins, per goal", checkins.history, "[#]"),
        mine(
            "checkin settings",
            "when your check-ins come (your own day, time and zone)",
            checkin_settings.settings_command,
            "[on|off] [cadence=weekly] [day=monday] [time=09:00] [timezone=Europe/Berlin]",
            args=(
                Arg("cadence", "weekly, biweekly, monthly or off"),
                Arg("day", "weekday, e.g. monday"),
                Arg("time", "your local time, HH:MM"),
                Arg("timezone", "IANA zone, or `profile` to follow your profile"),
            ),
        ),
        mine(
            "agenda",
            "plan your next meeting with your mentor or partner",
            sessions.agenda_command,
            "[name]",
        ),
        mine("notes", "notes and action items after a meeting", sessions.notes_command, "[name]"),
    ]
