"""Meetings on the calendar: a mentor pair's booked Outlook event, keyed by slot.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mentorship_id", sa.Integer(), sa.ForeignKey("mentorships.id"), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("organizer_aad", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("mentorship_id", "starts_at"),
    )
    op.create_index("ix_meetings_mentorship_id", "meetings", ["mentorship_id"])


def downgrade() -> None:
    op.drop_index("ix_meetings_mentorship_id", "meetings")
    op.drop_table("meetings")
