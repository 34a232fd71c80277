"""Backups of what cannot be rebuilt, taken while the gallery runs; restores from them.

A backup directory holds
    db/<name>.sqlite3       database snapshots, each made with SQLite's online backup API,
    db/<name>.dump          or with pg_dump (its custom format) from PostgreSQL
    db/<name>.json          each snapshot's manifest (engine, counts, app version, schema
                            revision), written last: a snapshot without a manifest is
                            unfinished, never used
    originals/ab/cd/<sha256>.<ext>
                            every original a snapshot references, shared by all snapshots
                            (content-addressed: a second backup copies only the new ones)
    tmp/                    files being copied, renamed into place once complete and verified
Renditions and the search index are left out: a restore rebuilds them. So is
DATA_DIR/.secret_key: it only signs session cookies, so a restored gallery makes a new one
and people sign in again; keeping it out keeps one secret fewer in the backup.

Order makes a backup consistent: the database first, then every original that snapshot
references. Imports move an original into place before they commit its row, and originals
never change and are deleted only when the trash is emptied, after their rows. So every row
of a snapshot has its original on disk, unless the trash was emptied meanwhile: then the
backup takes a fresh snapshot, in which those rows are gone.

The database's part (snapshot, read a snapshot, put one back) is one small interface in
gallery/ops/snapshots.py, for SQLite and for PostgreSQL; restoring is gallery/ops/restore.py.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from gallery.core.storage import (
    LocalStorage,
    Storage,
    file_sha256,
    stream_hashing,
    write_atomic,
)
from gallery.ops.engines import SNAPSHOT_SUFFIXES, database_part, part_class, snapshot_engine
from gallery.ops.snapshots import BackupError, DatabasePart, Original, Snapshot

log = logging.getLogger(__name__)

SNAPSHOT_ATTEMPTS = 3  # fresh snapshots taken when the trash is emptied during a backup
STARTUP_FILES = {".secret_key"}  # what the app itself writes into DATA_DIR when it starts


class DamagedOriginal(Exception):
    """The bytes read differ from the hash they are stored under."""


@dataclass
class Copied:
    """What became of the originals a snapshot references, copied from one store to another."""

    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    missing: list[str] = field(default_factory=list)  # sha256 of originals not found
    damaged: list[str] = field(default_factory=list)  # sha256 of originals with other bytes

    @property
    def ok(self) -> bool:
        return not (self.missing or self.damaged)


# --- originals ----------------------------------------------------------------------------


def copy_originals(originals: list[Original], source: Storage, target: Storage) -> Copied:
    """Copy each original the target lacks, verifying its hash on the way."""
    copied = Copied()
    for original in originals:
        size = target.original_size(original.sha256, original.extension)
        if size == original.size:
            copied.already_there += 1
            continue
        if size is not None:  # a wrong size is a damaged copy: replace it
            target.remove_original(original.sha256, original.extension)
        try:
            copy_original(original, source, target)
        except FileNotFoundError:
            copied.missing.append(original.sha256)
        except DamagedOriginal:
            copied.damaged.append(original.sha256)
        else:
            copied.copied += 1
            copied.bytes_copied += original.size
    return copied


def copy_original(original: Original, source: Storage, target: Storage) -> None:
    """Copy to a temp name, check the hash of the bytes written, then put it in place."""
    temp = target.temp_path()
    try:
        with source.open_original(original.sha256, original.extension) as reader:
            digest = stream_hashing(reader, temp)
        if digest != original.sha256:
            raise DamagedOriginal(original.sha256)
        target.put_original(temp, original.sha256, original.extension)
    finally:
        temp.unlink(missing_ok=True)


# --- the backup directory -----------------------------------------------------------------


class BackupDir:
    """A backup directory: snapshots in db/, originals shared by them, temp files in tmp/."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.db = self.root / "db"
        self.files = LocalStorage(self.root)  # same originals/ layout as the gallery's own

    @contextmanager
    def locked(self, *, shared: bool = False) -> Iterator[None]:
        """One backup writes at a time; restores read alongside each other, never while pruning."""
        path = self.root / ".lock"
        if shared and not path.exists():  # a backup on read-only media has nothing to fear
            yield
            return
        with open(path, "r" if shared else "a") as handle:
            try:
                fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(
                    f"another backup or restore is using {self.root}; try again when it is done"
                ) from None
            yield

    def manifests(self) -> list[dict]:
        """The finished snapshots' manifests, oldest first."""
        found = []
        for path in self.db.glob("*.json"):
            try:
                found.append(json.loads(path.read_text()))
            except (OSError, ValueError) as exc:  # one damaged manifest hides one snapshot
                log.warning("skipping the snapshot of the unreadable manifest %s: %s", path, exc)
        return sorted(found, key=lambda m: (m["created_at"], m["name"]))

    def manifest(self, name: str | None = None) -> dict:
        """The named snapshot's manifest, or the newest one's."""
        manifests = self.manifests()
        if not manifests:
            raise BackupError(f"{self.root} holds no finished backup")
        if name is None:
            return manifests[-1]
        for manifest in manifests:
            if manifest["name"] == name:
                return manifest
        known = ", ".join(m["name"] for m in manifests)
        raise BackupError(f"no snapshot {name!r} in {self.root}; there are: {known}")

    def database(self, manifest: dict) -> Path:
        return self.db / manifest["database"]["file"]

    def read(self, manifest: dict) -> Snapshot:
        """What a snapshot holds, read by its own engine's part."""
        return part_class(snapshot_engine(manifest)).read(self.database(manifest))

    def photos_using(self, manifest: dict, shas: list[str]) -> list[str]:
        return part_class(snapshot_engine(manifest)).photos_using(self.database(manifest), shas)

    def free_name(self, created: datetime) -> str:
        base = created.strftime("%Y%m%dT%H%M%SZ")
        name, n = base, 1
        while any(self.db.glob(f"{name}.*")):
            n += 1
            name = f"{base}-{n}"
        return name

    def commit(self, temp_db: Path, manifest: dict) -> None:
        """Move a finished snapshot into place; its manifest last, as the mark it is whole."""
        self.db.mkdir(parents=True, exist_ok=True)
        _fsync(temp_db)
        temp_db.replace(self.database(manifest))
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        write_atomic(self.db / f"{manifest['name']}.json", text.encode(), self.files.temp_path())

    def clean_unfinished(self) -> None:
        """Remove what a backup that died left behind (called under the lock)."""
        self.files.clean_temp()
        for path in self.db.glob("*"):
            # By name, not by reading manifests: a damaged manifest never costs its snapshot.
            if path.suffix in SNAPSHOT_SUFFIXES and not path.with_suffix(".json").exists():
                path.unlink()

    def prune(self, keep: int) -> dict[str, int]:
        """Keep the newest `keep` snapshots and only the originals they reference."""
        manifests = self.manifests()
        old, kept = manifests[:-keep], manifests[-keep:]
        for manifest in old:  # the manifest first: a half-removed snapshot is merely unfinished
            (self.db / f"{manifest['name']}.json").unlink()
            self.database(manifest).unlink(missing_ok=True)
        removed = self._prune_originals(kept) if old else 0
        return {"snapshots": len(old), "originals": removed}

    def _prune_originals(self, kept: list[dict]) -> int:
        try:
            wanted = {o.sha256 for m in kept for o in self.read(m).originals}
        except BackupError as exc:  # unsure what a kept snapshot needs: remove nothing
            log.warning("originals not pruned: a kept snapshot is unreadable (%s)", exc)
            return 0
        removed = 0
        for path in (self.root / "originals").glob("*/*/*"):
            if path.stem not in wanted:
                path.unlink()
                removed += 1
        return removed


