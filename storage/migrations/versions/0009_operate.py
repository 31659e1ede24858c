"""Operating many replicas: the outbox's tenant and origin, tenant leases of the delivery
workers, and roster imports read in the background.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("tenant_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("origin", sa.String(300)))
        batch.create_index("ix_outbox_tenant_id", ["tenant_id"])
    # Rows queued before this revision: their recipient's tenant, else their team's.
    op.execute(
        "UPDATE outbox SET tenant_id = COALESCE("
        "(SELECT users.tenant_id FROM users WHERE users.id = outbox.user_id), "
        "(SELECT teams.tenant_id FROM teams WHERE teams.id = outbox.team_id), '')"
    )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("tenant_id", server_default=None)
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("roster_import_id", sa.Integer()))
    op.create_table(
        "delivery_leases",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("worker", sa.String(64), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("continuation", sa.Text()),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("origin", sa.String(300)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("roster_imports")
    op.drop_table("delivery_leases")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("roster_import_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_tenant_id")
        batch.drop_column("origin")
        batch.drop_column("tenant_id")
