"""Where and when a person is, and whether a proactive message may reach them: ONE rule
for every feature.

A person's zone is their profile's, else Teams' hint from their last 1:1 message, else
UTC. Their local day is today in that zone, so "paused until 2026-12-31" ends at the same
moment for coffee rounds, check-ins, reminders and nudges.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import User
from storage.repos import Repos

DEFAULT_ZONE = "UTC"
_NOT_ZONES = ("localtime", "posixrules", "Factory")


@cache
def _valid(name: str) -> bool:
    if name in _NOT_ZONES:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def iana_zone(name: str | None) -> str | None:
    """An IANA zone for a Windows zone name ("W. Europe Standard Time") as Graph's mailbox
    settings give it, by CLDR's windowsZones table (tzlocal keeps it current); an IANA
    name passes through. None when neither."""
    if not name:
        return None
    from tzlocal.windows_tz import win_tz

    mapped = win_tz.get(name.strip(), name.strip())
    return mapped if _valid(mapped) else None


def zone_name(*candidates: str | None) -> str:
    """The first valid IANA zone among the candidates, else UTC."""
    return next((name for name in candidates if name and _valid(name)), DEFAULT_ZONE)


def zone_of(user: User, profile_zone: str | None) -> str:
    """The person's zone, given their profile's zone (None without a profile)."""
    return zone_name(profile_zone, user.timezone_hint)


async def user_zone(repos: Repos, user: User) -> str:
    profile = await repos.profiles.get(user.id)
    return zone_of(user, profile.timezone if profile else None)


async def zones_of(repos: Repos, users: Iterable[User]) -> dict[int, str]:
    """Everyone's zone at once (one query for their profiles)."""
    people = list(users)
    profile_zones = await repos.profiles.zones_of(u.id for u in people)
    return {u.id: zone_of(u, profile_zones.get(u.id)) for u in people}


def local_day(zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone_name(zone))).date()


async def today_of(repos: Repos, user: User, now: datetime) -> date:
    """The date where the person is."""
    return local_day(await user_zone(repos, user), now)


def is_paused(user: User, today: date) -> bool:
    """Paused for good, or until a date (inclusive) in their own zone."""
    return user.paused and (user.paused_until is None or today <= user.paused_until)


def on_break(user: User, today: date) -> bool:
    """Opted out or paused: no pairings, check-ins or nudges for them now."""
    return user.opted_out or is_paused(user, today)


def reachable(user: User, today: date) -> bool:
    """Someone proactive messages may go to: not erased, on a break or unreachable."""
    if user.teams_id is None or user.erased_at is not None:
        return False
    return user.unreachable_at is None and not on_break(user, today)


def status(user: User, today: date) -> str:
    """The person's status as data (the `my data` export keeps it in English; the card
    words it for its reader, dialogs/account/data.py)."""
    if user.opted_out:
        return "opted out"  # i18n: not said
    if is_paused(user, today):
        until = user.paused_until
        return f"paused until {until}" if until else "paused"  # i18n: not said
    return "active"  # i18n: not said
