"""Each machine's index follows the change log (changes.py): edits made through any machine
become searchable on every other within a second or two (SEARCH_FOLLOW_MS).

Every `gallery serve` process has a follower; the processes sharing an index directory
take turns through an flock on a file in it, so exactly one follows at a time and the
others just read (their searchers reopen when the index moves on). The follower reads
the rows past its cursor, has this process's writer thread re-read those photos from the
database (whatever changed them, wherever), then moves the cursor. The machine that made
an edit has indexed it already (sync.py): the request waits for that, not for this.

An index without a cursor is made from the database (a new machine, an empty directory),
or, when it was made before the log existed, follows the log from its start; one whose
cursor is older than the pruned rows, or past the log's end (a database restored from a
backup), is rebuilt. The follower prunes rows older than changes.KEEP_DAYS once an hour.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from gallery.search import changes
from gallery.search.documents import album_photo_ids, load_photos, photo_document
from gallery.search.engine import SearchIndex

log = logging.getLogger(__name__)

LOCK_FILE = "gallery-follow.lock"
PRUNE_EVERY = 3600.0  # seconds between prunings by one follower
APPLY_PATIENCE = 300.0  # seconds a poll waits for its batch to be written


class Follower:
    """Applies the change log to `index` every `interval` seconds, in a thread of its own,
    while this process holds the index directory's follow lock."""

    def __init__(self, index: SearchIndex, interval: float):
        # Weak: an app that is gone (a test's) lets go of its index, and its follower ends.
        self._index = weakref.ref(index)
        self.path = index.path
        self.interval = interval
        self._applied: set[int] = set()  # rows past the cursor applied already
        self._lock: IO[bytes] | None = None
        self._pruned_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Follow from now on (once; a follower with no interval does nothing)."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="gallery-search-follow", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following and let another process take over."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10.0)
        self._release()

    def _run(self) -> None:
        while not self._stop.is_set():
            index = self._index()
            if index is None:
                break
            try:
                self.poll(index)
            except Exception:  # the database or the disk is away for a moment: try again
                log.exception("could not follow the search change log")
            del index
            self._stop.wait(self.interval)
        self._release()

    def poll(self, index: SearchIndex) -> int:
        """Apply the rows logged since the last poll (if this process follows); how many."""
        if not self._hold():
            return 0
        position = self._cursor(index)
        with index.sessions() as session:
            if position < changes.pruned_through(session):
                log.warning("search index in %s missed pruned changes: rebuilding it", self.path)
                self._rebuild(index)
                return 0
            found = changes.after(session, position)
            if not found and position > changes.last(session):
                # The log ends before the cursor: a database restored from a backup.
                log.warning("search index in %s is ahead of the log: rebuilding it", self.path)
                self._rebuild(index)
                return 0
        fresh = [c for c in found if c.id not in self._applied and not c.marker]
        if fresh:
            photos = {c.photo_id for c in fresh if c.photo_id is not None}
            albums = {c.album_id for c in fresh if c.album_id is not None}
            stale = _stale(index, photos, albums)
            if stale:
                index.submit(upsert=stale).result(APPLY_PATIENCE)
            self._applied.update(c.id for c in fresh)
        moved = changes.settled(found, position)
        if moved != position:
            changes.write_cursor(self.path, moved)
            self._applied = {i for i in self._applied if i > moved}
        self._prune_now_and_then(index)
        return len(fresh)

    def _cursor(self, index: SearchIndex) -> int:
        position = changes.read_cursor(self.path)
        if position is None:
            index.ensure()  # a missing index is made now, and its rebuild writes the cursor
            position = changes.read_cursor(self.path)
        if position is None:  # an index made before the log: it knows every edit before
            position = 0
            changes.write_cursor(self.path, position)
        return position

    def _rebuild(self, index: SearchIndex) -> None:
        self._applied.clear()
        index.rebuild().result()  # writes the cursor

    def _prune_now_and_then(self, index: SearchIndex) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        writes = index.sessions.kw["bind"].execution_options(writes=True)
        with Session(writes) as session, session.begin():
            changes.prune(session)

    def _hold(self) -> bool:
        """Whether this process follows: it holds the lock, or takes it now."""
        if self._lock is not None:
            return True
        Path(self.path).mkdir(parents=True, exist_ok=True)
        lock = open(self.path / LOCK_FILE, "ab")  # noqa: SIM115 (held while following)
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            return False
        self._lock = lock
        log.debug("process %d follows the change log for %s", os.getpid(), self.path)
        return True

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the flock
            self._lock = None


def _stale(index: SearchIndex, photos: set[int], albums: set[int]) -> set[int]:
    """These photos (and these albums' photos) whose indexed fingerprint differs from the
    database's: an edit made through this machine was indexed when it committed (sync.py),
    so following it costs a read, not a second write."""
    with index.sessions() as session:
        ids = set(photos)
        for album_id in albums:
            ids.update(album_photo_ids(session, album_id))
        current = {p.id: photo_document(p)["digest"] for p in load_photos(session, sorted(ids))}
    indexed = index.digests_of(ids)
    return {photo_id for photo_id in ids if current.get(photo_id) != indexed.get(photo_id)}
