"""Time zones as people know them: "Berlin, Germany (UTC+1)", found by typing a city,
a country or an IANA name.

The names come from the IANA time zone database as the `tzdata` package ships it:
`zone.tab` (each zone's country, and a note such as "Mountain (most areas)" that is
searched but not shown) and `iso3166.tab` (country names). Nothing here is written by
hand, so a new tzdata release brings its new zones and names. Offsets are the ones in
force at `now` (summer time included).
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process

from dialogs.core import i18n

_ = i18n.catalog(__package__)

MAX_FOUND = 8
FUZZY_CUTOFF = 80


@dataclass(frozen=True)
class Place:
    zone: str  # the IANA name, e.g. "Europe/Berlin"
    city: str  # "Berlin"
    country: str  # "Germany"
    comment: str  # zone.tab's note within the country, often ""
    words: str  # everything searchable, folded: "berlin germany europe/berlin"
    code: str = ""  # the country's ISO 3166 code: "DE"


@cache
def known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _table(name: str) -> list[list[str]]:
    text = (resources.files("tzdata") / "zoneinfo" / name).read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


def fold(text: str) -> str:
    """Lower case without accents: "São Paulo" and "sao paulo" look the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@cache
def places() -> dict[str, Place]:
    countries = {row[0]: row[1] for row in _table("iso3166.tab")}
    found = {}
    for row in _table("zone.tab"):
        code, zone = row[0], row[2]
        if zone not in known():
            continue
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        comment = row[3] if len(row) > 3 else ""
        country = countries.get(code, code)
        words = fold(f"{city} {country} {zone} {comment}")
        found[zone] = Place(zone, city, country, comment, words, code)
    return found


@cache
def _main_zones() -> frozenset[str]:
    """Each country's first zone in zone.tab, which lists a country's most populous
    zone first."""
    first: dict[str, str] = {}
    for row in _table("zone.tab"):
        if row[2] in known():
            first.setdefault(row[0], row[2])
    return frozenset(first.values())


def offset_text(zone: str, now: datetime) -> str:
    offset = now.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def friendly(zone: str, now: datetime) -> str:
    """ "Berlin, Germany (UTC+1)"; a zone without a place (UTC, "US/Eastern") keeps its
    IANA name: "US/Eastern (UTC-5)"."""
    place = places().get(zone)
    offset = offset_text(zone, now)
    if place is None:
        return zone if zone == offset else f"{zone} ({offset})"
    language = i18n.current()
    if language == i18n.SOURCE:
        return f"{place.city}, {place.country} ({offset})"
    city, country = _named_in(zone, language)
    return _("{city}, {country} ({offset})", city=city, country=country, offset=offset)


@cache
def _named_in(zone: str, language: str) -> tuple[str, str]:
    """The city and country of a zone as `language` names them (CLDR, through Babel):
    "Tokio, Japan" in German, "東京、日本" in Japanese; zone.tab's where CLDR has none."""
    from babel import Locale
    from babel.dates import get_timezone_location

    place = places()[zone]
    try:
        city = str(get_timezone_location(zoneinfo.ZoneInfo(zone), language, return_city=True))
    except (LookupError, ValueError):
        city = place.city
    country = Locale.parse(language).territories.get(place.code, place.country)
    return city or place.city, str(country)


def search(query: str, limit: int = MAX_FOUND) -> list[str]:
    """Zones for what someone typed: an exact IANA name alone, else cities first (the
    start of a name before the middle), then countries and notes."""
    typed = query.strip()
    if typed in known():
        return [typed]
    wanted = fold(typed)
    if len(wanted) < 2:
        return []
    all_places = list(places().values())
    ranked = sorted(
        (p for p in all_places if wanted in p.words),
        key=lambda p: (_rank(p, wanted), p.city),
    )
    return [p.zone for p in ranked[:limit]]


def near(query: str, limit: int = MAX_FOUND) -> list[str]:
    """Cities spelled nearly so ("Tokio", "Sidney"): to offer, never to take unasked."""
    wanted = fold(query)
    if len(wanted) < 3:
        return []
    cities = {p.zone: fold(p.city) for p in places().values()}
    found = process.extract(wanted, cities, scorer=fuzz.WRatio, limit=limit)
    return [zone for _city, score, zone in found if score >= FUZZY_CUTOFF]


def _rank(place: Place, wanted: str) -> int:
    city = fold(place.city)
    if city == wanted:
        return 0
    if city.startswith(wanted):
        return 1
    if wanted in city:
        return 2
    if fold(place.country).startswith(wanted):
        return 3
    return 4


def choices(selected: str, now: datetime) -> list[dict[str, str]]:
    """The list for a card, in order of offset then name: the selected zone, every zone
    of its country, every country's main zone in its part of the world (Europe,
    America, ...), and one zone for each offset in use, a country's main zone where one
    has it (all 418 zones would not fit a Teams message beside a profile form;
    `search` finds every one)."""
    everything, main = places(), _main_zones()
    picked = {selected} if selected in known() else set()
    country = everything[selected].country if selected in everything else None
    picked |= {p.zone for p in everything.values() if p.country == country}
    area = selected.split("/", 1)[0] + "/" if "/" in selected else None
    picked |= {z for z in main if area and z.startswith(area)}
    by_offset: dict[str, str] = {}
    for zone in sorted(everything, key=lambda z: (z not in main, -_reach().get(z, 0), z)):
        by_offset.setdefault(offset_text(zone, now), zone)
    picked |= set(by_offset.values())
    titled = [(_minutes(zone, now), friendly(zone, now), zone) for zone in picked]
    return [{"title": title, "value": zone} for _m, title, zone in sorted(titled)]


@cache
def _reach() -> dict[str, int]:
    """How many countries each zone stands for (zone1970.tab): one per offset is the
    widest."""
    return {row[2]: len(row[0].split(",")) for row in _table("zone1970.tab")}


def _minutes(zone: str, now: datetime) -> float:
    offset = now.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() or timedelta(0)
    return offset.total_seconds()
