"""Every card the bot sends passes Microsoft's Adaptive Cards parser (npm `adaptivecards` 3,
target 1.5) with no error or warning, and no message is over 28 KB.

The cards are the real ones: the conversations of the end-to-end tests listed in
SCENARIOS (and one with every profile field and list at its longest) run over HTTP
against the fake connector, and every message it received (sends and card updates) is
written out and checked by tests/cards_node/check.js. Every template under
dialogs/*/cards/ must have been rendered by them, so a new card cannot slip past.
Without Node or the package the test skips locally and fails under CI (CI set).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dialogs.account.profile import MAX_ITEM_LEN, MAX_ITEMS
from dialogs.core import cards as core_cards
from dialogs.goals.goals import MAX_OPEN
from settings import Settings
from tests.conftest import FAST_DELIVERY, Clock, start_bot
from tests.fakes.connector import FakeConnector

ROOT = Path(__file__).resolve().parent.parent
NODE_PROJECT = ROOT / "tests" / "cards_node"
PARSER = NODE_PROJECT / "node_modules" / "adaptivecards" / "package.json"
MAX_MESSAGE = 28 * 1024
CARD_TYPE = "application/vnd.microsoft.card.adaptive"

# module: test functions whose conversations between them send every card
SCENARIOS: dict[str, list[str]] = {
    "tests.test_onboarding_and_account": [
        "test_first_message_starts_onboarding_and_submit_saves",
        "test_profile_shows_values_and_offers_an_edit_form",
        "test_delete_my_data_asks_then_erases_but_keeps_counts",
    ],
    "tests.test_pairing": ["test_followup_answers_are_validated_and_private_to_their_seat"],
    "tests.test_icebreakers": ["test_answers_from_the_card_and_the_thread_are_stored_and_replaced"],
    "tests.test_goals": ["test_add_list_edit_done_with_a_shout_out_and_drop"],
    "tests.test_checkins": ["test_blocks_reach_the_mentor_only_for_shared_goals"],
    "tests.test_sessions": [
        "test_agendas_and_notes_reach_the_partner_and_items_remind_their_owner"
    ],
    "tests.test_programs": [
        "test_invite_card_in_the_channel_sends_the_questions_1on1",
        "test_mentee_chooses_and_declines_and_timeouts_pass_on",
        "test_my_data_shows_my_mentoring_and_delete_ends_it",
        "test_not_a_good_fit_tells_admins_and_rematches_the_mentee_first",
    ],
    "tests.test_mentoring_words": [
        "test_requests_beyond_a_mentors_seats_pass_on_before_they_answer",
        "test_undo_takes_the_last_run_back_until_someone_confirms",
    ],
    "tests.test_surveys": [
        "test_a_session_survey_comes_at_each_side_s_morning_with_one_reminder",
        "test_anonymous_answers_hold_no_person_id_and_only_their_card_changes_them",
    ],
    "tests.test_coffee_feedback": ["test_the_coffee_pulse_and_report_add_up"],
    "tests.test_mentoring_care": [
        "test_the_intro_has_chat_and_schedule_and_different_formats_are_settled"
    ],
    "tests.test_profile_and_data": ["test_typing_a_city_finds_it_saves_one_and_offers_several"],
    "tests.test_graph_chats": ["group_chat_cards"],
    "tests.test_graph_meetings": ["meeting_cards"],
    "tests.test_graph_pair_chats": ["pair_chat_cards"],
    "tests.test_graph_coffee_meetings": ["coffee_meeting_cards"],
    "tests.test_cards_parser": ["longest_values", "program_report"],
}


def _require_parser() -> None:
    missing = [
        what
        for what, present in (("node", shutil.which("node")), (str(PARSER), PARSER.exists()))
        if not present
    ]
    if missing:
        message = f"the card check needs {', '.join(missing)} (.ci/run: npm ci in tests/cards_node)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class Recorder:
    """Which templates were rendered, while the conversations run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.templates: set[tuple[str, str]] = set()
        real = core_cards.Cards.part

        def part(cards: core_cards.Cards, name: str, /, **values: Any) -> dict[str, Any]:
            self.templates.add((cards.package, name))
            return real(cards, name, **values)

        monkeypatch.setattr(core_cards.Cards, "part", part)


def all_templates() -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / "dialogs").glob("*/cards/*.json"):
        found.add((f"dialogs.{path.parent.parent.name}", path.stem))
    return found


async def _run(func: Any, tmp: Path, clock_start: Any, sent: list[Any]) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'mentorbot.db'}", delivery=FAST_DELIVERY
    )
    connector = FakeConnector()
    await connector.start()
    clock = Clock(clock_start)
    try:
        params = inspect.signature(func).parameters
        if "bot" in params:
            async with start_bot(settings, connector, clock) as bot:
                kwargs = {"bot": bot} | {
                    k: v for k, v in (("clock", clock), ("tmp_path", tmp)) if k in params
                }
                await func(**kwargs)
        else:
            available = {"settings": settings, "connector": connector, "clock": clock}
            await func(**{k: available[k] for k in params})
        sent.extend(c for c in connector.calls if c.method in ("POST", "PUT") and c.cards)
    finally:
        await connector.close()


