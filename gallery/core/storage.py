"""Where media lives: content-addressed originals, renditions, temp files; atomic writes.

Two backends share one interface (`Storage`): this disk (LocalStorage, the default) and an
S3 bucket (gallery.core.objects), picked by gallery.core.open_storage from the settings.
Callers ask for what they need (a local copy, a stream, a URL, a listing), never assume a
disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from gallery.core import tempfiles

TEMP_PREFIX = tempfiles.PREFIX
CHUNK = 1024 * 1024  # bytes read at a time when hashing
WRITING = ".writing"  # the suffix of the marker a process holds while it stores files
ABANDONED_AFTER = 24 * 3600  # seconds after which a temp file named by no lease is dropped
Listed = tuple[tuple[str, ...], str, str, int, float]  # folders below, folder, name, size, age


class Storage(Protocol):
    """What every backend offers. Paths under `root` name stored files: on this disk for
    LocalStorage, objects of the bucket for ObjectStorage (nothing there is on a disk)."""

    root: Path
    shared: bool  # other machines store files here too, whose writers this one cannot see

    def ensure(self) -> None: ...
    def temp_path(self, suffix: str = "") -> Path: ...
    def clean_temp(self, older_than: float = 0) -> int: ...
    def clean_abandoned_temp(self, max_age: float = ABANDONED_AFTER) -> int: ...
    def writing(self) -> Any: ...
    def writers_alive(self, max_age: float = ABANDONED_AFTER) -> bool: ...
    def original_path(self, sha256: str, ext: str) -> Path: ...
    def rendition_path(self, sha256: str, name: str, fmt: str) -> Path: ...
    def put_original(self, temp: Path, sha256: str, ext: str) -> object: ...
    def write_rendition(self, sha256: str, name: str, fmt: str, data: bytes) -> object: ...
    def put_incoming(self, temp: Path) -> str: ...
    def incoming(self, key: str) -> Any: ...
    def remove_incoming(self, key: str) -> None: ...
    def remove_original(self, sha256: str, ext: str) -> None: ...
    def remove_renditions(self, sha256: str) -> None: ...
    def keep_renditions(self, sha256: str, keep: set[tuple[str, str]]) -> None: ...
    def original_size(self, sha256: str, ext: str) -> int | None: ...
    def local_original(self, sha256: str, ext: str) -> Path | None: ...
    def open_original(self, sha256: str, ext: str) -> BinaryIO: ...
    def local_rendition(self, sha256: str, name: str, fmt: str) -> Path | None: ...
    def rendition_url(self, sha256: str, name: str, fmt: str, public: bool) -> str | None: ...
    def scan(self, folder: str) -> Iterator[Listed]: ...
    def exists(self, path: Path) -> bool: ...
    def age(self, path: Path) -> float: ...
    def hash_file(self, path: Path) -> str: ...
    def delete(self, path: Path) -> None: ...
    def move_aside(self, path: Path, target: Path) -> None: ...
    def matching(self, pattern: str) -> list[Path]: ...
    def append_text(self, path: Path, text: str) -> None: ...


class LocalStorage:
    """Media on a local disk under one root: originals/, renditions/, tmp/ (and leases/)."""

    shared = False

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.leases = self.root / "leases"  # who owns the temp files (tempfiles.py)

    def ensure(self) -> None:
        for name in ("originals", "renditions", "tmp", "incoming"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def temp_path(self, suffix: str = "") -> Path:
        """A fresh name in tmp/ that nothing else uses, naming this process's lease."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / tempfiles.new_name(tempfiles.hold(self.leases), suffix)

    def original_path(self, sha256: str, ext: str) -> Path:
        return self.root / "originals" / _shard(sha256) / f"{sha256}.{ext}"

    def rendition_path(self, sha256: str, name: str, fmt: str) -> Path:
        return self.root / "renditions" / _shard(sha256) / sha256 / f"{name}.{_ext(fmt)}"

    def put_original(self, temp: Path, sha256: str, ext: str) -> Path:
        """Move a received temp file into place; the same bytes are stored only once."""
        final = self.original_path(sha256, ext)
        if final.exists():
            temp.unlink(missing_ok=True)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        _fsync_file(temp)
        os.replace(temp, final)
        os.chmod(final, 0o444)  # originals are never modified
        # The rename too must reach the disk before the photo's row is committed: after a
        # power cut the row would otherwise name an original that never arrived.
        _fsync_file(final.parent)
        return final

    def write_rendition(self, sha256: str, name: str, fmt: str, data: bytes) -> Path:
        """Write a rendition under its final name atomically (temp file, fsync, rename)."""
        final = self.rendition_path(sha256, name, fmt)
        write_atomic(final, data, self.temp_path(f".{_ext(fmt)}"))
        return final

    def put_incoming(self, temp: Path) -> str:
        """Keep an upload for the job queue's workers; return its key."""
        key = f"{uuid.uuid4().hex}{temp.suffix}"
        final = self.root / "incoming" / key
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        return key

    @contextmanager
    def incoming(self, key: str) -> Iterator[Path]:
        """A kept upload as a local file, for as long as the block runs."""
        yield self.root / "incoming" / key

    def remove_incoming(self, key: str) -> None:
        (self.root / "incoming" / key).unlink(missing_ok=True)

    def remove_original(self, sha256: str, ext: str) -> None:
        """Delete an original no row uses: emptying the trash, or an import that failed to
        store it (disk full) taking back what it put in place; nothing else ever does."""
        self.original_path(sha256, ext).unlink(missing_ok=True)

    def remove_renditions(self, sha256: str) -> None:
        shutil.rmtree(self.rendition_path(sha256, "x", "jpeg").parent, ignore_errors=True)

    def keep_renditions(self, sha256: str, keep: set[tuple[str, str]]) -> None:
        """Remove the photo's rendition files other than `keep` ((name, format) pairs)."""
        wanted = {self.rendition_path(sha256, name, fmt) for name, fmt in keep}
        folder = self.rendition_path(sha256, "x", "jpeg").parent
        for path in folder.iterdir() if folder.is_dir() else ():
            if path not in wanted:
                path.unlink(missing_ok=True)

    def original_size(self, sha256: str, ext: str) -> int | None:
        """The stored original's size in bytes, or None when it is not there."""
        try:
            return self.original_path(sha256, ext).stat().st_size
        except FileNotFoundError:
            return None

    def local_original(self, sha256: str, ext: str) -> Path | None:
        """A file on this disk with the original's bytes (here: the original itself)."""
        path = self.original_path(sha256, ext)
        return path if path.is_file() else None

    def open_original(self, sha256: str, ext: str) -> BinaryIO:
        """The original's bytes to read; FileNotFoundError when it is not there."""
        return open(self.original_path(sha256, ext), "rb")

    def local_rendition(self, sha256: str, name: str, fmt: str) -> Path | None:
        path = self.rendition_path(sha256, name, fmt)
        return path if path.is_file() else None

    def rendition_url(self, sha256: str, name: str, fmt: str, public: bool) -> str | None:
        """Where a browser fetches the rendition itself; None: the app sends the file."""
        return None

    # --- stored files by path, for `gallery check` and its repair ---------------------------

    def scan(self, folder: str) -> Iterator[Listed]:
        """Every file below root/folder, each folder's entries in name order."""
        return _files_in_name_order(str(self.root / folder), ())

    def exists(self, path: Path) -> bool:
        return path.exists()

    def age(self, path: Path) -> float:
        return tempfiles.age(path)

    def hash_file(self, path: Path) -> str:
        return file_sha256(path)

    def delete(self, path: Path) -> None:
        """Delete a file, and its folder if that is left empty (a photo's renditions)."""
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: other renditions of the original
            path.parent.rmdir()

    def move_aside(self, path: Path, target: Path) -> None:
        """Move a file to `target`, never over another file."""
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)  # fails rather than overwrite, unlike a rename
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links, or another device
            shutil.move(path, target)
        else:
            path.unlink()

    def matching(self, pattern: str) -> list[Path]:
        return sorted(self.root.glob(pattern))

    def append_text(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as notes:
            notes.write(text)

    def clean_temp(self, older_than: float = 0) -> int:
        """Remove temp files left behind (older than `older_than` seconds); return the count."""
        if not self.tmp.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for path in self.tmp.glob(f"{TEMP_PREFIX}*"):
            if path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def clean_abandoned_temp(self, max_age: float = ABANDONED_AFTER) -> int:
        """Remove temp files whose writer is gone, then its lease; return the count of files.

        Gone: its lease unlocked and stale, or removed. A file named by no lease (written
        before leases, or by a process that could not write one) goes once it is `max_age`
        seconds old. A live owner's file stays whatever its age: it may still be renamed
        into place.
        """
        removed = 0
        for path in self.tmp.glob(f"{TEMP_PREFIX}*") if self.tmp.is_dir() else ():
            try:
                alive = tempfiles.owner_alive(path, self.leases)
                if alive is False or (alive is None and tempfiles.age(path) > max_age):
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # its owner finished with it meanwhile
        # The files first: a lease that died meanwhile leaves files named by a lease gone,
        # which the next clean-up removes.
        for lease in tempfiles.dead_leases(self.leases):
            lease.unlink(missing_ok=True)
        return removed

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Mark this process as storing files whose rows are not committed yet.

        `gallery check --repair` leaves young files without a row alone while such a
        marker's owner lives. The marker names this process's lease, which is touched while
        the process lives: a killed writer's marker stops counting once its lease is stale
        (at once on a machine that sees the lease's lock), another machine's included.
        """
        marker = self.temp_path(WRITING)
        marker.touch()
        try:
            yield
        finally:
            marker.unlink(missing_ok=True)

    def writers_alive(self, max_age: float = ABANDONED_AFTER) -> bool:
        """Whether a live process holds a `writing` marker (one without a lease: a young one)."""
        for marker in self.tmp.glob(f"{TEMP_PREFIX}*{WRITING}") if self.tmp.is_dir() else ():
            try:
                alive = tempfiles.owner_alive(marker, self.leases)
                if alive or (alive is None and tempfiles.age(marker) <= max_age):
                    return True
            except FileNotFoundError:
                continue
        return False


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashing(source: Path, target: Path) -> str:
    """Copy a file and return the SHA-256 of the bytes copied."""
    with open(source, "rb") as reader:
        return stream_hashing(reader, target)


def stream_hashing(reader: BinaryIO, target: Path) -> str:
    """Write a stream's bytes to a file and return their SHA-256."""
    digest = hashlib.sha256()
    with open(target, "wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()


def write_atomic(final: Path, data: bytes, temp: Path) -> None:
    """Write bytes to `temp`, flush them to disk, then rename over `final`."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)


def _files_in_name_order(folder: str, parts: tuple[str, ...]) -> Iterator[Listed]:
    """Every file below `folder` with the folders leading to it, each folder sorted by name."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        return
    now = time.time()
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _files_in_name_order(entry.path, (*parts, entry.name))
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # gone since the folder was listed (trash emptied meanwhile)
            yield parts, folder, entry.name, -1, 0.0
            continue
        yield parts, folder, entry.name, stat.st_size, now - max(stat.st_mtime, stat.st_ctime)


def _fsync_file(path: Path) -> None:
    """Flush a file's bytes, or a folder's entries, to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _shard(sha256: str) -> Path:
    return Path(sha256[:2]) / sha256[2:4]


def _ext(fmt: str) -> str:
    return {"jpeg": "jpg"}.get(fmt, fmt)
