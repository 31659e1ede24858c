"""THE route table: every command and card action Mentorbot understands.

Help texts (`help`, `/help`) and the manifest's command lists are generated from it.
"""

from __future__ import annotations

from dialogs import account, admin
from dialogs.router import Action, Arg, Command, RouteTable

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
            Action("profile_save", account.save_profile),
            Action("delete_data_confirm", account.confirm_delete),
            Action("delete_data_cancel", account.cancel_delete),
        ],
    )
