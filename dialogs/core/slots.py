"""Meeting slots for two or more people: inside everyone's working hours, in each one's
own time zone, and clear of everyone's busy blocks. Pure: plain data in, plain data out.

Working hours come from the directory (mailbox settings, dialogs/directory), busy blocks
from Graph's getSchedule. A slot is a start time (aware, UTC); candidates are tried every
`step` from the window's start, and the chosen ones are spread over different days
first (one a day, earliest first), then filled up in time order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Availability:
    """One person: working days and hours in their zone, and their busy blocks (UTC)."""

    zone: str  # IANA
    start: time
    end: time
    days: frozenset[str] = frozenset(DAYS[:5])
    busy: tuple[tuple[datetime, datetime], ...] = field(default=())

    def works(self, begin: datetime, finish: datetime) -> bool:
        local_begin = begin.astimezone(ZoneInfo(self.zone))
        local_finish = finish.astimezone(ZoneInfo(self.zone))
        if local_begin.date() != local_finish.date() and local_finish.time() != time(0):
            return False  # over midnight: not one working day
        if DAYS[local_begin.weekday()] not in self.days:
            return False
        end_time = local_finish.time() if local_finish.date() == local_begin.date() else time.max
        return self.start <= local_begin.time() and end_time <= self.end

    def free(self, begin: datetime, finish: datetime) -> bool:
        return all(finish <= b_start or b_end <= begin for b_start, b_end in self.busy)


def free_slots(
    people: Sequence[Availability],
    window_start: datetime,
    window_end: datetime,
    length: timedelta,
    *,
    count: int = 3,
    step: timedelta = timedelta(minutes=30),
) -> list[datetime]:
    """Up to `count` starts (UTC) when everyone works and nobody is busy."""
    if not people or length <= timedelta(0) or step <= timedelta(0) or count < 1:
        return []
    fitting = [
        s for s in _candidates(window_start, window_end, length, step) if _fits(people, s, length)
    ]
    return _spread(fitting, count)


def _candidates(
    start: datetime, end: datetime, length: timedelta, step: timedelta
) -> list[datetime]:
    first = _round_up(start.astimezone(UTC), step)
    found, at = [], first
    while at + length <= end:
        found.append(at)
        at += step
    return found


def _round_up(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - moment) // step)  # ceiling division of timedeltas
    return epoch + steps * step


def _fits(people: Sequence[Availability], start: datetime, length: timedelta) -> bool:
    finish = start + length
    return all(p.works(start, finish) and p.free(start, finish) for p in people)


def _spread(slots: list[datetime], count: int) -> list[datetime]:
    by_day: dict[date, datetime] = {}
    for slot in slots:
        by_day.setdefault(slot.date(), slot)
    chosen = list(by_day.values())[:count]
    for slot in slots:
        if len(chosen) >= count:
            break
        if slot not in chosen:
            chosen.append(slot)
    return sorted(chosen)
