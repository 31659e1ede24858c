"""Matching runs that can be undone, and an admin's reason for rejecting a proposal.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_proposals") as batch:
        batch.add_column(sa.Column("run_at", UTCDateTime()))
        batch.add_column(sa.Column("note", sa.Text()))
    with op.batch_alter_table("mentorships") as batch:
        batch.add_column(sa.Column("run_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("mentorships") as batch:
        batch.drop_column("run_at")
    with op.batch_alter_table("match_proposals") as batch:
        batch.drop_column("note")
        batch.drop_column("run_at")
