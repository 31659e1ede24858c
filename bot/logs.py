"""Logging: plain lines, or one JSON object a line (structlog) when LOG_FORMAT=json.

Code logs through the standard library and passes ids as `extra=`; the JSON formatter
puts them in the object (activity_id, conversation_id, tenant_id, route, ms, outcome for
turns; job_run for scheduled runs; outbox_id, origin for deliveries). Nothing logs
message text or profile fields, in either format.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import logging
import sys
from typing import Any

from settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The SDK and HTTP libraries log request bodies at DEBUG/INFO; keep user text out.
NOISY = (
    "msrest",
    "botbuilder",
    "botframework",
    "aiohttp.access",
    "msal",
    "apscheduler",
    "alembic",  # a dozen lines per start-up; app.migrate_logged says what happened
    "aiosqlite",  # logs every statement with its parameters at DEBUG
    "asyncio",
)


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter() if settings.log_format == "json" else text_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.logging_level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(settings.logging_level, logging.WARNING))


def text_formatter() -> logging.Formatter:
    return logging.Formatter(TEXT_FORMAT)


def json_formatter() -> logging.Formatter:
    import structlog  # only when asked for: plain logs need none of it

    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str),
        ],
    )


def turn_fields(activity: Any, tenant: str | None, route: str, ms: float, outcome: str) -> dict:
    """What a turn's log line carries: ids only, never what was said."""
    conversation = getattr(activity, "conversation", None)
    return {
        "activity_id": getattr(activity, "id", None),
        "activity_type": getattr(activity, "type", None),
        "conversation_id": getattr(conversation, "id", None),
        "tenant_id": tenant,
        "route": route,
        "ms": round(ms, 1),
        "outcome": outcome,
    }
