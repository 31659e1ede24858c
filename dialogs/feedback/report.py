"""`/program report <program> [from= to=]` and `/pair report [from= to=]`: a compact
card of the headline numbers, each with an arrow against the window of the same length
just before, and buttons for the CSV files behind them.

The numbers come from metrics.py over the facts the repository reads for each window;
aggregates of answers under k are shown as "fewer than k answers".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dialogs.core import i18n
from dialogs.core.admins import team_of
from dialogs.core.router import Turn
from dialogs.feedback import metrics
from dialogs.feedback.cards import CARDS
from dialogs.feedback.lookup import Window, coffee_default, program_named, read_window
from dialogs.feedback.metrics import Metric
from storage.models import Program, Team
from storage.repos import Repos

_ = i18n.catalog(__package__)
N_ = i18n.N_

# The headline numbers of the card (every metric is in the metrics CSV).
HEADLINES: Mapping[str, tuple[str, ...]] = {
    N_("Participation"): ("enrolled", "matched", "days_to_match"),
    N_("Activity"): ("sessions_per_pair_month", "at_cadence", "checkin_rate", "agenda_pairs"),
    N_("Goals"): ("goals_per_participant", "achieved_by_target", "blocked"),
    N_("Feedback"): (
        "satisfaction",
        "recommend",
        "mentee_progress",
        "skill_growth",
        "response_rate",
    ),
    N_("Outcomes"): (
        "retention_30",
        "retention_90",
        "completion",
        "early_endings",
        "career_change",
        "continued",
    ),
    N_("Reach"): ("cross_department",),
}
COFFEE_HEADLINES: Mapping[str, tuple[str, ...]] = {
    N_("Coffee chats"): (
        "rounds",
        "people",
        "met_rate",
        "rating",
        "repeat_rate",
        "cross_department",
        "ghost_pauses",
        "pulse",
    )
}


async def program_report_metrics(
    repos: Repos, program: Program, window: Window
) -> tuple[list[Metric], list[Metric]]:
    """(this window's metrics, the previous window's), from two batched reads."""
    settings = await repos.feedback.program_settings(program.id)
    k = metrics.k_of(settings.min_answers if settings else None)
    earlier = window.before()
    now, before = await repos.feedback.program_facts(
        program, [(window.start, window.end), (earlier.start, earlier.end)], _end(program)
    )
    return metrics.program_metrics(now, k), metrics.program_metrics(before, k)


async def coffee_report_metrics(
    repos: Repos, team: Team, window: Window
) -> tuple[list[Metric], list[Metric]]:
    settings = await repos.feedback.coffee_settings(team.id)
    k = metrics.k_of(settings.min_answers if settings else None)
    earlier = window.before()
    now = await repos.feedback.coffee_facts(team.id, window.start, window.end)
    before = await repos.feedback.coffee_facts(team.id, earlier.start, earlier.end)
    return metrics.coffee_metrics(now, k), metrics.coffee_metrics(before, k)


def sections(
    now: list[Metric], before: list[Metric], headlines: Mapping[str, tuple[str, ...]]
) -> list[dict[str, Any]]:
    current = {m.key: m for m in now}
    previous = {m.key: m for m in before}
    return [
        CARDS.part(
            "report_section",
            heading=_(heading),
            facts=[_fact(current[key], previous[key]) for key in keys],
        )
        for heading, keys in headlines.items()
    ]


def _fact(metric: Metric, before: Metric) -> dict[str, str]:
    arrow = metrics.trend(metric.value, before.value)
    was = metrics.shown(before)
    value = metrics.shown(metric)
    if arrow:
        value = _("{value} {arrow} (before: {before})", value=value, arrow=arrow, before=was)
    return {"title": metric.label, "value": value}


async def program_report(turn: Turn) -> None:
    program = await program_named(turn)
    if program is None:
        return
    window = read_window(turn, program.starts_on, turn.args.get("from"), turn.args.get("to"))
    if window is None:
        return
    now, before = await program_report_metrics(turn.repos, program, window)
    turn.result.show(
        CARDS.render(
            "report",
            title=f"📊 {program.name}",  # i18n: not said
            window=_window(window),
            sections=sections(now, before, HEADLINES),
            footnote=_footnote(now),
            program=program.id,
            first=window.first.isoformat(),
            last=window.last.isoformat(),
        )
    )


async def coffee_report(turn: Turn) -> None:
    team = team_of(turn)
    window = read_window(
        turn, coffee_default(turn.now.date()), turn.args.get("from"), turn.args.get("to")
    )
    if window is None:
        return
    now, before = await coffee_report_metrics(turn.repos, team, window)
    turn.result.show(
        CARDS.render(
            "coffee_report",
            title=_("☕ Coffee chats in {team}", team=team.name),
            window=_window(window),
            sections=sections(now, before, COFFEE_HEADLINES),
            footnote=_footnote(now),
            team=team.id,
            first=window.first.isoformat(),
            last=window.last.isoformat(),
        )
    )


def _window(window: Window) -> str:
    return _(
        "{window} (UTC days); arrows compare with {before}",
        window=str(window),
        before=str(window.before()),
    )


def _footnote(now: list[Metric]) -> str:
    k = next((m.value.k for m in now if isinstance(m.value, metrics.Withheld)), None)
    if k:
        return _(
            "A session is notes saved after a meeting; shares are of those the metric applies "
            "to (definitions: docs/architecture.md, Metrics). Aggregates of fewer than {k} "
            "answers are withheld.",
            k=k,
        )
    return _(
        "A session is notes saved after a meeting; shares are of those the metric applies to "
        "(definitions: docs/architecture.md, Metrics)."
    )


def _end(program: Program) -> datetime:
    return metrics.program_end(program.ends_on, program.closed_at)
