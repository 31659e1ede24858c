"""Insights: at most five short sentences computed from a program's numbers, each with
the chat command that answers it. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.core.words import plural

MAX_INSIGHTS = 5
LOW_RESPONSE = 0.5


@dataclass(frozen=True)
class Insight:
    text: str
    action: str  # the chat command that does something about it


def program_insights(
    program: str,
    unmatched: dict[str, int],
    waiting_approval: int,
    quiet_pairs: int,
    response_rates: dict[str, float | None],
    concerns: int,
    needs_check_in: int,
) -> list[Insight]:
    found: list[Insight] = []
    if concerns:
        found.append(Insight(f"{plural(concerns, 'concern')} waiting for an admin", "see below"))
    not_yet = unmatched.get("not_matched_yet", 0)
    if not_yet:
        found.append(
            Insight(
                f"{plural(not_yet, 'participant')} not matched yet — "
                "run matching or invite mentors",
                f"/match run {program}",
            )
        )
    if waiting_approval:
        found.append(
            Insight(
                f"{plural(waiting_approval, 'proposed pair')} waiting for approval",
                f"/match review {program}",
            )
        )
    if quiet_pairs:
        found.append(
            Insight(
                f"{plural(quiet_pairs, 'pair')} quiet for 21+ days — they get a nudge; "
                "check in with them",
                f"/program show {program}",
            )
        )
    elif needs_check_in:
        found.append(
            Insight(f"Pairs needing a check-in: {needs_check_in}", f"/program show {program}")
        )
    for moment, rate in sorted(response_rates.items()):
        if rate is not None and rate < LOW_RESPONSE:
            found.append(
                Insight(
                    f"{'Surveys' if moment == 'all' else moment.capitalize() + ' surveys'} "
                    f"answered by {round(100 * rate)} % — remind people",
                    f"/survey settings {program}",
                )
            )
    return found[:MAX_INSIGHTS]
