"""Icebreakers in the team's language, end to end on both databases: a team whose admin
set Spanish (`/team language es`) gets its weekly card, count updates and digest in
Spanish; an English team exactly as before; a team's own question as its admin wrote it;
answers from a German and a Japanese member count for the same question; what goes to
one member (an answer's confirmation, a suggestion's fate) is in that member's language."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from app import SCHEDULER_KEY
from dialogs.core import i18n
from dialogs.icebreakers.bank import BY_ID, CATEGORIES
from dialogs.jobs import JOBS
from storage.models import IcebreakerPost
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import inbox

ICEBREAKER_JOBS = tuple(job for job in JOBS if job.name == "icebreaker")
ANA = TeamsUser("ana", "Ana Lee")  # installs the bot: an admin
BEN = TeamsUser("ben", "Ben Okafor")  # writes from a German Teams
CHLOE = TeamsUser("chloe", "Chloe Martin")
DAN = TeamsUser("dan", "Dan Wu")  # writes from a Japanese Teams
DATA = TeamsTeam("data", "Data Guild")  # Spanish by its admin's choice
OPS = TeamsTeam("ops", "Ops Crew")  # never changed: English
PEOPLE = (ANA, BEN, CHLOE, DAN)
_ = i18n.catalog("dialogs.icebreakers")


def spanish(message: str) -> str:
    return _.in_language("es", message)


async def install(bot, team: TeamsTeam, members=PEOPLE) -> None:
    bot.connector.set_roster(team.id, [m.member() for m in members], team.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, members[0], team))


async def say(bot, text: str, user=ANA, team=DATA, locale: str | None = None, **kw) -> str:
    activity = teams.channel_message(bot.service_url, user, team, text, **kw)
    activity["locale"] = locale
    return "\n".join(await bot.send(activity))


async def hello(bot, user: TeamsUser, locale: str) -> None:
    """A 1:1 message from a Teams client in `locale`: the bot learns the member's locale."""
    activity = teams.personal_message(bot.service_url, user, "hi")
    activity["locale"] = locale
    await bot.send(activity)


async def posts(bot, team: TeamsTeam) -> list[IcebreakerPost]:
    async with bot.db.unit() as repos:
        row = await repos.teams.by_team_id(team.id)
        return await repos.icebreakers.posts(row.id)


async def card_id(bot, post: IcebreakerPost) -> str:
    async with bot.db.unit() as repos:
        row = (await repos.outbox.by_keys([post.outbox_key]))[post.outbox_key]
    assert row.status == "sent", row.status
    return row.activity_id


async def answer(bot, user, post, text: str, locale: str, share: str = "true") -> str:
    data = {"action": "icebreaker_answer", "post": post.id, "answer": text, "share": share}
    activity = teams.card_action(bot.service_url, user, DATA, data, await card_id(bot, post))
    activity["locale"] = locale
    status, body = await bot.post(activity)
    reply = json.loads(body)
    assert status == 200 and reply["statusCode"] == 200, reply
    return str(reply["value"])


async def quiet(bot) -> None:
    """Everything sent, except a count update waiting out its minute (posts.py)."""
    for _wait in range(250):
        async with bot.db.unit() as repos:
            rows = await repos.outbox.all()
        if all(r.status in ("sent", "failed") or "after" in r.payload for r in rows):
            return
        await asyncio.sleep(0.02)
    raise AssertionError([r.status for r in rows])


async def queued_cards(bot) -> str:
    async with bot.db.unit() as repos:
        return json.dumps([r.payload for r in await repos.outbox.all()], ensure_ascii=False)


def texts(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["body"] if b.get("type") == "TextBlock"]


def last_card(bot, conversation: str) -> dict[str, Any]:
    return [m for m in bot.connector.messages(conversation) if m.cards][-1].cards[0]


