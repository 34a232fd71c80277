"""Full disks for tests: small tmpfs mounts, filled to a chosen number of free bytes.

The tests run as root (as in CI): a mount that fails is a failure, with the reason, never
a skip.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(path: Path, kib: int, inodes: int | None = None) -> Iterator[Path]:
    """A tmpfs of `kib` KiB (and at most `inodes` files and folders) mounted at `path`."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={kib}k" + (f",nr_inodes={inodes}" if inodes else "")
    mount = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)]
    done = subprocess.run(mount, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(
            f"could not mount a {kib} KiB tmpfs at {path} ({done.stderr.strip()}): the "
            "disk-full tests need root and tmpfs, as the CI machine has"
        )
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)]).returncode != 0:
            holders = _holders(path)
            subprocess.run(["umount", "--lazy", str(path)], check=True)  # never leave it
            raise AssertionError(f"still open on {path} at the end of the test: {holders}")


def _holders(path: Path) -> list[str]:
    """Which processes hold which files under `path` open (from /proc), for the message."""
    found = []
    for link in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = str(link.readlink())
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(f"pid {link.parts[2]}: {target}")
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            mapped = {line.split()[-1] for line in maps.read_text().splitlines()}
        except OSError:
            continue
        found += [f"pid {maps.parts[2]} maps {m}" for m in mapped if m.startswith(str(path))]
    return found


@contextmanager
def filled(disk: Path, leave: int = 0) -> Iterator[None]:
    """Fill the file system at `disk` until `leave` bytes are free; empty it again after."""
    filler = disk / "filler"
    try:
        with open(filler, "wb") as out:
            remaining = shutil.disk_usage(disk).free - leave
            while remaining > 0:
                remaining -= out.write(b"\0" * min(remaining, 1024 * 1024))
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc  # rounding to pages: full is full enough
    try:
        yield
    finally:
        filler.unlink()


def empty_the_write_ahead_log(database: Path) -> None:
    """Checkpoint and truncate the WAL, so the next commit must grow it on the full disk
    (SQLite otherwise reuses the WAL's old room, and a small commit needs no new space)."""
    connection = sqlite3.connect(database, timeout=10)
    try:
        for _attempt in range(50):  # a reader of the server's may hold it for a moment
            busy, _pages, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(0.1)
    finally:
        connection.close()
    raise AssertionError("a reader kept the write-ahead log from being truncated for 5 s")
