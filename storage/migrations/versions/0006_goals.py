"""Goals and check-ins: goals, shares, check-in settings, check-ins and their entries,
session agendas and notes, action items, and inactivity nudges of pairs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _ref(name: str, table: str, nullable: bool = False, index: bool = True) -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey(f"{table}.id"), nullable=nullable, index=index
    )


def _at(name: str, nullable: bool = True, index: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=nullable, index=index)


def _pair_key() -> sa.Column:
    return sa.Column("pair_key", sa.String(40), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "goals",
        _id(),
        _ref("user_id", "users"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _at("closed_at"),
        _at("shoutout_at"),
        sa.UniqueConstraint("user_id", "number"),
    )
    op.create_table(
        "goal_shares",
        _id(),
        _ref("goal_id", "goals"),
        _ref("user_id", "users"),
        _at("created_at", nullable=False),
        sa.UniqueConstraint("goal_id", "user_id"),
    )
    op.create_table(
        "checkin_settings",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("cadence", sa.String(20), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64)),
        _at("effective_from", nullable=False),
        _at("updated_at", nullable=False),
    )
    op.create_table(
        "checkins",
        _id(),
        _ref("user_id", "users"),
        sa.Column("period", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("goal_ids", sa.JSON(), nullable=False),
        _at("due_at", nullable=False),
        _at("created_at", nullable=False),
        _at("answered_at", index=True),
        _at("reminded_at"),
        sa.Column("blocker", sa.Text()),
        sa.UniqueConstraint("user_id", "period"),
    )
    op.create_table(
        "checkin_entries",
        _id(),
        _ref("checkin_id", "checkins"),
        _ref("goal_id", "goals"),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("moved", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        _at("created_at", nullable=False),
        sa.UniqueConstraint("checkin_id", "goal_id"),
    )
    op.create_table(
        "session_agendas",
        _id(),
        _pair_key(),
        _ref("author_id", "users"),
        _ref("partner_id", "users"),
        sa.Column("achieve", sa.Text(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        _at("created_at", nullable=False),
    )
    op.create_table(
        "session_notes",
        _id(),
        _pair_key(),
        _ref("author_id", "users"),
        _ref("partner_id", "users"),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("key_points", sa.Text(), nullable=False),
        _at("created_at", nullable=False),
    )
    op.create_table(
        "action_items",
        _id(),
        _ref("notes_id", "session_notes"),
        _pair_key(),
        _ref("owner_id", "users"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        _at("created_at", nullable=False),
        _at("reminded_at"),
        _at("done_at"),
    )
    op.create_table(
        "pair_nudges",
        _id(),
        _pair_key(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("stretch", sa.String(40), nullable=False),
        _at("created_at", nullable=False),
        sa.UniqueConstraint("pair_key", "kind", "stretch"),
    )


def downgrade() -> None:
    for table in (
        "pair_nudges",
        "action_items",
        "session_notes",
        "session_agendas",
        "checkin_entries",
        "checkins",
        "checkin_settings",
        "goal_shares",
        "goals",
    ):
        op.drop_table(table)
