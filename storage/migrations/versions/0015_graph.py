"""Microsoft Graph: directory entries per person, each tenant's delta sync, and which
Graph features work in a tenant.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_entries",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("aad_object_id", sa.String(64), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("job_title", sa.String(200), nullable=False),
        sa.Column("office", sa.String(200), nullable=False),
        sa.Column("language", sa.String(20), nullable=False),
        sa.Column("manager_aad_id", sa.String(64), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("work_days", sa.JSON(), nullable=False),
        sa.Column("work_start", sa.String(5), nullable=False),
        sa.Column("work_end", sa.String(5), nullable=False),
        sa.Column("work_zone", sa.String(64), nullable=False),
        sa.Column("zone_by_person", sa.Boolean(), nullable=False),
        sa.Column("language_by_person", sa.Boolean(), nullable=False),
        sa.Column("directory_at", UTCDateTime()),
        sa.Column("mailbox_at", UTCDateTime()),
        sa.Column("removed_at", UTCDateTime()),
    )
    op.create_index("ix_directory_entries_tenant_id", "directory_entries", ["tenant_id"])
    op.create_index("ix_directory_entries_aad_object_id", "directory_entries", ["aad_object_id"])
    op.create_table(
        "graph_syncs",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("delta_link", sa.Text()),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("synced_at", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
    )
    op.create_table(
        "graph_features",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("feature", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("missing_since", UTCDateTime()),
        sa.UniqueConstraint("tenant_id", "feature"),
    )


def downgrade() -> None:
    op.drop_table("graph_features")
    op.drop_table("graph_syncs")
    op.drop_index("ix_directory_entries_aad_object_id", "directory_entries")
    op.drop_index("ix_directory_entries_tenant_id", "directory_entries")
    op.drop_table("directory_entries")
