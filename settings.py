"""Mentorbot settings: one typed object, read from the environment once (in app.py).

Nothing else in the code reads os.environ; this object is passed down instead.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///mentorbot.db"
ENTRA_METADATA_URL = (
    "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
)
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
# Who may read /metrics: nobody, callers on this machine, or callers with the token.
METRICS_ACCESS = ("off", "loopback", "token")


class SettingsError(ValueError):
    """A setting has a wrong value; the message names the variable."""


@dataclass(frozen=True)
class DeliverySettings:
    """How the outbox is drained: Teams' rate limits, retries and claims."""

    # Seconds between outbox polls when nothing woke the worker.
    poll_seconds: float = 2.0
    # Per conversation: (messages, seconds) windows (Teams: 7/1 s, 8/2 s, 60/30 s).
    conversation_limits: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0))
    # Per tenant, all conversations together (Teams: 50 requests a second per app).
    tenant_per_second: int = 50
    max_attempts: int = 6
    # First retry delay; doubles each try, with jitter, when no Retry-After is given.
    backoff_seconds: float = 1.0
    concurrency: int = 48
    # A claimed row whose worker has not finished it by then is taken over (crash).
    lease_seconds: float = 60.0
    timeout_seconds: float = 20.0
    # Tenants one worker drains at once (each under a lease, see docs/architecture.md):
    # 10 x Teams' 50/s per tenant is about what one replica sends.
    tenants_per_worker: int = 10
    # A tenant's lease; a worker sends for it only while the lease has at least the
    # longest rate window left, so a successor never overlaps its windows.
    tenant_lease_seconds: float = 75.0

    @property
    def longest_window(self) -> float:
        return max(seconds for _, seconds in self.conversation_limits)


GRAPH_CREDENTIALS = ("off", "secret", "certificate", "managed_identity")
GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"


