"""The one reader of schedule options typed by people: `day=`, `time=`, `timezone=` and
`cadence=` (coffee rounds, icebreakers and check-ins all take them).

`read()` applies the options to a timing and checks the result with the scheduler's own
validator, so nothing a command accepts can fail later in a job. Problems name the option
as typed; each feature words them in its reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from dialogs.core import i18n
from dialogs.core.i18n import N_
from scheduler.periods import WEEKDAYS, ScheduleError, validate

OPTIONS = ("day", "time", "timezone", "cadence")
# Words people use for the cadences the scheduler knows.
CADENCE_WORDS = {
    "weekly": "weekly",
    "biweekly": "biweekly",
    "fortnightly": "biweekly",
    "every-2-weeks": "biweekly",
    "2weeks": "biweekly",
    "monthly": "monthly",
}
# periods.validate names its fields; people typed options.
_OPTION_OF_FIELD = {"weekday": "day", "local_time": "time", "timezone": "timezone"}
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")
_ = i18n.catalog(__package__)


@dataclass(frozen=True)
class Timing:
    cadence: str
    weekday: int  # 0 = Monday
    local_time: str  # HH:MM
    timezone: str | None  # None: the caller decides (check-ins follow the profile)


_GOOD = Timing("weekly", 0, "09:00", "UTC")  # each option is checked against these


@dataclass(frozen=True)
class Problem:
    option: str  # "day", "time", "timezone" or "cadence"
    message: str  # what is wrong, without the option's name


def weekday(text: str) -> int | None:
    """0 for "monday", "Mon" or "mon", and for the name or abbreviation in any language
    Mentorbot writes ("montag", "lunes", "lundi", "月曜日", "月"); None for anything that
    names no single weekday."""
    wanted = text.strip().lower()
    if len(wanted) >= 3:
        found = [n for n, name in enumerate(WEEKDAYS) if name.lower().startswith(wanted)]
        if len(found) == 1:
            return found[0]
    # Other languages' names are read only when English named none (Babel loads then).
    return i18n.weekdays_by_name().get(wanted.rstrip(".")) if wanted else None


def hhmm(text: str) -> str:
    """ "9:30" -> "09:30"; anything else is left as typed, for the validator to name."""
    match = _HHMM.fullmatch(text.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else text.strip()


def cadence(text: str) -> str | None:
    return CADENCE_WORDS.get(text.strip().lower())


def read(options: Mapping[str, str], timing: Timing) -> tuple[Timing, list[Problem]]:
    """The timing with the typed options applied, and everything wrong with them, each
    option checked on its own (the caller applies nothing unless the list is empty).
    Options not in OPTIONS are left to the caller."""
    problems: list[Problem] = []
    if "day" in options:
        day = weekday(options["day"])
        if day is None:
            message = _("'{day}' is not a weekday; use e.g. monday", day=options["day"])
            problems.append(Problem("day", message))
        else:
            timing = replace(timing, weekday=day)
    if "time" in options:
        timing = replace(timing, local_time=hhmm(options["time"]))
        problems += check(replace(_GOOD, local_time=timing.local_time))
    if "timezone" in options:
        timing = replace(timing, timezone=options["timezone"].strip())
        problems += check(replace(_GOOD, timezone=timing.timezone))
    if "cadence" in options:
        typed = options["cadence"].strip()
        timing = replace(timing, cadence=cadence(typed) or typed.lower())
        problems += check(replace(_GOOD, cadence=timing.cadence))
    return timing, problems or check(timing)


def check(timing: Timing) -> list[Problem]:
    """What the scheduler would refuse in this timing (a None zone is checked as UTC)."""
    try:
        validate(timing.cadence, timing.weekday, timing.local_time, timing.timezone or "UTC")
    except ScheduleError as exc:
        option = _OPTION_OF_FIELD.get(exc.field, exc.field)
        return [Problem(option, _said(exc, timing))]
    return []


# What periods.validate says of each field (its English), for the reader's language.
_REFUSALS = {
    "cadence": N_("must be weekly, biweekly (every 2 weeks) or monthly, not {value}"),
    "weekday": N_("must be a number from 0 (Monday) to 6 (Sunday), not {value}"),
    "local_time": N_("must be a 24-hour time as HH:MM, e.g. 09:30, not {value}"),
    "timezone": N_("must be an IANA time zone such as Europe/Berlin, not {value}"),
}


def _said(exc: ScheduleError, timing: Timing) -> str:
    """The scheduler's refusal without the field's name, in the language in force when
    it is one of the refusals above as periods.validate words it (else its English)."""
    english = str(exc).split(": ", 1)[1]
    message = _REFUSALS.get(exc.field)
    if message is None:
        return english
    typed = (timing.timezone or "UTC") if exc.field == "timezone" else getattr(timing, exc.field)
    value = repr(typed)
    return _(message, value=value) if message.format(value=value) == english else english
