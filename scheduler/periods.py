"""When a period is due: pure functions over a schedule spec and a moment (no I/O, no clock).

A team's schedule says "weekly | biweekly | monthly, on weekday W, at HH:MM in zone Z".
Each occurrence is one *period*, keyed by the occurrence's local date ("2026-11-23").

Rules worth knowing:
- biweekly: the ISO week (Monday to Sunday) that contains `effective_from`'s local date
  is an "on" week; every second week from it is too. Counting weeks from that Monday,
  not ISO week numbers, keeps the rhythm across years with 53 weeks.
- monthly: the first such weekday of each month (day 1 to 7).
- DST: the local time is kept (09:00 stays 09:00 local when the offset changes).
  A local time that does not exist (the spring-forward gap, e.g. 02:30 in Berlin on
  2027-03-28) runs at the next valid instant, the end of the gap (03:00 local), as cron
  does. A local time that happens twice (fall back) runs at the first of the two.
- `effective_from`: occurrences before it never count, so a new or changed schedule
  never reaches back in time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CADENCES = ("weekly", "biweekly", "monthly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Files in the zone database that are not places: their meaning depends on the machine.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


class ScheduleError(ValueError):
    """A schedule setting that cannot work; `field` names the setting, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Occurrence(NamedTuple):
    period: str  # the key of the period in job_runs
    due_at: datetime  # aware UTC


@dataclass(frozen=True)
class ScheduleSpec:
    cadence: str
    weekday: int  # 0 = Monday
    local_time: str  # HH:MM, 24-hour
    timezone: str  # IANA name, e.g. Europe/Berlin
    effective_from: datetime  # aware; no occurrence before it counts

    def __post_init__(self) -> None:
        validate(self.cadence, self.weekday, self.local_time, self.timezone)
        _require_aware("effective_from", self.effective_from)


def validate(cadence: str, weekday: int, local_time: str, timezone: str) -> None:
    """Raise ScheduleError naming the first bad setting (admin commands show the message)."""
    if cadence not in CADENCES:
        raise ScheduleError(
            "cadence", f"must be weekly, biweekly (every 2 weeks) or monthly, not {cadence!r}"
        )
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ScheduleError(
            "weekday", f"must be a number from 0 (Monday) to 6 (Sunday), not {weekday!r}"
        )
    if not isinstance(local_time, str) or not _HHMM.fullmatch(local_time):
        raise ScheduleError(
            "local_time", f"must be a 24-hour time as HH:MM, e.g. 09:30, not {local_time!r}"
        )
    _zone(timezone)


def latest_due(spec: ScheduleSpec, now: datetime) -> Occurrence | None:
    """The latest occurrence with effective_from <= due_at <= now, or None."""
    _require_aware("now", now)
    zone = _zone(spec.timezone)
    for day in _dates(spec, now.astimezone(zone).date(), step=-1):
        due = _instant(day, _time(spec.local_time), zone)
        if due <= now:
            # Occurrences only get earlier from here, so the first one decides.
            return Occurrence(day.isoformat(), due) if due >= spec.effective_from else None
    raise AssertionError("unreachable: _dates never ends")


def next_due(spec: ScheduleSpec, after: datetime) -> Occurrence:
    """The first occurrence with due_at > after (and not before effective_from); for display."""
    _require_aware("after", after)
    zone = _zone(spec.timezone)
    start = max(after, spec.effective_from).astimezone(zone).date()
    for day in _dates(spec, start, step=1):
        due = _instant(day, _time(spec.local_time), zone)
        if due > after and due >= spec.effective_from:
            return Occurrence(day.isoformat(), due)
    raise AssertionError("unreachable: _dates never ends")


def interval_bucket(every: timedelta, now: datetime) -> Occurrence:
    """The fixed-length UTC bucket holding `now` (buckets count from the Unix epoch)."""
    _require_aware("now", now)
    if every <= timedelta(0):
        raise ValueError(f"every: must be a positive duration, not {every}")
    start = _EPOCH + (now - _EPOCH) // every * every
    return Occurrence(start.strftime("%Y-%m-%dT%H:%M:%SZ"), start)


def _dates(spec: ScheduleSpec, start: date, step: int) -> Iterator[date]:
    """Occurrence dates from `start` (inclusive), forward (step=1) or back (step=-1), unending."""
    day = start + timedelta(days=step * ((step * (spec.weekday - start.weekday())) % 7))
    while True:
        if _on(spec, day):
            yield day
        day += timedelta(weeks=step)


def _on(spec: ScheduleSpec, day: date) -> bool:
    """Whether a date with the right weekday is an occurrence under the cadence."""
    if spec.cadence == "monthly":
        return day.day <= 7
    if spec.cadence == "biweekly":
        anchor = _monday(spec.effective_from.astimezone(_zone(spec.timezone)).date())
        return (_monday(day) - anchor).days // 7 % 2 == 0
    return True


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local date and time; see the module docstring for DST."""
    local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of a repeated time
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return utc
    return _gap_end(local, zone)


def _gap_end(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after a spring-forward gap that `local` falls into.

    zoneinfo has no transition API, so bisect (to the second) between the gap time read
    with the offset after the change (an instant before it) and with the offset before
    (an instant after it).
    """
    before = local.replace(fold=1).astimezone(UTC)
    after = local.replace(fold=0).astimezone(UTC)
    offset_after = after.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def _time(local_time: str) -> time:
    hours, minutes = local_time.split(":")
    return time(int(hours), int(minutes))


def _zone(name: str) -> ZoneInfo:
    try:
        if name not in _NOT_PLACES:
            return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        pass
    raise ScheduleError(
        "timezone", f"must be an IANA time zone such as Europe/Berlin, not {name!r}"
    )


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: must be a timezone-aware datetime")
