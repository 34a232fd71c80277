"""audit events: object_id holds any slug (120 characters, was 64)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# PostgreSQL refused to record a change to an album or article whose slug is longer than 64
# (SQLite ignores a VARCHAR's length). On SQLite this rebuilds audit_events, which no other
# table refers to.
def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("object_id", type_=sa.String(120), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("object_id", type_=sa.String(64), existing_nullable=False)
