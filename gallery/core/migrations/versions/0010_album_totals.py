"""album totals: how many albums the staff's and the visitors' lists have, kept

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "album_totals",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("albums", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _fill()


def _fill() -> None:
    """The totals of the albums already there (the rule as it stands at this revision:
    staff list every album but the trash, visitors the active public ones)."""
    albums = sa.table("albums", sa.column("visibility"), sa.column("status"))
    totals = sa.table("album_totals", sa.column("name"), sa.column("albums"))
    active = albums.c.status == "active"
    lists = (("live", active), ("listed", sa.and_(active, albums.c.visibility == "public")))
    fresh: sa.CompoundSelect = sa.union_all(
        *(
            sa.select(sa.literal_column(f"'{name}'"), sa.func.count())
            .select_from(albums)
            .where(where)
            for name, where in lists
        )
    )
    op.execute(totals.insert().from_select(["name", "albums"], fresh))


def downgrade() -> None:
    op.drop_table("album_totals")
