"""Job title changes from the directory, kept only for people who agreed in their
profile (`profiles.title_history`, off by default), for the outcomes' career change.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(
            sa.Column("title_history", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "job_title_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("old_title", sa.String(200), nullable=False),
        sa.Column("new_title", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_job_title_changes_user_id", "job_title_changes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_job_title_changes_user_id", "job_title_changes")
    op.drop_table("job_title_changes")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("title_history")
