"""An app over a data directory, for tests that need one outside the `app` fixture."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def migrated_app(data_dir, **config):
    """An app over `data_dir` with the schema migrated; its engine is closed afterwards.

    A new SQLite database starts as a copy of one migrated once a session: running the
    migrations costs a few hundred milliseconds, and hundreds of tests make an app."""
    from gallery import create_app
    from gallery.core import db

    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, **config})
    path = db.sqlite_path(app.config["DATABASE_URL"])
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_database(), path)
    with app.app_context():
        db.migrate(db.get_engine())  # nothing left to do on the copy, all of it otherwise
    try:
        yield app
    finally:
        app.extensions["gallery.engine"].dispose()


@functools.cache
def _migrated_database() -> Path:
    """A database file with every migration applied, made on first use."""
    from gallery import create_app
    from gallery.core import db

    folder = Path(tempfile.mkdtemp(prefix="gallery-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{folder / 'gallery.sqlite3'}"  # SQLite even on a PostgreSQL run
    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        db.migrate(db.get_engine())
    app.extensions["gallery.engine"].dispose()  # the last connection folds the WAL back in
    path = db.sqlite_path(app.config["DATABASE_URL"])
    assert path is not None and not path.with_name(path.name + "-wal").exists(), path
    return path
