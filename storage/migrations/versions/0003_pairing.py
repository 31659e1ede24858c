"""Coffee-chat pairing: pools, members' choices, don't-pair lists, rounds, groups, seats.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _ref(name: str, table: str, nullable: bool = False, index: bool = True) -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey(f"{table}.id"), nullable=nullable, index=index
    )


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("shared_fields", sa.JSON()))
    op.create_table(
        "pair_pools",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), primary_key=True),
        sa.Column("opt_in", sa.Boolean(), nullable=False),
        sa.Column("group_size", sa.Integer(), nullable=False),
        sa.Column("history_rounds", sa.Integer(), nullable=False),
        sa.Column("cross_department", sa.Boolean(), nullable=False),
        sa.Column("followup_days", sa.Integer(), nullable=False),
        sa.Column("channel_ref", sa.Text()),
        sa.Column("channel_name", sa.String(300)),
        _ref("lottery_host_id", "users", nullable=True, index=False),
        sa.Column("lottery_winners", sa.Integer(), nullable=False),
        sa.Column("lottery_since", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "pair_choices",
        _id(),
        _ref("team_id", "teams"),
        _ref("user_id", "users"),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.Column("ghost_paused_at", UTCDateTime()),
        sa.Column("misses_from", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("team_id", "user_id"),
    )
    op.create_table(
        "dont_pair",
        _id(),
        _ref("user_id", "users"),
        _ref("other_id", "users"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "other_id"),
    )
    op.create_table(
        "pair_rounds",
        _id(),
        _ref("team_id", "teams"),
        sa.Column("period", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("team_id", "period"),
    )
    op.create_table(
        "pair_groups",
        _id(),
        _ref("round_id", "pair_rounds"),
        _ref("team_id", "teams"),
        sa.Column("lottery", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "pair_seats",
        _id(),
        _ref("group_id", "pair_groups"),
        _ref("round_id", "pair_rounds"),
        _ref("team_id", "teams"),
        _ref("user_id", "users"),
        sa.Column("followup_at", UTCDateTime()),
        sa.Column("met", sa.String(10)),
        sa.Column("rating", sa.Integer()),
        sa.Column("comment", sa.Text()),
        sa.Column("answered_at", UTCDateTime()),
        sa.UniqueConstraint("group_id", "user_id"),
    )


def downgrade() -> None:
    for table in ("pair_seats", "pair_groups", "pair_rounds", "dont_pair", "pair_choices"):
        op.drop_table(table)
    op.drop_table("pair_pools")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("shared_fields")
