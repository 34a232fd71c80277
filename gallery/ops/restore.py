"""Restoring a backup (see gallery/backup.py) into an empty data directory.

Here the database snapshot and the originals are put back, each verified against its hash,
into a gallery on the engine the snapshot came from; no Flask.
The CLI then migrates the schema and rebuilds the renditions and the search index
with the code that builds them after an import (they are never in a backup).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.core import open_storage
from gallery.core.models import Photo
from gallery.core.storage import Storage
from gallery.ops.backup import STARTUP_FILES, BackupDir, Copied, copy_originals
from gallery.ops.engines import database_part, snapshot_engine
from gallery.ops.snapshots import BackupError, DatabasePart, Snapshot


@dataclass(frozen=True)
class DataDir:
    """Where a gallery keeps its data: the root, the database, media and index."""

    root: Path
    database: DatabasePart
    storage: Storage
    index: Path

    @classmethod
    def from_config(cls, config: dict) -> DataDir:
        return cls(
            Path(config["DATA_DIR"]),
            database_part(config["DATABASE_URL"]),
            open_storage(config),
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
        refuse_other_engine(manifest, data.database)
        refuse_unless_empty(data)
        data.storage.ensure()
        with data.database.restoring(backup.database(manifest), manifest) as verified:
            snapshot = data.database.read(verified)
            copied = copy_originals(snapshot.originals, backup.files, data.storage)
            # The database last: a gallery with originals and no database is plainly unfinished.
    return Restored(manifest, snapshot, copied)


def refuse_other_engine(manifest: dict, database: DatabasePart) -> None:
    """A snapshot goes back into the engine it came from; moving between engines is not this."""
    engine = snapshot_engine(manifest)
    if engine != database.engine:
        raise BackupError(
            f"snapshot {manifest['name']} is of a {engine} database and this gallery's "
            f"database is {database.engine}: restore it into a gallery on {engine} "
            "(restore does not move a gallery from one engine to another)"
        )


def refuse_unless_empty(data: DataDir) -> None:
    """Restore never overwrites or mixes: the data directory must hold nothing yet."""
    found = data.database.holds()
    for path in _files_in(data):  # stops at the third: a full directory may hold millions
        if len(found) == 3:
            break
        if _shown(path, data.root) not in found:
            found.append(_shown(path, data.root))
    if found:
        raise BackupError(
            f"the gallery at {data.root} is not empty (it holds {', '.join(found)}): restore "
            "only into an empty data directory and database, so nothing there is overwritten "
            "or mixed with the backup"
        )


def _files_in(data: DataDir) -> Iterator[Path]:
    # The store's own listing first: a bucket's objects are on no disk to walk.
    for folder in ("originals", "renditions"):
        for _parts, place, name, _size, _age in data.storage.scan(folder):
            yield Path(place, name)
    for root in (data.root, data.storage.root, data.index):
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            made_at_start = path.parent == data.root and path.name in STARTUP_FILES
            if path.is_file() and not made_at_start:
                yield path


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def photos_without(session: Session, shas: list[str]) -> list[int]:
    """The photos whose original is not one of these (those came back missing or damaged)."""
    return list(session.scalars(select(Photo.id).where(Photo.sha256.not_in(shas))))
