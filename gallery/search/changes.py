"""The change log every machine's index follows, and the cursor each index keeps of it.

A row names a photo (or an album, for all its photos) whose searchable facts changed; it
is appended in the changing transaction itself (sync.py), so a rolled-back edit logs
nothing. Rows say only *which*: a follower re-reads the current rows from the database,
so applying a row twice, or late, is harmless, and a deleted photo's row removes it.

Ids are handed out at insert but PostgreSQL transactions commit in any order: a row with a
lower id may become visible after a higher one. A cursor therefore only moves over rows
inserted more than GAP_SECONDS ago; the rows above it are applied as soon as seen (once).
A transaction that commits more than GAP_SECONDS after it logged (none in this app: an
import commits photo by photo) would be missed until `gallery check --repair`.

Old rows are pruned by age (KEEP_DAYS); the oldest kept row is then turned into a marker
(neither id): a cursor below it has missed rows and its index is rebuilt.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from gallery.core.models import SearchChange, as_utc, utcnow

GAP_SECONDS = 60.0  # how late a transaction may commit after logging (clocks in step: NTP)
KEEP_DAYS = 7  # a machine down longer than this rebuilds its index when it starts
CURSOR_FILE = "gallery-follow.json"
BATCH = 10_000  # rows read per poll


@dataclass(frozen=True)
class Change:
    id: int
    at: datetime
    photo_id: int | None
    album_id: int | None

    @property
    def marker(self) -> bool:
        """Rows up to this one were pruned."""
        return self.photo_id is None and self.album_id is None


def append(session: Session, photos: Iterable[int] = (), albums: Iterable[int] = ()) -> None:
    """Log these photos and albums as changed, in the session's transaction."""
    now = utcnow()
    rows = [{"at": now, "photo_id": p, "album_id": None} for p in sorted(set(photos))]
    rows += [{"at": now, "photo_id": None, "album_id": a} for a in sorted(set(albums))]
    if rows:
        session.connection().execute(insert(SearchChange), rows)


def after(session: Session, position: int, limit: int = BATCH) -> list[Change]:
    """The committed rows past `position`, in id order."""
    query = (
        select(SearchChange.id, SearchChange.at, SearchChange.photo_id, SearchChange.album_id)
        .where(SearchChange.id > position)
        .order_by(SearchChange.id)
        .limit(limit)
    )
    return [Change(*row) for row in session.execute(query)]


def settled(changes: list[Change], position: int, now: datetime | None = None) -> int:
    """How far a cursor at `position` may move once `changes` (every row past it) are
    applied: over the rows logged GAP_SECONDS ago, no later (a lower id may still commit)."""
    cutoff = (now or utcnow()) - timedelta(seconds=GAP_SECONDS)
    old = [c.id for c in changes if as_utc(c.at) < cutoff]
    return max([position, *old])


def start(session: Session, now: datetime | None = None) -> int:
    """Where a rebuild reading the database now starts following: the last row logged
    GAP_SECONDS ago (read before the photos; the rows after it are applied again)."""
    cutoff = (now or utcnow()) - timedelta(seconds=GAP_SECONDS)
    old = session.scalar(select(func.max(SearchChange.id)).where(SearchChange.at < cutoff))
    return max(old or 0, pruned_through(session))  # rows below the marker are gone


def last(session: Session) -> int:
    """The newest committed row's id (0: none)."""
    return session.scalar(select(func.max(SearchChange.id))) or 0


def pruned_through(session: Session) -> int:
    """The id of the marker of pruned rows (0: none pruned): a cursor below it missed rows.
    The marker is the oldest row, so this reads one row by the primary key."""
    query = select(SearchChange.id, SearchChange.photo_id, SearchChange.album_id)
    first = session.execute(query.order_by(SearchChange.id).limit(1)).first()
    marker = first is not None and first.photo_id is None and first.album_id is None
    return first.id if first is not None and marker else 0


def prune(session: Session, keep: timedelta = timedelta(days=KEEP_DAYS)) -> int:
    """Remove the rows older than `keep`; the oldest kept row (or the newest, if none is
    kept) becomes the marker. Returns the marker's id (0: nothing pruned)."""
    cutoff = utcnow() - keep
    oldest = session.scalar(select(func.min(SearchChange.at)))
    if oldest is None or as_utc(oldest) >= cutoff:
        return 0
    kept = select(func.min(SearchChange.id)).where(SearchChange.at >= cutoff)
    marker: int = session.scalar(kept) or session.scalar(select(func.max(SearchChange.id))) or 0
    session.execute(delete(SearchChange).where(SearchChange.id < marker))
    session.execute(
        update(SearchChange).where(SearchChange.id == marker).values(photo_id=None, album_id=None)
    )
    return marker


# The cursor: one small file beside the index, replaced atomically ----------------------


def read_cursor(folder: Path) -> int | None:
    """The log position this index has applied everything up to; None: unknown."""
    try:
        return int(json.loads((folder / CURSOR_FILE).read_text())["position"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cursor(folder: Path, position: int) -> None:
    fd, name = tempfile.mkstemp(prefix=".follow-", dir=folder)
    with os.fdopen(fd, "w") as out:
        json.dump({"position": position}, out)
    os.replace(name, folder / CURSOR_FILE)


def forget_cursor(folder: Path) -> None:
    """A new empty index: nothing is applied (its rebuild writes the cursor)."""
    (folder / CURSOR_FILE).unlink(missing_ok=True)
