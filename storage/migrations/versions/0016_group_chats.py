"""A group chat per coffee group: the per-team setting, and each group's chat recorded
(keyed by the group) before its intro is announced.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pair_pools") as batch:
        batch.add_column(
            sa.Column("group_chats", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "group_chats",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("chat_id", sa.String(200)),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("kind", "ref_id"),
    )
    op.create_index("ix_group_chats_state", "group_chats", ["state"])


def downgrade() -> None:
    op.drop_index("ix_group_chats_state", "group_chats")
    op.drop_table("group_chats")
    with op.batch_alter_table("pair_pools") as batch:
        batch.drop_column("group_chats")
