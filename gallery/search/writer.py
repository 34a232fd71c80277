"""One writer thread per process: index changes queue up and are written in batches.

Requests never wait for the index's file lock; they queue a job and may wait for its
commit (bounded), so "searchable at once" holds without a slow commit or another process's
writer holding a request hostage. Jobs carry photo ids, not documents: the thread reads
each photo from the database when it writes, so the newest committed text always wins,
however jobs from several requests interleave.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

IDLE_SECONDS = 30.0  # an idle thread ends; the next job starts a new one


@dataclass
class Job:
    """Photos (or albums' photos) to index or remove; `rebuild` redoes the whole index."""

    upsert: set[int] = field(default_factory=set)
    remove: set[int] = field(default_factory=set)
    albums: set[int] = field(default_factory=set)
    rebuild: bool = False
    future: Future = field(default_factory=Future)


class WriterThread:
    """Runs `apply(jobs)` on batches of queued jobs in one background thread."""

    def __init__(self, apply: Callable[[list[Job]], None], name: str = "gallery-search-writer"):
        self._apply = apply
        self._name = name
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Job) -> Future:
        """Queue a job; its future completes when the job is committed (or failed)."""
        self._queue.put(job)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return job.future

    def drain(self, timeout: float) -> bool:
        """Wait until every queued job is done; False if that took longer than `timeout`."""
        done = self.submit(Job())  # an empty job runs after everything queued before it
        try:
            done.result(timeout)
        except TimeoutError:
            return False
        return True

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():  # a job queued just now keeps us going
                        self._thread = None
                        return
                continue
            self._run_batch(self._batch(first))

    def _batch(self, first: Job) -> list[Job]:
        jobs = [first]
        while True:
            try:
                jobs.append(self._queue.get_nowait())
            except queue.Empty:
                return jobs

    def _run_batch(self, jobs: list[Job]) -> None:
        try:
            self._apply(jobs)
        except Exception as exc:  # the thread must outlive one failed batch
            log.exception("search index update failed; `gallery check --repair` mends it")
            for job in jobs:
                job.future.set_exception(exc)
        else:
            for job in jobs:
                job.future.set_result(True)
