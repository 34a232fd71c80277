"""Restoring a backup (see gallery/backup.py) into an empty data directory.

Here the database snapshot and the originals are put back, each verified against its hash;
no Flask. The CLI then migrates the schema and rebuilds the renditions and the search index
with the code that builds them after an import (they are never in a backup).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.core.models import Photo
from gallery.core.storage import TEMP_PREFIX, LocalStorage
from gallery.ops.backup import STARTUP_FILES, BackupDir, Copied, copy_hashing, copy_originals
from gallery.ops.snapshots import BackupError, Snapshot, read_snapshot, sqlite_file


@dataclass(frozen=True)
class DataDir:
    """Where a gallery keeps its data: the root, the database file, media and index."""

    root: Path
    database: Path
    storage: LocalStorage
    index: Path

    @classmethod
    def from_config(cls, config: dict) -> DataDir:
        return cls(
            Path(config["DATA_DIR"]),
            sqlite_file(config["DATABASE_URL"]),
            LocalStorage(config["UPLOADS_DIR"]),
            Path(config["INDEX_DIR"]),
        )


@dataclass(frozen=True)
class Restored:
    manifest: dict
    snapshot: Snapshot
    copied: Copied  # the originals put back, and those missing or damaged in the backup


def restore_files(
    src: Path, data: DataDir, name: str | None = None, revisions: Collection[str] = ()
) -> Restored:
    """Put the named (else the newest) snapshot's database and originals into `data`.

    `revisions` are the schema revisions this code can migrate from (all, if empty).
    """
    backup = BackupDir(src)
    with backup.locked(shared=True):
        manifest = backup.manifest(name)
        if revisions and manifest["schema_revision"] not in revisions:
            raise BackupError(
                f"snapshot {manifest['name']} was made by a newer gallery "
                f"({manifest['app_version']}, schema {manifest['schema_revision']}): "
                "restore it with that version or a later one"
            )
        refuse_unless_empty(data)
        data.storage.ensure()
        data.database.parent.mkdir(parents=True, exist_ok=True)
        # Beside the database, so the last step is a rename on one file system.
        temp_db = data.database.with_name(f"{TEMP_PREFIX}restore-{uuid.uuid4().hex}.sqlite3")
        try:
            copy_database(backup.database(manifest), temp_db, manifest)
            snapshot = read_snapshot(temp_db)
            copied = copy_originals(snapshot.originals, backup.files, data.storage)
            # The database last: a gallery with originals and no database is plainly unfinished.
            os.replace(temp_db, data.database)
        finally:
            temp_db.unlink(missing_ok=True)
    return Restored(manifest, snapshot, copied)


def refuse_unless_empty(data: DataDir) -> None:
    """Restore never overwrites or mixes: the data directory must hold nothing yet."""
    found: list[Path] = []
    for path in _files_in(data):  # stops at the third: a full directory may hold millions
        if path not in found:
            found.append(path)
        if len(found) == 3:
            break
    if found:
        shown = ", ".join(_shown(path, data.root) for path in found)
        raise BackupError(
            f"the data directory {data.root} is not empty (it holds {shown}): restore only "
            "into an empty one, so nothing there is overwritten or mixed with the backup"
        )


def _files_in(data: DataDir) -> Iterator[Path]:
    if data.database.exists():
        yield data.database
    for root in (data.root, data.storage.root, data.index):
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            made_at_start = path.parent == data.root and path.name in STARTUP_FILES
            if path.is_file() and not made_at_start:
                yield path


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def copy_database(source: Path, target: Path, manifest: dict) -> None:
    """Copy a snapshot's database, refusing it unless its bytes match the manifest's hash."""
    name = manifest["name"]
    try:
        digest = copy_hashing(source, target)
    except FileNotFoundError:
        raise BackupError(f"snapshot {name} has lost its database file {source}") from None
    if digest != manifest["database"]["sha256"]:
        raise BackupError(
            f"snapshot {name}'s database is damaged (its bytes differ from the hash in its "
            "manifest): restore another one with --snapshot NAME (see --list)"
        )


def photos_without(session: Session, shas: list[str]) -> list[int]:
    """The photos whose original is not one of these (those came back missing or damaged)."""
    return list(session.scalars(select(Photo.id).where(Photo.sha256.not_in(shas))))
