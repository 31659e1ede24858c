"""Operating the bot: probes, /metrics, JSON logs with ids, what queued each message."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app import SCHEDULER_KEY
from bot import logs
from bot.metrics import _is_loopback
from dialogs.core import outbox
from scheduler import Job
from settings import Settings
from storage.models import JobRun, OutboxMessage
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
BEN = TeamsUser("ben", "Ben Okafor")
TEAM = TeamsTeam("ops", "Ops Guild")
SECRET = "my private goal is to leave this company"


async def get(bot, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with bot.session.get(f"{bot.url}{path}", headers=headers) as resp:
        return resp.status, await resp.text()


# --- probes ---------------------------------------------------------------------------
async def test_livez_stays_up_while_the_database_is_away_and_readyz_does_not(bot):
    assert (await get(bot, "/livez"))[0] == 200
    assert (await get(bot, "/readyz"))[0] == 200
    assert (await get(bot, "/healthz"))[0] == 200
    real = bot.db.engine
    bot.db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        status, body = await get(bot, "/livez")
        assert status == 200 and json.loads(body)["status"] == "alive"
        status, body = await get(bot, "/readyz")
        assert status == 503 and "database unavailable" in json.loads(body)["problems"]
        assert (await get(bot, "/healthz"))[0] == 503  # an alias of /readyz
    finally:
        await bot.db.engine.dispose()
        bot.db.engine = real


async def test_readyz_waits_for_migrations_when_start_up_does_not_run_them(
    tmp_path, connector, clock
):
    fresh = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", migrate_on_start=False
    )
    async with start_bot(fresh, connector, clock) as bot:
        status, body = await get(bot, "/readyz")
        assert status == 503 and "mentorbot migrate" in body
        assert (await get(bot, "/livez"))[0] == 200
        await bot.db.migrate()  # the release step
        assert (await get(bot, "/readyz"))[0] == 200


async def test_readyz_reports_a_stopped_delivery_worker(bot):
    await bot.delivery.stop()
    status, body = await get(bot, "/readyz")
    assert status == 503 and "delivery worker is not running" in body


async def started_up(bot) -> None:
    """Wait for the scheduler's tick at start-up (it runs the current period at once)."""
    for _ in range(250):
        async with bot.db.unit() as repos:
            if await repos.session.scalar(select(JobRun.id)):
                return
        await asyncio.sleep(0.02)
    raise AssertionError("no tick at start-up")


# --- metrics ----------------------------------------------------------------------------
def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def test_metrics_count_turns_deliveries_jobs_and_the_outbox(settings, connector, clock):
    async def greet_everyone(ctx) -> None:
        team = await ctx.repos.teams.by_team_id(TEAM.id)
        if team is None:  # the tick at start-up, before the install
            return
        for member in (await ctx.repos.members.for_team(team.id)).values():
            message = outbox.to_user(
                outbox.key("hello", user=member.user_id, at=ctx.period),
                member.user_id,
                text="hello",
                team_id=team.id,
            )
            await outbox.queue(ctx.repos, message, ctx.now)

    job = Job("hello", greet_everyone, scope="global", every=timedelta(hours=1))
    async with start_bot(settings, connector, clock, jobs=(job,)) as bot:
        await started_up(bot)
        _, before = await get(bot, "/metrics")
        assert metric(before, "mentorbot_turns_total", route="help", outcome="ok") == 0
        connector.set_roster(TEAM.id, [ANA.member(), BEN.member()], TEAM.name)
        await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))
        await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
        await bot.post(b"", raw=b"not json", headers={"Content-Type": "application/json"})
        connector.fail(
            r"/v3/conversations/a:personal-ana/activities", status=429, headers={"Retry-After": "0"}
        )
        clock.advance(hours=1)  # the next period (the one at start-up had nobody)
        assert await bot.server.app[SCHEDULER_KEY].tick()
        bot.delivery.wake()
        await bot.settle()
        status, text = await get(bot, "/metrics")
    assert status == 200
    assert metric(text, "mentorbot_turns_total", route="help", outcome="ok") == 1
    assert metric(text, "mentorbot_turns_total", route="team.installed", outcome="ok") == 1
    assert metric(text, "mentorbot_turns_total", route="-", outcome="rejected") == 1
    assert metric(text, "mentorbot_turn_seconds_count", route="help") == 1
    # At start-up (nobody to greet yet) and the tick an hour later.
    assert metric(text, "mentorbot_job_runs_total", job="hello", outcome="done") == 2
    assert metric(text, "mentorbot_deliveries_total", outcome="sent") == 2
    assert metric(text, "mentorbot_deliveries_total", outcome="retry") == 1
    assert metric(text, "mentorbot_throttled_total") == 1
    assert metric(text, "mentorbot_outbox_messages", status="sent") == 2
    assert metric(text, "mentorbot_outbox_messages", status="pending") == 0
    assert metric(text, "mentorbot_roster_pages_total", outcome="ok") == 1
    assert "mentorbot_scheduler_lag_seconds" in text and "mentorbot_graph_calls" in text


