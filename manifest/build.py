"""Build the Teams app package (manifest.json + icons, zipped) from the template and route table.

The command lists come from the route table (dialogs/routes.py), so the commands Teams
suggests are exactly the ones the bot understands.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dialogs.core import i18n
from dialogs.core.i18n import N_
from dialogs.core.router import Command, RouteTable, words_of

_ = i18n.catalog(__package__)

PACKAGE = "manifest"  # where the template and icons live, read as package data
DEFAULT_BASE_URL = "https://mentorbot.example.com"
ICONS = ("color.png", "outline.png")
# Teams limits (bots[].commandLists): 10 commands a list is the limit before manifest
# v1.24 (12 from then); 10 keeps the package valid for older clients and validators.
MAX_COMMANDS = 10
MAX_TITLE, MAX_DESCRIPTION = 32, 128
# (scopes of the list, the scope a command must have to be in it)
# A group chat belongs to no team: only what works there (help) is offered there.
LISTS: tuple[tuple[list[str], str], ...] = (
    (["personal"], "personal"),
    (["team"], "team"),
    (["groupChat"], "groupChat"),
)

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def manifest_dict(app_id: str, table: RouteTable, base_url: str | None = None) -> dict[str, Any]:
    app_id = _checked_app_id(app_id)
    base = _checked_base_url(base_url or DEFAULT_BASE_URL)
    # The package's own files, never the working directory's.
    manifest: dict[str, Any] = json.loads(
        resources.files(PACKAGE).joinpath("manifest.template.json").read_text("utf-8")
    )
    manifest["id"] = app_id
    bot = manifest["bots"][0]
    bot["botId"] = app_id
    developer = manifest["developer"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        developer[key] = developer[key].replace("{{baseUrl}}", base)
    bot["commandLists"] = command_lists(table)
    host = urlsplit(base).netloc
    manifest["staticTabs"] = static_tabs(base)
    # Teams single sign-on for the tabs: the Entra app's exposed API (README, "SSO").
    manifest["webApplicationInfo"] = {"id": app_id, "resource": f"api://{host}/{app_id}"}
    manifest["validDomains"] = [host]
    manifest["localizationInfo"] = {
        "defaultLanguageTag": "en-us",
        "additionalLanguages": [
            {"languageTag": language, "file": language_file(language)}
            for language in other_languages()
        ],
    }
    return manifest


def other_languages() -> list[str]:
    return [language for language in i18n.LANGUAGES if language != i18n.SOURCE]


def language_file(language: str) -> str:
    return f"{language}.json"


def localization(manifest: dict[str, Any], table: RouteTable, language: str) -> dict[str, Any]:
    """The manifest's strings in `language` (Teams' localization file): the names and
    descriptions from the manifest's catalog, the tabs' names, and each listed command
    as a person writing that language types it (its alias there, else the English name,
    which works everywhere) with its summary from its feature's catalog."""
    by_name = {c.name: c for c in table.commands}
    say = _  # the template's strings are extracted from the template (infra/catalogs.py)
    with i18n.speaking(language):
        strings: dict[str, Any] = {
            "$schema": LOCALIZATION_SCHEMA,
            "name.short": say(manifest["name"]["short"]),
            "name.full": say(manifest["name"]["full"]),
            "description.short": say(manifest["description"]["short"]),
            "description.full": say(manifest["description"]["full"]),
        }
        for n, tab in enumerate(manifest["staticTabs"]):
            if "name" in tab:
                strings[f"staticTabs[{n}].name"] = say(tab["name"])
        for i, listed in enumerate(manifest["bots"][0]["commandLists"]):
            for j, entry in enumerate(listed["commands"]):
                command = by_name[entry["title"]]
                key = f"bots[0].commandLists[{i}].commands[{j}]"
                strings[f"{key}.title"] = command.said_in(language)
                strings[f"{key}.description"] = _cut(summary_in(command, language))
    return strings


LOCALIZATION_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.24/"
    "MicrosoftTeams.Localization.schema.json"
)


def summary_in(command: Command, language: str) -> str:
    """A command's summary in `language`, from the catalog of the feature declaring it."""
    return words_of(command).in_language(language, command.summary)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def static_tabs(base: str) -> list[dict[str, Any]]:
    """The 1:1 chat first (a reserved entity id), then the two pages of the tab."""
    return [
        {"entityId": "conversations", "scopes": ["personal"]},
        {
            "entityId": "dashboard",
            "name": N_("Dashboard"),
            "contentUrl": f"{base}/tab/dashboard",
            "websiteUrl": f"{base}/tab/dashboard",
            "scopes": ["personal"],
        },
        {
            "entityId": "mymentoring",
            "name": N_("My mentoring"),
            "contentUrl": f"{base}/tab/me",
            "websiteUrl": f"{base}/tab/me",
            "scopes": ["personal"],
        },
    ]


def command_lists(table: RouteTable) -> list[dict[str, Any]]:
    """One list per scope group; commands in table order, only the first MAX_COMMANDS.

    Commands past the limit are still understood by the bot, just not suggested by
    Teams; keep the most useful ones early in dialogs/routes.py.
    """
    lists = []
    for scopes, needed in LISTS:
        # Teams shows one menu to everyone: the 1:1 menu offers what anyone can do; the
        # channel menu (after an @mention) is where admins steer.
        chosen = [
            c
            for c in table.commands
            if c.menu and needed in c.scopes and (needed != "personal" or c.who == "anyone")
        ][:MAX_COMMANDS]
        if chosen:
            lists.append({"scopes": scopes, "commands": [_entry(c) for c in chosen]})
    return lists


def write_package(app_id: str, out: Path, table: RouteTable, base_url: str | None = None) -> Path:
    # Build (and validate) everything before touching the disk, so errors write nothing.
    built = manifest_dict(app_id, table, base_url)
    manifest = json.dumps(built, indent=2, ensure_ascii=False)
    languages = {
        language_file(language): json.dumps(
            localization(built, table, language), indent=2, ensure_ascii=False
        )
        for language in other_languages()
    }
    icons = {name: resources.files(PACKAGE).joinpath(name).read_bytes() for name in ICONS}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a failure never leaves a half-written zip.
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".zip", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", manifest)
            for name, text in languages.items():
                zf.writestr(name, text)
            for name, data in icons.items():
                zf.writestr(name, data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _entry(command: Command) -> dict[str, str]:
    # The title is what Teams types for the user, so it must stay the exact command name:
    # cutting it would make the bot not understand it. The description may be shortened.
    if len(command.name) > MAX_TITLE:
        raise ValueError(
            f"command {command.name!r} is longer than {MAX_TITLE} characters; "
            "Teams cannot list it (set menu=False or shorten it)"
        )
    return {"title": command.name, "description": _cut(command.summary)}


def _checked_app_id(app_id: str) -> str:
    app_id = (app_id or "").strip()
    if not _GUID.fullmatch(app_id):
        got = f" (got {app_id!r})" if app_id else ""  # i18n: not said
        raise ValueError(
            "the Teams app package needs the bot's Microsoft app id, a GUID like "
            f"00000000-0000-0000-0000-000000000000{got}: set MicrosoftAppId or pass --app-id"
        )
    return app_id


def _checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(
            f"--base-url must be an https:// URL (got {base_url!r}); Teams "
            "requires https for the developer website, privacy and terms links"
        )
    return base_url.strip().rstrip("/")
