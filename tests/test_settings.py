"""Settings come from the environment once; a wrong value names its variable."""

from __future__ import annotations

import pytest

import cli
from settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_need_nothing_set():
    s = Settings.from_env({})
    assert s.database_url == DEFAULT_DATABASE_URL and s.port == 3978
    assert not s.auth_enabled and s.admins == frozenset()


def test_values_are_read_and_normalised():
    s = Settings.from_env(
        {
            "MicrosoftAppId": "app",
            "MicrosoftAppPassword": "pw",
            "MicrosoftAppType": "singletenant",
            "MicrosoftAppTenantId": "tid",
            "DATABASE_URL": "postgresql://u@h/db",
            "PORT": "8080",
            "ADMINS": "29:a, aad-b;",
            "ALLOWED_TENANTS": "t1,t2",
            "LOG_LEVEL": "debug",
        }
    )
    assert s.app_type == "SingleTenant" and s.database_url == "postgresql+asyncpg://u@h/db"
    assert s.port == 8080 and s.admins == {"29:a", "aad-b"} and s.allowed_tenants == {"t1", "t2"}
    assert s.log_level == "DEBUG" and s.auth_enabled


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"MicrosoftAppType": "Sometimes"}, "MicrosoftAppType"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"MicrosoftAppId": "app"}, "MicrosoftAppPassword"),
        (
            {
                "MicrosoftAppId": "a",
                "MicrosoftAppPassword": "p",
                "MicrosoftAppType": "SingleTenant",
            },
            "MicrosoftAppTenantId",
        ),
        ({"DELIVERY_POLL_SECONDS": "-1"}, "DELIVERY_POLL_SECONDS"),
    ],
)
def test_a_wrong_value_names_the_variable(env, variable):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(env)


def test_cli_stops_with_the_message(monkeypatch, capsys):
    monkeypatch.setenv("PORT", "eighty")
    assert cli.main(["serve"]) == 2
    assert "PORT" in capsys.readouterr().err


def test_migrate_command(monkeypatch, tmp_path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["migrate"]) == 0
    assert "newest schema" in capsys.readouterr().out
    assert (tmp_path / "cli.db").exists()


def test_importing_app_has_no_side_effects(tmp_path, monkeypatch):
    import importlib
    import subprocess
    import sys

    monkeypatch.chdir(tmp_path)
    code = "import app, bot.handler, dialogs.routes, storage, scheduler; print('ok')"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(importlib.import_module("app").__file__).rsplit("/", 1)[0]},
    )
    assert out.stdout.strip() == "ok", out.stderr
    assert list(tmp_path.iterdir()) == []  # no database file, nothing written


def test_env_example_documents_every_setting():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    read = set(re.findall(r'env\.get\("(\w+)"', (root / "settings.py").read_text()))
    read |= set(
        re.findall(r'_(?:choice|positive_float)\(env, "(\w+)"', (root / "settings.py").read_text())
    )
    example = (root / "infra" / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*(\w+)=", example, re.MULTILINE))
    assert read and read <= documented, read - documented
    assert Settings.from_env({k: v for k, v in _example_values(example).items() if v})


def _example_values(text: str) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def test_the_public_url_is_a_base_url_and_defaults_to_host_and_port():
    assert Settings.from_env({}).base_url == "http://127.0.0.1:3978"
    s = Settings.from_env({"PUBLIC_URL": " https://bot.contoso.com/mentorbot/ "})
    assert s.base_url == "https://bot.contoso.com/mentorbot"
    for bad in ("ftp://bot.contoso.com", "bot.contoso.com", "https://a b", "https://x?y=1"):
        with pytest.raises(SettingsError, match="PUBLIC_URL"):
            Settings.from_env({"PUBLIC_URL": bad})


def test_single_tenant_is_the_default_and_a_managed_identity_needs_no_password():
    from bot.adapter import build_adapter

    assert Settings.from_env({}).app_type == "SingleTenant"
    msi = Settings.from_env(
        {
            "MicrosoftAppId": "11111111-2222-3333-4444-555555555555",
            "MicrosoftAppType": "UserAssignedMSI",
            "MicrosoftAppTenantId": "tenant-contoso",
        }
    )
    assert msi.app_type == "UserAssignedMSI" and msi.app_password == ""
    assert build_adapter(msi) is not None  # the SDK's managed identity mode accepts it
    with pytest.raises(SettingsError, match="MicrosoftAppTenantId"):
        Settings.from_env({"MicrosoftAppId": "a", "MicrosoftAppType": "UserAssignedMSI"})
    # Without an app id (local development) the SDK is told nothing it would refuse.
    assert Settings.from_env({}).sdk_app_type == "MultiTenant"


def test_operations_settings_are_read_and_checked():
    s = Settings.from_env(
        {"LOG_FORMAT": "JSON", "MIGRATE_ON_START": "false", "SHUTDOWN_GRACE_SECONDS": "3"}
    )
    assert (s.log_format, s.migrate_on_start, s.shutdown_grace_seconds) == ("json", False, 3.0)
    for env, variable in (
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"MIGRATE_ON_START": "maybe"}, "MIGRATE_ON_START"),
        ({"DELIVERY_TENANT_LEASE_SECONDS": "10"}, "DELIVERY_TENANT_LEASE_SECONDS"),
    ):
        with pytest.raises(SettingsError, match=variable):
            Settings.from_env(env)