async def test_metrics_need_the_token_when_the_setting_says_token(settings, connector, clock):
    token = "s3cret-token-for-scrapers"
    guarded = settings.with_(metrics="token", metrics_token=token)
    async with start_bot(guarded, connector, clock) as bot:
        assert (await get(bot, "/metrics"))[0] == 403  # from loopback too
        assert (await get(bot, "/metrics", {"Authorization": "Bearer wrong"}))[0] == 403
        status, text = await get(bot, "/metrics", {"Authorization": f"Bearer {token}"})
        assert status == 200 and "mentorbot_turns_total" in text


async def test_metrics_can_be_off(settings, connector, clock):
    async with start_bot(settings.with_(metrics="off"), connector, clock) as bot:
        assert (await get(bot, "/metrics"))[0] == 404


def test_loopback_means_this_machine_only():
    assert _is_loopback("127.0.0.1") and _is_loopback("::1")
    assert not _is_loopback("10.0.0.4") and not _is_loopback("52.1.2.3")
    assert not _is_loopback(None) and not _is_loopback("not an address")


def test_metrics_settings_are_checked():
    from settings import SettingsError

    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        Settings.from_env({"METRICS": "token", "METRICS_TOKEN": "short"})
    with pytest.raises(SettingsError, match="METRICS"):
        Settings.from_env({"METRICS": "public"})
    assert Settings.from_env({}).metrics == "loopback"


# --- JSON logs and origins -----------------------------------------------------------
@pytest.fixture
def json_log() -> io.StringIO:
    """The root logger as LOG_FORMAT=json writes it, into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for noisy in logs.NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


async def test_json_logs_parse_and_carry_the_ids_without_what_people_said(
    settings, connector, clock, json_log
):
    async def remind(ctx) -> None:
        ana = await ctx.repos.users.by_teams_id(ANA.id)
        if ana is None:  # the tick at start-up, before anyone wrote
            return
        message = outbox.to_user(
            outbox.key("remind", user=ana.id, at=ctx.period), ana.id, text="a reminder"
        )
        await outbox.queue(ctx.repos, message, ctx.now)

    job = Job("remind", remind, scope="global", every=timedelta(hours=1))
    async with start_bot(settings, connector, clock, jobs=(job,)) as bot:
        await started_up(bot)
        connector.set_roster(TEAM.id, [ANA.member(), BEN.member()], TEAM.name)
        install = teams.bot_installed_in_team(bot.service_url, ANA, TEAM)
        await bot.send(install)
        added = teams.members_added(bot.service_url, TEAM, BEN, by=ANA)
        await bot.send(added)
        said = teams.personal_message(bot.service_url, ANA, SECRET)
        await bot.send(said)
        clock.advance(hours=1)  # the next period (the one at start-up had nobody)
        assert await bot.server.app[SCHEDULER_KEY].tick()
        bot.delivery.wake()
        await bot.settle()
        async with bot.db.unit() as repos:
            rows = {r.idempotency_key: r for r in await repos.outbox.all()}

    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line.strip()]
    turns = [line for line in lines if line.get("logger") == "mentorbot.http"]
    # The secret is chatter from someone without a profile: onboarding starts.
    assert [t["route"] for t in turns] == [
        "team.installed",
        "team.members_added",
        "onboarding.start",
    ]
    for turn, activity in zip(turns, (install, added, said), strict=True):
        assert turn["activity_id"] == activity["id"]
        assert turn["conversation_id"] == activity["conversation"]["id"]
        assert turn["tenant_id"] == teams.TENANT
        assert turn["outcome"] == "ok" and isinstance(turn["ms"], float)
        assert turn["level"] == "info" and "time" in turn
    jobs = [line for line in lines if line.get("job_run")]
    assert [j["job_run"] for j in jobs] == [
        "job:remind:global:2026-11-21T09:00:00Z",  # at start-up: nobody to remind yet
        "job:remind:global:2026-11-21T10:00:00Z",
    ]

    # Each outbox row says what queued it, and its delivery line says so too.
    greeting = next(r for k, r in rows.items() if k.startswith("welcome:"))
    reminder = next(r for k, r in rows.items() if k.startswith("remind:"))
    assert greeting.origin == f"turn:{added['id']}"
    assert reminder.origin == jobs[1]["job_run"]
    deliveries = {d["outbox_id"]: d for d in lines if d.get("logger") == "mentorbot.delivery"}
    assert deliveries[greeting.id]["origin"] == greeting.origin
    assert deliveries[reminder.id]["origin"] == reminder.origin
    assert deliveries[greeting.id]["outcome"] == "sent"
    everything = json_log.getvalue()
    assert (
        SECRET not in everything and "Ana Lee" not in everything and "a reminder" not in everything
    )


async def test_text_logs_stay_one_line_per_turn(bot, caplog):
    caplog.set_level(logging.INFO)
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    [turn] = [r for r in caplog.records if r.name == "mentorbot.http"]
    assert turn.getMessage().startswith("turn type=message route=help ms=")


async def test_a_row_queued_outside_a_turn_or_job_has_no_origin(bot):
    async with bot.db.unit() as repos:
        await repos.outbox.enqueue("x:1", {"to": "team", "text": "t"}, bot.now())
        row = await repos.session.scalar(select(OutboxMessage))
    assert row.origin is None and row.tenant_id == ""
