"""`my data` as a file: an export link may belong to a person alone (no team).

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("export_links") as batch:
        batch.alter_column("team_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # A person's own links cannot be kept without a team: they are short-lived anyway.
    op.execute("DELETE FROM export_links WHERE team_id IS NULL")
    with op.batch_alter_table("export_links") as batch:
        batch.alter_column("team_id", existing_type=sa.Integer(), nullable=False)
