"""The tests on PostgreSQL (scripts/test's second pass): a fresh database for each data directory.

With GALLERY_TEST_DATABASE set to a server's SQLAlchemy URL (`scripts/postgres` prints
one), every data directory a test uses gets a database of its own on that server, where
it would otherwise get gallery.sqlite3: in this process through the config's default (see
`use_for_default_urls`), in a `gallery` subprocess through GALLERY_DATABASE_URL
(`subprocess_env`). Each is a copy of a template migrated once a session, which costs a
fraction of running the migrations; the tests drop theirs when they end.
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from pathlib import Path

SERVER = os.environ.get("GALLERY_TEST_DATABASE", "")
# Names of this process's own: a second run on the same server, or one that died and left
# its databases behind, never meets them.
PREFIX = f"gallery_{os.getpid()}"

_lock = threading.Lock()
_names = itertools.count(1)
_by_data_dir: dict[Path, str] = {}  # data directory -> its database's URL, in creation order


def on_postgres() -> bool:
    return bool(SERVER)


def url_for(data_dir: str | Path, migrated: bool = True) -> str:
    """The URL of the database that belongs to `data_dir`, created on first use (empty,
    with `migrated=False`)."""
    key = Path(data_dir).resolve()
    with _lock:
        if key not in _by_data_dir:
            name = f"{PREFIX}_{next(_names)}"
            copied = f' TEMPLATE "{_template()}"' if migrated else ""
            _admin().execute(f'CREATE DATABASE "{name}"{copied}')
            _by_data_dir[key] = _url(name)
        return _by_data_dir[key]


def database_url(data_dir: str | Path) -> str:
    """The URL of the database a test's `data_dir` uses by default, on either engine."""
    if SERVER:
        return url_for(data_dir)
    return f"sqlite:///{Path(data_dir).resolve() / 'gallery.sqlite3'}"


def subprocess_env(data_dir: str | Path) -> dict[str, str]:
    """What a `gallery --data DATA_DIR` subprocess needs in its environment to use the same
    database as this process (nothing on SQLite)."""
    return {"GALLERY_DATABASE_URL": url_for(data_dir)} if SERVER else {}


def use_for_default_urls() -> None:
    """Make the config's default database (empty DATABASE_URL) the data directory's own
    database on the test server, for every app this process builds."""
    from gallery import config

    resolve_paths = config.resolve_paths

    def resolve_to_test_server(settings: dict) -> dict:
        if not settings["DATABASE_URL"]:
            settings["DATABASE_URL"] = url_for(settings["DATA_DIR"])
        return resolve_paths(settings)

    config.resolve_paths = resolve_to_test_server


def made_count() -> int:
    return len(_by_data_dir)


def drop_made_after(count: int) -> None:
    """Drop the databases made after the first `count`, and any connection still open to one
    (a server a test left running)."""
    with _lock:
        for key in list(_by_data_dir)[count:]:
            name = _by_data_dir.pop(key).rsplit("/", 1)[1]
            _admin().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_all() -> None:
    drop_made_after(0)
    if _template.cache_info().currsize:
        _admin().execute(f'DROP DATABASE IF EXISTS "{_template()}" WITH (FORCE)')
    if _admin.cache_info().currsize:
        _admin().close()


def _url(database: str) -> str:
    from sqlalchemy import make_url

    return make_url(SERVER).set(database=database).render_as_string(hide_password=False)


@functools.cache
def _admin():
    """One autocommit connection for CREATE and DROP DATABASE (no transaction may hold them)."""
    import psycopg
    from sqlalchemy import make_url

    server = make_url(SERVER).set(drivername="postgresql")
    return psycopg.connect(server.render_as_string(hide_password=False), autocommit=True)


@functools.cache
def _template() -> str:
    """A database with every migration applied, made once a session (one per xdist worker)."""
    from gallery.core import db

    name = f"{PREFIX}_template"
    _admin().execute(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(_url(name))
    db.migrate(engine)
    engine.dispose()  # a template must have no connection when it is copied
    return name
