"""Insights: at most five short sentences computed from a program's numbers, each with
the chat command that answers it; the tab shows that command as a button (the tab runs
it as if the admin typed it: dialogs/dashboard/actions.py). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.core.words import plural

MAX_INSIGHTS = 5
LOW_RESPONSE = 0.5


@dataclass(frozen=True)
class Insight:
    text: str
    action: str  # the chat command that does something about it ("" when on the page)
    key: str = ""  # its button (actions.ACTIONS), "" for none
    button: str = ""


def program_insights(
    program: str,
    unmatched: dict[str, int],
    waiting_approval: int,
    quiet_pairs: int,
    response_rates: dict[str, float | None],
    concerns: int,
    needs_check_in: int,
) -> list[Insight]:
    """`response_rates` by the survey moment's name as people read it."""
    found: list[Insight] = []
    if concerns:
        found.append(Insight(f"{plural(concerns, 'concern')} waiting for an admin (below)", ""))
    not_yet = unmatched.get("not_matched_yet", 0)
    if not_yet:
        found.append(
            Insight(
                f"{plural(not_yet, 'participant')} not matched yet — run matching",
                f"/match run {program}",
                "match_run",
                "Run matching",
            )
        )
    declined = unmatched.get("declined_or_expired", 0)
    if declined:
        found.append(
            Insight(
                f"{plural(declined, 'participant')} whose proposals were declined or expired — "
                "invite more mentors",
                f"/program invite {program}",
                "invite",
                "Post the invitation",
            )
        )
    if waiting_approval:
        found.append(
            Insight(
                f"{plural(waiting_approval, 'proposed pair')} waiting for approval",
                f"/match review {program}",
                "match_review",
                "Review the proposals",
            )
        )
    if quiet_pairs:
        found.append(
            Insight(
                f"{plural(quiet_pairs, 'pair')} quiet for 21+ days — nudge them",
                f"/program nudge {program}",
                "nudge",
                "Nudge quiet pairs",
            )
        )
    elif needs_check_in:
        found.append(
            Insight(f"Pairs needing a check-in: {needs_check_in}", f"/program show {program}")
        )
    low = [
        f"{round(100 * rate)} % ({moment})"
        for moment, rate in sorted(response_rates.items(), key=lambda item: item[1] or 0)
        if rate is not None and rate < LOW_RESPONSE
    ]
    if low:
        found.append(
            Insight(
                f"Surveys answered by {', '.join(low)} — send a reminder",
                f"/survey remind {program}",
                "remind",
                "Send a reminder",
            )
        )
    return found[:MAX_INSIGHTS]
