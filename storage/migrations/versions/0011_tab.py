"""The Teams tab: one-time sign-in links, dashboard sessions, and participants' concerns.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tab_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime()),
    )
    op.create_index("ix_tab_links_user_id", "tab_links", ["user_id"])
    op.create_table(
        "tab_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_tab_sessions_user_id", "tab_sessions", ["user_id"])
    op.create_table(
        "concerns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("programs.id")),
        sa.Column("mentorship_id", sa.Integer(), sa.ForeignKey("mentorships.id")),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("handled_at", UTCDateTime()),
        sa.Column("handled_by_id", sa.Integer(), sa.ForeignKey("users.id")),
    )
    op.create_index("ix_concerns_team_id", "concerns", ["team_id"])
    op.create_index("ix_concerns_user_id", "concerns", ["user_id"])


def downgrade() -> None:
    op.drop_table("concerns")
    op.drop_table("tab_sessions")
    op.drop_table("tab_links")
