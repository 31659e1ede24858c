"""Icebreaker threads without an @mention (issue 17). With ChannelMessage.Read.Group
consent Teams sends the bot every message in the team's channels: only replies in the
threads of its own icebreaker posts are kept; everything else leaves no row, no log
line and no reply. A thread answer is confirmed 1:1, once per post, never in the thread;
the card's count updates. The @mention path keeps working. On both databases."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from storage.models import Base
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.test_icebreakers import (
    ANA,
    BEN,
    CHLOE,
    DATA,
    answers,
    card_id,
    count_text,
    install,
    posted_now,
    private,
    puts,
    quiet,
)

OUTSIDER = TeamsUser("olga", "Olga Outside")


async def rows(bot) -> dict[str, int]:
    """The number of rows in every table."""
    async with bot.db.unit() as repos:
        counted = {}
        for table in Base.metadata.sorted_tables:
            stmt = select(func.count()).select_from(table)
            counted[table.name] = int(await repos.session.scalar(stmt) or 0)
        return counted


async def unmentioned(bot, user, text, reply_to=None, channel=None) -> list[str]:
    activity = teams.channel_message(
        bot.service_url, user, DATA, text, reply_to=reply_to, channel=channel, mention_bot=False
    )
    return await bot.send(activity)


async def test_ordinary_channel_chatter_leaves_no_row_log_line_or_reply(bot, caplog):
    await install(bot)
    post = await posted_now(bot)
    await quiet(bot)
    before, calls = await rows(bot), len(bot.connector.calls)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        chatter = [
            (BEN, "lunch anyone?", None),  # a new post in the channel
            (CHLOE, "/pair now", None),  # a command without the @mention is no command
            (CHLOE, "help", None),
            (BEN, "sure, 12:30", "some-other-message"),  # a reply in another thread
            (OUTSIDER, "hi all", None),  # not even a member: no refusal either
            (OUTSIDER, "me too", await card_id(bot, post)),  # an outsider in the thread
            (BEN, "/team", await card_id(bot, post)),  # a slash in the thread
        ]
        for user, text, reply_to in chatter:
            assert await unmentioned(bot, user, text, reply_to=reply_to) == [], text
        mentorbot_lines = [r for r in caplog.records if r.name.startswith("mentorbot")]
        assert mentorbot_lines == [], [r.getMessage() for r in mentorbot_lines]
        assert await rows(bot) == before
        assert bot.connector.calls[calls:] == []
        assert await answers(bot) == []
        # The same words said to the bot are a turn, with its log line (the check works).
        assert await bot.send(teams.channel_message(bot.service_url, BEN, DATA, "help"))
        assert any(r.getMessage().startswith("turn ") for r in caplog.records)


async def test_a_thread_reply_without_mention_is_an_answer_confirmed_1on1_once(bot):
    await install(bot)
    post = await posted_now(bot)
    thread = await card_id(bot, post)
    in_thread = len(bot.connector.messages(f"{DATA.id};messageid={thread}"))

    assert await unmentioned(bot, BEN, "Hiking in the Alps", reply_to=thread) == []
    assert await answers(bot) == [(BEN.id, "Hiking in the Alps", True, "thread")]
    told = await private(bot, BEN)
    assert told[-1] == (
        f"Thanks, I saved your reply to this week's icebreaker, “{post.question_text}”, as "
        "your answer. It will be in the digest when the next question goes out. Replying "
        "again in the thread replaces it."
    )
    # Again: the answer is replaced, and nobody is told twice.
    assert await unmentioned(bot, BEN, "Climbing, actually", reply_to=thread) == []
    assert await answers(bot) == [(BEN.id, "Climbing, actually", True, "thread")]
    assert await private(bot, BEN) == told
    # Nothing was said in the thread; the card's count went up.
    assert len(bot.connector.messages(f"{DATA.id};messageid={thread}")) == in_thread
    await quiet(bot)
    assert count_text(puts(bot)[-1].body["attachments"][0]["content"]) == "1 answer so far"


async def test_the_mention_path_keeps_working_and_confirms_privately(bot):
    await install(bot)
    post = await posted_now(bot)
    thread = await card_id(bot, post)
    replies = await bot.send(
        teams.channel_message(bot.service_url, CHLOE, DATA, "Baking bread", reply_to=thread)
    )
    assert replies == []
    assert await answers(bot) == [(CHLOE.id, "Baking bread", True, "thread")]
    assert "Thanks, I saved your reply" in (await private(bot, CHLOE))[-1]
    # A command with the @mention in the channel is still a command.
    replies = await bot.send(teams.channel_message(bot.service_url, ANA, DATA, "/team"))
    assert replies and "Members" in replies[0], replies
