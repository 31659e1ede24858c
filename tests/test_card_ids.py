"""A card is no trust boundary: forged ids (too big for the column, negative, fractions,
booleans, text) get the friendly answer and change nothing, on both databases."""

from __future__ import annotations

import pytest

from dialogs.core.forms import row_id as card_id
from tests.fakes import teams
from tests.fakes.teams import TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
FORGED = [2**31, 2**63, -1, 0, 1.5, True, "x", None, "99999999999"]


@pytest.mark.parametrize(
    ("action", "field", "answer"),
    [
        ("pair_followup", "group", "can't find that coffee chat"),
        ("program_save", "program", "can't find that program"),
        ("enrol_save", "program", "can't find that program"),
        ("agreement_confirm", "mentorship", "can't find that mentorship"),
        ("mentorship_not_fit", "mentorship", "can't find that mentorship"),
        ("match_request", "proposal", "isn't among your current suggestions"),
        ("match_answer", "proposal", "can't find that request"),
    ],
)
async def test_forged_ids_get_a_friendly_answer(bot, action, field, answer):
    for forged in FORGED:
        value = {"action": action, field: forged, "met": "yes", "answer": "accept"}
        replies = await bot.send(teams.card_submit(bot.service_url, ANA, value))
        assert replies and answer in replies[0], (forged, replies)


def test_card_id_accepts_only_row_ids():
    assert [card_id(v) for v in (1, "42", " 7 ", 2**31 - 1)] == [1, 42, 7, 2**31 - 1]
    assert all(card_id(v) is None for v in FORGED)
