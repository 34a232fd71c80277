"""Errors every capability shares: a value a user gave that the gallery cannot take, and a
disk (or database) that ran out of space.

Their words are `Message`s (gallery.core.messages): English for the command line, said in
the reader's language by the web layer.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any

from gallery.core.messages import Message, message

_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_POSTGRES_DISK_FULL = "53100"


class InvalidInput(ValueError):
    """A value a user gave that the gallery cannot take, with the reason (a marked text and
    its values: `InvalidInput(N_("the %(what)s must not be empty"), what="title")`), kept
    as `words` for the web layer to translate; str() of it is the English text."""

    def __init__(
        self, text: str | tuple[str, str] | Message, /, count: int | None = None, **values: Any
    ) -> None:
        self.words = message(text, count, **values)
        super().__init__(str(self.words))


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

    def __init__(
        self, text: str | tuple[str, str] | Message, /, count: int | None = None, **values: Any
    ) -> None:
        self.words = message(text, count, **values)
        super().__init__(str(self.words))


class Refusal(Exception):
    """A request the gallery refuses for a reason it can name: a status, a code for
    programs and words for people (a refused upload is one); `message` is them in English.
    `headers` go out with the answer (the Retry-After of a 429)."""

    headers: dict[str, str] = {}

    def __init__(self, code: str, text: str | Message, status: int = 400, **values: Any) -> None:
        self.words = message(text, **values)
        self.message = str(self.words)
        super().__init__(self.message)
        self.code = code
        self.status = status