async def test_a_spanish_team_gets_its_weekly_icebreaker_in_spanish_and_an_english_one_as_before(
    settings, connector, clock
):
    async with start_bot(settings, connector, clock, jobs=ICEBREAKER_JOBS) as bot:
        await install(bot, DATA)
        await install(bot, OPS, (CHLOE, DAN))
        await say(bot, "/team language es")
        reply = await say(bot, "/icebreaker settings on day=monday time=10:00 timezone=UTC")
        assert "**Rompehielos en Data Guild: activados**" in reply  # Ana: the team's default
        assert "- Cuándo: Cada lunes a las 10:00 (UTC)" in reply
        reply = await say(
            bot, "/icebreaker settings on day=monday time=10:00 timezone=UTC", CHLOE, OPS
        )
        assert "**Icebreakers in Ops Crew: on**" in reply
        assert "- When: Every Monday at 10:00 (UTC)" in reply
        scheduler = bot.server.app[SCHEDULER_KEY]
        for _tick in range(7 * 4):  # a week, every 6 hours
            await scheduler.tick()
            clock.advance(hours=6)
        await bot.settle()
        [es_post], [en_post] = await posts(bot, DATA), await posts(bot, OPS)
        es_card, en_card = last_card(bot, DATA.id), last_card(bot, OPS.id)

    assert es_post.trigger == en_post.trigger == "schedule"
    # The post stores the bank id and the English text whatever the team's language.
    for post in (es_post, en_post):
        assert post.question_text == BY_ID[post.question_key].text
    es_question = spanish(es_post.question_text)
    assert es_question != es_post.question_text
    category = spanish(CATEGORIES[es_post.category])
    assert texts(es_card) == [
        f"Rompehielos · {category}",
        es_question,
        "Aún no hay respuestas. ¡Rompe el hielo!",
        "Si vuelves a responder, se sustituye tu respuesta. También puedes responder en "
        "este hilo (si no te lo confirmo por privado, mencióname allí con @).",
    ]
    field = next(b for b in es_card["body"] if b.get("id") == "answer")
    assert field["label"] == "Tu respuesta" and field["placeholder"] == "Con una o dos frases basta"
    assert es_card["actions"][0]["title"] == "Responder"
    # The English team: exactly what it saw before translation existed.
    assert texts(en_card) == [
        f"Icebreaker · {CATEGORIES[en_post.category]}",
        en_post.question_text,
        "No answers yet. Be the first!",
        "Answering again replaces your answer. You can also reply in this thread (if I don't "
        "confirm it to you 1:1, @mention me there).",
    ]
    assert en_card["actions"][0]["title"] == "Answer"


async def test_answers_in_three_languages_count_together_and_the_digest_is_spanish(bot, clock):
    await install(bot, DATA)
    await say(bot, "/team language es")
    await hello(bot, BEN, "de-DE")
    await hello(bot, DAN, "ja-JP")
    assert "Publico esta ahora en General:" in await say(bot, "/icebreaker now")
    await quiet(bot)
    [post] = await posts(bot, DATA)

    # Each answerer reads the confirmation in their own language...
    reply = await answer(bot, BEN, post, "Wandern in den Alpen", "de-DE")
    assert reply == (
        "Danke, deine Antwort ist gespeichert! Sie erscheint in der Zusammenfassung, wenn "
        "die nächste Frage kommt."
    )
    reply = await answer(bot, DAN, post, "朝のランニング", "ja-JP")
    assert (
        reply
        == "ありがとうございます。回答を保存しました！ 次の質問が出るときに、まとめに載ります。"
    )
    reply = await answer(bot, CHLOE, post, "A secret", "en-US", share="false")
    assert reply == "Thanks, your answer is saved! It stays out of the digest."
    await quiet(bot)
    # ...while the card in the channel counts all three, in the team's Spanish (the
    # first update went out, the next waits out its minute with the latest count).
    cards = await queued_cards(bot)
    assert "1 respuesta hasta ahora" in cards and "3 respuestas hasta ahora" in cards
    assert "so far" not in cards and "bisher" not in cards

    clock.advance(days=7)
    await say(bot, "/icebreaker now")
    await quiet(bot)
    thread = f"{DATA.id};messageid={await card_id(bot, post)}"
    [digest] = bot.connector.messages(thread)
    assert digest.text == "\n".join(
        [
            f"**Vuestras respuestas** a: {spanish(post.question_text)}",
            "- **Ben Okafor**: Wandern in den Alpen",
            "- **Dan Wu**: 朝のランニング",
            "_1 persona más respondió en privado._",
        ]
    )


