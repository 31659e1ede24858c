"""The stretch a time falls in, as the batched fact reads put it in SQL (`_Cuts`: a binary
search of nested CASEs), against its definition: the first bound the time is before, the
number of bounds when it is before none, or NULL. On both databases, with times at, just
before and just after every bound, for any number of bounds from one to seventeen."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, literal, null, select

from storage import Database
from storage.models import UTCDateTime
from storage.repos.feedback import _Cuts

START = datetime(2026, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def _windows(n: int) -> list[tuple[datetime, datetime]]:
    """n distinct bounds, 30 days and some hours apart (not midnights), as windows."""
    bounds = [START + timedelta(days=30 * i, hours=i) for i in range(n)]
    return [(bounds[0], b) for b in bounds]


def _probes(bounds: list[datetime]) -> list[datetime]:
    around = [t + d for t in bounds for d in (-TICK, timedelta(0), TICK)]
    return [bounds[0] - timedelta(days=400), *around, bounds[-1] + timedelta(days=400)]


async def test_a_times_stretch_is_the_first_bound_it_is_before(database_url):
    db = Database(database_url)
    try:
        async with db.unit() as repos:
            conn = await repos.session.connection()
            for n in range(1, 18):
                cut = _Cuts(_windows(n))
                times = _probes(cut.bounds)
                days = sorted({t.date() for t in times})
                stmt = select(
                    *(cut.stretch(literal(t, UTCDateTime())) for t in times),
                    *(cut.day_stretch(literal(d, Date())) for d in days),
                    cut.stretch(null()),
                    cut.day_stretch(null()),
                )
                got = list((await conn.execute(stmt)).one())
                want = [bisect_right(cut.bounds, t) for t in times]
                want += [bisect_right(cut.days, d) for d in days]
                want += [len(cut.bounds), len(cut.days)]
                assert got == want, n
                assert isinstance(days[0], date)
    finally:
        await db.dispose()