@dataclass(frozen=True)
class GraphSettings:
    """Microsoft Graph: off unless GRAPH_CREDENTIAL names how the app signs in."""

    credential: str = "off"  # secret | certificate | managed_identity
    # The bot's own app registration by default (MicrosoftAppId / TenantId / Password).
    client_id: str = ""
    tenant_id: str = ""
    secret: str = field(default="", repr=False)
    certificate_path: str = ""  # PEM with the private key (credential=certificate)
    base_url: str = GRAPH_BASE_URL  # sovereign clouds and tests change it
    requests_per_second: float = 20.0  # pacing of this replica's Graph requests
    sync_hours: float = 24.0  # how often the directory's changes are read (delta)
    # The app's id in the tenant's Teams app catalog, to install the bot in group chats
    # (empty: the bot's MicrosoftAppId, as for an app uploaded with that id).
    teams_app_id: str = ""

    @property
    def enabled(self) -> bool:
        return self.credential != "off"


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    # Azure no longer creates multi-tenant bots; single tenant is the default.
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 3978
    admins: frozenset[str] = frozenset()
    allowed_tenants: frozenset[str] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"  # json: one JSON object a line (structlog), with ids
    metrics: str = "loopback"
    metrics_token: str = field(default="", repr=False)
    # Apply migrations at start-up (under a database lock); off when a release step runs
    # `mentorbot migrate` before the new version starts.
    migrate_on_start: bool = True
    # On SIGTERM: how long in-flight turns and sends may take before the process stops.
    shutdown_grace_seconds: float = 10.0
    # Where inbound Bot Framework tokens' signing keys are published. Only tests
    # and sovereign clouds change it; empty means the SDK's public-cloud default.
    openid_metadata_url: str = ""
    # The app's public base URL (https://bot.example.com): download links point there.
    # Empty: http://HOST:PORT, which suits local development.
    public_url: str = ""
    delivery: DeliverySettings = field(default_factory=lambda: DeliverySettings())
    # A turn's whole unit of work, and every wait for the database (pool, statements,
    # locks, SQLite's busy timeout); past it the turn is rolled back and the person told.
    # Teams gives up on a turn after about 15 s and retries it.
    turn_deadline_seconds: float = 10.0
    # Sent messages' contents are blanked after this many days (their rows stay).
    retention_days: int = 30
    # Connector clients kept, one per service URL (least recently used go first).
    connector_cache_size: int = 100
    # Where the signing keys of Entra ID tokens (the tab's single sign-on) are published.
    entra_openid_metadata_url: str = ENTRA_METADATA_URL
    # The privacy and terms pages' text (plain text, paragraphs split by blank lines);
    # empty: the built-in text.
    privacy_text: str = ""
    terms_text: str = ""
    graph: GraphSettings = field(default_factory=lambda: GraphSettings())

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @property
    def sdk_app_type(self) -> str:
        """What the SDK is told: without an app id (local development, authentication
        off) its single-tenant and managed-identity modes would refuse to start."""
        return self.app_type if self.app_id else "MultiTenant"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            app_id=env.get("MicrosoftAppId", "").strip(),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=_choice(env, "MicrosoftAppType", APP_TYPES, "SingleTenant"),
            app_tenant_id=env.get("MicrosoftAppTenantId", "").strip(),
            database_url=_database_url(env.get("DATABASE_URL", "").strip()),
            host=env.get("HOST", "127.0.0.1").strip() or "127.0.0.1",
            port=_port(env.get("PORT", "3978")),
            admins=_id_set(env.get("ADMINS", "")),
            allowed_tenants=_id_set(env.get("ALLOWED_TENANTS", "")),
            log_level=_choice(env, "LOG_LEVEL", LOG_LEVELS, "INFO", upper=True),
            log_format=_choice(env, "LOG_FORMAT", LOG_FORMATS, "text"),
            metrics=_choice(env, "METRICS", METRICS_ACCESS, "loopback"),
            metrics_token=env.get("METRICS_TOKEN", "").strip(),
            migrate_on_start=_flag(env, "MIGRATE_ON_START", True),
            shutdown_grace_seconds=_positive_float(env, "SHUTDOWN_GRACE_SECONDS", 10.0),
            openid_metadata_url=env.get("BOT_OPENID_METADATA_URL", "").strip(),
            public_url=_public_url(env.get("PUBLIC_URL", "")),
            delivery=_delivery(env),
            turn_deadline_seconds=_positive_float(env, "TURN_DEADLINE_SECONDS", 10.0),
            retention_days=_whole(env, "RETENTION_DAYS", 30),
            connector_cache_size=_whole(env, "CONNECTOR_CACHE_SIZE", 100),
            entra_openid_metadata_url=env.get("ENTRA_OPENID_METADATA_URL", "").strip()
            or ENTRA_METADATA_URL,
            privacy_text=env.get("PRIVACY_TEXT", "").strip(),
            terms_text=env.get("TERMS_TEXT", "").strip(),
            graph=_graph(env),
        )._checked()

    def _checked(self) -> Settings:
        if self.metrics == "token" and len(self.metrics_token) < 16:
            raise SettingsError("METRICS_TOKEN must be at least 16 characters when METRICS=token")
        if self.delivery.tenant_lease_seconds < 2 * (self.delivery.longest_window + 1):
            raise SettingsError(
                "DELIVERY_TENANT_LEASE_SECONDS must be at least twice (the longest window of "
                "DELIVERY_CONVERSATION_LIMITS + 1 s)"
            )
        if self.app_id and self.app_type != "UserAssignedMSI" and not self.app_password:
            raise SettingsError("MicrosoftAppPassword must be set when MicrosoftAppId is set")
        if self.app_type != "MultiTenant" and self.app_id and not self.app_tenant_id:
            raise SettingsError(
                f"MicrosoftAppTenantId must be set when MicrosoftAppType is {self.app_type}"
            )
        self._check_graph()
        return self

    def _check_graph(self) -> None:
        g = self.graph
        if g.enabled and (
            not g.tenant_id or (g.credential != "managed_identity" and not g.client_id)
        ):
            raise SettingsError(
                "GRAPH_CREDENTIAL needs GRAPH_TENANT_ID and GRAPH_CLIENT_ID (or "
                "MicrosoftAppTenantId and MicrosoftAppId)"
            )
        if g.credential == "secret" and not g.secret:
            raise SettingsError(
                "GRAPH_CREDENTIAL=secret needs GRAPH_CLIENT_SECRET (or MicrosoftAppPassword)"
            )
        if g.credential == "certificate" and not g.certificate_path:
            raise SettingsError("GRAPH_CREDENTIAL=certificate needs GRAPH_CERTIFICATE_PATH")

    @property
    def tab_tenants(self) -> frozenset[str]:
        """Tenants whose people may sign in to the tab: ALLOWED_TENANTS, else the app's own
        tenant (single tenant); empty means any."""
        if self.allowed_tenants:
            return frozenset(t.lower() for t in self.allowed_tenants)
        return frozenset([self.app_tenant_id.lower()]) if self.app_tenant_id else frozenset()

    @property
    def base_url(self) -> str:
        """Where people reach the app's own pages (download links)."""
        return self.public_url or f"http://{self.host}:{self.port}"

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