async def test_a_custom_question_stays_as_written_and_suggesters_hear_back_in_their_language(
    bot,
):
    await install(bot, DATA)
    await say(bot, "/team language es")
    await hello(bot, BEN, "de-DE")
    await hello(bot, DAN, "ja-JP")
    # An English question in a Spanish team is never looked up, and never "translated".
    reply = await say(bot, "/icebreaker add What made you laugh out loud this month?")
    assert reply.startswith("Añadida como **c")
    await say(bot, "suggest Which song have you had stuck in your head lately?", BEN)
    await say(bot, "suggest ¿Cuál es tu rincón favorito de la oficina para pensar?", DAN)
    assert "Publico esta ahora en General:\n> What made you laugh out loud this month?" in (
        await say(bot, "/icebreaker now")
    )
    await bot.settle()
    card = last_card(bot, DATA.id)
    assert texts(card)[:2] == [
        "Rompehielos · De tu equipo",
        "What made you laugh out loud this month?",
    ]
    [own] = await posts(bot, DATA)
    assert own.question_key.startswith("c") and own.category == "custom"

    listed = await say(bot, "/icebreaker list")
    ids = [line.split("**")[1] for line in listed.splitlines() if "(de " in line]
    assert len(ids) == 2
    await say(bot, f"/icebreaker approve {ids[0]}")
    await say(bot, f"/icebreaker remove {ids[1]}")
    await bot.settle()
    # One message each, in the recipient's language; the question as they wrote it.
    assert [m.text for m in inbox(bot, BEN) if "Data Guild" in (m.text or "")] == [
        "Deine Eisbrecher-Frage für Data Guild wurde freigegeben: "
        "„Which song have you had stuck in your head lately?“"
    ]
    [declined] = [m.text for m in inbox(bot, DAN) if "Data Guild" in (m.text or "")]
    assert declined.startswith(
        "Data Guild に「¿Cuál es tu rincón favorito de la oficina para pensar?」を提案して"
    )


async def test_a_japanese_admin_reads_the_next_date_in_japanese(bot):
    await install(bot, DATA)
    await say(bot, "/icebreaker settings on day=monday time=10:00 timezone=UTC")
    await hello(bot, ANA, "ja-JP")
    reply = await say(bot, "/icebreaker skip", locale="ja-JP")
    assert reply.startswith("了解です。次回のアイスブレイク（")
    assert "2026年11月23日月曜日" in reply and "10:00" in reply
    # English is what it was.
    await hello(bot, ANA, "en-US")
    reply = await say(bot, "/icebreaker skip undo", locale="en-US")
    assert reply == (
        "OK, the next icebreaker (Monday 23 November 2026 at 10:00 (UTC)) will be posted after all."
    )


async def test_a_category_is_named_in_any_language_the_bot_writes(bot):
    """`/icebreaker categories` takes a category's key or its name as any of the languages
    writes it; the reply is in the admin's language, whatever they typed."""
    await install(bot, OPS)
    reply = await say(bot, "/icebreaker categories お楽しみ off", team=OPS)
    assert reply.startswith("Fun is now off.")
    reply = await say(bot, "/icebreaker categories spass on", team=OPS)  # Spaß, typed plainly
    assert reply.startswith("Fun is now on.")
    reply = await say(bot, "/icebreaker categories Travail et savoir-faire off", team=OPS)
    assert reply.startswith("Work and craft is now off.")
    async with bot.db.unit() as repos:
        row = await repos.teams.by_team_id(OPS.id)
        settings = await repos.icebreakers.settings(row.id)
        assert settings.categories_off == ["craft"]
    unknown = await say(bot, "/icebreaker categories 料理 off", team=OPS)
    assert "is now" not in unknown
    async with bot.db.unit() as repos:
        assert (await repos.icebreakers.settings(row.id)).categories_off == ["craft"]
