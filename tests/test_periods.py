"""Which period is due: weekly, biweekly, monthly, DST, effective_from and validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.periods import (
    Occurrence,
    ScheduleError,
    ScheduleSpec,
    interval_bucket,
    latest_due,
    next_due,
    validate,
)

MON, WED, FRI, SUN = 0, 2, 4, 6
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def spec(
    cadence: str = "weekly",
    weekday: int = MON,
    at: str = "09:00",
    zone: str = "Europe/Berlin",
    since: datetime = SINCE,
) -> ScheduleSpec:
    return ScheduleSpec(cadence, weekday, at, zone, since)


def test_weekly_is_the_latest_occurrence_at_or_before_now():
    # Monday 2026-11-23 09:00 in Berlin (CET, +01:00) is 08:00 UTC.
    assert latest_due(spec(), utc(2026, 11, 23, 8)) == Occurrence(
        "2026-11-23", utc(2026, 11, 23, 8)
    )
    assert latest_due(spec(), utc(2026, 11, 23, 7, 59)).period == "2026-11-16"
    assert latest_due(spec(), utc(2026, 11, 29, 23)).period == "2026-11-23"


def test_nothing_is_due_before_effective_from():
    since = utc(2026, 11, 23, 8, 1)  # one minute after Monday's occurrence
    assert latest_due(spec(since=since), utc(2026, 11, 29)) is None
    assert latest_due(spec(since=since), utc(2026, 11, 30, 8)).period == "2026-11-30"
    # An occurrence exactly at effective_from counts.
    assert latest_due(spec(since=utc(2026, 11, 23, 8)), utc(2026, 11, 23, 8)).period == "2026-11-23"


def test_biweekly_counts_weeks_from_the_week_of_effective_from():
    # Wednesday 2026-11-18 is in the week of Monday 11-16: that week is "on", but its
    # Monday is before effective_from, so the first run is two weeks later.
    s = spec("biweekly", since=utc(2026, 11, 18))
    assert latest_due(s, utc(2026, 11, 25)) is None
    assert next_due(s, utc(2026, 11, 18)).period == "2026-11-30"
    assert latest_due(s, utc(2026, 12, 13)).period == "2026-11-30"
    assert latest_due(s, utc(2026, 12, 14, 8)).period == "2026-12-14"
    # Across the new year (2026 has 53 ISO weeks) the rhythm holds.
    periods = [latest_due(s, utc(2027, 1, d, 12)).period for d in (3, 4, 10, 11, 17, 18)]
    assert periods == ["2026-12-28"] * 3 + ["2027-01-11"] * 3


def test_monthly_is_the_first_such_weekday_of_the_month():
    s = spec("monthly")
    assert latest_due(s, utc(2026, 12, 31)).period == "2026-12-07"
    assert latest_due(s, utc(2027, 1, 31)).period == "2027-01-04"
    assert latest_due(s, utc(2027, 2, 1, 8)).period == "2027-02-01"
    assert latest_due(s, utc(2027, 2, 1, 7)).period == "2027-01-04"
    assert next_due(s, utc(2027, 2, 1, 8)).period == "2027-03-01"


def test_local_time_is_kept_across_dst_in_berlin():
    # Europe/Berlin moves to summer time on Sunday 2027-03-28: +01:00 -> +02:00.
    s = spec(weekday=MON, since=utc(2027, 1, 1))
    assert latest_due(s, utc(2027, 3, 27)).due_at == utc(2027, 3, 22, 8)
    assert latest_due(s, utc(2027, 3, 30)).due_at == utc(2027, 3, 29, 7)


def test_local_time_is_kept_across_dst_in_new_york():
    # America/New_York moves to daylight time on Sunday 2027-03-14: -05:00 -> -04:00.
    s = spec(weekday=FRI, zone="America/New_York", since=utc(2027, 1, 1))
    assert next_due(s, utc(2027, 3, 10)).due_at == utc(2027, 3, 12, 14)
    assert next_due(s, utc(2027, 3, 13)).due_at == utc(2027, 3, 19, 13)


@pytest.mark.parametrize(
    ("zone", "day", "gap_end", "week_after"),
    [
        # 02:00-03:00 local does not exist on these days; the gap ends at 03:00 local.
        ("Europe/Berlin", 28, utc(2027, 3, 28, 1), utc(2027, 4, 4, 0, 30)),
        ("America/New_York", 14, utc(2027, 3, 14, 7), utc(2027, 3, 21, 6, 30)),
    ],
)
def test_a_time_in_the_spring_gap_runs_at_the_end_of_the_gap(zone, day, gap_end, week_after):
    s = spec(weekday=SUN, at="02:30", zone=zone, since=utc(2027, 1, 1))
    assert latest_due(s, utc(2027, 3, day, 12)) == Occurrence(f"2027-03-{day:02}", gap_end)
    assert latest_due(s, gap_end - timedelta(seconds=1)).period != f"2027-03-{day:02}"
    assert next_due(s, gap_end) == Occurrence(week_after.date().isoformat(), week_after)


def test_a_repeated_time_in_the_autumn_runs_at_the_first_of_the_two():
    # Berlin goes back from 03:00 CEST to 02:00 CET on 2027-10-31; 02:30 happens twice.
    s = spec(weekday=SUN, at="02:30", since=utc(2027, 1, 1))
    assert latest_due(s, utc(2027, 10, 31, 12)).due_at == utc(2027, 10, 31, 0, 30)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Sydney"])
@pytest.mark.parametrize("cadence", ["weekly", "biweekly", "monthly"])
@pytest.mark.parametrize("at", ["00:00", "02:30", "09:00", "23:59"])
def test_latest_and_next_agree_over_a_year(zone, cadence, at):
    s = spec(cadence, SUN, at, zone, since=utc(2027, 1, 1))
    previous = None
    # Every 5 h 17 min: all hours of the day come round, both DST changes included.
    for step in range(366 * 24 * 60 // 317):
        now = utc(2027, 1, 1) + timedelta(minutes=317 * step)
        due = latest_due(s, now)
        if due is not None:
            assert s.effective_from <= due.due_at <= now
            assert next_due(s, due.due_at).due_at > now  # nothing due in between
            assert previous is None or due.due_at >= previous
            previous = due.due_at


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("daily", 0, "09:00", "UTC"), "cadence"),
        (("every 2 weeks", 0, "09:00", "UTC"), "cadence"),
        (("weekly", 7, "09:00", "UTC"), "weekday"),
        (("weekly", -1, "09:00", "UTC"), "weekday"),
        (("weekly", "1", "09:00", "UTC"), "weekday"),
        (("weekly", True, "09:00", "UTC"), "weekday"),
        (("weekly", 0, "9:00", "UTC"), "local_time"),
        (("weekly", 0, "24:00", "UTC"), "local_time"),
        (("weekly", 0, "09:60", "UTC"), "local_time"),
        (("weekly", 0, "09:00 ", "UTC"), "local_time"),
        (("weekly", 0, "09:00", "Mars/Olympus"), "timezone"),
        (("weekly", 0, "09:00", "Europe"), "timezone"),
        (("weekly", 0, "09:00", "../etc/passwd"), "timezone"),
        (("weekly", 0, "09:00", ""), "timezone"),
        (("weekly", 0, "09:00", "localtime"), "timezone"),
    ],
)
def test_invalid_settings_name_the_field(args, field):
    with pytest.raises(ScheduleError) as raised:
        validate(*args)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: must be")
    with pytest.raises(ValueError, match=field):
        ScheduleSpec(*args, effective_from=SINCE)


def test_valid_settings_pass():
    for cadence in ("weekly", "biweekly", "monthly"):
        validate(cadence, 6, "23:59", "America/Argentina/Buenos_Aires")
    validate("weekly", 0, "00:00", "UTC")


def test_moments_must_be_aware():
    with pytest.raises(ValueError, match="effective_from"):
        spec(since=datetime(2026, 11, 1))
    with pytest.raises(ValueError, match="now"):
        latest_due(spec(), datetime(2026, 11, 23))


def test_interval_buckets_start_at_whole_multiples_of_every_in_utc():
    hour = timedelta(hours=1)
    assert interval_bucket(hour, utc(2026, 11, 21, 9, 59)) == Occurrence(
        "2026-11-21T09:00:00Z", utc(2026, 11, 21, 9)
    )
    assert (
        interval_bucket(timedelta(days=1), utc(2026, 11, 21, 23)).period == "2026-11-21T00:00:00Z"
    )
    with pytest.raises(ValueError, match="every"):
        interval_bucket(timedelta(0), utc(2026, 11, 21))
