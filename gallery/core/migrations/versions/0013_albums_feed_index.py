"""the feed's index on PostgreSQL, in the feed's order (published_at DESC NULLS LAST)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite goes down ix_albums_published with NULLs last already
    order = [sa.text("published_at DESC NULLS LAST"), sa.text("created_at DESC")]
    op.create_index("ix_albums_feed", "albums", ["visibility", "status", *order])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_albums_feed", table_name="albums")
