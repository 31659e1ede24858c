"""Profile and data (issue 17): the time zone is chosen from a list with friendly names
(Teams' value preselected), found by typing a city with `timezone <city>`, and IANA names
still work; `my data` is a readable card with each part's counts and latest items, and
the whole export is a JSON file behind a 15-minute link bound to the person. End to end
through the app, on both databases."""

from __future__ import annotations

import json

from storage.models import ExportLink
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.inbox import count, my_data
from tests.test_onboarding_and_account import GOOD, stored_profile

ANA = TeamsUser("ana", "Ana Lee")
LEO = TeamsUser("leo", "Leo Park")


async def say(bot, user, text, timezone="Europe/Berlin"):
    activity = teams.personal_message(bot.service_url, user, text, timezone=timezone)
    return await bot.send(activity)


async def submit(bot, user, value):
    return await bot.send(teams.card_submit(bot.service_url, user, value))


def _last_card(bot, user):
    return [m for m in bot.connector.messages(user.personal_conversation) if m.cards][-1].cards[0]


def _zone_input(card):
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("id") == "timezone":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    (field,) = found
    return field


# --- the time zone ------------------------------------------------------------------------------
async def test_the_form_lists_friendly_zones_with_the_teams_one_chosen(bot):
    await say(bot, ANA, "hi")  # Teams says Europe/Berlin
    field = _zone_input(_last_card(bot, ANA))
    assert field["type"] == "Input.ChoiceSet" and field["style"] == "filtered"
    assert field["value"] == "Europe/Berlin"
    titles = {c["value"]: c["title"] for c in field["choices"]}
    assert titles["Europe/Berlin"] == "Berlin, Germany (UTC+1)"  # November: winter time
    assert titles["Europe/Lisbon"] == "Lisbon, Portugal (UTC)"
    shown = " ".join(titles.values())
    for offset in ("UTC-3:30", "UTC+5:30", "UTC+5:45", "UTC+14", "UTC-11"):
        assert f"({offset})" in shown, offset  # every offset in use has a zone
    assert len(field["choices"]) < 150  # a short list; `timezone <city>` finds the rest

    await say(bot, LEO, "hi", timezone="America/Los_Angeles")
    field = _zone_input(_last_card(bot, LEO))
    assert field["value"] == "America/Los_Angeles"
    titles = {c["value"]: c["title"] for c in field["choices"]}
    assert titles["America/Los_Angeles"] == "Los Angeles, United States (UTC-8)"
    assert "America/Denver" in titles  # the country's other zones come along


async def test_an_iana_name_typed_still_works_and_the_profile_shows_it_friendly(bot):
    await say(bot, ANA, "hi")
    assert "saved" in (await submit(bot, ANA, GOOD | {"timezone": "US/Eastern"}))[0]
    assert (await stored_profile(bot, ANA)).timezone == "US/Eastern"
    await say(bot, ANA, "profile")
    facts = {f["title"]: f["value"] for f in _last_card(bot, ANA)["body"][1]["facts"]}
    assert facts["Time zone"] == "US/Eastern (UTC-5)"
    (reply,) = await say(bot, ANA, "timezone Asia/Kathmandu")
    assert reply == "Your time zone is now Kathmandu, Nepal (UTC+5:45)."
    await say(bot, ANA, "profile")
    facts = {f["title"]: f["value"] for f in _last_card(bot, ANA)["body"][1]["facts"]}
    assert facts["Time zone"] == "Kathmandu, Nepal (UTC+5:45)"


async def test_typing_a_city_finds_it_saves_one_and_offers_several(bot):
    await say(bot, ANA, "hi")
    await submit(bot, ANA, GOOD)
    (reply,) = await say(bot, ANA, "timezone lisbon")
    assert reply == "Your time zone is now Lisbon, Portugal (UTC)."
    assert (await stored_profile(bot, ANA)).timezone == "Europe/Lisbon"
    (reply,) = await say(bot, ANA, "timezone São Paulo")  # accents or not
    assert reply == "Your time zone is now Sao Paulo, Brazil (UTC-3)."
    (reply,) = await say(bot, ANA, "timezone sao paulo")
    assert reply == "Your time zone is already Sao Paulo, Brazil (UTC-3). Nothing changed."

    await say(bot, ANA, "timezone san")  # San Francisco is no zone; Santiago, San Juan, ...
    card = _last_card(bot, ANA)
    field = _zone_input(card)
    assert field["style"] == "expanded" and 2 <= len(field["choices"]) <= 8
    assert "Santiago, Chile (UTC-3)" in [c["title"] for c in field["choices"]]
    assert card["actions"][0]["data"] == {"action": "timezone_save"}

    # A forged pick changes nothing; a real one is saved.
    for forged in ("Mars/Olympus", 42, None, "x" * 100):
        (reply,) = await submit(bot, ANA, {"action": "timezone_save", "timezone": forged})
        assert reply == "Please pick one of the time zones on the card. Nothing changed."
    assert (await stored_profile(bot, ANA)).timezone == "America/Sao_Paulo"
    (reply,) = await submit(bot, ANA, {"action": "timezone_save", "timezone": "America/Santiago"})
    assert reply == "Your time zone is now Santiago, Chile (UTC-3)."
    assert (await stored_profile(bot, ANA)).timezone == "America/Santiago"

    (reply,) = await say(bot, ANA, "timezone Atlantis")
    assert "couldn't find a time zone for 'Atlantis'" in reply and "Nothing changed" in reply
    assert (await stored_profile(bot, ANA)).timezone == "America/Santiago"
    (reply,) = await say(bot, ANA, "timezone")
    assert reply.startswith("Your time zone is Santiago, Chile (UTC-3). To change it")


