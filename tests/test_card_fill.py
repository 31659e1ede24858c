"""Filling card templates: compiled once, a fresh card every time, the template untouched."""

from __future__ import annotations

import copy

from dialogs.core.cards import Cards, template

CARDS = Cards("dialogs.coffee")


def values(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "title": "Meet Ana",
        "partners": [{"type": "TextBlock", "text": "Ana"}],
        "starter": "What did you learn ${today}?",
        "chat_url": "https://teams.microsoft.com/l/chat/0/0?users=a",
        "meeting_url": "https://teams.microsoft.com/l/meeting/new?attendees=a",
        "has_links": True,
        "no_links": False,
    }
    return base | extra


def test_each_card_is_new_and_the_template_stays_as_it_was():
    before = copy.deepcopy(template("dialogs.coffee", "pair_intro"))
    first = CARDS.render("pair_intro", **values())
    first["body"][0]["text"] = "changed"
    first["actions"].clear()
    second = CARDS.render("pair_intro", **values())
    assert template("dialogs.coffee", "pair_intro") == before
    assert second["body"][0]["text"] == "Meet Ana"
    assert [a["title"] for a in second["actions"]] == ["Chat", "Schedule"]
    assert second["body"] is not first["body"]


def test_placeholders_and_conditions():
    card = CARDS.render("pair_intro", **values(has_links=False, no_links=True))
    assert card["actions"] == []  # both actions are "$when": "has_links"
    assert any("Teams addresses" in b.get("text", "") for b in card["body"])
    assert card["body"][1]["items"] == [{"type": "TextBlock", "text": "Ana"}]  # whole value
    # A value is put in as given, not filled again.
    assert card["body"][2]["text"] == "**Icebreaker:** What did you learn ${today}?"
    assert all("$when" not in b for b in card["body"])
    assert card["version"] == "1.5"