def _problems(files: list[Path]) -> list[dict[str, Any]]:
    run = subprocess.run(
        ["node", str(NODE_PROJECT / "check.js"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(files), (run.stdout[-2000:], run.stderr[-2000:])
    return [r for r in results if r["problems"]]


async def test_every_card_passes_the_adaptive_cards_parser(monkeypatch, tmp_path, clock):
    _require_parser()
    recorder = Recorder(monkeypatch)
    sent: list[Any] = []
    for n, (module, names) in enumerate(SCENARIOS.items()):
        mod = importlib.import_module(module)
        for m, name in enumerate(names):
            tmp = tmp_path / f"run{n}_{m}"
            tmp.mkdir()
            await _run(getattr(mod, name), tmp, clock.now, sent)

    missing = sorted(all_templates() - recorder.templates)
    assert not missing, f"templates no scenario rendered: {missing}"

    out = tmp_path / "cards"
    out.mkdir()
    files, too_big = [], []
    for i, call in enumerate(sent):
        size = len(json.dumps(call.body, ensure_ascii=False).encode("utf-8"))
        if size > MAX_MESSAGE:
            too_big.append((size, call.path, call.text))
        for j, card in enumerate(call.cards):
            path = out / f"{i:04d}_{j}.json"
            path.write_text(json.dumps(card), "utf-8")
            files.append(path)
        attachments = call.body.get("attachments") or []
        if any(a.get("contentType") == CARD_TYPE for a in attachments) and call.method == "POST":
            summary = call.body.get("text") or call.body.get("summary")
            assert summary, f"a card-only message carries no text/summary: {call.path}"
    assert len(files) > 30, len(files)
    assert not too_big, too_big
    bad = _problems(files)
    detail = sorted(
        {
            (p, core_cards.summary(json.loads(Path(r["file"]).read_text("utf-8"))))
            for r in bad
            for p in r["problems"]
        }
    )
    assert not bad, "\n".join(f"{card}: {problem}" for problem, card in detail)


# --- conversations of this file ---------------------------------------------------------
def _longest_list(tag: str) -> str:
    return ", ".join(
        f"{tag}{n:02d} " + "x" * (MAX_ITEM_LEN - len(tag) - 3) for n in range(MAX_ITEMS)
    )


async def longest_values(bot: Any) -> None:
    """Every profile field at its longest, then the cards that show it."""
    from dialogs.account.profile import MAX_GOALS_LEN, MAX_SHORT_LEN
    from tests.fakes import teams
    from tests.fakes.teams import TeamsUser

    ana = TeamsUser("ana", "Ana " + "Longname" * 12)
    await bot.send(teams.personal_message(bot.service_url, ana, "hi"))
    profile = {
        "action": "profile_save",
        "role": "both",
        "skills_offer": _longest_list("o"),
        "skills_want": _longest_list("w"),
        "interests": _longest_list("i"),
        "languages": _longest_list("l"),
        "goals": "g" * MAX_GOALS_LEN,
        "department": "d" * MAX_SHORT_LEN,
        "location": "l" * MAX_SHORT_LEN,
        "timezone": "America/Argentina/ComodRivadavia",
        "meeting_format": "in_person",
        "meetings_per_month": "8",
        "max_mentees": "5",
        "shared_fields": "department,location,interests",
    }
    replies = await bot.send(teams.card_submit(bot.service_url, ana, profile))
    assert "saved" in replies[0], replies
    await _most_goals(bot, ana)
    for text in ("profile", "my data", "delete my data"):
        await bot.send(teams.personal_message(bot.service_url, ana, text))
    # The real `my data` card at the caps: every open goal at its longest, all counted.
    (mine,) = [
        c for c in bot.connector.calls if c.cards and "Everything I store about you" in str(c.cards)
    ]
    size = len(json.dumps(mine.body, ensure_ascii=False).encode("utf-8"))
    assert size <= MAX_MESSAGE, size
    assert f"**Goals**: {MAX_OPEN}" in json.dumps(mine.cards), "the goals are not all counted"


async def _most_goals(bot: Any, user: Any) -> None:
    from dialogs.goals.goals import MAX_TEXT, MAX_TITLE
    from tests.fakes import teams

    for n in range(MAX_OPEN):
        goal = {
            "action": "goal_save",
            "goal": 0,
            "title": f"{n:02d} " + "t" * (MAX_TITLE - 3),
            "why": "w" * MAX_TEXT,
            "measure": "m" * MAX_TEXT,
            "target": "2027-03-31",
        }
        replies = await bot.send(teams.card_submit(bot.service_url, user, goal))
        assert replies and "t" * 20 in replies[0], replies


async def program_report(bot: Any) -> None:
    from tests import test_programs as programs
    from tests.fakes import teams
    from tests.inbox import inbox

    await programs.setup(bot)
    await bot.settle()
    text = "/program report Spring mentoring from=2026-11-01 to=2026-11-20"
    await bot.send(teams.personal_message(bot.service_url, programs.ADMIN, text))
    found = [
        m for m in inbox(bot, programs.ADMIN) if "📊" in json.dumps(m.cards, ensure_ascii=False)
    ]
    assert len(found) == 1, [m.text for m in inbox(bot, programs.ADMIN)][-3:]
