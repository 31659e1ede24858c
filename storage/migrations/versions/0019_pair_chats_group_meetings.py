"""A group chat per mentor pair (the program setting) and meetings of coffee groups
(a meeting row belongs to a mentorship or to a coffee group).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(
            sa.Column("group_chats", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("meetings") as batch:
        batch.alter_column("mentorship_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column(
                "group_id",
                sa.Integer(),
                sa.ForeignKey("pair_groups.id", name="fk_meetings_group_id_pair_groups"),
                nullable=True,
            )
        )
        batch.create_unique_constraint("uq_meetings_group_id_starts_at", ["group_id", "starts_at"])
        batch.create_index("ix_meetings_group_id", ["group_id"])


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.drop_index("ix_meetings_group_id")
        batch.drop_constraint("uq_meetings_group_id_starts_at", type_="unique")
        batch.drop_constraint("fk_meetings_group_id_pair_groups", type_="foreignkey")
        batch.drop_column("group_id")
        batch.alter_column("mentorship_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("group_chats")
