"""Meeting slots: both people's working hours in their own zones, and busy blocks."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from dialogs.core.slots import Availability, free_slots

HOUR = timedelta(hours=1)
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)  # winter: Berlin UTC+1, New York UTC-5


def nine_to_five(zone: str, **more) -> Availability:
    return Availability(zone, time(9), time(17), **more)


def test_berlin_and_new_york_meet_only_in_the_overlap():
    berlin, new_york = nine_to_five("Europe/Berlin"), nine_to_five("America/New_York")
    slots = free_slots([berlin, new_york], MONDAY, MONDAY + timedelta(days=1), HOUR, count=10)
    # 15:00-17:00 in Berlin is 09:00-11:00 in New York: 14:00-16:00 UTC.
    assert [s.strftime("%H:%M") for s in slots] == ["14:00", "14:30", "15:00"]
    for s in slots:
        assert time(15) <= s.astimezone(berlin_zone()).time() and (s + HOUR).astimezone(
            berlin_zone()
        ).time() <= time(17)


def berlin_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


def test_busy_blocks_and_weekends_are_left_out_and_days_are_spread():
    busy = ((MONDAY + timedelta(hours=14), MONDAY + timedelta(hours=15)),)
    people = [nine_to_five("Europe/Berlin"), nine_to_five("America/New_York", busy=busy)]
    friday = MONDAY + timedelta(days=4)
    slots = free_slots(people, friday, friday + timedelta(days=4), HOUR)
    # One a day first (Friday, then Monday: the weekend is nobody's working day), then
    # the earliest left; in time order.
    assert [s.strftime("%a %H:%M") for s in slots] == ["Fri 14:00", "Fri 14:30", "Mon 14:00"]
    week = free_slots(people, MONDAY, MONDAY + timedelta(days=14), HOUR)
    assert week[0] == MONDAY + timedelta(hours=15)  # Monday 14:00 UTC is busy
    assert len({s.date() for s in week}) == 3


def test_no_overlap_means_no_slot():
    tokyo = nine_to_five("Asia/Tokyo")  # 00:00-08:00 UTC
    new_york = nine_to_five("America/New_York")  # 14:00-22:00 UTC
    assert free_slots([tokyo, new_york], MONDAY, MONDAY + timedelta(days=14), HOUR) == []
    assert free_slots([], MONDAY, MONDAY + timedelta(days=1), HOUR) == []


def test_summer_time_moves_the_overlap():
    june = datetime(2027, 6, 7, tzinfo=UTC)  # Berlin UTC+2, New York UTC-4: still 6 h apart
    people = [nine_to_five("Europe/Berlin"), nine_to_five("America/New_York")]
    slots = free_slots(people, june, june + timedelta(days=1), HOUR, count=5)
    assert [s.strftime("%H:%M") for s in slots] == ["13:00", "13:30", "14:00"]
    march = datetime(2027, 3, 15, tzinfo=UTC)  # New York on summer time, Berlin not yet: 5 h
    slots = free_slots(people, march, march + timedelta(days=1), HOUR, count=5)
    assert [s.strftime("%H:%M") for s in slots] == ["13:00", "13:30", "14:00", "14:30", "15:00"]
