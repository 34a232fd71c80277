"""Errors every capability shares: a value a user gave that the gallery cannot take, and a
disk (or database) that ran out of space."""

from __future__ import annotations

import errno
import sqlite3

_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_POSTGRES_DISK_FULL = "53100"


class InvalidInput(ValueError):
    """A value a user gave that the gallery cannot take, with the reason."""


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


class NotFound(LookupError):
    """What a request names does not exist, or is not the asker's to see (both answer 404)."""


class Refusal(Exception):
    """A request the gallery refuses for a reason it can name: a status, a code for
    programs and a message for people (a refused upload is one)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
