"""The database's life: engine, sessions, schema migrations."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, threads: int = 5) -> Engine:
    """An engine that keeps a connection for each of `threads` threads working at once (and
    lends as many more for a moment); SQLite gets WAL, a busy timeout and enforced foreign
    keys.

    SQLAlchemy keeps 5 by default and closes any more when they come back: with 32 request
    threads, busy moments opened and closed connections (and set up SQLite on each) for
    every request, and that work made the moment busier still.
    """
    pool = {"pool_size": threads, "max_overflow": threads}
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True, **pool)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "begin", _begin_postgresql)
        return engine
    engine = create_engine(url, connect_args={"timeout": 30}, **pool)
    event.listen(engine, "connect", _tune_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _tune_sqlite(dbapi_connection, _record) -> None:
    # SQLAlchemy, not the driver, starts transactions (see _begin_sqlite).
    dbapi_connection.isolation_level = None
    # WAL lets visitors read while an import writes; NORMAL is durable enough with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite(connection) -> None:
    # A deferred read-then-write transaction fails at once ("database is locked") when another
    # writer committed since it read; one that takes the write lock at BEGIN waits its turn
    # under the busy timeout instead. Readers never wait for it in WAL mode.
    writes = connection.get_execution_options().get("writes", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


# Any fixed number: the one advisory lock that PostgreSQL writers take in turn.
WRITERS_LOCK = 0x6A11E5


def _begin_postgresql(connection) -> None:
    # What BEGIN IMMEDIATE is on SQLite: one writer at a time, across every server of the
    # database. The app reads and then writes in one transaction (an album's next photo
    # number, a sign-in's count of failures), which READ COMMITTED alone lets two writers
    # do at once: both upload into number 5 and one fails (uq_photo_album_number), both
    # count 4 failures and a sixth guess is checked. Readers never wait for it. The
    # timeout is SQLite's busy timeout.
    if connection.get_execution_options().get("writes", False):
        connection.exec_driver_sql("SET LOCAL lock_timeout = '30s'")
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITERS_LOCK})")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite database URL; None for another database or one in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    # Alembic costs a third of a second to import and only `init` and tests migrate.
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def init_app(app: Flask) -> None:
    """Give the app an engine and a session factory; close the request's session after it."""
    engine = make_engine(app.config["DATABASE_URL"], threads=app.config["SERVE_THREADS"])
    app.extensions["gallery.engine"] = engine
    app.extensions["gallery.db"] = sessionmaker(engine, expire_on_commit=False)
    writer = engine.execution_options(writes=True)
    app.extensions["gallery.db.writes"] = sessionmaker(writer, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions["gallery.engine"]


def session_factory(writes: bool = True) -> sessionmaker[Session]:
    """The current app's session factory (for work outside one request's session)."""
    return current_app.extensions["gallery.db.writes" if writes else "gallery.db"]


def get_session() -> Session:
    """The session of the current request or CLI command; only writers queue for the lock.

    A request that only reads says so with `reads_only()` before it starts (the web layer
    does it for GET, HEAD and OPTIONS); anything else gets a writer's session.
    """
    if "db_session" not in g:
        g.db_session = session_factory(writes=not g.get("db_reads_only", False))()
    return g.db_session


def reads_only() -> None:
    """Say that this request or command will not write: its session never takes the lock."""
    g.db_reads_only = True


def writes_after_all() -> None:
    """Say that this safe-method request writes after all (the provider's redirect back to a
    sign-in): from now on its session is a writer's, which takes the lock when it begins."""
    g.db_reads_only = False
    reader = g.pop("db_session", None)
    if reader is not None:
        reader.close()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
