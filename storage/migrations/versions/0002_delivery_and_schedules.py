"""Delivery (retry timing, leases, unreachable users) and scheduling (schedules, job runs).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("unreachable_at", UTCDateTime()))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("conversation_id", sa.String(300)))
        batch.add_column(sa.Column("not_before", UTCDateTime()))
        batch.add_column(sa.Column("claimed_by", sa.String(64)))
        batch.add_column(sa.Column("lease_until", UTCDateTime()))
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("cadence", sa.String(20), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("effective_from", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("team_id", "job"),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("period", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.UniqueConstraint("job", "scope", "period"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("schedules")
    with op.batch_alter_table("outbox") as batch:
        for name in ("lease_until", "claimed_by", "not_before", "conversation_id"):
            batch.drop_column(name)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("unreachable_at")
