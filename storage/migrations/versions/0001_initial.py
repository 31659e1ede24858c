"""Initial schema: users, teams, memberships, admins, profiles, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("teams_id", sa.String(200), unique=True),
        sa.Column("aad_object_id", sa.String(64), index=True),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("upn", sa.String(320)),
        sa.Column("service_url", sa.String(500)),
        sa.Column("personal_ref", sa.Text()),
        sa.Column("timezone_hint", sa.String(64)),
        sa.Column("locale", sa.String(20)),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_until", sa.Date()),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        _ts("onboarding_sent_at"),
        _ts("first_seen_at", nullable=False),
        _ts("last_seen_at"),
        _ts("erased_at"),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("team_id", sa.String(200), nullable=False, unique=True),
        sa.Column("aad_group_id", sa.String(64)),
        sa.Column("name", sa.String(300)),
        sa.Column("service_url", sa.String(500), nullable=False),
        sa.Column("general_ref", sa.Text(), nullable=False),
        sa.Column("installer_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("installed_at", nullable=False),
        _ts("removed_at"),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("joined_at", nullable=False),
        _ts("left_at"),
        sa.UniqueConstraint("team_id", "user_id"),
    )
    op.create_table(
        "team_admins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        _ts("added_at", nullable=False),
        sa.UniqueConstraint("team_id", "user_id"),
    )
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("skills_offer", sa.JSON(), nullable=False),
        sa.Column("skills_want", sa.JSON(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("location", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("meeting_format", sa.String(20), nullable=False),
        sa.Column("meetings_per_month", sa.Integer(), nullable=False),
        sa.Column("max_mentees", sa.Integer()),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(300), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), index=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id")),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("activity_id", sa.String(200)),
        _ts("created_at", nullable=False),
        _ts("sent_at"),
    )


def downgrade() -> None:
    for table in ("outbox", "profiles", "team_admins", "memberships", "teams", "users"):
        op.drop_table(table)
