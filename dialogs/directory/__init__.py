"""Microsoft Graph for everyone: profiles from the directory (kept fresh by the sync
worker in bot/graph/sync.py), `/graph status` for admins, and the directory entry's
part of `my data` and `delete my data`."""

from __future__ import annotations

from dialogs.core.i18n import N_
from dialogs.core.router import DataPart, Feature, Topic
from dialogs.core.router import admin_command as _admin
from dialogs.directory import status

FEATURE = Feature(
    "directory",
    commands=(
        _admin(
            "/graph status",  # i18n: not said
            N_("which Microsoft Graph features work, or the permission each one lacks"),
            status.graph_status,
        ),
    ),
    admin_help=Topic(
        ("graph", "directory"),
        N_("Microsoft Graph"),
        N_(
            "`/graph status`: profiles from the directory, time zones, group chats and "
            "calendar invites, each working or with the permission it needs."
        ),
    ),
    data=(
        DataPart("directory", status.export, status.erase),
        DataPart("group_chats", status.chats, status.erase_chats),
    ),
)
