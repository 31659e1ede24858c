"""Outcome metrics at scale: the full `/program report` of one big program.

    python -m bench.metrics [--databases sqlite,postgresql] [--participants 5000]
                            [--repeat 5] [--seed 1]

Per database: a fresh, migrated database (SQLite in a temp file; PostgreSQL at
TEST_POSTGRES_URL's server, database `mentorbot_bench_metrics`, dropped and made again)
is filled with one program of `--participants` people (30% mentors), a year of it: every
mentee matched (some pairs ending early), session notes about every two weeks with
agendas, weekly goal check-ins, goals, and every survey moment (after each session,
day 30, halfway with the mentors' progress ratings, the end, 60 days on) with their
invites, answers and stories. Then the report: `program_report_metrics`, i.e. the facts
of the window and of the window before, read by the repository, and every metric of
both; timed `--repeat` times after one warm-up run, with the SQL statements counted.

Progress goes to stderr; stdout gets exactly one JSON line, ending with `meets_goal`.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from bench.common import info, run_and_print
from dialogs.feedback import metrics, templates
from dialogs.feedback.lookup import Window
from dialogs.feedback.report import program_report_metrics
from storage import Database
from storage.models import (
    Checkin,
    Enrolment,
    Goal,
    Membership,
    Mentorship,
    Profile,
    Program,
    SessionAgenda,
    SessionNotes,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyResponse,
    SurveyStory,
    SurveyTemplate,
    Team,
    User,
)

GOAL_MS = 300.0
MAX_QUERIES = 60  # a fixed number, whatever the size: never one per participant
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
PG_NAME = "mentorbot_bench_metrics"
START = date(2026, 1, 5)
END = date(2026, 12, 28)
CHUNK = 5000
DEPARTMENTS = [f"Department {n}" for n in range(12)]
CITIES = ["Berlin", "London", "New York", "Austin", "Tokyo", "Sydney", "Paris", "Madrid"]


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Data:
    """The rows of one synthetic program, table by table."""

    def __init__(self, participants: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = participants
        self.tables: dict[Any, list[dict[str, Any]]] = {}
        self.ids: dict[Any, int] = {}

    def add(self, model: Any, **row: Any) -> int:
        new_id = self.ids.get(model, 0) + 1
        self.ids[model] = new_id
        self.tables.setdefault(model, []).append({"id": new_id, **row})
        return new_id

    def count(self, model: Any) -> int:
        return len(self.tables.get(model, []))


def build(participants: int, seed: int) -> Data:
    d = Data(participants, seed)
    joined = at(START - timedelta(days=60))
    admin = d.add(
        User, teams_id="29:admin", name="Admin", paused=False, opted_out=False, first_seen_at=joined
    )
    team = d.add(
        Team,
        team_id="19:bench",
        name="Bench",
        service_url="http://127.0.0.1",
        general_ref="{}",
        installer_id=admin,
        active=True,
        installed_at=joined,
    )
    program = d.add(
        Program,
        team_id=team,
        name="Big program",
        status="closed",
        objectives=["skills"],
        focus_areas=["Speaking", "SQL", "Leadership"],
        starts_on=START,
        ends_on=END,
        cadence="biweekly",
        capacity=3,
        mode="automatic",
        agreement="",
        resources_mentors=[],
        resources_mentees=[],
        created_at=joined,
        updated_at=joined,
        closed_at=at(END, 12),
    )
    mentors, mentees = _people(d, team, program, joined)
    pairs = _pairs(d, program, mentors, mentees)
    _sessions(d, pairs)
    _goals_and_checkins(d, mentees)
    _surveys(d, team, program, pairs, mentors, mentees)
    return d


def _people(d: Data, team: int, program: int, joined: datetime) -> tuple[list[int], list[int]]:
    mentors, mentees = [], []
    for k in range(d.n):
        role = "mentor" if k < d.n * 3 // 10 else "mentee"
        enrolled = at(START - timedelta(days=d.rng.randint(1, 40)))
        user = d.add(
            User,
            teams_id=f"29:p{k}",
            name=f"Person {k}",
            paused=False,
            opted_out=False,
            first_seen_at=joined,
        )
        d.add(Membership, team_id=team, user_id=user, active=True, joined_at=joined)
        d.tables.setdefault(Profile, []).append(
            {
                "user_id": user,
                "role": role,
                "skills_offer": [],
                "skills_want": [],
                "goals": "",
                "interests": [],
                "department": d.rng.choice(DEPARTMENTS),
                "location": d.rng.choice(CITIES),
                "timezone": "UTC",
                "languages": ["English"],
                "meeting_format": "video",
                "meetings_per_month": 2,
                "created_at": joined,
                "updated_at": joined,
            }
        )
        d.add(
            Enrolment,
            program_id=program,
            user_id=user,
            role=role,
            wants="",
            active=True,
            priority=False,
            capacity=3 if role == "mentor" else None,
            experience_years=d.rng.randint(0, 20),
            created_at=enrolled,
            updated_at=enrolled,
        )
        (mentors if role == "mentor" else mentees).append(user)
    return mentors, mentees


def _pairs(d: Data, program: int, mentors: list[int], mentees: list[int]) -> list[dict[str, Any]]:
    pairs = []
    matched = at(START, 10)
    for k, mentee in enumerate(mentees):
        started = matched + timedelta(days=d.rng.randint(1, 10))
        roll = d.rng.random()
        kind = "not_fit" if roll < 0.08 else "ended" if roll < 0.14 else "closed"
        ended = (
            started + timedelta(days=d.rng.randint(20, 250)) if kind != "closed" else at(END, 12)
        )
        row = {
            "program_id": program,
            "mentor_id": mentors[k % len(mentors)],
            "mentee_id": mentee,
            "status": "ended",
            "score": 70.0,
            "reasons": [],
            "agreement": {},
            "created_at": matched,
            "started_at": started,
            "ended_at": ended,
            "end_kind": kind,
        }
        row["id"] = d.add(Mentorship, **row)
        pairs.append(row)
    return pairs


def _sessions(d: Data, pairs: list[dict[str, Any]]) -> None:
    for pair in pairs:
        day = pair["started_at"] + timedelta(days=d.rng.randint(3, 12))
        while day < pair["ended_at"]:
            if d.rng.random() < 0.85:  # some fortnights are skipped
                d.add(
                    SessionNotes,
                    pair_key=f"m{pair['id']}",
                    author_id=pair["mentee_id"],
                    partner_id=pair["mentor_id"],
                    summary="Notes",
                    key_points="",
                    created_at=day,
                )
                if d.rng.random() < 0.4:
                    d.add(
                        SessionAgenda,
                        pair_key=f"m{pair['id']}",
                        author_id=pair["mentee_id"],
                        partner_id=pair["mentor_id"],
                        achieve="Plan",
                        questions="",
                        created_at=day - timedelta(days=2),
                    )
            day += timedelta(days=14)


def _goals_and_checkins(d: Data, mentees: list[int]) -> None:
    for user in mentees:
        for number in (1, 2):
            created = at(START + timedelta(days=d.rng.randint(5, 200)))
            target = created.date() + timedelta(days=d.rng.randint(30, 200))
            status = d.rng.choice(["on_track", "at_risk", "blocked", "done", "done", "dropped"])
            closed = (
                created + timedelta(days=d.rng.randint(10, 220))
                if status in ("done", "dropped")
                else None
            )
            d.add(
                Goal,
                user_id=user,
                number=number,
                title="A goal",
                why="",
                measure="",
                target_on=target,
                progress=100 if status == "done" else d.rng.randint(0, 90),
                status=status,
                created_at=created,
                updated_at=created,
                closed_at=closed,
            )
        due = at(START + timedelta(days=7))
        while due.date() < END:
            d.add(
                Checkin,
                user_id=user,
                period=due.date().isoformat(),
                trigger="schedule",
                goal_ids=[],
                due_at=due,
                created_at=due,
                answered_at=due + timedelta(hours=3) if d.rng.random() < 0.7 else None,
            )
            due += timedelta(days=7)


def _template(d: Data, program: int, name: str) -> tuple[int, list[dict[str, Any]]]:
    questions = templates.built_in(name, False)
    tid = d.add(
        SurveyTemplate,
        scope=f"program:{program}",
        name=name,
        version=1,
        questions=questions,
        created_at=at(START),
    )
    return tid, questions


def _surveys(
    d: Data,
    team: int,
    program: int,
    pairs: list[dict[str, Any]],
    mentors: list[int],
    mentees: list[int],
) -> None:
    ids = {name: _template(d, program, name) for name in templates.PROGRAM_TEMPLATES}
    areas = ["Speaking", "SQL", "Leadership"]

    def survey(
        key: str, name: str, moment_at: datetime, anonymous: bool, mentorship_id: int | None = None
    ) -> int:
        return d.add(
            Survey,
            key=key,
            moment=templates.moment_of(name),
            team_id=team,
            program_id=program,
            template_id=ids[name][0],
            anonymous=anonymous,
            focus_areas=areas,
            moment_at=moment_at,
            created_at=moment_at,
            mentorship_id=mentorship_id,
            sent=0,
            answered=0,
        )

    def invite(sid: int, user: int, role: str, due: datetime, answered: bool) -> None:
        counters = d.tables[Survey][sid - 1]
        counters["sent"] += 1
        counters["answered"] += answered
        d.add(
            SurveyInvite,
            survey_id=sid,
            user_id=user,
            role=role,
            due_at=due,
            closes_at=due + timedelta(days=7),
            sent_at=due,
            remind_at=due + timedelta(days=2),
            answered=answered,
            answered_at=None if not answered else due + timedelta(hours=2),
        )

    def respond(sid: int, user: int | None, name: str) -> int:
        rid = d.add(SurveyResponse, survey_id=sid, user_id=user, revision=1)
        for q in ids[name][1]:
            for row in _answer(d.rng, q, areas):
                d.add(
                    SurveyAnswer,
                    response_id=rid,
                    survey_id=sid,
                    question=q["key"],
                    tag=q["tag"],
                    **row,
                )
        return rid

    for note in d.tables.get(SessionNotes, []):
        pair_id = int(note["pair_key"][1:])
        sid = survey(
            f"session:notes{note['id']}",
            "session",
            note["created_at"],
            False,
            mentorship_id=pair_id,
        )
        for user, role in ((note["author_id"], "mentee"), (note["partner_id"], "mentor")):
            answered = d.rng.random() < 0.5
            invite(sid, user, role, note["created_at"] + timedelta(hours=15), answered)
            if answered:
                respond(sid, user, "session")
    middle = metrics.program_middle(START, END)
    end = metrics.program_end(END, at(END, 12))
    for pair in pairs:
        for moment, when, name in (
            ("day30", pair["started_at"] + timedelta(days=30), "day30"),
            ("progress", middle, "progress"),
            ("progress", end, "progress"),
            ("after", end + timedelta(days=60), "after"),
        ):
            if moment != "day30" and not (pair["ended_at"] >= when or pair["end_kind"] == "closed"):
                continue
            sid = survey(
                f"{moment}:m{pair['id']}:{when:%Y%m%d}", name, when, False, mentorship_id=pair["id"]
            )
            people = (
                [(pair["mentor_id"], "mentor")]
                if moment == "progress"
                else [(pair["mentor_id"], "mentor"), (pair["mentee_id"], "mentee")]
            )
            for user, role in people:
                answered = d.rng.random() < 0.6
                invite(sid, user, role, when + timedelta(hours=9), answered)
                if answered:
                    respond(sid, user, name)
    for moment, when in (("mid", middle), ("end", end)):
        for role, people in (("mentee", mentees), ("mentor", mentors)):
            name = f"{moment}.{role}"
            sid = survey(f"{moment}:program{program}:{role}", name, when, True)
            for user in people:
                answered = d.rng.random() < 0.7
                invite(sid, user, role, when + timedelta(hours=9), answered)
                if answered:
                    rid = respond(sid, None, name)
                    if moment == "end" and d.rng.random() < 0.1:
                        d.add(SurveyStory, survey_id=sid, response_id=rid, text="A story")


def _answer(rng: random.Random, q: dict[str, Any], areas: list[str]) -> Iterator[dict[str, Any]]:
    kind = q["kind"]
    blank = {"part": "", "number": None, "number2": None, "choice": None, "text": None}
    if kind == templates.RATING:
        yield blank | {"number": rng.randint(1, 5)}
    elif kind == templates.RECOMMEND:
        yield blank | {"number": rng.randint(0, 10)}
    elif kind == templates.YES_NO:
        yield blank | {"number": rng.randint(0, 1)}
    elif kind == templates.CHOICE:
        yield blank | {"choice": rng.choice(q["options"])["value"]}
    elif kind == templates.SKILLS:
        for area in areas:
            before = rng.randint(1, 4)
            yield blank | {"part": area, "number": before, "number2": rng.randint(before, 5)}
    elif kind == templates.TEXT and rng.random() < 0.3:
        yield blank | {"text": "Some words"}


# --- loading and timing --------------------------------------------------------------------------
ORDER = [
    User,
    Team,
    Program,
    Membership,
    Profile,
    Enrolment,
    Mentorship,
    SessionNotes,
    SessionAgenda,
    Goal,
    Checkin,
    SurveyTemplate,
    Survey,
    SurveyInvite,
    SurveyResponse,
    SurveyAnswer,
    SurveyStory,
]


async def load(db: Database, data: Data) -> None:
    async with db.engine.begin() as conn:
        for model in ORDER:
            rows = data.tables.get(model, [])
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(model), rows[start : start + CHUNK])
        if db.url.startswith("postgresql"):
            for model in ORDER:  # the ids were given: move the sequences past them
                if "id" in model.__table__.c:
                    table = model.__tablename__
                    await conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
        else:
            await conn.exec_driver_sql("ANALYZE")
    if db.url.startswith("postgresql"):  # as autovacuum would: statistics, visibility map
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("VACUUM ANALYZE")


async def database_url(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'metrics.db'}"
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{PG_NAME}"')
    finally:
        await admin.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_NAME


async def measure(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    url = await database_url(kind, tmp)
    db = Database(url)
    try:
        await db.migrate()
        started = time.perf_counter()
        await load(db, build(args.participants, args.seed))
        info(f"{kind}: loaded in {time.perf_counter() - started:.1f} s")
        # The generated rows are gone: the report runs in a process of normal size (the
        # garbage collector would otherwise walk 850,000 dicts on every collection).
        gc.collect()
        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        window = Window(START, END + timedelta(days=40))
        timings, cpu, queries = [], [], []
        report: list[Any] = []
        for run in range(args.repeat + 1):
            statements[0] = 0
            async with db.unit() as repos:
                program = await repos.programs.get(1)
                assert program is not None
                began, used = time.perf_counter(), time.process_time()
                report = list(await program_report_metrics(repos, program, window))
                elapsed = (time.perf_counter() - began) * 1000
                used = (time.process_time() - used) * 1000
            if run:  # the first run warms caches and compiles statements
                timings.append(elapsed)
                cpu.append(used)
                queries.append(statements[0])
        now = {m.key: metrics.shown(m) for m in report[0]}
        info(f"{kind}: median {statistics.median(timings):.0f} ms, {queries[-1]} statements")
        return {
            "ms_median": round(statistics.median(timings), 1),
            "ms_best": round(min(timings), 1),
            "ms_worst": round(max(timings), 1),
            # This process's CPU time (with SQLite: the database's work too; PostgreSQL's
            # runs in its server): what the wall time would be on an idle machine.
            "cpu_ms_median": round(statistics.median(cpu), 1),
            "statements": queries[-1],
            "sample": {
                k: now[k]
                for k in (
                    "matched",
                    "sessions_per_pair_month",
                    "satisfaction",
                    "response_rate",
                    "completion",
                )
            },
        }
    finally:
        await db.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data = build(args.participants, args.seed)
    sizes = {m.__tablename__: data.count(m) for m in ORDER}
    info(f"built {sum(sizes.values()):,} rows (made again, the same, for each database)")
    del data
    results = {}
    with tempfile.TemporaryDirectory(prefix="mentorbot-bench-") as tmp:
        for kind in args.databases:
            results[kind] = await measure(kind, args, Path(tmp))
    goal = {
        f"{kind}_under_{GOAL_MS:.0f}_ms": r["ms_median"] < GOAL_MS for kind, r in results.items()
    } | {"no_query_per_participant": all(r["statements"] <= MAX_QUERIES for r in results.values())}
    return {
        "benchmark": "metrics",
        "participants": args.participants,
        "rows": sizes,
        "results": results,
        "goal": {"ms": GOAL_MS, "statements_at_most": MAX_QUERIES},
        # Other work on the machine slows the wall times: how busy it was.
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "meets_goal": goal,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.metrics", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--databases", default="sqlite,postgresql", type=lambda s: s.split(","))
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    return run_and_print(run, args, f"metrics: {args.participants} participants, {args.databases}")


if __name__ == "__main__":
    raise SystemExit(main())
