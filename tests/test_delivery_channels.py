"""The outbox in channels: another channel than General, thread replies, spaced updates."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot.activity import parse_body, to_inbound
from storage.models import OutboxMessage
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.fakes.wallclock import JumpingWallClock

ANA = TeamsUser("ana", "Ana Lee")
TEAM = TeamsTeam("guild", "Guild")
RANDOM = teams.channel_of(TEAM, "random")
CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "0"}]}


async def install(bot) -> int:
    bot.connector.set_roster(TEAM.id, [ANA.member()], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        return team.id


async def queue(bot, team_id: int, *rows: tuple[str, dict]) -> None:
    async with bot.db.unit() as repos:
        for key, payload in rows:
            await repos.outbox.enqueue(key, {"to": "team", **payload}, bot.now(), team_id=team_id)
    bot.delivery.wake()


async def row(bot, key: str) -> OutboxMessage:
    async with bot.db.unit() as repos:
        return (await repos.outbox.by_keys([key]))[key]


async def test_a_team_post_can_go_to_another_channel(bot):
    team_id = await install(bot)
    await queue(bot, team_id, ("post:random", {"text": "hello random", "channel": RANDOM}))
    await bot.settle()
    (call,) = bot.connector.messages(RANDOM)
    assert call.text == "hello random" and call.body["conversation"]["id"] == RANDOM
    assert call.body["from"]["id"] == teams.BOT["id"]
    sent = await row(bot, "post:random")
    assert sent.status == "sent" and sent.conversation_id == RANDOM


async def test_a_thread_reply_waits_for_its_post_and_lands_under_it(bot):
    team_id = await install(bot)
    # The post fails twice first: the reply must wait for it, then go into its thread.
    bot.connector.fail(rf"/v3/conversations/{RANDOM}/activities$", 503, times=2)
    await queue(
        bot,
        team_id,
        ("post:q", {"card": CARD, "channel": RANDOM}),
        ("reply:q", {"text": "the digest", "thread_of": "post:q"}),
    )
    await bot.settle(timeout=10)
    post = await row(bot, "post:q")
    thread = f"{RANDOM};messageid={post.activity_id}"
    (reply,) = bot.connector.messages(thread)
    assert reply.text == "the digest"
    assert reply.at > next(c for c in bot.connector.messages(RANDOM)).at
    replied = await row(bot, "reply:q")
    assert replied.status == "sent" and replied.conversation_id == thread
    assert replied.attempts >= 2  # it was tried while the post was not sent yet


async def test_a_thread_reply_to_a_message_never_queued_fails(bot):
    team_id = await install(bot)
    await queue(bot, team_id, ("reply:x", {"text": "orphan", "thread_of": "post:none"}))
    await bot.settle()
    failed = await row(bot, "reply:x")
    assert failed.status == "failed" and "never queued" in failed.last_error


async def test_spaced_updates_wait_for_the_gap_on_the_workers_clock(bot, clock):
    """ "after" + "gap_seconds": the worker times the gap from the earlier row's sent_at
    on its own wall clock, whatever the injected clock of dialogs says."""
    wall = JumpingWallClock(clock() + timedelta(days=400))  # far from the dialogs' clock
    bot.delivery.wall_clock = wall
    team_id = await install(bot)
    await queue(
        bot,
        team_id,
        ("post:q", {"card": CARD}),
        ("count:1", {"card": CARD, "update": "post:q"}),
        ("count:2", {"card": CARD, "update": "post:q", "after": "count:1", "gap_seconds": 60}),
    )
    await _until(bot, lambda r: r["count:1"].status == "sent" and r["count:2"].not_before)
    first, second = await row(bot, "count:1"), await row(bot, "count:2")
    assert second.status == "pending" and second.attempts == 0  # waiting is no attempt
    # Due a minute after count:1 left (or, if it looked while count:1 was still going out,
    # due to look again within seconds).
    assert second.not_before <= first.sent_at + timedelta(seconds=60)
    assert second.not_before > wall()
    puts = [c for c in bot.connector.calls if c.method == "PUT"]
    assert len(puts) == 1
    wall.advance(seconds=61)
    bot.delivery.wake()
    await bot.settle()
    second = await row(bot, "count:2")
    assert second.status == "sent" and second.attempts == 1
    assert second.sent_at - first.sent_at >= timedelta(seconds=60)
    assert len([c for c in bot.connector.calls if c.method == "PUT"]) == 2


async def test_not_before_holds_a_row_until_the_workers_clock_passes_it(bot, clock):
    wall = JumpingWallClock(clock())
    bot.delivery.wall_clock = wall
    team_id = await install(bot)
    async with bot.db.unit() as repos:
        await repos.outbox.enqueue(
            "later:1",
            {"to": "team", "text": "later"},
            bot.now(),
            team_id=team_id,
            not_before=wall() + timedelta(minutes=5),
        )
    bot.delivery.wake()
    await _until(bot, lambda r: True, rounds=10)
    assert (await row(bot, "later:1")).status == "pending"
    wall.advance(minutes=5)
    bot.delivery.wake()
    await bot.settle()
    assert bot.connector.texts(TEAM.id)[-1] == "later"


async def test_thread_replies_count_against_their_channels_limits(bot):
    team_id = await install(bot)
    await queue(bot, team_id, ("post:q", {"text": "question"}))
    await bot.settle()
    await queue(
        bot, team_id, *((f"reply:{n}", {"text": f"r{n}", "thread_of": "post:q"}) for n in range(9))
    )
    await bot.settle(timeout=15)
    async with bot.db.unit() as repos:
        sent = sorted(r.sent_at for r in await repos.outbox.all())
    # Ten sends in one channel (the post and nine replies): 8 per 2 s at most.
    assert len(sent) == 10 and (sent[8] - sent[0]).total_seconds() >= 1.9


def test_a_thread_reply_activity_names_its_root_and_channel():
    raw = teams.channel_message(
        "https://smba.example/", ANA, TEAM, "my answer", channel=RANDOM, reply_to="1700000"
    )
    inbound = to_inbound(parse_body(json.dumps(raw).encode()), "message")
    assert inbound.thread_root_id == "1700000"
    assert inbound.channel_id == RANDOM and inbound.channel_name == "Random"
    assert inbound.text == "my answer"
    top_level = teams.channel_message("https://smba.example/", ANA, TEAM, "hi")
    top = to_inbound(parse_body(json.dumps(top_level).encode()), "message")
    assert top.thread_root_id is None and top.channel_id == TEAM.id


async def _until(bot, ready, rounds: int = 200) -> None:
    """Poll the outbox (real time, short) until `ready(rows by key)`."""
    for _ in range(rounds):
        async with bot.db.unit() as repos:
            rows = {r.idempotency_key: r for r in await repos.outbox.all()}
        if rows and all(r.status != "sending" for r in rows.values()) and ready(rows):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox never got there")