def _public_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
        raise SettingsError(
            "PUBLIC_URL must be the app's base URL, like https://mentorbot.contoso.com "
            f"(got {raw!r})"
        )
    return url


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


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of 1 or more (got {raw!r})")
    return int(raw)


def _delivery(env: Mapping[str, str]) -> DeliverySettings:
    d = DeliverySettings()
    return DeliverySettings(
        poll_seconds=_positive_float(env, "DELIVERY_POLL_SECONDS", d.poll_seconds),
        conversation_limits=_windows(env, "DELIVERY_CONVERSATION_LIMITS", d.conversation_limits),
        tenant_per_second=int(_positive_float(env, "DELIVERY_TENANT_RPS", d.tenant_per_second)),
        max_attempts=int(_positive_float(env, "DELIVERY_MAX_ATTEMPTS", d.max_attempts)),
        backoff_seconds=_positive_float(env, "DELIVERY_BACKOFF_SECONDS", d.backoff_seconds),
        concurrency=int(_positive_float(env, "DELIVERY_CONCURRENCY", d.concurrency)),
        lease_seconds=_positive_float(env, "DELIVERY_LEASE_SECONDS", d.lease_seconds),
        timeout_seconds=_positive_float(env, "DELIVERY_TIMEOUT_SECONDS", d.timeout_seconds),
        tenants_per_worker=int(
            _positive_float(env, "DELIVERY_TENANTS_PER_WORKER", d.tenants_per_worker)
        ),
        tenant_lease_seconds=_positive_float(
            env, "DELIVERY_TENANT_LEASE_SECONDS", d.tenant_lease_seconds
        ),
    )


def _graph(env: Mapping[str, str]) -> GraphSettings:
    g = GraphSettings()
    base = env.get("GRAPH_BASE_URL", "").strip().rstrip("/") or g.base_url
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base):
        raise SettingsError(f"GRAPH_BASE_URL must be an http(s) URL (got {base!r})")
    return GraphSettings(
        credential=_choice(env, "GRAPH_CREDENTIAL", GRAPH_CREDENTIALS, "off"),
        client_id=(env.get("GRAPH_CLIENT_ID") or env.get("MicrosoftAppId") or "").strip(),
        tenant_id=(env.get("GRAPH_TENANT_ID") or env.get("MicrosoftAppTenantId") or "").strip(),
        secret=env.get("GRAPH_CLIENT_SECRET") or env.get("MicrosoftAppPassword") or "",
        certificate_path=env.get("GRAPH_CERTIFICATE_PATH", "").strip(),
        base_url=base,
        requests_per_second=_positive_float(env, "GRAPH_REQUESTS_PER_SECOND", 20.0),
        sync_hours=_positive_float(env, "GRAPH_SYNC_HOURS", 24.0),
        teams_app_id=env.get("GRAPH_TEAMS_APP_ID", "").strip(),
    )


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false (got {raw!r})")


def _windows(
    env: Mapping[str, str], name: str, default: tuple[tuple[int, float], ...]
) -> tuple[tuple[int, float], ...]:
    """'7/1,8/2,60/30' -> ((7, 1.0), (8, 2.0), (60, 30.0))."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        windows = tuple(
            (int(count), float(seconds))
            for count, seconds in (part.split("/") for part in raw.split(","))
        )
    except ValueError:
        windows = ()
    if not windows or any(c < 1 or s <= 0 for c, s in windows):
        raise SettingsError(
            f"{name} must be windows like 7/1,8/2,60/30 (messages/seconds), got {raw!r}"
        )
    return windows


def _id_set(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())
