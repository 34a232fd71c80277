"""search changes: the ordered log of photos and albums whose searchable facts changed

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: an index made before this revision follows the log from its start.
    op.create_table(
        "search_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("album_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_search_changes_at", "search_changes", ["at"])


def downgrade() -> None:
    op.drop_index("ix_search_changes_at", table_name="search_changes")
    op.drop_table("search_changes")
