"""An app over a data directory, for tests that need one outside the `app` fixture."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def migrated_app(data_dir, **config):
    """An app over `data_dir` with the schema migrated; its engine is closed afterwards."""
    from gallery import create_app
    from gallery.core import db

    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, **config})
    with app.app_context():
        db.migrate(db.get_engine())
    try:
        yield app
    finally:
        app.extensions["gallery.engine"].dispose()
