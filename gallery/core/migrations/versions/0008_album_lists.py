"""album lists at a million photos: listed day, kept counts, indexes of the lists

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild of albums would drop the table, and SQLite's DROP
    # TABLE deletes its rows first, cascading to every photo while foreign keys are on.
    op.add_column("albums", sa.Column("listed_on", sa.Date(), nullable=True))
    for name in ("public_photos", "live_photos"):
        op.add_column("albums", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "listed_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("albums", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    _fill()
    op.create_index("ix_albums_listed", "albums", ["visibility", "status", "listed_on", "id"])
    op.create_index("ix_albums_live", "albums", ["status", "listed_on", "id"])
    op.create_index(
        "ix_albums_published", "albums", ["visibility", "status", "published_at", "created_at"]
    )


def _fill() -> None:
    """The listed days and the counts of the rows already there (the rule of who sees what
    as it stands at this revision: visitors the active photos with consent, staff every
    active one, listed albums the active public ones)."""
    op.execute(
        "UPDATE albums SET listed_on = coalesce(event_date, date(created_at)),"
        " public_photos = (SELECT count(*) FROM photos WHERE photos.album_id = albums.id"
        " AND photos.status = 'active' AND photos.consent = 'ok'),"
        " live_photos = (SELECT count(*) FROM photos WHERE photos.album_id = albums.id"
        " AND photos.status = 'active')"
    )
    year = sa.func.extract("year", sa.column("listed_on"))
    albums = sa.table(
        "albums", sa.column("listed_on"), sa.column("visibility"), sa.column("status")
    )
    years = sa.table("listed_years", sa.column("year"), sa.column("albums"))
    listed = (
        sa.select(year, sa.func.count())
        .select_from(albums)
        .where(albums.c.visibility == "public", albums.c.status == "active")
        .group_by(year)
    )
    op.execute(years.insert().from_select(["year", "albums"], listed))


def downgrade() -> None:
    for name in ("ix_albums_published", "ix_albums_live", "ix_albums_listed"):
        op.drop_index(name, table_name="albums")
    op.drop_table("listed_years")
    for name in ("live_photos", "public_photos", "listed_on"):
        op.drop_column("albums", name)  # not a batch rebuild: see upgrade()
