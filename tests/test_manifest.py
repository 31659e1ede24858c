"""The Teams app package: required fields, icons, and commands that are all routed."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest
from PIL import Image

import cli
from dialogs.routes import build_table

GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    # cli.main reads settings from the environment: a MicrosoftAppId in the developer's
    # shell would fill in for the empty --app-id below (and demand a password).
    for name in (
        "MicrosoftAppId",
        "MicrosoftAppPassword",
        "MicrosoftAppType",
        "MicrosoftAppTenantId",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def build(tmp_path, *extra: str) -> tuple[int, zipfile.ZipFile | None]:
    out = tmp_path / "pkg.zip"
    code = cli.main(["manifest", "--app-id", GUID, "--out", str(out), *extra])
    return code, zipfile.ZipFile(out) if out.exists() else None


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_package_has_the_required_fields(tmp_path):
    code, package = build(tmp_path)
    assert code == 0 and package is not None
    languages = ["de.json", "es.json", "fr.json", "ja.json"]
    assert sorted(package.namelist()) == ["color.png", *languages, "manifest.json", "outline.png"]
    m = json.loads(package.read("manifest.json"))
    assert m["manifestVersion"] == "1.24" and m["version"] == "1.0.0" and m["id"] == GUID
    assert m["$schema"].endswith("/v1.24/MicrosoftTeams.schema.json")
    for key in ("name", "websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert m["developer"][key]
    assert all(m["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl"))
    assert 0 < len(m["name"]["short"]) <= 30
    assert 0 < len(m["description"]["short"]) <= 80
    assert 0 < len(m["description"]["full"]) <= 4000
    assert m["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert m["accentColor"].startswith("#") and len(m["accentColor"]) == 7
    bot = m["bots"][0]
    assert bot["botId"] == GUID and set(bot["scopes"]) == {"personal", "team", "groupChat"}


def test_icons_have_the_right_sizes_and_outline_is_white_on_transparent(tmp_path):
    _, package = build(tmp_path)
    assert png_size(package.read("color.png")) == (192, 192)
    assert png_size(package.read("outline.png")) == (32, 32)
    outline = Image.open(io.BytesIO(package.read("outline.png"))).convert("RGBA")
    pixels = set(outline.getdata())
    assert all(a == 0 or (r, g, b, a) == (255, 255, 255, 255) for r, g, b, a in pixels)
    assert (255, 255, 255, 255) in pixels  # something is drawn


def test_every_manifest_command_is_routed(tmp_path):
    _, package = build(tmp_path)
    lists = json.loads(package.read("manifest.json"))["bots"][0]["commandLists"]
    table = build_table()
    assert 1 <= len(lists) <= 3
    assert {s for lst in lists for s in lst["scopes"]} == {"personal", "team", "groupChat"}
    for command_list in lists:
        assert 1 <= len(command_list["commands"]) <= 10
        for entry in command_list["commands"]:
            assert len(entry["title"]) <= 32 and 0 < len(entry["description"]) <= 128
            parsed = table.parse(entry["title"])
            assert parsed is not None and parsed.command.name == entry["title"]
            scope = "personal" if command_list["scopes"] == ["personal"] else "team"
            assert scope in parsed.command.scopes


@pytest.mark.parametrize("app_id", ["", "not-a-guid", GUID + "0"])
def test_a_bad_app_id_writes_nothing(tmp_path, capsys, app_id):
    out = tmp_path / "pkg.zip"
    assert cli.main(["manifest", "--app-id", app_id, "--out", str(out)]) == 2
    assert "MicrosoftAppId" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_base_url_must_be_https(tmp_path, capsys):
    code, package = build(tmp_path, "--base-url", "http://mentorbot.contoso.com")
    assert code == 2 and package is None and "https" in capsys.readouterr().err
    code, package = build(tmp_path, "--base-url", "https://mentorbot.contoso.com/")
    developer = json.loads(package.read("manifest.json"))["developer"]
    assert code == 0 and developer["privacyUrl"] == "https://mentorbot.contoso.com/privacy"


def test_the_tab_and_single_sign_on_are_in_the_package(tmp_path):
    code, package = build(tmp_path, "--base-url", "https://bot.contoso.com")
    assert code == 0 and package is not None
    m = json.loads(package.read("manifest.json"))
    tabs = {t["entityId"]: t for t in m["staticTabs"]}
    assert list(tabs) == ["conversations", "dashboard", "mymentoring"]
    assert tabs["dashboard"]["name"] == "Dashboard"
    assert tabs["dashboard"]["contentUrl"] == "https://bot.contoso.com/tab/dashboard"
    assert tabs["mymentoring"]["name"] == "My mentoring"
    assert tabs["mymentoring"]["contentUrl"] == "https://bot.contoso.com/tab/me"
    assert all(t["scopes"] == ["personal"] for t in tabs.values())
    assert m["webApplicationInfo"] == {"id": GUID, "resource": f"api://bot.contoso.com/{GUID}"}
    assert m["validDomains"] == ["bot.contoso.com"]
    assert m["developer"]["privacyUrl"] == "https://bot.contoso.com/privacy"
    assert m["developer"]["termsOfUseUrl"] == "https://bot.contoso.com/terms"


def test_icebreaker_threads_are_heard_without_an_mention_by_rsc(tmp_path):
    """Resource-specific consent: a team owner's consent at install lets the bot read the
    team's channel messages, so a reply in an icebreaker thread needs no @mention."""
    code, package = build(tmp_path)
    assert code == 0 and package is not None
    m = json.loads(package.read("manifest.json"))
    assert m["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "ChannelMessage.Read.Group", "type": "Application"}
    ]


def test_each_language_file_names_the_app_and_its_commands_in_that_language(tmp_path):
    code, package = build(tmp_path)
    assert code == 0 and package is not None
    m = json.loads(package.read("manifest.json"))
    assert m["localizationInfo"]["defaultLanguageTag"] == "en-us"
    japanese = json.loads(package.read("ja.json"))
    assert japanese["name.full"] == "Mentorbot: メンタリング、コーヒーチャット、アイスブレイク"
    assert japanese["staticTabs[1].name"] == "ダッシュボード"
    german = json.loads(package.read("de.json"))
    listed = m["bots"][0]["commandLists"][0]["commands"]
    titles = [german[f"bots[0].commandLists[0].commands[{j}].title"] for j in range(len(listed))]
    # The 1:1 menu offers each command in the words a German speaker types (its alias),
    # else the English name, which works in every language.
    assert "hilfe" in titles and "profil" in titles
    assert len(titles) == len(listed)
    assert all(0 < len(v) <= 4000 for v in german.values())
