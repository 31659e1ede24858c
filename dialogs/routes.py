"""THE route table: every command and card action Mentorbot understands.

Help texts (`help`, `/help`) and the manifest's command lists are generated from it.
"""

from __future__ import annotations

from typing import Any

from dialogs import account, admin, icebreakers
from dialogs.router import Action, Arg, Command, Handler, RouteTable

TEAM = ("personal", "team", "groupChat")
TEAM_ARG = Arg("team", "which team, when you admin more than one (1:1 only)")


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
            Command("resume", "end a pause", account.resume),
            Command("opt out", "stop all pairings and messages", account.opt_out),
            Command("opt in", "join again after opting out", account.opt_in),
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
            ),
            Command(
                "/admin list",
                "who administers this team",
                admin.admin_list,
                who="admin",
                scopes=TEAM,
                args=(TEAM_ARG,),
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
        ],
        actions=[
            Action(icebreakers.ANSWER_ACTION, icebreakers.answer_from_card, scopes=("team",)),
            Action("profile_save", account.save_profile),
            Action("delete_data_confirm", account.confirm_delete),
            Action("delete_data_cancel", account.cancel_delete),
        ],
    )


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
