"""Taking a break and coming back: pause (for good or until a date), resume, opt out, opt in."""

from __future__ import annotations

from dialogs.core import forms, i18n
from dialogs.core.local_time import is_paused, today_of
from dialogs.core.router import Turn

_ = i18n.catalog(__package__)


async def pause(turn: Turn) -> None:
    words = turn.rest.split()
    if not words:
        turn.user.paused, turn.user.paused_until = True, None
        turn.say(_("Paused. I won't pair you or send you check-ins until you type `resume`."))
        return
    if len(words) != 2 or words[0].lower() != "until":
        turn.say(
            _(
                "To pause for a while, type `pause` or `pause until YYYY-MM-DD` "
                "(for example `pause until 2026-12-31`)."
            )
        )
        return
    until = forms.iso_date(words[1])
    today = await today_of(turn.repos, turn.user, turn.now)
    if until is None:
        turn.say(
            _(
                "'{typed}' isn't a date I can read. Use YYYY-MM-DD, "
                "for example `pause until 2026-12-31`. Nothing changed.",
                typed=words[1],
            )
        )
    elif until <= today:
        turn.say(
            _(
                "{until} is not in the future (today is {today}). "
                "Pick a later date. Nothing changed.",
                until=i18n.when(until, "%Y-%m-%d"),
                today=i18n.when(today, "%Y-%m-%d"),
            )
        )
    else:
        turn.user.paused, turn.user.paused_until = True, until
        turn.say(
            _(
                "Paused until {until}. I'll pick up again the day after; "
                "type `resume` to come back sooner.",
                until=i18n.when(until, "%Y-%m-%d"),
            )
        )


async def resume(turn: Turn) -> None:
    was_paused = is_paused(turn.user, await today_of(turn.repos, turn.user, turn.now))
    turn.user.paused, turn.user.paused_until = False, None
    # A coffee ghost pause ends too: `resume` means "I'm back" everywhere.
    was_paused |= bool(await turn.repos.pairing.clear_ghost_pauses(turn.user.id, turn.now))
    turn.say(_("Welcome back! You're active again.") if was_paused else _("You're already active."))


async def opt_out(turn: Turn) -> None:
    turn.user.opted_out = True
    turn.say(
        _(
            "You're opted out: no pairings, check-ins or nudges from me. "
            "Your profile stays; type `opt in` to come back or `delete my data` to remove it."
        )
    )


async def opt_in(turn: Turn) -> None:
    already = not turn.user.opted_out
    turn.user.opted_out = False
    turn.say(_("You're already in.") if already else _("You're back in. Welcome!"))
