"""What every member has, whatever else they use: onboarding and the profile, help,
pauses and opting out, their data; and for admins the team itself (admins, counts,
delivery). The bot's life in a team (installed, members come and go) lives here too."""

from __future__ import annotations

from dialogs.account import (
    admin,
    data,
    guide,
    language,
    profile,
    retention,
    status,
    team_events,
    zone,
)
from dialogs.core.i18n import N_
from dialogs.core.router import (
    EVERYWHERE,
    TEAM_ARG,
    USER_ARG,
    Action,
    Command,
    Feature,
    Topic,
)
from dialogs.core.router import admin_command as _admin
from scheduler.types import Job

DELETE_CONFIRM, DELETE_CANCEL = "delete_data_confirm", "delete_data_cancel"


FEATURE = Feature(
    "account",
    commands=(
        Command(
            "help",
            N_("what I can do for you"),
            guide.show_help,
            scopes=EVERYWHERE,
            usage="[coffee|programs|goals|icebreakers|account]",
            aliases={"de": ("hilfe",), "es": ("ayuda",), "fr": ("aide",), "ja": ("ヘルプ",)},
        ),
        Command(
            "profile",
            N_("see and edit your profile"),
            profile.show_profile,
            aliases={
                "de": ("profil",),
                "es": ("perfil",),
                "fr": ("profil",),
                "ja": ("プロフィール",),
            },
        ),
        Command(
            "language",
            N_("choose the language I write to you in"),
            language.language_command,
            usage="[en|de|es|fr|ja|auto]",
            aliases={"de": ("sprache",), "es": ("idioma",), "fr": ("langue",), "ja": ("言語",)},
        ),
        Command(
            "timezone",
            N_("find and set your time zone by city"),
            zone.timezone_command,
            usage=N_("<city, country or IANA name>"),
            menu=False,
        ),
        Command(
            "pause",
            N_("take a break from pairings and check-ins"),
            status.pause,
            usage="[until YYYY-MM-DD]",  # i18n: not said
            aliases={"es": ("pausa",), "ja": ("一時停止",)},
        ),
        Command(
            "resume",
            N_("end a pause"),
            status.resume,
            menu=False,
            aliases={
                "de": ("weiter",),
                "es": ("reanudar",),
                "fr": ("reprendre",),
                "ja": ("再開",),
            },
        ),
        Command("opt out", N_("stop all pairings and messages"), status.opt_out),  # i18n: not said
        Command(
            "opt in",  # i18n: not said
            N_("join again after opting out"),
            status.opt_in,
            menu=False,
        ),
        Command(
            "my data",  # i18n: not said
            N_("everything I store about you"),
            data.my_data,
            aliases={
                "de": ("meine daten",),  # i18n: not said
                "es": ("mis datos",),  # i18n: not said
                "fr": ("mes données",),  # i18n: not said
                "ja": ("マイデータ",),
            },
        ),
        Command(
            "delete my data",  # i18n: not said
            N_("remove your personal data (asks first)"),
            data.ask_delete,
        ),
        Command(
            "/help",
            N_("admin commands"),
            guide.show_admin_help,
            scopes=EVERYWHERE,
            usage="[pair|program|icebreaker|team]",
        ),
        _admin(
            "/admin add",  # i18n: not said
            N_("make someone an admin of this team"),
            admin.admin_add,
            usage="@user",
            args=(USER_ARG, TEAM_ARG),
        ),
        _admin(
            "/admin remove",  # i18n: not said
            N_("remove an admin of this team"),
            admin.admin_remove,
            usage="@user",
            args=(USER_ARG, TEAM_ARG),
            menu=False,
        ),
        _admin(
            "/admin list",  # i18n: not said
            N_("who administers this team"),
            admin.admin_list,
            menu=False,
        ),
        _admin(
            "/delivery",
            N_("messages waiting, sent, failed and unreachable members"),
            admin.delivery_status,
        ),
        _admin(
            "/delivery retry",  # i18n: not said
            N_("send the failed messages again"),
            admin.delivery_retry,
            menu=False,
        ),
        _admin("/team", N_("team settings and counts"), admin.team_info),
        _admin(
            "/team language",  # i18n: not said
            N_("the team's default language (its channel, members who never chose one)"),
            language.team_language,
            usage="[en|de|es|fr|ja]",
            menu=False,
        ),
        _admin(
            "/team welcome",  # i18n: not said
            N_("greet every member 1:1 once (not those who already talk to me)"),
            admin.welcome_members,
        ),
    ),
    actions=(
        Action(profile.SAVE_ACTION, profile.save_profile),
        Action(zone.PICK_ACTION, zone.pick_timezone),
        Action(DELETE_CONFIRM, data.confirm_delete),
        Action(DELETE_CANCEL, data.cancel_delete),
    ),
    help=Topic(
        ("account", "profile", "me"),
        N_("You"),
        N_(
            "your profile (`profile`, `timezone <city>`), a break (`pause`, `resume`, "
            "`opt out`) and what I store about you (`my data`)."
        ),
    ),
    admin_help=Topic(
        ("team", "admin", "delivery"),
        N_("The team"),
        N_(
            "who administers it (`/admin add @name`), counts (`/team`) and messages that "
            "could not be delivered (`/delivery`)."
        ),
    ),
    data=(data.ACCOUNT, data.PROFILE, data.TEAMS),
    # Sent messages' contents after RETENTION_DAYS; remembered activities after 2 days.
    jobs=(Job(retention.JOB, retention.run_job, scope="global", every=retention.EVERY),),
    team_events={
        "team_install": team_events.installed,
        "members_added": team_events.members_added,
        "members_removed": team_events.members_removed,
        "team_uninstall": team_events.uninstalled,
    },
    welcome=profile.start_onboarding,
    chatter=guide.chatter,
)