async def test_a_city_before_any_profile_opens_the_form_with_it(bot):
    await say(bot, LEO, "timezone Tokio")  # a near spelling: offered, not taken
    field = _zone_input(_last_card(bot, LEO))
    assert [c["title"] for c in field["choices"]] == ["Tokyo, Japan (UTC+9)"]
    assert await stored_profile(bot, LEO) is None
    (reply,) = [
        r
        for r in await submit(bot, LEO, {"action": "timezone_save", "timezone": "Asia/Tokyo"})
        if r
    ]
    assert (
        reply
        == "Found it: Tokyo, Japan (UTC+9). Here's your profile form with it; save it to keep it."
    )
    assert _zone_input(_last_card(bot, LEO))["value"] == "Asia/Tokyo"
    assert await stored_profile(bot, LEO) is None


# --- my data --------------------------------------------------------------------------------
async def test_my_data_is_a_readable_card_with_the_whole_file_behind_a_link(bot):
    await say(bot, ANA, "hi")
    await submit(bot, ANA, GOOD)
    for n in range(5):
        goal = {"action": "goal_save", "goal": 0, "title": f"Goal number {n}", "why": "x"}
        assert "Goal number" in (await submit(bot, ANA, goal | {"target": "2027-03-31"}))[0]
    card, export = await my_data(bot, ANA)
    text = json.dumps(card, ensure_ascii=False)
    assert "```" not in text and '"Monospace"' not in text  # no code block any more
    sections = card["body"][3]["items"]
    titles = [s["items"][0]["text"] for s in sections]
    assert titles[:3] == ["**Account**", "**Profile**", "**Teams**"]
    goals = next(s for s in sections if "Goals" in s["items"][0]["text"])
    lines = goals["items"][-1]["text"].splitlines()
    assert lines[0] == "**Goals**: 5 (latest first)" and len(lines) == 4
    assert all("Goal number" in line for line in lines[1:])
    profile = next(s for s in sections if s["items"][0]["text"] == "**Profile**")
    facts = {f["title"]: f["value"] for f in profile["items"][1]["facts"]}
    assert (
        facts["Goals"] == "Lead a team next year"
        and facts["Skills offer"] == "SQL, public speaking"
    )
    assert "15 minutes" in text and "only for you" in text
    # The file holds everything, as JSON.
    assert export["profile"]["goals"] == "Lead a team next year"
    assert [g["title"] for g in export["goals_and_checkins"]["goals"]] == [
        f"Goal number {n}" for n in range(5)
    ]
    assert export["account"]["teams_user_id"] == ANA.id


async def test_the_data_link_is_the_person_s_for_15_minutes_and_dies_with_their_data(bot):
    await say(bot, ANA, "hi")
    await submit(bot, ANA, GOOD)
    await say(bot, ANA, "my data")
    card = _last_card(bot, ANA)
    url = card["actions"][0]["url"]
    path = "/exports/" + url.rsplit("/exports/", 1)[1]
    async with bot.session.get(bot.url + path) as resp:
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Content-Disposition"] == (
            'attachment; filename="mentorbot-my-data-2026-11-21.json"'
        )
        assert json.loads(await resp.text())["profile"]["location"] == "Berlin"
    async with bot.db.unit() as repos:
        (link,) = await repos.feedback.links_of((await repos.users.by_teams_id(ANA.id)).id)
        assert (link.what, link.team_id, link.downloads) == ("mydata", None, 1)
    bot.clock.advance(minutes=16)
    async with bot.session.get(bot.url + path) as resp:
        assert resp.status == 410 and "expired" in await resp.text()

    await say(bot, ANA, "my data")
    fresh = _last_card(bot, ANA)["actions"][0]["url"]
    await submit(bot, ANA, {"action": "delete_data_confirm"})
    async with bot.session.get(bot.url + "/exports/" + fresh.rsplit("/exports/", 1)[1]) as resp:
        assert resp.status == 404 and "unknown" in await resp.text()
    assert await count(bot, ExportLink) == 0
