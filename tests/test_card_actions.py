"""Card actions and the route table agree: every submit a card template can send is
routed, and every routed action has a card that sends it. A typo in either place fails
here instead of answering "I didn't understand that card"."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from dialogs.core.cards import Cards, template
from dialogs.routes import FEATURES, build_table

ROOT = Path(__file__).resolve().parent.parent


def card_files() -> list[tuple[str, str]]:
    """(package, template name) of every card JSON file beside a feature."""
    found = []
    for path in sorted((ROOT / "dialogs").glob("*/cards/*.json")):
        found.append((f"dialogs.{path.parent.parent.name}", path.stem))
    return found


def sent_actions(node: Any) -> set[str]:
    """The `action` of every Action.Submit / Action.Execute data and every Execute verb."""
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("type") in ("Action.Submit", "Action.Execute"):
            data = node.get("data")
            if isinstance(data, dict) and "action" in data:
                found.add(data["action"])
            if node["type"] == "Action.Execute":
                found.add(node["verb"])
        for value in node.values():
            found |= sent_actions(value)
    elif isinstance(node, list):
        for value in node:
            found |= sent_actions(value)
    return found


def test_there_are_card_files_in_every_feature_that_renders_cards():
    packages = {package for package, _ in card_files()}
    # The dashboard answers in text and in its web pages (bot/tab/), with no card; the
    # directory's `/graph status` answers in text (its facts show on account's profile card).
    textual = ("dashboard", "directory")
    assert packages == {f"dialogs.{f.name}" for f in FEATURES if f.name not in textual}


def test_every_card_action_is_routed_and_every_routed_action_has_a_card():
    table = build_table()
    by_card: dict[str, set[str]] = {}
    for package, name in card_files():
        for action in sent_actions(template(package, name)):
            by_card.setdefault(action, set()).add(f"{package}/{name}")
    unrouted = {action: cards for action, cards in by_card.items() if action not in table.actions}
    assert unrouted == {}
    assert set(table.actions) - set(by_card) == set()


def test_an_action_is_declared_by_the_feature_whose_cards_send_it():
    for feature in FEATURES:
        mine = set()
        for package, name in card_files():
            if package == f"dialogs.{feature.name}":
                mine |= sent_actions(template(package, name))
        assert {a.name for a in feature.actions} <= mine, feature.name


def test_the_check_itself_finds_a_typo():
    card = {
        "type": "AdaptiveCard",
        "actions": [
            {"type": "Action.Submit", "data": {"action": "profile_sav"}},
            {"type": "Action.Execute", "verb": "icebreaker_answr", "data": {}},
        ],
    }
    assert sent_actions(card) - set(build_table().actions) == {"profile_sav", "icebreaker_answr"}


def test_templates_are_package_data_not_files_of_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing is read relative to where the bot was started
    card = Cards("dialogs.account").render("delete_confirm")
    assert card["version"] == "1.5"
    text = (resources.files("dialogs.coffee") / "cards" / "pair_intro.json").read_text("utf-8")
    assert json.loads(text)["type"] == "AdaptiveCard"
