"""Mentoring programs: programs, enrolments, match proposals and mentorships.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _ref(name: str, table: str, nullable: bool = False, index: bool = True) -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey(f"{table}.id"), nullable=nullable, index=index
    )


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("team_id", "teams"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("focus_areas", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("cadence", sa.String(20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("enrol_by", sa.Date()),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("resources_mentors", sa.JSON(), nullable=False),
        sa.Column("resources_mentees", sa.JSON(), nullable=False),
        sa.Column("weights", sa.JSON()),
        _ref("created_by_id", "users", nullable=True, index=False),
        _at("matched_at"),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _at("closed_at"),
        sa.UniqueConstraint("team_id", "name"),
    )
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("program_id", "programs"),
        _ref("user_id", "users"),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("wants", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer()),
        sa.Column("experience_years", sa.Integer()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        sa.UniqueConstraint("program_id", "user_id"),
    )
    op.create_table(
        "match_proposals",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("program_id", "programs"),
        _ref("mentor_id", "users"),
        _ref("mentee_id", "users"),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        _at("expires_at"),
        _at("created_at", nullable=False),
        _at("decided_at"),
    )
    op.create_table(
        "mentorships",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("program_id", "programs"),
        _ref("mentor_id", "users"),
        _ref("mentee_id", "users"),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("agreement", sa.JSON(), nullable=False),
        _at("created_at", nullable=False),
        _at("started_at"),
        _at("ended_at"),
        _ref("ended_by_id", "users", nullable=True, index=False),
        sa.Column("end_kind", sa.String(20)),
        sa.Column("end_reason", sa.Text()),
    )


def downgrade() -> None:
    for table in ("mentorships", "match_proposals", "enrolments", "programs"):
        op.drop_table(table)
