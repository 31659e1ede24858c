"""The outbox worker end to end: faults, retries, unreachable users, updates, limits."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from bot.ratelimit import SlidingWindows
from settings import DeliverySettings, Settings
from storage.models import OutboxMessage
from tests.conftest import FAST_DELIVERY, start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
TEAM = TeamsTeam("guild", "Guild")


def people(n: int, prefix: str = "m") -> list[TeamsUser]:
    return [TeamsUser(f"{prefix}{i:03d}", f"Member {i}") for i in range(n)]


async def install(bot, members: list[TeamsUser]) -> None:
    bot.connector.set_roster(TEAM.id, [p.member() for p in (ANA, *members)], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))


async def add_members(bot, members: list[TeamsUser]) -> None:
    await bot.send(teams.members_added(bot.service_url, TEAM, *members, by=ANA))


def chat(user: TeamsUser) -> str:
    return f"a:1on1-{user.id}"


async def rows(bot) -> list[OutboxMessage]:
    async with bot.db.unit() as repos:
        return list(await repos.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_faults_every_deliverable_message_arrives_once(bot):
    newcomers = people(12)
    await install(bot, [])
    c = bot.connector
    for user, status, headers in [
        (newcomers[0], 429, {"Retry-After": "1"}),
        (newcomers[1], 429, {}),
        (newcomers[2], 412, {}),
        (newcomers[3], 502, {}),
        (newcomers[4], 503, {}),
        (newcomers[5], 504, {}),
    ]:
        c.fail(f"/v3/conversations/{chat(user)}/activities$", status, headers=headers, times=2)
    c.fail(f"/v3/conversations/{chat(newcomers[6])}/activities$", 0)  # connection dropped
    # Teams acts on it but answers too late: the retry carries the same id.
    c.fail(f"/v3/conversations/{chat(newcomers[7])}/activities$", 201, delay=2.5)
    c.fail(f"/v3/conversations/{chat(newcomers[8])}/activities$", 403)
    c.fail(f"/v3/conversations/{chat(newcomers[9])}/activities$", 500)
    c.fail(f"/v3/conversations/{chat(newcomers[10])}/activities$", 400)
    c.set_roster(TEAM.id, [p.member() for p in (ANA, *newcomers)], TEAM.name)

    await add_members(bot, newcomers)
    await bot.settle(timeout=20)
    await c.quiet()

    delivered = Counter(m.conversation_id for m in c.messages() if m.conversation_id != TEAM.id)
    deliverable = [u for i, u in enumerate(newcomers) if i not in (8, 9, 10)]
    assert {chat(u): 1 for u in deliverable} == {k: v for k, v in delivered.items()}
    assert any(call.duplicate for call in c.attempts(chat(newcomers[7])))
    failed = {r.user_id: r.last_error for r in await rows(bot) if r.status == "failed"}
    assert len(failed) == 3
    async with bot.db.unit() as repos:
        users = await repos.users.by_teams_ids([u.id for u in newcomers])
    assert "unreachable (403)" in failed[users[newcomers[8].id].id]
    assert "(500)" in failed[users[newcomers[9].id].id]
    assert "(400)" in failed[users[newcomers[10].id].id]
    assert users[newcomers[8].id].unreachable_at is not None
    assert all(r.status in ("sent", "failed") for r in await rows(bot))


async def test_retry_after_is_honoured(bot):
    user = people(1)[0]
    await install(bot, [])
    bot.connector.set_roster(TEAM.id, [ANA.member(), user.member()], TEAM.name)
    bot.connector.fail(
        f"/v3/conversations/{chat(user)}/activities$", 429, headers={"Retry-After": "1"}
    )
    await add_members(bot, [user])
    await bot.settle(timeout=10)
    first, second = bot.connector.attempts(chat(user))
    assert first.status == 429 and second.delivered
    # Backoff in tests is 20 ms; only Retry-After explains a second's wait.
    assert second.at - first.at >= 0.95
    (row,) = await rows(bot)
    assert row.status == "sent" and row.attempts == 2


async def test_gives_up_after_the_configured_tries(settings, connector, clock):
    limited = Settings(
        **{
            **settings.__dict__,
            "delivery": DeliverySettings(**{**FAST_DELIVERY.__dict__, "max_attempts": 3}),
        }
    )
    async with start_bot(limited, connector, clock) as bot:
        user = people(1)[0]
        await install(bot, [])
        connector.set_roster(TEAM.id, [ANA.member(), user.member()], TEAM.name)
        connector.fail(f"/v3/conversations/{chat(user)}/activities$", 503, times=99)
        await add_members(bot, [user])
        await bot.settle(timeout=10)
        (row,) = await rows(bot)
        assert row.status == "failed" and row.attempts == 3
        assert "gave up after 3 tries" in row.last_error and "503" in row.last_error
        assert len(connector.attempts(chat(user))) == 3


async def test_unreachable_user_gets_nothing_until_they_write_again(bot):
    user = people(1)[0]
    await install(bot, [])
    bot.connector.set_roster(TEAM.id, [ANA.member(), user.member()], TEAM.name)
    bot.connector.fail(f"/v3/conversations/{chat(user)}/activities$", 404)
    await add_members(bot, [user])
    await bot.settle()
    async with bot.db.unit() as repos:
        row = await repos.users.by_teams_id(user.id)
        assert row.unreachable_at is not None
        await repos.outbox.enqueue(
            "note:1", {"to": "user", "text": "second"}, bot.now(), user_id=row.id, team_id=None
        )
    bot.delivery.wake()
    await bot.settle()
    assert bot.connector.attempts(chat(user))[-1].text != "second"
    second = (await rows(bot))[-1]
    assert second.status == "failed" and "unreachable" in second.last_error

    await bot.send(teams.personal_message(bot.service_url, user, "hello again"))
    async with bot.db.unit() as repos:
        assert (await repos.users.by_teams_id(user.id)).unreachable_at is None
        await repos.outbox.enqueue(
            "note:2", {"to": "user", "text": "third"}, bot.now(), user_id=row.id
        )
    bot.delivery.wake()
    await bot.settle()
    assert bot.connector.messages(user.personal_conversation)[-1].text == "third"


async def test_a_refused_new_chat_marks_the_user_unreachable(bot):
    """403 when opening the 1:1 chat means the same as on a send: the app was blocked."""
    user = people(1)[0]
    await install(bot, [])
    bot.connector.set_roster(TEAM.id, [ANA.member(), user.member()], TEAM.name)
    bot.connector.fail("/v3/conversations$", 403, method="POST")
    await add_members(bot, [user])
    await bot.settle()
    (row,) = await rows(bot)
    assert row.status == "failed" and "unreachable" in row.last_error
    async with bot.db.unit() as repos:
        assert (await repos.users.by_teams_id(user.id)).unreachable_at is not None


async def test_channel_post_then_card_update_through_the_outbox(bot):
    await install(bot, [])
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        card = {
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": [{"type": "TextBlock", "text": "0 answers"}],
        }
        await repos.outbox.enqueue(
            "post:q1", {"to": "team", "card": card}, bot.now(), team_id=team.id
        )
        newer = {**card, "body": [{"type": "TextBlock", "text": "3 answers"}]}
        await repos.outbox.enqueue(
            "update:q1:1",
            {"to": "team", "card": newer, "update": "post:q1"},
            bot.now(),
            team_id=team.id,
        )
    bot.delivery.wake()
    await bot.settle()
    post = bot.connector.messages(TEAM.id)[-1]
    (put,) = [c for c in bot.connector.calls if c.method == "PUT"]
    posted_row = next(r for r in await rows(bot) if r.idempotency_key == "post:q1")
    assert post.cards[0]["body"][0]["text"] == "0 answers"
    assert put.path == f"/v3/conversations/{TEAM.id}/activities/{posted_row.activity_id}"
    assert put.body["attachments"][0]["content"]["body"][0]["text"] == "3 answers"
    assert all(r.status == "sent" for r in await rows(bot))


async def test_one_conversation_is_held_to_teams_windows(bot):
    await install(bot, [])
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        for n in range(10):
            await repos.outbox.enqueue(
                f"post:{n}", {"to": "team", "text": f"post {n}"}, bot.now(), team_id=team.id
            )
    bot.delivery.wake()
    await bot.settle(timeout=15)
    async with bot.db.unit() as repos:
        sent = sorted(
            r.sent_at for r in await repos.outbox.all() if r.idempotency_key.startswith("post:")
        )
    assert len(sent) == 10
    # 8 per 2 s: the ninth message cannot leave within 2 s of the first.
    assert (sent[8] - sent[0]).total_seconds() >= 1.9


def test_sliding_windows_follow_every_window():
    limits = SlidingWindows(((7, 1.0), (8, 2.0), (60, 30.0)))
    now, times = 0.0, []
    for _ in range(70):
        wait = limits.wait_time("c", now)
        now += wait
        limits.record("c", now)
        times.append(now)
    for count, seconds in ((7, 1.0), (8, 2.0), (60, 30.0)):
        for i in range(len(times)):
            inside = [t for t in times if times[i] <= t < times[i] + seconds]
            assert len(inside) <= count, (count, seconds, times[i])
    assert times[7] >= 1.0 and times[8] >= 2.0 and times[60] >= 30.0


def test_requests_in_flight_fill_the_window_until_they_finish():
    limits = SlidingWindows(((2, 1.0),))
    limits.begin("t")
    limits.begin("t")
    assert limits.wait_time("t", 0.0) > 0  # two in flight: no third, however long ago
    assert limits.wait_time("t", 5.0) > 0
    limits.end("t", 5.0)  # answered at 5.0: counts from then, for a second
    assert limits.wait_time("t", 5.1) == pytest.approx(0.9)  # one in flight + one = full
    limits.end("t", 5.2)
    assert limits.wait_time("t", 5.3) == pytest.approx(0.7)  # until the 5.0 event leaves
    assert limits.wait_time("t", 6.05) == 0.0


def test_block_pauses_a_key():
    limits = SlidingWindows(((50, 1.0),))
    limits.block("tenant", until=5.0)
    assert limits.wait_time("tenant", 1.0) == 4.0 and limits.wait_time("other", 1.0) == 0.0
    limits.prune(6.0)
    assert limits.wait_time("tenant", 6.0) == 0.0


@pytest.mark.parametrize("status", [403, 503])
async def test_admin_sees_delivery_and_can_retry(bot, status):
    newcomers = people(3)
    await install(bot, [])
    bot.connector.set_roster(TEAM.id, [p.member() for p in (ANA, *newcomers)], TEAM.name)
    bot.connector.fail(f"/v3/conversations/{chat(newcomers[0])}/activities$", status, times=99)
    await add_members(bot, newcomers)
    await bot.settle(timeout=20)
    text = (await bot.send(teams.channel_message(bot.service_url, ANA, TEAM, "/delivery")))[0]
    assert "Sent: 2" in text and "Failed: 1" in text and "Waiting: 0" in text
    assert f"Unreachable members (removed or blocked the app): {int(status == 403)}" in text
    assert "welcome to Member 0" in text and f"({status})" in text

    bot.connector.faults.clear()
    text = (await bot.send(teams.channel_message(bot.service_url, ANA, TEAM, "/delivery retry")))[0]
    assert "Queued 1 failed message again" in text
    await bot.settle(timeout=10)
    delivered = len(bot.connector.messages(chat(newcomers[0])))
    # An unreachable member stays skipped; a transient failure now goes through.
    assert delivered == (0 if status == 403 else 1)


async def test_non_admin_cannot_see_or_retry_delivery(bot):
    await install(bot, [TeamsUser("bob", "Bob")])
    bob = TeamsUser("bob", "Bob")
    for command in ("/delivery", "/delivery retry"):
        text = (await bot.send(teams.channel_message(bot.service_url, bob, TEAM, command)))[0]
        assert "for admins" in text


async def test_worker_survives_a_broken_row(bot):
    await install(bot, [])
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        await repos.outbox.enqueue("bad:1", {"to": "user"}, bot.now(), team_id=team.id)
        await repos.outbox.enqueue(
            "good:1", {"to": "team", "text": "still here"}, bot.now(), team_id=team.id
        )
    bot.delivery.wake()
    await bot.settle()
    assert bot.connector.messages(TEAM.id)[-1].text == "still here"
    statuses = {r.idempotency_key: r.status for r in await rows(bot)}
    assert statuses == {"bad:1": "failed", "good:1": "sent"}
    assert (await rows(bot))[0].last_error == "the recipient deleted their data or is unknown"


async def test_a_lease_outlives_waiting_for_the_rate_limit(settings, connector, clock):
    """Claimed rows may wait longer than a lease; they must not be sent twice."""
    slow = DeliverySettings(
        **{**FAST_DELIVERY.__dict__, "tenant_per_second": 8, "lease_seconds": 0.3}
    )
    async with start_bot(
        Settings(**{**settings.__dict__, "delivery": slow}), connector, clock
    ) as bot:
        newcomers = people(12)
        await install(bot, [])
        connector.set_roster(TEAM.id, [p.member() for p in (ANA, *newcomers)], TEAM.name)
        await add_members(bot, newcomers)
        await bot.settle(timeout=20)
        await connector.quiet()
    attempts = Counter(
        c.conversation_id for c in connector.attempts() if c.conversation_id != TEAM.id
    )
    assert attempts == {chat(u): 1 for u in newcomers}