# --- backup -------------------------------------------------------------------------------


@dataclass
class Taken:
    """A snapshot in a temp file with its originals copied: all that a manifest records."""

    database: Path
    created: datetime
    snapshot: Snapshot
    copied: Copied
    attempts: int


def run_backup(database_url: str, storage: Storage, dest: Path, keep: int | None = None) -> dict:
    """Snapshot the database, copy the originals it references into `dest`; the manifest."""
    live = database_part(database_url)
    target = BackupDir(dest)
    if target.root.is_relative_to(storage.root.resolve()):
        raise BackupError(f"{dest} is inside the uploads directory: choose a place outside it")
    (target.root / "originals").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with target.locked():
        target.clean_unfinished()
        taken = snapshot_and_copy(live, storage, target)
        manifest = _manifest(target.free_name(taken.created), live, taken)
        manifest["seconds"] = round(time.monotonic() - started, 2)
        target.commit(taken.database, manifest)
        if keep:
            manifest["pruned"] = target.prune(keep)
    return manifest


def snapshot_and_copy(live: DatabasePart, storage: Storage, target: BackupDir) -> Taken:
    """The database first, then its originals; again if the trash was emptied in between."""
    earlier = Copied()  # what attempts before this one copied
    for attempt in range(1, SNAPSHOT_ATTEMPTS + 1):
        temp_db = target.files.temp_path(live.suffix)
        created = datetime.now(UTC)
        live.snapshot(temp_db)
        snapshot = type(live).read(temp_db)
        copied = copy_originals(snapshot.originals, storage, target.files)
        copied.copied += earlier.copied
        copied.bytes_copied += earlier.bytes_copied
        gone = set(copied.missing) - live.still_used(copied.missing)
        if not gone or attempt == SNAPSHOT_ATTEMPTS:
            return Taken(temp_db, created, snapshot, copied, attempt)
        # Their rows were deleted after the snapshot: the trash was emptied. A fresh snapshot
        # no longer has them, and what was copied so far is not copied again.
        log.warning("the trash was emptied during the backup; taking a fresh snapshot")
        temp_db.unlink()
        earlier = copied
    raise AssertionError("unreachable")


def _manifest(name: str, live: DatabasePart, taken: Taken) -> dict:
    return {
        "name": name,
        "created_at": taken.created.isoformat(),
        "app_version": _app_version(),
        "schema_revision": taken.snapshot.revision,
        "database": {
            "engine": live.engine,
            "file": f"{name}{live.suffix}",
            "sha256": file_sha256(taken.database),
        },
        "counts": taken.snapshot.counts,
        "originals": asdict(taken.copied),
        "attempts": taken.attempts,
    }


def _app_version() -> str:
    try:
        return metadata.version("gallery")
    except metadata.PackageNotFoundError:
        return "unknown"


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
