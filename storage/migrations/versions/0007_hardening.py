"""Hardening: inbound activities already handled (a retried delivery changes nothing),
and when an outbox row's contents were blanked (retention, delete my data).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_activities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True, index=True),
        sa.Column("replies", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("redacted_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("redacted_at")
    op.drop_table("inbound_activities")
