"""Prometheus metrics (prometheus-client) and GET /metrics, which is not public.

One registry per app (tests run several apps in one process). What is counted:

- mentorbot_turns_total{route, outcome} and mentorbot_turn_seconds{route}: every POST to
  /api/messages; outcome ok | error (the user was told something went wrong) |
  rejected (4xx: malformed, unauthenticated).
- mentorbot_outbox_messages{status}: rows by status, read from the database at scrape.
- mentorbot_deliveries_total{outcome}: sent | retry | failed, per outbox row attempt.
- mentorbot_throttled_total: 429 answers from Teams.
- mentorbot_job_runs_total{job, outcome} and mentorbot_job_seconds{job}: scheduled runs
  (done | failed | skipped: another replica had claimed the period).
- mentorbot_scheduler_lag_seconds: how late the latest run started after its due time.
- mentorbot_roster_pages_total{outcome}: roster pages read after installs.
- mentorbot_graph_calls_total{outcome}: Microsoft Graph calls (for the Graph client).

Who may read /metrics is a setting (METRICS): off (no route), loopback (callers on this
machine, e.g. a sidecar scraper) or token (Authorization: Bearer METRICS_TOKEN).
"""

from __future__ import annotations

# i18n: this module says nothing to people
import hmac
import ipaddress
import logging

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.delivery import Observer
from settings import Settings
from storage import Database
from storage.models import OutboxMessage
from storage.repos import Outcome

log = logging.getLogger("mentorbot.delivery")
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)
JOB_BUCKETS = (0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.turns = Counter(
            "mentorbot_turns", "Turns by route and outcome", ["route", "outcome"], registry=r
        )
        self.turn_seconds = Histogram(
            "mentorbot_turn_seconds", "Turn latency", ["route"], buckets=TURN_BUCKETS, registry=r
        )
        self.outbox = Gauge(
            "mentorbot_outbox_messages", "Outbox rows by status", ["status"], registry=r
        )
        self.deliveries = Counter(
            "mentorbot_deliveries", "Delivery attempts by outcome", ["outcome"], registry=r
        )
        self.throttled = Counter("mentorbot_throttled", "429 answers from Teams", registry=r)
        self.job_runs = Counter(
            "mentorbot_job_runs",
            "Scheduled runs by job and outcome",
            ["job", "outcome"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "mentorbot_job_seconds", "Run time", ["job"], buckets=JOB_BUCKETS, registry=r
        )
        self.scheduler_lag = Gauge(
            "mentorbot_scheduler_lag_seconds", "Latest run's delay after its due time", registry=r
        )
        self.roster_pages = Counter(
            "mentorbot_roster_pages", "Roster pages read", ["outcome"], registry=r
        )
        self.graph_calls = Counter(
            "mentorbot_graph_calls", "Microsoft Graph calls by outcome", ["outcome"], registry=r
        )

    def turn(self, route: str, outcome: str, seconds: float) -> None:
        self.turns.labels(route, outcome).inc()
        self.turn_seconds.labels(route).observe(seconds)

    def job_run(self, job: str, outcome: str, seconds: float, lag: float) -> None:
        self.job_runs.labels(job, outcome).inc()
        if outcome != "skipped":
            self.job_seconds.labels(job).observe(seconds)
            self.scheduler_lag.set(max(lag, 0.0))

    def delivery_observer(self) -> Observer:
        return DeliveryMetrics(self)

    async def render(self, db: Database) -> bytes:
        async with db.unit() as repos:
            depth = await repos.outbox.depth()
        for status, count in depth.items():
            self.outbox.labels(status).set(count)
        return generate_latest(self.registry)


class DeliveryMetrics(Observer):
    """Counts each outcome and logs it with the outbox row and what queued it."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def outcome(self, row: OutboxMessage, outcome: Outcome) -> None:
        status = "retry" if outcome.status == "pending" else outcome.status
        self.metrics.deliveries.labels(status).inc()
        level = {"sent": logging.DEBUG, "retry": logging.INFO}.get(status, logging.WARNING)
        if log.isEnabledFor(level):
            log.log(
                level,
                "delivery outbox=%d outcome=%s attempt=%d origin=%s",
                row.id,
                status,
                row.attempts,
                row.origin or "-",
                extra={
                    "outbox_id": row.id,
                    "outcome": status,
                    "attempt": row.attempts,
                    "origin": row.origin,
                    "tenant_id": row.tenant_id,
                    "error": outcome.error,
                },
            )

    def throttled(self) -> None:
        self.metrics.throttled.inc()


class MetricsRoute:
    """GET /metrics, behind the access setting."""

    def __init__(self, metrics: Metrics, db: Database, settings: Settings) -> None:
        self.metrics, self.db = metrics, db
        self.access, self.token = settings.metrics, settings.metrics_token

    def install(self, app: web.Application) -> None:
        if self.access != "off":
            app.router.add_get("/metrics", self.serve)

    async def serve(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.json_response({"error": "metrics are not public"}, status=403)
        body = await self.metrics.render(self.db)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _allowed(self, request: web.Request) -> bool:
        if self.access == "token":
            given = request.headers.get("Authorization", "")
            return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())
        return _is_loopback(request.remote)


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False
