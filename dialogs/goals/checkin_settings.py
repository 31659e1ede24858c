"""When a member's goal check-ins come: cadence, weekday and local time in their own zone.

Each member has one `checkin_settings` row, created with the defaults (every Monday at
09:00) when they add their first goal, and changed with `checkin settings`. The zone is
the one they chose, else their profile's, else Teams' hint, else UTC; it is read at every
run, so a new profile zone counts at once. A change of timing (or turning check-ins on
again) sets `effective_from`, so it never reaches back to a time before the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dialogs.core import i18n, schedule_args
from dialogs.core.local_time import zone_name
from dialogs.core.router import Turn
from scheduler.periods import CADENCES, ScheduleSpec, next_due
from storage.models import CheckinSettings, User
from storage.repos import Repos

_ = i18n.catalog(__package__)

DEFAULT_CADENCE, DEFAULT_WEEKDAY, DEFAULT_TIME = "weekly", 0, "09:00"


def defaults(user_id: int, now: datetime) -> CheckinSettings:
    return CheckinSettings(
        user_id=user_id,
        enabled=True,
        cadence=DEFAULT_CADENCE,
        weekday=DEFAULT_WEEKDAY,
        local_time=DEFAULT_TIME,
        timezone=None,
        effective_from=now,
        updated_at=now,
    )


async def ensure(repos: Repos, user: User, now: datetime) -> tuple[CheckinSettings, bool]:
    """The member's settings row; created (on, with the defaults) when missing."""
    row = await repos.goals.settings(user.id)
    if row is not None:
        return row, False
    return await repos.goals.add_settings(defaults(user.id, now)), True


def zone_of(row: CheckinSettings, profile_tz: str | None, hint: str | None) -> str:
    return zone_name(row.timezone, profile_tz, hint)


def spec(row: CheckinSettings, zone: str) -> ScheduleSpec:
    return ScheduleSpec(row.cadence, row.weekday, row.local_time, zone, row.effective_from)


async def describe(repos: Repos, user: User, row: CheckinSettings, now: datetime) -> str:
    """ "every Monday at 09:00 (Europe/Berlin, from your profile); next: ..." or "off"."""
    if not row.enabled:
        return _("off")
    profile = await repos.profiles.get(user.id)
    profile_tz = profile.timezone if profile else None
    zone = zone_of(row, profile_tz, user.timezone_hint)
    due = next_due(spec(row, zone), now).due_at.astimezone(ZoneInfo(zone))
    values = {
        "day": i18n.weekday_name(row.weekday),
        "time": row.local_time,
        "zone": zone,
        "source": _source(row, zone, profile_tz, user.timezone_hint),
        "next": i18n.when(due, "%A %d %B %Y at %H:%M"),
    }
    if row.cadence == "biweekly":
        return _("every other {day} at {time} ({zone}{source}); next: {next}", **values)
    if row.cadence == "monthly":
        return _("the first {day} of the month at {time} ({zone}{source}); next: {next}", **values)
    return _("every {day} at {time} ({zone}{source}); next: {next}", **values)


def _source(row: CheckinSettings, zone: str, profile_tz: str | None, hint: str | None) -> str:
    if row.timezone:
        return ""
    if zone == profile_tz:
        return _(", from your profile")
    if zone == hint:
        return _(", from Teams")
    return _(", set one with `checkin settings timezone=Europe/Berlin`")


async def settings_command(turn: Turn) -> None:
    """`checkin settings [on|off] [cadence=] [day=] [time=] [timezone=]`."""
    repos, user = turn.repos, turn.user
    words = [w.lower() for w in turn.rest.split()]
    if not turn.args and not words:
        await _show(turn)
        return
    current = await repos.goals.settings(user.id) or defaults(user.id, turn.now)
    change, problem = _parse(turn.args, words, current)
    if problem is not None:
        turn.say(_("{problem} Nothing changed. {how}", problem=problem, how=_how_to_change()))
        return
    row, _created = await ensure(repos, user, turn.now)
    timing = (change.cadence, change.weekday, change.local_time, change.timezone)
    if timing != (row.cadence, row.weekday, row.local_time, row.timezone) or (
        change.enabled and not row.enabled
    ):
        row.effective_from = turn.now  # a change never reaches back
    row.cadence, row.weekday, row.local_time, row.timezone = timing
    row.enabled, row.updated_at = change.enabled, turn.now
    when = await describe(repos, user, row, turn.now)
    turn.say(_("Saved. Your check-ins: {when}.", when=when))


async def _show(turn: Turn) -> None:
    row = await turn.repos.goals.settings(turn.user.id)
    if row is None:
        when = await describe(turn.repos, turn.user, defaults(turn.user.id, turn.now), turn.now)
        turn.say(
            _(
                "Check-ins start when you add your first goal (`goal add`): {when}. {how}",
                when=when,
                how=_how_to_change(),
            )
        )
        return
    when = await describe(turn.repos, turn.user, row, turn.now)
    turn.say(_("Your check-ins: {when}. {how}", when=when, how=_how_to_change()))


@dataclass
class _Change:
    enabled: bool
    cadence: str
    weekday: int
    local_time: str
    timezone: str | None  # None: follow the profile


def _parse(
    args: dict[str, str], words: list[str], row: CheckinSettings
) -> tuple[_Change, str | None]:
    """The settings after the change, or a message saying what is wrong."""
    change = _Change(row.enabled, row.cadence, row.weekday, row.local_time, row.timezone)
    for word in words:
        if word not in ("on", "off"):
            return change, _("I don't understand '{word}'.", word=word)
        change.enabled = word == "on"
    options = {k: v for k, v in args.items() if k in schedule_args.OPTIONS}
    if options.get("cadence", "").strip().lower() == "off":
        change.enabled = False
        del options["cadence"]
    elif "cadence" in options:
        change.enabled = True
    chosen = options.pop("timezone", None)
    if chosen is not None and chosen.strip().lower() not in ("profile", "default", ""):
        options["timezone"] = chosen
    current = schedule_args.Timing(change.cadence, change.weekday, change.local_time, None)
    when, problems = schedule_args.read(options, current)
    if problems:
        return change, _friendly(problems[0])
    change.cadence, change.weekday, change.local_time = when.cadence, when.weekday, when.local_time
    if chosen is not None:
        change.timezone = when.timezone  # None: follow the profile
    return change, None


def _friendly(problem: schedule_args.Problem) -> str:
    if problem.option == "cadence":  # check-ins can also be off
        return _("`cadence=` can be {cadences} or off.", cadences=", ".join(CADENCES))
    return f"`{problem.option}=` {problem.message}."


def _how_to_change() -> str:
    return _(
        "Change with e.g. `checkin settings cadence=biweekly day=friday time=16:30 "
        "timezone=Europe/Berlin` (cadence weekly, biweekly, monthly or off; "
        "`timezone=profile` follows your profile)."
    )
