"""`outbox.queue_many` writes exactly the rows `queue()` writes, in one statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from dialogs.core import outbox
from storage import Database
from storage.models import OutboxMessage, Team, User

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.dispose()


async def people(db: Database) -> tuple[int, int, int]:
    async with db.unit() as repos:
        ana = User(teams_id="29:ana", tenant_id="tenant-a", name="Ana", first_seen_at=NOW)
        bo = User(teams_id="29:bo", name="Bo", first_seen_at=NOW)  # no tenant of her own
        repos.session.add_all([ana, bo])
        await repos.session.flush()
        team = Team(
            team_id="19:t@thread.tacv2",
            tenant_id="tenant-t",
            service_url="http://127.0.0.1:1/",
            general_ref="{}",
            installed_at=NOW,
        )
        repos.session.add(team)
        await repos.session.flush()
        return ana.id, bo.id, team.id


def messages(ana: int, bo: int, team: int, tag: str) -> list[outbox.Message]:
    return [
        outbox.to_user(f"{tag}:ana", ana, text="hi Ana", card={"type": "AdaptiveCard"}),
        outbox.to_user(f"{tag}:bo", bo, text="hi Bø \u00e9", team_id=team),
        outbox.to_team(f"{tag}:team", team, text="hello", channel="19:c@thread.tacv2"),
    ]


def row(r: OutboxMessage) -> tuple[object, ...]:
    key = r.idempotency_key.split(":", 1)[1]
    return (key, r.payload, r.user_id, r.team_id, r.status, r.attempts, r.tenant_id, r.origin)


async def test_queue_many_writes_what_queue_writes_once_per_key(db: Database):
    ana, bo, team = await people(db)
    async with db.unit(origin="job:x") as repos:
        for message in messages(ana, bo, team, "one"):
            await outbox.queue(repos, message, NOW)
    statements = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(1))
    async with db.unit(origin="job:x") as repos:
        await outbox.queue_many(repos, messages(ana, bo, team, "many"), NOW)
    assert len(statements) == 1
    async with db.unit() as repos:
        # A key queued before is left alone, the others are written.
        renamed = outbox.to_user("many:ana", ana, text="changed")
        await outbox.queue_many(repos, [renamed, outbox.to_user("many:new", ana, text="x")], NOW)
        await outbox.queue_many(repos, [], NOW)
    async with db.unit() as repos:
        rows = list(await repos.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    one = [row(r) for r in rows if r.idempotency_key.startswith("one:")]
    many = [row(r) for r in rows if r.idempotency_key.startswith("many:")]
    assert many[:3] == one
    assert [r[6] for r in one] == ["tenant-a", "tenant-t", "tenant-t"]
    assert [r.payload.get("text") for r in rows if r.idempotency_key == "many:ana"] == ["hi Ana"]
    assert [r[0] for r in many] == ["ana", "bo", "team", "new"]
