"""Insights: at most five short sentences computed from a program's numbers, each with
the chat command that answers it; the tab shows that command as a button (the tab runs
it as if the admin typed it: dialogs/dashboard/actions.py). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.core import i18n

_ = i18n.catalog(__package__)

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
        found.append(
            Insight(
                _.ngettext(
                    "{n} concern waiting for an admin (below)",
                    "{n} concerns waiting for an admin (below)",
                    concerns,
                ),
                "",
            )
        )
    not_yet = unmatched.get("not_matched_yet", 0)
    if not_yet:
        found.append(
            Insight(
                _.ngettext(
                    "{n} participant not matched yet — run matching",
                    "{n} participants not matched yet — run matching",
                    not_yet,
                ),
                f"/match run {program}",  # i18n: not said
                "match_run",
                _("Run matching"),
            )
        )
    declined = unmatched.get("declined_or_expired", 0)
    if declined:
        found.append(
            Insight(
                _.ngettext(
                    "{n} participant whose proposals were declined or expired — invite more "
                    "mentors",
                    "{n} participants whose proposals were declined or expired — invite more "
                    "mentors",
                    declined,
                ),
                f"/program invite {program}",  # i18n: not said
                "invite",
                _("Post the invitation"),
            )
        )
    if waiting_approval:
        found.append(
            Insight(
                _.ngettext(
                    "{n} proposed pair waiting for approval",
                    "{n} proposed pairs waiting for approval",
                    waiting_approval,
                ),
                f"/match review {program}",  # i18n: not said
                "match_review",
                _("Review the proposals"),
            )
        )
    if quiet_pairs:
        found.append(
            Insight(
                _.ngettext(
                    "{n} pair quiet for 21+ days — nudge them",
                    "{n} pairs quiet for 21+ days — nudge them",
                    quiet_pairs,
                ),
                f"/program nudge {program}",  # i18n: not said
                "nudge",
                _("Nudge quiet pairs"),
            )
        )
    elif needs_check_in:
        found.append(
            Insight(
                _("Pairs needing a check-in: {n}", n=needs_check_in),
                f"/program show {program}",  # i18n: not said
            )
        )
    low = [
        _("{percent} % ({moment})", percent=round(100 * rate), moment=moment)
        for moment, rate in sorted(response_rates.items(), key=lambda item: item[1] or 0)
        if rate is not None and rate < LOW_RESPONSE
    ]
    if low:
        found.append(
            Insight(
                _("Surveys answered by {rates} — send a reminder", rates=", ".join(low)),
                f"/survey remind {program}",  # i18n: not said
                "remind",
                _("Send a reminder"),
            )
        )
    return found[:MAX_INSIGHTS]
