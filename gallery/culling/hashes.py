"""Photos whose perceptual hash lies within a few bits of a given one, across the library.

Every photo's hash is kept in memory per process as two numpy arrays (ids and hashes:
16 bytes a photo, 16 MB for a million), so a look-up is one XOR and bit count over all of
them (a few milliseconds for a million) instead of a query that cannot use an index.
New photos are added by id as they come (one short query per look-up); the whole set is
read again every RELOAD seconds, which picks up hashes measured later by a repair in
another process and lets trashed and deleted photos go.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gallery.core.models import Photo
from gallery.core.states import Status

RELOAD = 600.0  # seconds before the arrays are read whole again
_MASK = 0xFFFF_FFFF_FFFF_FFFF


@dataclass
class _Index:
    ids: np.ndarray  # int64
    hashes: np.ndarray  # uint64
    high: int  # the highest id read
    loaded: float  # time.monotonic() of the last whole read


_indexes: dict[str, _Index] = {}
_lock = threading.Lock()


def near(session: Session, phash: int, radius: int) -> list[tuple[int, int]]:
    """(photo id, bits apart) of every active photo within `radius` bits of `phash`."""
    index = _current(session)
    apart = np.bitwise_count(index.hashes ^ np.uint64(phash & _MASK))
    found = np.nonzero(apart <= radius)[0]
    return [(int(index.ids[i]), int(apart[i])) for i in found]


def forget() -> None:
    """Drop this process's arrays (tests; the next look-up reads them whole)."""
    with _lock:
        _indexes.clear()


def _current(session: Session) -> _Index:
    # Read through a connection of its own: committed photos only, never the rows this
    # session has flushed (a rolled-back id could be given again to another photo).
    engine = session.get_bind()
    assert isinstance(engine, Engine)  # sessions are bound to the engine, not a connection
    key = str(engine.url)
    with _lock:
        index = _indexes.get(key)
        whole = index is None or time.monotonic() - index.loaded > RELOAD
        after = 0 if whole or index is None else index.high
        # writes=False: a plain BEGIN (gallery.core.db), not a wait for the write lock
        # this very session holds
        with engine.execution_options(writes=False).connect() as connection:
            rows = connection.execute(_hashed_after(after)).all()
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        hashes = np.array([row[1] & _MASK for row in rows], dtype=np.uint64)
        if whole or index is None:
            index = _Index(ids, hashes, 0, time.monotonic())
        elif rows:
            index.ids = np.concatenate([index.ids, ids])
            index.hashes = np.concatenate([index.hashes, hashes])
        if rows:
            index.high = max(index.high, int(ids.max()))
        _indexes[key] = index
        return index


def _hashed_after(photo_id: int):
    return (
        select(Photo.id, Photo.phash)
        .where(Photo.id > photo_id, Photo.phash.is_not(None), Photo.status == Status.ACTIVE)
        .order_by(Photo.id)
    )
