"""Whether a `gallery serve` of a data directory is running: an flock the server holds.

The server takes a shared flock on DATA_DIR/serve.lock for as long as it runs; a command
asks by trying an exclusive lock without waiting. A lock rather than a pid file: the
kernel drops it when the last process holding it ends, however it ends (SIGKILL, a power
cut), so a stale file never makes an import crawl at low priority, and a reused pid never
fakes a server. Shared, so that two servers of one directory can both hold it; gunicorn's
workers inherit the open file, so it lasts until the whole server is gone.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "serve.lock"


@contextmanager
def serving(data_dir: str | Path) -> Iterator[None]:
    """Hold the mark of a running server on `data_dir` until the block ends."""
    fd = _open(data_dir)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # the file stays: only the lock says anything


def running(data_dir: str | Path) -> bool:
    """Whether some process serves `data_dir` now."""
    if not (Path(data_dir) / LOCK_NAME).exists():
        return False  # no server ever ran here (and a read-only directory stays untouched)
    fd = _open(data_dir)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also lets go of the lock if it was ours for a moment
    return False


def _open(data_dir: str | Path) -> int:
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return os.open(Path(data_dir) / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
