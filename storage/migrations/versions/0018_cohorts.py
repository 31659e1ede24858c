"""Cohorts of a program: enrolments and survey responses remember theirs. And the
surveys' window index gains the moment, so the dashboard's invitation counters per
moment are read from the index alone.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("program_id", "name"),
    )
    op.create_index("ix_cohorts_program_id", "cohorts", ["program_id"])
    for table in ("enrolments", "survey_responses"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("cohort_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(f"fk_{table}_cohort_id", "cohorts", ["cohort_id"], ["id"])
            batch.create_index(f"ix_{table}_cohort_id", ["cohort_id"])
    _survey_index(["program_id", "moment_at", "moment", "sent", "answered"])


def _survey_index(columns: list[str]) -> None:
    op.drop_index("ix_surveys_program_moment_at", "surveys")
    op.create_index("ix_surveys_program_moment_at", "surveys", columns)


def downgrade() -> None:
    _survey_index(["program_id", "moment_at", "sent", "answered"])
    for table in ("survey_responses", "enrolments"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_cohort_id")
            batch.drop_constraint(f"fk_{table}_cohort_id", type_="foreignkey")
            batch.drop_column("cohort_id")
    op.drop_index("ix_cohorts_program_id", "cohorts")
    op.drop_table("cohorts")
