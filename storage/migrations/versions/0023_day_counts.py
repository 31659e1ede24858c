"""Counts per UTC day for the program page, kept by triggers in the same transaction as
the rows they count, so the page reads a few thousand summary rows instead of every row
of the year (storage/repos/feedback.py, when the windows' bounds are whole UTC days); the
upgrade counts the rows there are, the downgrade drops them. Zero rows may stay behind.

`checkin_days`: scheduled check-ins per program, UTC day due and UTC day the person
enrolled, and how many were answered: kept through a check-in's insert, change
(answered, moved, another trigger or person) and delete, and an enrolment's insert,
change and delete (a person's erasure deletes their check-ins).

`survey_days`: the program surveys' sent and answered counters summed per program,
moment and UTC day of the moment: kept through a survey's insert, change (every send,
first answer and erasure updates its counters) and delete.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

UPSERT = """ON CONFLICT (program_id, due_on, enrolled_on) DO UPDATE SET
    sent = checkin_days.sent + excluded.sent,
    answered = checkin_days.answered + excluded.answered"""

# {day} makes a stored time's UTC day: SQLite keeps UTC times as ISO text.
DAY = {"sqlite": "date({})", "postgresql": "(({}) AT TIME ZONE 'UTC')::date"}

# A check-in (row `{row}`, OLD or NEW) counted for each enrolment of its person, +1 or -1.
ADD_CHECKIN = (
    """INSERT INTO checkin_days (program_id, due_on, enrolled_on, sent, answered)
SELECT e.program_id, {due}, {enrolled}, 1, CASE WHEN NEW.answered_at IS NULL THEN 0 ELSE 1 END
FROM enrolments e WHERE e.user_id = NEW.user_id AND NEW."trigger" = 'schedule'
"""
    + UPSERT
)
TAKE_CHECKIN = """UPDATE checkin_days SET sent = checkin_days.sent - 1,
    answered = checkin_days.answered - CASE WHEN OLD.answered_at IS NULL THEN 0 ELSE 1 END
FROM enrolments e
WHERE e.user_id = OLD.user_id AND OLD."trigger" = 'schedule'
    AND checkin_days.program_id = e.program_id AND checkin_days.enrolled_on = {enrolled}
    AND checkin_days.due_on = {due}"""

# An enrolment's person's scheduled check-ins, counted for it (+) or taken off (-).
ADD_ENROLMENT = (
    """INSERT INTO checkin_days (program_id, due_on, enrolled_on, sent, answered)
SELECT NEW.program_id, {due}, {enrolled}, count(*), count(c.answered_at)
FROM checkins c WHERE c.user_id = NEW.user_id AND c."trigger" = 'schedule'
GROUP BY {due}
"""
    + UPSERT
)
TAKE_ENROLMENT = """UPDATE checkin_days SET sent = checkin_days.sent - c.sent,
    answered = checkin_days.answered - c.answered
FROM (SELECT {due} AS due_on, count(*) AS sent, count(answered_at) AS answered
      FROM checkins WHERE user_id = OLD.user_id AND "trigger" = 'schedule'
      GROUP BY {due}) AS c
WHERE checkin_days.program_id = OLD.program_id AND checkin_days.enrolled_on = {enrolled}
    AND checkin_days.due_on = c.due_on"""

BACKFILL = """INSERT INTO checkin_days (program_id, due_on, enrolled_on, sent, answered)
SELECT e.program_id, {due}, {enrolled}, count(*), count(c.answered_at)
FROM checkins c JOIN enrolments e ON e.user_id = c.user_id
WHERE c."trigger" = 'schedule'
GROUP BY e.program_id, {due}, {enrolled}"""

# A program survey's counters (row OLD or NEW) added to or taken off its moment's day.
ADD_SURVEY = """INSERT INTO survey_days (program_id, moment, moment_on, sent, answered)
SELECT NEW.program_id, NEW.moment, {day}, NEW.sent, NEW.answered
WHERE NEW.program_id IS NOT NULL
ON CONFLICT (program_id, moment_on, moment) DO UPDATE SET
    sent = survey_days.sent + excluded.sent,
    answered = survey_days.answered + excluded.answered"""
TAKE_SURVEY = """UPDATE survey_days SET sent = survey_days.sent - OLD.sent,
    answered = survey_days.answered - OLD.answered
