"""Where media lives: content-addressed originals, renditions, temp files; atomic writes.

The interface (paths in, paths out) is the seam for another backend such as object storage.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

TEMP_PREFIX = "tmp-"


class LocalStorage:
    """Media on a local disk under one root: originals/, renditions/, tmp/."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def ensure(self) -> None:
        for name in ("originals", "renditions", "tmp"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def temp_path(self, suffix: str = "") -> Path:
        """A fresh name in tmp/ that nothing else uses."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / f"{TEMP_PREFIX}{uuid.uuid4().hex}{suffix}"

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
        return final

    def write_rendition(self, sha256: str, name: str, fmt: str, data: bytes) -> Path:
        """Write a rendition under its final name atomically (temp file, fsync, rename)."""
        final = self.rendition_path(sha256, name, fmt)
        write_atomic(final, data, self.temp_path(f".{_ext(fmt)}"))
        return final

    def remove_original(self, sha256: str, ext: str) -> None:
        """Delete an original (only when emptying the trash: nothing else ever does)."""
        self.original_path(sha256, ext).unlink(missing_ok=True)

    def remove_renditions(self, sha256: str) -> None:
        shutil.rmtree(self.rendition_path(sha256, "x", "jpeg").parent, ignore_errors=True)

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


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _shard(sha256: str) -> Path:
    return Path(sha256[:2]) / sha256[2:4]


def _ext(fmt: str) -> str:
    return {"jpeg": "jpg"}.get(fmt, fmt)
