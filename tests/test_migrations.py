"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from gallery.core.db import make_engine, migrate
from gallery.core.models import Base
from tests.helpers import databases


# SQLite can't reflect an expression index: the feed's (PostgreSQL's only) is compared by
# the test on PostgreSQL below.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrated_schema_matches_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    migrate(engine)
    migrate(engine)  # a second run is a no-op
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert diff == []
    assert journal == "wal"
    assert {"albums", "photos", "renditions", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


ON_POSTGRES = "runs on PostgreSQL (GALLERY_TEST_DATABASE)"


@pytest.mark.skipif(not databases.on_postgres(), reason=ON_POSTGRES)
def test_migrated_postgresql_schema_matches_models(tmp_path):
    """Every migration, from an empty database, on PostgreSQL (where batch mode is off)."""
    engine = make_engine(databases.url_for(tmp_path, migrated=False))
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []
