"""The photo index on disk: opened lazily, rebuilt when missing or broken, one writer, one searcher.

Concurrency, across threads and processes (of `gallery serve`, and other machines later):
every change goes through this process's writer thread (writer.py), which takes
Whoosh's file lock, so processes take turns and a request never waits on the lock; a
caller waits (bounded) for its own commit only. Each process keeps one searcher and opens
a new one when the index's generation on disk moves on (another thread's or process's
commit). Searches take a lock: Whoosh is pure Python, so under the GIL one search at a
time costs no throughput, and it keeps the shared searcher's readers safe. The searcher is
reopened, not `refresh()`ed: whoosh-reloaded 2.7.5's refresh keeps merged-away segments
and so counts documents twice.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import pickle
import sqlite3
import struct
import tempfile
import threading
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from whoosh import index, writing
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage

from gallery.core.errors import is_disk_full
from gallery.search import changes
from gallery.search.documents import (
    EVERY_ID,
    album_photo_ids,
    load_photos,
    photo_count,
    photo_document,
    photo_facts,
)
from gallery.search.heads import HEAD_FROM, SEGMENT_FROM, load_heads, write_heads
from gallery.search.limits import UNLIMITED, Budget
from gallery.search.query import ParsedQuery
from gallery.search.schema import FACET_FIELDS, SCHEMA_VERSION, build_schema, whoosh_fields
from gallery.search.searching import RawResults, run
from gallery.search.segments import CachedBM25F, SearcherCache, SegmentFacts, ValueSpace
from gallery.search.writer import Job, WriterThread

log = logging.getLogger(__name__)

VERSION_FILE = "gallery-search.json"
WRITE_LOCK = "MAIN_WRITELOCK"  # the lock file of Whoosh's writers (default index name MAIN)
REBUILD_MB = 128  # memory for postings per writing process before they spill to disk
MAX_REBUILD_PROCESSES = 4  # a rebuild's writing processes, at most one per core
LOCK_PATIENCE = 300.0  # seconds the writer thread waits for another process's writer
# What a damaged index raises while being read (truncated, overwritten or missing files).
DAMAGE = (OSError, EOFError, struct.error, pickle.UnpicklingError, zlib.error, index.IndexError)


class SearchIndex:
    """The index of one data root; `sessions` reads the photos it indexes."""

    parallel_from = 20_000  # photos: a smaller rebuild is quicker in this process alone
    heads_from = SEGMENT_FROM  # documents: a segment this large gets its arrays (heads.py)
    head_terms_from = HEAD_FROM  # documents: a term this common has its list kept there

    def __init__(self, path: str | Path, sessions: sessionmaker[Session], *, analyzer=None):
        self.path = Path(path)
        self.sessions = sessions
        self._analyzer = analyzer
        self._ix: index.FileIndex | None = None
        self._schema: Schema = build_schema(analyzer)
        self._open_lock = threading.Lock()
        self._search_lock = threading.Lock()
        self._cache: SearcherCache | None = None  # this process's searcher and its facts
        self._segments: dict[str, SegmentFacts] = {}  # segment id -> what it holds
        self._values: dict[str, ValueSpace] = {}  # facet field -> its values' codes
        self._rebuilding: Any = None  # the future of a rebuild started on opening
        self._heads_thread: threading.Thread | None = None
        self._writer = WriterThread(self._apply)

    # Opening ---------------------------------------------------------------------

    def _index(self) -> index.FileIndex:
        with self._open_lock:
            if self._ix is None:
                self._ix = self._open_or_create()
                self._schema = self._ix.schema
            return self._ix

    def generation(self) -> int:
        """Which committed state of the index a search would read now (any process's)."""
        return self._index().latest_generation()

    def ensure(self) -> None:
        """Open the index, or make it (from the database) if it is missing or outdated, and
        write its large segments' arrays if they have none (heads.py)."""
        self._index()
        self._await_rebuild(None)
        self._write_heads()

    def ensure_usable(self, wait: float | None = None) -> None:
        """As ensure(), without opening a usable index here (digests_by_id reads it apart)."""
        if not (self._usable() and self._readable()):
            self._index()  # missing, outdated or damaged: made again from the database
        self._await_rebuild(wait)

    def _readable(self) -> bool:
        try:
            FileStorage(str(self.path), supports_mmap=False).open_index().doc_count()
        except DAMAGE:
            return False
        return True

    def schema(self) -> Schema:
        """The index's fields, analyzers included (Whoosh would reread them on every call)."""
        self._index()
        return self._schema

    def _open_or_create(self) -> index.FileIndex:
        try:
            if index.exists_in(self.path) and self._stored_version() == SCHEMA_VERSION:
                ix = index.open_dir(str(self.path))
                ix.doc_count()  # reads the table of contents: fails here if it is damaged
                return ix
            reason = "missing or of an older version"
        except DAMAGE as exc:
            reason = f"damaged ({type(exc).__name__}: {exc})"
        if reason.startswith("damaged"):
            release_damaged()
        return self._create(reason)

    def _create(self, reason: str) -> index.FileIndex:
        with self._write_lock():
            if reason.startswith("missing") and self._usable():
                return index.open_dir(str(self.path))  # another process made it meanwhile
            if any(self.path.glob("*.toc")):  # a new install has nothing to warn about
                log.warning("search index in %s is %s: rebuilding it", self.path, reason)
            ix = self._fresh_index()
        self._rebuilding = self._writer.submit(Job(rebuild=True))
        return ix

    def _usable(self) -> bool:
        try:
            return self._stored_version() == SCHEMA_VERSION and index.exists_in(self.path)
        except DAMAGE:
            return False

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Whoosh's writer lock, so two processes never make the index at the same time."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = FileStorage(str(self.path)).lock(WRITE_LOCK)
        deadline = time.monotonic() + LOCK_PATIENCE
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise index.LockError(f"the search index in {self.path} stays locked")
            time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    def _fresh_index(self) -> index.FileIndex:
        """An empty index of the current schema (Whoosh drops the old table of contents)."""
        changes.forget_cursor(self.path)  # until its rebuild says how far it follows the log
        ix = index.create_in(str(self.path), build_schema(self._analyzer))
        (self.path / VERSION_FILE).write_text(json.dumps({"schema": SCHEMA_VERSION}))
        return ix

    def _stored_version(self) -> int | None:
        try:
            return json.loads((self.path / VERSION_FILE).read_text()).get("schema")
        except (OSError, ValueError, AttributeError):
            return None

    def _await_rebuild(self, wait: float | None) -> None:
        """A rebuild begun on opening: wait for it a while, then search what is there."""
        future = self._rebuilding
        if future is not None and not future.done():
            try:
                future.result(wait)
            except TimeoutError:
                log.info("search index still rebuilding; results are partial meanwhile")
            except Exception:  # logged by the writer thread; search what is there
                pass

    def recover(self) -> None:
        """Throw away a damaged index and rebuild it from the database."""
        release_damaged()
        with self._search_lock:
            self._close_searcher()
        with self._open_lock:
            self._ix = self._create("damaged")

    def close(self, timeout: float = 10.0) -> None:
        """Finish queued writes (bounded) and close the searcher."""
        self._writer.drain(timeout)
        with self._search_lock:
            self._close_searcher()

    def _close_searcher(self) -> None:
        if self._cache is not None:
            self._cache.searcher.close()
            self._cache = None

    # Writing ---------------------------------------------------------------------

    def submit(
        self, upsert: Iterable[int] = (), remove: Iterable[int] = (), albums: Iterable[int] = ()
    ) -> Any:
        """Queue photos (or all of some albums' photos) to index from the database, or to
        remove; returns the job's future."""
        self._index()
        return self._writer.submit(Job(set(upsert), set(remove), set(albums)))

    def rebuild(self) -> Any:
        """Queue a rebuild of the whole index from the database; returns its future."""
        self._index()
        pending = self._rebuilding  # opening a missing index queues one: don't do it twice
        if pending is not None and not pending.done():
            return pending
        return self._writer.submit(Job(rebuild=True))

    def _apply(self, jobs: list[Job]) -> None:
        try:
            self._apply_jobs(self._index(), jobs)
        except DAMAGE as exc:
            if is_disk_full(exc):  # the index is as it was: keep it, `check --repair` mends
                raise
            log.error("search index damaged while writing (%s); rebuilding it", exc)
            release_damaged()
            with self._search_lock:
                self._close_searcher()
            with self._open_lock, self._write_lock():
                self._ix = self._fresh_index()
            self._apply_jobs(self._ix, [Job(rebuild=True)])

    def _apply_jobs(self, ix: index.FileIndex, jobs: list[Job]) -> None:
        if any(job.rebuild for job in jobs):
            self._rebuild(ix)  # reads every photo: covers the other jobs of the batch too
            return
        with self.sessions() as session:
            last: dict[int, bool] = {}  # photo id -> index it (True) or remove it (False)
            for job in jobs:
                for album_id in job.albums:
                    last.update(dict.fromkeys(album_photo_ids(session, album_id), True))
                last.update(dict.fromkeys(job.upsert, True))
                last.update(dict.fromkeys(job.remove, False))
            if last:
                self._write(ix, session, last)

    def _write(self, ix: index.FileIndex, session: Session, last: dict[int, bool]) -> None:
        wanted = [photo_id for photo_id, keep in last.items() if keep]
        with self._locked_writer(ix) as w:
            found = set()
            for photo in load_photos(session, wanted):
                w.update_document(**whoosh_fields(photo_document(photo)))
                found.add(photo.id)
            for photo_id in set(last) - found:  # removed, or gone from the database
                w.delete_by_term("id", str(photo_id))
        log.debug("search index: %d indexed, %d removed", len(found), len(last) - len(found))

    def _rebuild(self, ix: index.FileIndex) -> None:
        started, count = time.monotonic(), 0
        with self.sessions() as session:
            options = self._rebuild_options(photo_count(session))
            with self._locked_writer(ix, mergetype=writing.CLEAR, **options) as w:
                position = changes.start(session)  # before reading: later rows apply again
                for photo in photo_facts(session):
                    w.add_document(**whoosh_fields(photo_document(photo)))
                    count += 1
        changes.write_cursor(self.path, position)
        self._write_heads()  # before anyone searches the new segments: they start fast
        log.info("search index rebuilt: %d photos in %.1f s", count, time.monotonic() - started)

    def _write_heads(self) -> None:
        """Write the arrays of each large segment that has none (heads.py), through a reader
        of its own (a searcher's readers are not for two threads)."""
        ix = FileStorage(str(self.path)).open_index()
        with ix.reader() as reader:
            for leaf, _offset in reader.leaf_readers():
                segment = leaf.segment()
                if segment is None or leaf.doc_count_all() < self.heads_from:
                    continue
                key = segment.segment_id()
                facets = list(FACET_FIELDS.values())
                found = load_heads(self.path, key) or write_heads(
                    self.path, key, leaf, facets, self.head_terms_from
                )
                facts = self._segments.get(key)
                if facts is not None and found is not None:
                    facts.heads = found  # the next searches read them

    def _write_heads_later(self) -> None:
        """_write_heads in a thread of its own (one at a time): a large segment opened
        without its arrays (made by a merge, or by an older version) gets them meanwhile."""
        with self._open_lock:
            if self._heads_thread is not None and self._heads_thread.is_alive():
                return
            self._heads_thread = threading.Thread(
                target=self._write_heads_logged, name="gallery-search-heads", daemon=True
            )
            self._heads_thread.start()

    def _write_heads_logged(self) -> None:
        try:
            self._write_heads()
        except Exception:  # searches go on reading through Whoosh
            log.exception("could not write the search index's arrays")

    def _rebuild_options(self, photos: int) -> dict[str, Any]:
        """The writer for a rebuild: Whoosh's multiprocess one for a large index (each
        process analyses and writes a segment of its own, kept as it is), else one."""
        processes = min(os.cpu_count() or 1, MAX_REBUILD_PROCESSES)
        if photos < self.parallel_from or processes < 2:
            return {"limitmb": REBUILD_MB}
        return {
            "limitmb": REBUILD_MB,  # each process's
            "procs": processes,
            "multisegment": True,  # merging the segments would cost a second pass
            "batchsize": max(1, min(1000, photos // (8 * processes))),  # photos a job file holds
        }

    @contextmanager
    def _locked_writer(self, ix: index.FileIndex, mergetype=None, **options) -> Iterator[Any]:
        """A Whoosh writer, waiting for another process's writer to finish if need be."""
        deadline = time.monotonic() + LOCK_PATIENCE
        while True:
            try:
                w = ix.writer(timeout=1.0, delay=0.02, **options)
                break
            except index.LockError:
                if time.monotonic() > deadline:
                    raise
        try:
            yield w
        except BaseException:
            w.cancel()
            raise
        try:
            if mergetype is None:
                w.commit()
            else:
                w.commit(mergetype=mergetype)
        except BaseException:
            _unlock(w)
            raise

    # Reading ---------------------------------------------------------------------

    @contextmanager
    def searcher(self, wait: float | None = 0.0) -> Iterator[SearcherCache]:
        """This process's searcher, reopened if the index changed since it was opened."""
        ix = self._index()
        self._await_rebuild(wait)
        with self._search_lock:
            if self._cache is None or not self._cache.searcher.up_to_date():
                self._close_searcher()
                searcher = ix.searcher(weighting=CachedBM25F(self._segments))
                try:
                    self._cache = SearcherCache(
                        searcher, self._segments, self._values, self.path, self.heads_from
                    )
                except BaseException:
                    searcher.close()
                    raise
                if self._cache.missing_heads():
                    self._write_heads_later()
            yield self._cache

    def search(
        self,
        parsed: ParsedQuery,
        *,
        page: int,
        per_page: int,
        staff: bool,
        wait: float | None = 0.0,
        budget: Budget = UNLIMITED,
    ) -> RawResults:
        """One page of hits, best first, with facet counts and a correction if none; the
        budget counts from when the searcher is ready (SearchTimeout when it runs out)."""
        with self.searcher(wait) as cache:
            return run(cache, parsed, page, per_page, staff, budget)

    def stored_digests(self, wait: float | None = 0.0) -> dict[int, str]:
        """Every indexed photo id with the fingerprint of the text indexed for it."""
        with self.searcher(wait) as cache:
            fields = cache.searcher.all_stored_fields()
            return {int(f["id"]): f.get("digest", "") for f in fields}

    def digests_of(self, ids: Iterable[int]) -> dict[int, str]:
        """The indexed fingerprint of each of these photos that the index holds, through a
        plain searcher of its own: the shared one's facts for ranking are not needed here."""
        found = {}
        self._await_rebuild(None)
        with self._index().searcher() as searcher:
            for photo_id in ids:
                fields = searcher.document(id=str(photo_id))
                if fields is not None:
                    found[photo_id] = fields.get("digest", "")
        return found

    @contextmanager
    def digests_by_id(
        self, wait: float | None = 0.0, ids: range = EVERY_ID
    ) -> Iterator[Iterator[tuple[int, str]]]:
        """stored_digests of `ids` as a stream in id order, in bounded memory: Whoosh keeps them in
        the order they were written, so they are sorted through a temporary SQLite file.
        A bare reader of plain file reads, not the searcher: its facts for ranking and its
        memory-mapped segments (resident once read) would cost memory per photo."""
        self.ensure_usable(wait)
        unmapped = FileStorage(str(self.path), supports_mmap=False).open_index()
        with (
            unmapped.reader() as reader,
            tempfile.TemporaryDirectory(prefix="gallery-digests-") as folder,
            closing(sqlite3.connect(Path(folder, "digests.sqlite3"))) as sorter,
        ):
            sorter.executescript(DIGEST_SORTER)
            stored = ((int(f["id"]), f.get("digest", "")) for f in reader.all_stored_fields())
            fields = (field for field in stored if field[0] in ids)
            while batch := list(islice(fields, 10_000)):
                sorter.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?)", batch)
            yield iter(sorter.execute("SELECT id, digest FROM digests ORDER BY id"))


# A scratch file: nothing to keep if the machine stops, and a small cache (8 MB).
DIGEST_SORTER = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -8000;
CREATE TABLE digests (id INTEGER PRIMARY KEY, digest TEXT NOT NULL);
"""


def release_damaged() -> None:
    """Close now the files Whoosh left open while failing to read a damaged index."""
    # Log messages carry no traceback here: it would keep those files' frames alive.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _unlock(writer: Any) -> None:
    """Unlock the index after a failed commit (a full disk...): Whoosh unlocks on success
    only, and a lock this process keeps would stall every later write, here and elsewhere."""
    try:
        writer.cancel()
    except Exception:  # half-committed: cancelling fails too, the lock must go all the same
        if writer.writelock is not None:
            writer.writelock.release()
