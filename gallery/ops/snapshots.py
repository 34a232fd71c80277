"""Database snapshots: the one module that knows the database is SQLite.

A snapshot is made with SQLite's online backup API while the gallery runs, and read with
plain SQL on the few columns every schema revision has, so a restore can read an old one
before it migrates it. Any other database (PostgreSQL) is refused in `sqlite_file` with its
own tool named: the seam where a second backend would plug in.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from gallery.core.db import sqlite_path
from gallery.ingest.accept import EXTENSIONS

COUNTED_TABLES = ("albums", "photos", "articles", "users", "audit_events")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in plain words."""


@dataclass(frozen=True)
class Original:
    sha256: str
    format: str
    size: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format.upper()]


@dataclass(frozen=True)
class Snapshot:
    """What a database snapshot holds: its originals, row counts and schema revision."""

    originals: list[Original]
    counts: dict[str, int]
    revision: str


def sqlite_file(database_url: str) -> Path:
    """The SQLite file behind the URL; any other database is refused with its own tool named."""
    backend = make_url(database_url).get_backend_name()
    if backend != "sqlite":
        raise BackupError(
            f"the database is {backend}, and gallery backup and restore handle SQLite only: "
            "use pg_dump and pg_restore (or your database's own tool) for the database, "
            "and copy uploads/originals/ as files"
        )
    path = sqlite_path(database_url)
    if path is None:
        raise BackupError("the database lives in memory: there is nothing to back up")
    return path


def snapshot_database(live: Path, target: Path) -> None:
    """Copy the live database into `target` while writers go on (SQLite's online backup API).

    The whole copy is one step, hence one read transaction: the database as of one moment.
    In WAL mode that step never blocks a writer.
    """
    if not live.is_file():
        raise BackupError(f"there is no database at {live}: is --data right?")
    with closing(_connect(live, "rw")) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"the database snapshot fails SQLite's own check: {verdict}")


def read_snapshot(path: Path) -> Snapshot:
    """The originals, counts and schema revision of a database file."""
    with closing(_connect(path, "ro")) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        # Table names from COUNTED_TABLES only, never from input.
        count = "SELECT COUNT(*) FROM {}"
        counts = {
            name: conn.execute(count.format(name)).fetchone()[0]
            for name in COUNTED_TABLES
            if name in tables
        }
        rows = conn.execute(
            "SELECT sha256, MIN(format), MAX(byte_size) FROM photos GROUP BY sha256"
        ).fetchall()
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    originals = [Original(sha, fmt, size) for sha, fmt, size in rows]
    return Snapshot(originals, {**counts, "originals": len(originals)}, revision)


def photos_using(database: Path, shas: list[str]) -> list[str]:
    """The photos stored with these originals, in words an admin can look up."""
    query = (
        "SELECT albums.slug, photos.number, photos.filename, photos.id, photos.sha256 "
        "FROM photos JOIN albums ON albums.id = photos.album_id WHERE sha256 IN ({}) "
        "ORDER BY albums.slug, photos.number"
    )
    with closing(_connect(database, "ro")) as conn:
        rows = _select_in(conn, query, shas)
    return [f"{slug} #{n} {name!r} (photo {pid}, sha256 {sha})" for slug, n, name, pid, sha in rows]


def still_used(live: Path, shas: list[str]) -> set[str]:
    """Which of these originals the live database's photos still use."""
    query = "SELECT DISTINCT sha256 FROM photos WHERE sha256 IN ({})"
    with closing(_connect(live, "rw")) as conn:
        return {row[0] for row in _select_in(conn, query, shas)}


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    # mode=rw never creates an empty database where a file is missing; ro never writes.
    return sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=30)


def _select_in(conn: sqlite3.Connection, query: str, values: list[str]) -> list[tuple]:
    """Run `query` with its `IN ({})` filled, in slices under SQLite's limit on parameters."""
    rows: list[tuple] = []
    for start in range(0, len(values), 500):
        part = values[start : start + 500]
        rows += conn.execute(query.format(",".join("?" * len(part))), part).fetchall()
    return rows
