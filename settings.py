"""Mentorbot settings: one typed object, read from the environment once (in app.py).

Nothing else in the code reads os.environ; this object is passed down instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///mentorbot.db"
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A setting has a wrong value; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 3978
    admins: frozenset[str] = frozenset()
    allowed_tenants: frozenset[str] = frozenset()
    log_level: str = "INFO"
    # Where inbound Bot Framework tokens' signing keys are published. Only tests
    # and sovereign clouds change it; empty means the SDK's public-cloud default.
    openid_metadata_url: str = ""
    # Seconds between outbox polls when nothing woke the delivery worker.
    delivery_poll_seconds: float = 2.0

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            app_id=env.get("MicrosoftAppId", "").strip(),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=_choice(env, "MicrosoftAppType", APP_TYPES, "MultiTenant"),
            app_tenant_id=env.get("MicrosoftAppTenantId", "").strip(),
            database_url=_database_url(env.get("DATABASE_URL", "").strip()),
            host=env.get("HOST", "127.0.0.1").strip() or "127.0.0.1",
            port=_port(env.get("PORT", "3978")),
            admins=_id_set(env.get("ADMINS", "")),
            allowed_tenants=_id_set(env.get("ALLOWED_TENANTS", "")),
            log_level=_choice(env, "LOG_LEVEL", LOG_LEVELS, "INFO", upper=True),
            openid_metadata_url=env.get("BOT_OPENID_METADATA_URL", "").strip(),
            delivery_poll_seconds=_positive_float(env, "DELIVERY_POLL_SECONDS", 2.0),
        )._checked()

    def _checked(self) -> Settings:
        if self.app_type == "SingleTenant" and self.app_id and not self.app_tenant_id:
            raise SettingsError(
                "MicrosoftAppTenantId must be set when MicrosoftAppType is SingleTenant"
            )
        if self.app_id and self.app_type != "UserAssignedMSI" and not self.app_password:
            raise SettingsError("MicrosoftAppPassword must be set when MicrosoftAppId is set")
        return self

    @property
    def logging_level(self) -> int:
        return int(getattr(logging, self.log_level))


def _choice(
    env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str, upper: bool = False
) -> str:
    raw = env.get(name, "").strip() or default
    value = raw.upper() if upper else raw
    lookup = {a.lower(): a for a in allowed}
    if value.lower() not in lookup:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)} (got {raw!r})")
    return lookup[value.lower()]


def _database_url(raw: str) -> str:
    if not raw:
        return DEFAULT_DATABASE_URL
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if raw.startswith(plain):
            return driver + raw[len(plain) :]
    if raw.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return raw
    raise SettingsError(
        "DATABASE_URL must look like sqlite+aiosqlite:///path/to.db or "
        f"postgresql+asyncpg://user@host/db (got scheme {raw.split(':', 1)[0]!r})"
    )


def _port(raw: str) -> int:
    try:
        port = int(raw.strip())
    except ValueError:
        raise SettingsError(f"PORT must be a whole number from 1 to 65535 (got {raw!r})") from None
    if not 0 < port < 65536:
        raise SettingsError(f"PORT must be a whole number from 1 to 65535 (got {raw!r})")
    return port


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds (got {raw!r})")
    return value


def _id_set(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())
