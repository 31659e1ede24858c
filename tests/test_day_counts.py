"""Migration 0023's per-day counts against a recount from the raw rows, on both databases.

`checkin_days`, through every way the rows change: check-ins made (scheduled and manual, of
people enrolled and not), answered, moved to another day, turned manual, deleted; people
enrolling with check-ins already made, an enrolment's time changed, an enrolment deleted;
and a person's erasure (`delete my data`: their check-ins go, their enrolments are left
off). After each, the page's check-in counts per window (read from the summary when the
bounds are midnights) equal the plain one-window read, and so do non-midnight windows
(read from the check-ins).

`survey_days`, through surveys made (a program's and a coffee team's), invites sent and
answered (the repository's counters), a survey moved to another day and another moment,
a person's erasure (their invites taken out of the counters) and a survey deleted; after
each, the page's invites per window equal the plain read.

And the upgrade's backfill, on a database with a year in it, equals the recount too."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from dialogs.dashboard.pages import buckets
from dialogs.feedback import metrics
from dialogs.feedback.lookup import Window
from storage import Database
from storage.models import Checkin, CheckinDay, Enrolment, Survey, SurveyDay, SurveyInvite, User


def _day(t: datetime) -> object:
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).date()


async def _recount(repos: object) -> Counter[tuple[object, ...]]:
    s = repos.session  # type: ignore[attr-defined]
    checkins = (
        await s.execute(
            select(Checkin.user_id, Checkin.trigger, Checkin.due_at, Checkin.answered_at)
        )
    ).all()
    enrolments = (
        await s.execute(select(Enrolment.program_id, Enrolment.user_id, Enrolment.created_at))
    ).all()
    found: Counter[tuple[object, ...]] = Counter()
    for program, person, enrolled in enrolments:
        for user, trigger, due, answered in checkins:
            if user == person and trigger == "schedule":
                key = (program, _day(due), _day(enrolled))
                found[(*key, "sent")] += 1
                found[(*key, "answered")] += answered is not None
    return +found  # zero counts dropped


async def _summary(repos: object) -> Counter[tuple[object, ...]]:
    s = repos.session  # type: ignore[attr-defined]
    rows = (await s.execute(select(CheckinDay))).scalars().all()
    found: Counter[tuple[object, ...]] = Counter()
    for r in rows:
        found[(r.program_id, r.due_on, r.enrolled_on, "sent")] = r.sent
        found[(r.program_id, r.due_on, r.enrolled_on, "answered")] = r.answered
    return +found


async def _same_as_recount(db: Database, label: str) -> None:
    async with db.unit() as repos:
        summary, recount = await _summary(repos), await _recount(repos)
        assert summary == recount, label
        assert all(v >= 0 for v in summary.values()), label
        program = await repos.programs.get(1)
        assert program is not None
        end = metrics.program_end(program.ends_on, program.closed_at)
        whole = Window(seeded_start(), seeded_end())
        midnights = [(w.start, w.end) for w in [whole, whole.before(), *buckets(whole)]]
        odd = [(s + timedelta(hours=9, minutes=30), e + timedelta(hours=9)) for s, e in midnights]
        for windows in (midnights, odd):
            facts = await repos.feedback.program_facts(program, windows, end)
            for f, (start, stop) in zip(facts, windows, strict=True):
                plain = await repos.feedback._checkins(program.id, start, stop)
                assert (f.checkins_sent, f.checkins_answered) == plain, (label, start, stop)


def seeded_start() -> object:
    from bench import metrics as seeded

    return seeded.START


def seeded_end() -> object:
    from bench import metrics as seeded

    return seeded.END + timedelta(days=40)


async def test_checkin_days_equal_a_recount_through_every_change(database_url):
    from bench import metrics as seeded

    data = seeded.build(40, 5)
    db = Database(database_url)
    try:
        await db.migrate()
        await seeded.load(db, data)
        await _same_as_recount(db, "loaded")
        async with db.unit() as repos:
            s = repos.session
            enrolled = sorted(set((await s.execute(select(Enrolment.user_id))).scalars()))
            everyone = sorted(set((await s.execute(select(User.id))).scalars()))
            outside = [u for u in everyone if u not in set(enrolled)]
            counted = select(Checkin.user_id).group_by(Checkin.user_id)
            busy = list(
                (await s.execute(counted.order_by(func.count().desc(), Checkin.user_id))).scalars()
            )
            busy = [u for u in busy if u in set(enrolled)]
            assert outside and len(busy) > 7
            base = datetime(2026, 3, 2, 9, tzinfo=UTC)
            made = [
                {
                    "user_id": u,
                    "period": f"t{n}",
                    "trigger": trig,
                    "goal_ids": [],
                    "due_at": base + timedelta(days=n, hours=n % 20),
                    "created_at": base,
                    "answered_at": base + timedelta(days=n + 1) if n % 3 else None,
                }
                for n, (u, trig) in enumerate(
                    [
                        (enrolled[0], "schedule"),
                        (enrolled[1], "manual"),
                        (outside[0], "schedule"),
                        (enrolled[2], "schedule"),
                        (enrolled[2], "schedule"),
                    ]
                )
            ]
            await s.execute(insert(Checkin), made)
        await _same_as_recount(db, "made")
        async with db.unit() as repos:
            s = repos.session
            ids = list(
                (
                    await s.execute(
                        select(Checkin.id).where(Checkin.user_id == busy[0]).order_by(Checkin.id)
                    )
                ).scalars()
            )
            await s.execute(update(Checkin).where(Checkin.id == ids[0]).values(answered_at=base))
            await s.execute(update(Checkin).where(Checkin.id == ids[1]).values(answered_at=None))
            await s.execute(
                update(Checkin)
                .where(Checkin.id == ids[2])
                .values(due_at=base + timedelta(days=40, hours=23))
            )
            await s.execute(update(Checkin).where(Checkin.id == ids[3]).values(trigger="manual"))
            await s.execute(
                update(Checkin).where(Checkin.id == ids[4]).values(user_id=busy[1], period="moved")
            )
            await s.execute(delete(Checkin).where(Checkin.id.in_(ids[5:8])))
        await _same_as_recount(db, "changed")
        async with db.unit() as repos:
            s = repos.session
            await s.execute(
                insert(Enrolment),
                [
                    {
                        "program_id": 1,
                        "user_id": outside[0],
                        "role": "mentee",
                        "wants": "",
                        "active": True,
                        "priority": False,
                        "created_at": base - timedelta(days=9, hours=5),
                        "updated_at": base,
                    }
                ],
            )
        await _same_as_recount(db, "enrolled with check-ins made")
        async with db.unit() as repos:
            s = repos.session
            await s.execute(
                update(Enrolment)
                .where(Enrolment.user_id == busy[2])
                .values(created_at=base + timedelta(days=60, hours=3))
            )
            await s.execute(delete(Enrolment).where(Enrolment.user_id == busy[3]))
        await _same_as_recount(db, "enrolment moved and deleted")
        async with db.unit() as repos:
            now = datetime(2027, 1, 10, tzinfo=UTC)
            for person in busy[4:7]:
                await repos.goals.erase_user(person)
                await repos.programs.erase_user(person, now)
        await _same_as_recount(db, "erased")
    finally:
        await db.dispose()


async def _surveys_same_as_recount(db: Database, label: str) -> None:
    async with db.unit() as repos:
        s = repos.session
        recount: Counter[tuple[object, ...]] = Counter()
        rows = await s.execute(
            select(Survey.program_id, Survey.moment, Survey.moment_at, Survey.sent, Survey.answered)
        )
        for program, moment, at, sent, answered in rows:
            if program is not None:
                recount[(program, moment, _day(at), "sent")] += sent
                recount[(program, moment, _day(at), "answered")] += answered
        summary: Counter[tuple[object, ...]] = Counter()
        for r in (await s.execute(select(SurveyDay))).scalars():
            summary[(r.program_id, r.moment, r.moment_on, "sent")] = r.sent
            summary[(r.program_id, r.moment, r.moment_on, "answered")] = r.answered
        assert +summary == +recount, label
        assert all(v >= 0 for v in summary.values()), label
        program = await repos.programs.get(1)
        assert program is not None
        end = metrics.program_end(program.ends_on, program.closed_at)
        whole = Window(seeded_start(), seeded_end())
        midnights = [(w.start, w.end) for w in [whole, whole.before(), *buckets(whole)]]
        odd = [(s + timedelta(hours=9, minutes=30), e + timedelta(hours=9)) for s, e in midnights]
        where = Survey.program_id == program.id
        for windows in (midnights, odd):
            facts = await repos.feedback.program_facts(program, windows, end)
            for f, (start, stop) in zip(facts, windows, strict=True):
                assert f.invites == await repos.feedback._invites(where, start, stop), (
                    label,
                    start,
                )


async def test_survey_days_equal_a_recount_through_every_change(database_url):
    from bench import metrics as seeded

    data = seeded.build(40, 6)
    db = Database(database_url)
    try:
        await db.migrate()
        await seeded.load(db, data)
        await _surveys_same_as_recount(db, "loaded")
        base = datetime(2026, 4, 6, 9, tzinfo=UTC)
        async with db.unit() as repos:
            s = repos.session
            model = (
                await s.execute(select(Survey).where(Survey.program_id == 1).limit(1))
            ).scalar_one()
            made = [
                {
                    "key": f"t{n}",
                    "moment": moment,
                    "team_id": model.team_id,
                    "program_id": program,
                    "template_id": model.template_id,
                    "anonymous": False,
                    "focus_areas": [],
                    "moment_at": base + timedelta(days=n, hours=n * 5),
                    "created_at": base,
                    "sent": n + 2,
                    "answered": n,
                }
                for n, (moment, program) in enumerate(
                    [("mid", 1), ("session", 1), ("pulse", None), ("after", 1), ("mid", 1)]
                )
            ]
            await s.execute(insert(Survey), made)
        await _surveys_same_as_recount(db, "made")
        async with db.unit() as repos:
            s = repos.session
            ids = list(
                (
                    await s.execute(
                        select(Survey.id).where(Survey.key.like("t%")).order_by(Survey.id)
                    )
                ).scalars()
            )
            await repos.feedback.count_sent({ids[0]: 3, ids[1]: 1, ids[2]: 4})
            await repos.feedback.count_answered(ids[0])
            await repos.feedback.count_answered(ids[3])
            await s.execute(
                update(Survey)
                .where(Survey.id == ids[4])
                .values(moment_at=base + timedelta(days=33, hours=22), moment="end")
            )
            await s.execute(update(Survey).where(Survey.id == ids[1]).values(program_id=None))
        await _surveys_same_as_recount(db, "counted and moved")
        async with db.unit() as repos:
            s = repos.session
            invited = select(SurveyInvite.user_id).where(SurveyInvite.sent_at.is_not(None))
            people = list(
                (
                    await s.execute(
                        invited.group_by(SurveyInvite.user_id)
                        .order_by(SurveyInvite.user_id)
                        .limit(3)
                    )
                ).scalars()
            )
            assert people
            for person in people:
                await repos.feedback.erase_user(person)
            await s.execute(delete(Survey).where(Survey.id.in_(ids[2:4])))
        await _surveys_same_as_recount(db, "erased and deleted")
    finally:
        await db.dispose()


async def test_the_upgrade_counts_the_rows_there_are(database_url):
    """Down to 0022 (the summaries dropped) and up again on a database with a year in it:
    the backfill equals the recount, and the triggers keep it so after."""
    from bench import metrics as seeded
    from tests.test_migrations import _alembic

    db = Database(database_url)
    try:
        await db.migrate()
        await seeded.load(db, seeded.build(30, 7))
        assert await _alembic(db, "downgrade", "0022") == "0022"
        assert await _alembic(db, "upgrade", "head") == "0023"
        await _same_as_recount(db, "backfilled")
        await _surveys_same_as_recount(db, "backfilled")
        async with db.unit() as repos:
            person = (await repos.session.execute(select(Checkin.user_id).limit(1))).scalar_one()
            await repos.goals.erase_user(person)
            await repos.feedback.erase_user(person)
        await _same_as_recount(db, "erased after the backfill")
        await _surveys_same_as_recount(db, "erased after the backfill")
    finally:
        await db.dispose()
