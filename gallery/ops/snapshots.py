"""The database's part of a backup: what every engine's snapshot offers (see gallery/ops/backup.py).

`DatabasePart` is the small interface; gallery/ops/sqlite_snapshots.py (SQLite's online
backup API) and gallery/ops/postgres_snapshots.py (pg_dump and pg_restore) implement it,
and gallery/ops/engines.py picks one from a database URL's dialect or a manifest's engine.
A snapshot file is read without the database it came from, on the few columns every
schema revision has, so a restore can read an old one before it migrates it.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

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


class DatabasePart(Protocol):
    """One engine's way to snapshot a live database into a file and to put one back."""

    engine: ClassVar[str]  # recorded in the manifest: a snapshot goes back into its own engine
    suffix: ClassVar[str]  # of its snapshot files in the backup's db/

    def __init__(self, database_url: str) -> None: ...

    def snapshot(self, target: Path) -> None:
        """Write a consistent snapshot of the live database to `target`, while writers go on."""

    def still_used(self, shas: list[str]) -> set[str]:
        """Which of these originals the live database's photos still use."""

    def holds(self) -> list[str]:
        """What the live database holds already, in words (empty: a restore may fill it)."""

    def restoring(self, source: Path, manifest: dict) -> AbstractContextManager[Path]:
        """A verified copy of the snapshot to read while the originals are put back; the live
        database becomes it, all at once, when the block ends without an error."""

    @classmethod
    def read(cls, path: Path) -> Snapshot:
        """The originals, counts and schema revision of a snapshot file."""

    @classmethod
    def photos_using(cls, path: Path, shas: list[str]) -> list[str]:
        """The snapshot's photos stored with these originals, in words an admin can look up."""


def damaged(manifest: dict) -> BackupError:
    return BackupError(
        f"snapshot {manifest['name']}'s database is damaged (its bytes differ from the hash in "
        "its manifest): restore another one with --snapshot NAME (see --list)"
    )


def lost(manifest: dict, source: Path) -> BackupError:
    return BackupError(f"snapshot {manifest['name']} has lost its database file {source}")


def described(photos: Iterable[tuple]) -> list[str]:
    """(slug, number, filename, id, sha256) rows as an admin reads them."""
    return [
        f"{slug} #{n} {name!r} (photo {pid}, sha256 {sha})" for slug, n, name, pid, sha in photos
    ]
