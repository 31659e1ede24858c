"""The app package against Microsoft's own validator: `atk validate --manifest-file`.

The Microsoft 365 Agents Toolkit CLI (tests/manifest_node, installed by .ci/run with
`npm ci --ignore-scripts`) checks a manifest offline against its schema and the store's
validation rules. Its telemetry and experiment look-ups are refused by the same network
guard as the Agents Playground's, so the check never leaves this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

import cli

ROOT = Path(__file__).resolve().parent.parent
ATK = ROOT / "tests" / "manifest_node" / "node_modules" / ".bin" / "atk"
NETGUARD = ROOT / "infra" / "playground" / "netguard.js"
GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _require_atk() -> None:
    missing = [
        what
        for what, present in (("node", shutil.which("node")), (str(ATK), ATK.exists()))
        if not present
    ]
    if missing:
        message = (
            f"the manifest check needs {', '.join(missing)} "
            "(.ci/run: npm ci --ignore-scripts in tests/manifest_node)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _manifest(tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "pkg.zip"
    assert cli.main(["manifest", "--app-id", GUID, "--out", str(out), *extra]) == 0
    with zipfile.ZipFile(out) as package:
        package.extractall(tmp_path / "pkg")
        return json.loads(package.read("manifest.json"))


def _validate(tmp_path: Path, manifest: dict[str, Any], name: str) -> tuple[int, str]:
    folder = tmp_path / "pkg"
    path = folder / name
    path.write_text(json.dumps(manifest), encoding="utf-8")
    env = {
        **os.environ,
        "NODE_OPTIONS": f"--require {NETGUARD}",
        "NETGUARD_LOG": str(tmp_path / "refused.log"),
        "HOME": str(tmp_path),  # its settings and logs stay in the test's folder
    }
    done = subprocess.run(
        [str(ATK), "validate", "--manifest-file", str(path), "--telemetry", "false"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_package_passes_microsofts_validator(tmp_path):
    _require_atk()
    manifest = _manifest(tmp_path, "--base-url", "https://mentorbot.contoso.com")
    # What this issue added is in what is checked: the tabs and single sign-on.
    assert {t["entityId"] for t in manifest["staticTabs"]} >= {"dashboard", "mymentoring"}
    assert manifest["webApplicationInfo"]["id"] == GUID
    # And the four languages' files beside it.
    languages = manifest["localizationInfo"]["additionalLanguages"]
    assert [lang["languageTag"] for lang in languages] == ["de", "es", "fr", "ja"]
    assert all((tmp_path / "pkg" / lang["file"]).is_file() for lang in languages)
    code, output = _validate(tmp_path, manifest, "manifest.json")
    assert code == 0, output
    assert "All passed" in output


def test_the_validator_catches_a_broken_language_file(tmp_path):
    _require_atk()
    manifest = _manifest(tmp_path)
    german = tmp_path / "pkg" / "de.json"
    strings = json.loads(german.read_text("utf-8"))
    strings["name.short"] = "M" * 31  # longer than the schema's 30
    strings["bots[0].commandLists[0].commands[0].colour"] = "blue"  # no such key
    german.write_text(json.dumps(strings), encoding="utf-8")
    code, output = _validate(tmp_path, manifest, "manifest.json")
    assert code != 0, output


def test_the_validator_catches_a_broken_manifest(tmp_path):
    """The check above can fail: the same package with a bad version and tab scope."""
    _require_atk()
    manifest = _manifest(tmp_path)
    manifest["version"] = "one"
    manifest["staticTabs"][1]["scopes"] = ["galaxy"]
    code, output = _validate(tmp_path, manifest, "broken.json")
    assert code != 0
    assert "staticTabs" in output or "version" in output