WHERE survey_days.program_id = OLD.program_id AND survey_days.moment = OLD.moment
    AND survey_days.moment_on = {day}"""
SURVEY_BACKFILL = """INSERT INTO survey_days (program_id, moment, moment_on, sent, answered)
SELECT program_id, moment, {day}, sum(sent), sum(answered) FROM surveys
WHERE program_id IS NOT NULL
GROUP BY program_id, moment, {day}"""

CHECKIN_COLUMNS = 'user_id, "trigger", due_at, answered_at'
ENROLMENT_COLUMNS = "user_id, program_id, created_at"
SURVEY_COLUMNS = "program_id, moment, moment_at, sent, answered"


def _sql(template: str, dialect: str, checkin: str, enrolment: str) -> str:
    day = DAY[dialect]
    return template.format(
        due=day.format(f"{checkin}.due_at"), enrolled=day.format(f"{enrolment}.created_at")
    )


def _survey_sql(template: str, dialect: str, row: str) -> str:
    return template.format(day=DAY[dialect].format(f"{row}.moment_at"))


def _sqlite_triggers() -> list[str]:
    def body(*parts: str) -> str:
        return "BEGIN\n" + "".join(f"{p};\n" for p in parts) + "END"

    add_c = _sql(ADD_CHECKIN, "sqlite", "NEW", "e")
    take_c = _sql(TAKE_CHECKIN, "sqlite", "OLD", "e")
    add_e = _sql(ADD_ENROLMENT, "sqlite", "c", "NEW")
    take_e = _sql(TAKE_ENROLMENT, "sqlite", "checkins", "OLD")
    add_s = _survey_sql(ADD_SURVEY, "sqlite", "NEW")
    take_s = _survey_sql(TAKE_SURVEY, "sqlite", "OLD")
    # SQLite needs the WHERE of an INSERT ... SELECT before ON CONFLICT: there is one.
    return [
        f"CREATE TRIGGER checkin_days_insert AFTER INSERT ON checkins {body(add_c)}",
        f"CREATE TRIGGER checkin_days_delete AFTER DELETE ON checkins {body(take_c)}",
        f"CREATE TRIGGER checkin_days_update AFTER UPDATE OF {CHECKIN_COLUMNS} ON checkins "
        + body(take_c, add_c),
        f"CREATE TRIGGER checkin_days_enrol AFTER INSERT ON enrolments {body(add_e)}",
        f"CREATE TRIGGER checkin_days_unenrol AFTER DELETE ON enrolments {body(take_e)}",
        f"CREATE TRIGGER checkin_days_reenrol AFTER UPDATE OF {ENROLMENT_COLUMNS} "
        f"ON enrolments {body(take_e, add_e)}",
        f"CREATE TRIGGER survey_days_insert AFTER INSERT ON surveys {body(add_s)}",
        f"CREATE TRIGGER survey_days_delete AFTER DELETE ON surveys {body(take_s)}",
        f"CREATE TRIGGER survey_days_update AFTER UPDATE OF {SURVEY_COLUMNS} ON surveys "
        + body(take_s, add_s),
    ]


def _postgres_triggers() -> list[str]:
    def function(name: str, take: str, add: str) -> str:
        return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        {take};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {add};
    END IF;
    RETURN NULL;
END $$"""

    return [
        function(
            "checkin_days_of_checkin",
            _sql(TAKE_CHECKIN, "postgresql", "OLD", "e"),
            _sql(ADD_CHECKIN, "postgresql", "NEW", "e"),
        ),
        function(
            "checkin_days_of_enrolment",
            _sql(TAKE_ENROLMENT, "postgresql", "checkins", "OLD"),
            _sql(ADD_ENROLMENT, "postgresql", "c", "NEW"),
        ),
        function(
            "survey_days_of_survey",
            _survey_sql(TAKE_SURVEY, "postgresql", "OLD"),
            _survey_sql(ADD_SURVEY, "postgresql", "NEW"),
        ),
        "CREATE TRIGGER survey_days_of_survey AFTER INSERT OR DELETE OR UPDATE OF "
        f"{SURVEY_COLUMNS} ON surveys FOR EACH ROW EXECUTE FUNCTION survey_days_of_survey()",
        "CREATE TRIGGER checkin_days_of_checkin AFTER INSERT OR DELETE OR UPDATE OF "
        f"{CHECKIN_COLUMNS} ON checkins FOR EACH ROW EXECUTE FUNCTION checkin_days_of_checkin()",
        "CREATE TRIGGER checkin_days_of_enrolment AFTER INSERT OR DELETE OR UPDATE OF "
        f"{ENROLMENT_COLUMNS} ON enrolments FOR EACH ROW "
        "EXECUTE FUNCTION checkin_days_of_enrolment()",
    ]


def upgrade() -> None:
    op.create_table(
        "checkin_days",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "due_on", "enrolled_on"),
    )
    op.create_table(
        "survey_days",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("moment_on", sa.Date(), nullable=False),
        sa.Column("moment", sa.String(20), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "moment_on", "moment"),
    )
    dialect = op.get_bind().dialect.name
    # Triggers first: on PostgreSQL creating one locks its table against writes until this
    # commits, so no row another replica writes can fall between the count and them.
    for statement in _postgres_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)
    op.execute(_sql(BACKFILL, dialect, "c", "e"))
    op.execute(_survey_sql(SURVEY_BACKFILL, dialect, "surveys"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER survey_days_of_survey ON surveys")
        op.execute("DROP FUNCTION survey_days_of_survey()")
        op.execute("DROP TRIGGER checkin_days_of_checkin ON checkins")
        op.execute("DROP TRIGGER checkin_days_of_enrolment ON enrolments")
        op.execute("DROP FUNCTION checkin_days_of_checkin()")
        op.execute("DROP FUNCTION checkin_days_of_enrolment()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER survey_days_{name}")
        for name in ("insert", "delete", "update", "enrol", "unenrol", "reenrol"):
            op.execute(f"DROP TRIGGER checkin_days_{name}")
    op.drop_table("survey_days")
    op.drop_table("checkin_days")
