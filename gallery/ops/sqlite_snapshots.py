"""SQLite's part of a backup: the online backup API while the gallery runs, a file back."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import ClassVar

from gallery.core.db import sqlite_path
from gallery.core.storage import TEMP_PREFIX, copy_hashing
from gallery.ops.snapshots import (
    COUNTED_TABLES,
    BackupError,
    Original,
    Snapshot,
    damaged,
    described,
    lost,
)


class SqlitePart:
    """A SQLite file: snapshots are database files too, checked with `PRAGMA quick_check`."""

    engine: ClassVar[str] = "sqlite"
    suffix: ClassVar[str] = ".sqlite3"

    def __init__(self, database_url: str) -> None:
        path = sqlite_path(database_url)
        if path is None:
            raise BackupError("the database lives in memory: there is nothing to back up")
        self.path = path

    def snapshot(self, target: Path) -> None:
        """The whole copy is one step of the online backup API, hence one read transaction:
        the database as of one moment. In WAL mode that step never blocks a writer."""
        if not self.path.is_file():
            raise BackupError(f"there is no database at {self.path}: is --data right?")
        with closing(_connect(self.path, "rw")) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the database snapshot fails SQLite's own check: {verdict}")

    def still_used(self, shas: list[str]) -> set[str]:
        query = "SELECT DISTINCT sha256 FROM photos WHERE sha256 IN ({})"
        with closing(_connect(self.path, "rw")) as conn:
            return {row[0] for row in _select_in(conn, query, shas)}

    def holds(self) -> list[str]:
        return [self.path.name] if self.path.exists() else []

    @contextmanager
    def restoring(self, source: Path, manifest: dict) -> Iterator[Path]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Beside the database, so the last step is a rename on one file system.
        temp = self.path.with_name(f"{TEMP_PREFIX}restore-{uuid.uuid4().hex}{self.suffix}")
        try:
            try:
                digest = copy_hashing(source, temp)
            except FileNotFoundError:
                raise lost(manifest, source) from None
            if digest != manifest["database"]["sha256"]:
                raise damaged(manifest)
            yield temp
            os.replace(temp, self.path)
        finally:
            temp.unlink(missing_ok=True)

    @classmethod
    def read(cls, path: Path) -> Snapshot:
        try:
            with closing(_connect(path, "ro")) as conn:
                return _read(conn)
        except sqlite3.Error as exc:
            raise BackupError(f"the database snapshot {path} cannot be read: {exc}") from None

    @classmethod
    def photos_using(cls, path: Path, shas: list[str]) -> list[str]:
        query = (
            "SELECT albums.slug, photos.number, photos.filename, photos.id, photos.sha256 "
            "FROM photos JOIN albums ON albums.id = photos.album_id WHERE sha256 IN ({}) "
            "ORDER BY albums.slug, photos.number"
        )
        with closing(_connect(path, "ro")) as conn:
            return described(_select_in(conn, query, shas))


def _read(conn: sqlite3.Connection) -> Snapshot:
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
