"""Icebreakers: per-team settings, the team's own questions and suggestions, posts, answers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _ref(name: str, table: str, nullable: bool = False, index: bool = True) -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey(f"{table}.id"), nullable=nullable, index=index
    )


def upgrade() -> None:
    op.create_table(
        "icebreaker_settings",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), primary_key=True),
        sa.Column("channel_id", sa.String(300)),
        sa.Column("channel_name", sa.String(300)),
        sa.Column("categories_off", sa.JSON(), nullable=False),
        sa.Column("questions_off", sa.JSON(), nullable=False),
        sa.Column("skip_next", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "icebreaker_questions",
        _id(),
        _ref("team_id", "teams"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _ref("suggested_by_id", "users", nullable=True),
        _ref("added_by_id", "users", nullable=True, index=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("active_since", UTCDateTime()),
    )
    op.create_table(
        "icebreaker_posts",
        _id(),
        _ref("team_id", "teams"),
        sa.Column("period", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("question_key", sa.String(40), nullable=False),
        sa.Column("question_text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("outbox_key", sa.String(300), nullable=False, unique=True),
        sa.Column("channel_id", sa.String(300)),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("update_seq", sa.Integer(), nullable=False),
        sa.Column("update_key", sa.String(300)),
        sa.Column("digested_at", UTCDateTime()),
        sa.UniqueConstraint("team_id", "period"),
    )
    op.create_table(
        "icebreaker_answers",
        _id(),
        _ref("post_id", "icebreaker_posts"),
        _ref("team_id", "teams"),
        _ref("user_id", "users"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("share", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("post_id", "user_id"),
    )


def downgrade() -> None:
    for table in (
        "icebreaker_answers",
        "icebreaker_posts",
        "icebreaker_questions",
        "icebreaker_settings",
    ):
        op.drop_table(table)
