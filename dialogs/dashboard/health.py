"""Match health: every live mentorship is "on track", "needs a check-in" or "too early
to tell", decided from facts, with the reason shown. Pure: plain values in, a verdict out.

The rule, in order:
1. not confirmed yet (agreeing), or running less than one cadence interval in the
   window and never quiet for 21 days: too early to tell;
2. quiet (no agenda or notes, counted from the later of the last one and the start) for
   `QUIET_DAYS` or more: needs a check-in;
3. a goal of either side is blocked: needs a check-in;
4. fewer sessions in the window than whole cadence intervals run (metrics.pair_at_cadence
   is False): needs a check-in;
5. otherwise: on track.

Over time (`states_at_end`): each pair's state at the end of a month, by the same rule
from that month's facts: its status then (agreeing until both confirmed), at cadence in
the month, and quiet days at the month's end from its last notes or agenda before it.
Goals keep no history of their status, so a blocked goal counts in today's list only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import dialogs.feedback.metrics as metrics
from dialogs.core import i18n
from dialogs.core.i18n import N_
from storage.repos.feedback import ProgramFacts

_ = i18n.catalog(__package__)
# The states are keys too (the page's filter): shown translated, compared in English.
ON_TRACK, CHECK_IN, TOO_EARLY = N_("on track"), N_("needs a check-in"), N_("too early to tell")
STATES = (ON_TRACK, CHECK_IN, TOO_EARLY)
QUIET_DAYS = 21
QUIET = timedelta(days=QUIET_DAYS)


@dataclass(frozen=True)
class Verdict:
    state: str
    reason: str


def verdict(
    status: str, at_cadence: bool | None, quiet_days: float | None, blocked: bool
) -> Verdict:
    quiet = quiet_days is not None and quiet_days >= QUIET_DAYS
    if status == "agreeing":
        return Verdict(TOO_EARLY, _("the agreement is not confirmed by both yet"))
    if quiet:
        return Verdict(CHECK_IN, _("quiet for {days} days", days=int(quiet_days or 0)))
    if blocked:
        return Verdict(CHECK_IN, _("a goal is blocked"))
    if at_cadence is None:
        return Verdict(TOO_EARLY, _("running less than one meeting interval"))
    if not at_cadence:
        return Verdict(CHECK_IN, _("meeting less often than agreed"))
    return Verdict(ON_TRACK, _("meeting at the agreed cadence"))


def counts(verdicts: list[Verdict]) -> dict[str, int]:
    found = {state: 0 for state in STATES}
    for v in verdicts:
        found[v.state] += 1
    return found


def states_at_end(
    f: ProgramFacts, now: datetime, at_cadence: dict[int, bool | None] | None = None
) -> dict[str, int]:
    """How many pairs were in each state at the end of the facts' window (or now, when
    that is earlier); pairs not made yet or ended by then are not counted. `at_cadence`:
    each pair's metrics.pair_at_cadence of these facts, when the caller has it already
    (metrics.activity); `verdict`'s rule for a running pair without a blocked goal."""
    until = min(f.end, now)
    cadence = at_cadence if at_cadence is not None else metrics.activity(f).at_cadence
    last_at = {s.mentorship_id: s.last_at for s in f.sessions}
    too_early = check_in = on_track = 0
    for p in f.pairs:
        if p.created_at >= until or (p.ended_at is not None and p.ended_at < until):
            continue
        began = p.started_at
        if began is None or began >= until:
            too_early += 1
            continue
        last = last_at.get(p.id)
        since = last if last is not None and last > began else began
        if until - since >= QUIET:  # the same as its days >= QUIET_DAYS, whole days
            check_in += 1
            continue
        met = cadence[p.id]
        if met is None:
            too_early += 1
        elif met:
            on_track += 1
        else:
            check_in += 1
    return {ON_TRACK: on_track, CHECK_IN: check_in, TOO_EARLY: too_early}
