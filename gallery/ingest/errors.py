"""The one way ingest refuses a file: a code, an HTTP status and plain words."""

from __future__ import annotations

import errno
import sqlite3

# code -> HTTP status, as DESIGN.md lists them
STATUS = {
    "empty": 400,
    "too_large": 413,
    "unsupported_format": 415,
    "too_many_pixels": 413,
    "too_many_frames": 422,
    "corrupt": 422,
    "decoder_failed": 422,
    "disk_full": 507,  # not the file's fault: the server had no room to keep it
}

DISK_FULL = (
    "the server's disk is full, so the photo was not stored; nothing of it was kept. "
    "Tell the gallery's administrator, and send it again once there is room"
)
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_POSTGRES_DISK_FULL = "53100"


class Rejected(Exception):
    """A file the gallery did not take in, with a message a staff member understands.

    Mostly a refusal of the file itself; `disk_full` says the server had no room for it.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def __reduce__(self):  # keep code and message when crossing a process boundary
        return (Rejected, (self.code, self.message))


def disk_full() -> Rejected:
    return Rejected("disk_full", DISK_FULL)


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether an error (or one it wraps) is the disk or a quota running out of space.

    Seen as OSError ENOSPC/EDQUOT from file writes, SQLITE_FULL from SQLite ("database or
    disk is full", wrapped by SQLAlchemy in `.orig`) and SQLSTATE 53100 from PostgreSQL.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
            return True
        # SQLite's extended result code: the low byte is the primary one
        if (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF == sqlite3.SQLITE_FULL:
            return True
        if getattr(exc, "pgcode", None) == _POSTGRES_DISK_FULL:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False
