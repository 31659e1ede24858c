"""Outbox messages have one format: dialogs build them with dialogs/core/outbox.py, the
delivery worker reads them back with it. No feature writes a payload dict by hand."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dialogs.core import outbox
from storage.models import OutboxMessage

ROOT = Path(__file__).resolve().parent.parent


def test_keys_name_the_purpose_the_ids_and_the_moment():
    assert outbox.key("pairintro", round=5, user=7) == "pairintro:round5:user7"
    assert outbox.key("checkin", user=7, at="2026-11-23") == "checkin:user7:2026-11-23"
    assert outbox.key("agenda", 12, user=3) == "agenda:12:user3"
    assert outbox.key("icebreaker:count", post=4, at=2) == "icebreaker:count:post4:2"
    with pytest.raises(ValueError):
        outbox.key("x", "")


def test_a_message_goes_through_its_stored_row_unchanged():
    made = [
        outbox.to_user("k1", 3, text="hi", team_id=9),
        outbox.to_user("k2", 3, card={"type": "AdaptiveCard"}),
        outbox.to_team("k3", 9, text="hello", channel="19:x@thread.tacv2"),
        outbox.in_thread("k4", 9, "k3", "answers"),
        outbox.card_update(
            "k5", "k3", {"type": "AdaptiveCard"}, team_id=9, after="k4", gap_seconds=60
        ),
    ]
    for message in made:
        row = OutboxMessage(
            idempotency_key=message.key,
            payload=message.payload(),
            user_id=message.user_id,
            team_id=message.team_id,
        )
        assert outbox.Message.of_row(row) == message
    assert made[4].references() == ["k3", "k4"]


def test_incomplete_messages_are_refused_when_built():
    with pytest.raises(ValueError):
        outbox.to_user("k", 3)  # nothing to say
    with pytest.raises(ValueError):
        outbox.card_update("k", "k0", {}, team_id=1, after="k0")  # a gap needs seconds


def test_an_erased_row_reads_as_a_message_with_nothing_in_it():
    row = OutboxMessage(idempotency_key="k", payload={}, user_id=None, team_id=None)
    message = outbox.Message.of_row(row)
    assert (message.to, message.text, message.card) == ("user", None, None)


def test_no_feature_writes_outbox_rows_or_payload_dicts_by_hand():
    offenders = []
    for path in sorted((ROOT / "dialogs").rglob("*.py")):
        if path == ROOT / "dialogs" / "core" / "outbox.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("enqueue", "replace_pending"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value == "to" for k in node.keys
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} a payload dict")
    assert offenders == []
