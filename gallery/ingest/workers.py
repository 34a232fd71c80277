"""The decode worker pool: hostile files are decoded in processes that may die.

Each worker runs with an address-space cap, and each file with a time limit; a worker
that crashes, runs out of memory or overruns is replaced, and only its file is refused.
The pool is the seam where a distributed queue could take over later.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import threading
import time
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import pyvips
from pebble import ProcessExpired, ProcessPool

from gallery.core import serving
from gallery.core.messages import N_
from gallery.ingest import forkserver
from gallery.ingest.decode import Header, Limits, inspect
from gallery.ingest.errors import Rejected
from gallery.ingest.metadata import PhotoMetadata, read_metadata
from gallery.ingest.renditions import Rendered, RenditionSpec, render

log = logging.getLogger(__name__)

# A worker serves this many files and is then replaced, so leaks cannot pile up.
TASKS_PER_WORKER = 500
# Seconds beyond the per-file time limit with no file coming back: the pool is stuck.
STALL_GRACE = 10.0
# When set, names a file where the pool notes each photo handed to a worker and each worker
# each photo decoded, on the monotonic clock (one clock for every process) with the
# process's CPU seconds: bench/ingest.py times the start-up with it.
BENCH_MARKS = "GALLERY_BENCH_MARKS"


@dataclass(frozen=True)
class Processed:
    """All the worker learned from one file."""

    header: Header
    rendered: Rendered
    metadata: PhotoMetadata


def process_image(path: Path, fmt: str, spec: RenditionSpec, limits: Limits) -> Processed:
    """Check, decode, render and describe one image (runs inside a worker)."""
    header = inspect(path, fmt, limits)
    rendered = render(path, header, spec)
    _mark("decoded")
    return Processed(header, rendered, read_metadata(path))


def _mark(what: str) -> None:
    """A line for bench/ingest.py (see BENCH_MARKS): what, the clock, this process's CPU."""
    if marks := os.environ.get(BENCH_MARKS):
        with open(marks, "a") as fh:
            fh.write(f"{what} {time.monotonic()} {time.process_time()}\n")


def _limit_worker(memory_mb: int, vips_threads: int, niceness: int = 0) -> None:
    """Worker start-up: cap its memory, leave Ctrl-C to the parent, quiet exifread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Beside a web server, below its priority: a visitor's page never waits for a decode,
    # which takes what CPU is left (all of it when nobody browses). See worker_niceness.
    os.nice(niceness)
    # exifread warns on every odd file; metadata.py already logs what it skips.
    logging.getLogger("exifread").setLevel(logging.ERROR)
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    pyvips.cache_set_max(0)  # each file is decoded once: a cache only holds memory
    pyvips.concurrency_set(vips_threads)


def vips_threads_per_worker(workers: int) -> int:
    """The cores shared out among the workers.

    libvips starts a thread per core in every worker: with two workers on two cores, four
    threads fight over two cores and over two malloc arenas, and the import runs slower
    than with one worker (measured: 16 photos of 24 MP in 4.5 s against 2.6 s).
    """
    return max(1, len(os.sched_getaffinity(0)) // workers)


def worker_niceness(config: dict, in_server: bool) -> int:
    """WORKER_NICE in a web server or beside one of the same data directory, else 0.

    Lower priority only helps visitors' pages: an import alone on the machine at nice 10
    measured 1.08-1.5x slower on a quiet machine and 6.5x on a busy one.
    """
    beside_server = in_server or serving.running(config["DATA_DIR"])
    return config["WORKER_NICE"] if beside_server else 0


class WorkerPool:
    """A bounded pool of decode processes with per-file time limits."""

    def __init__(self, workers: int, memory_mb: int, timeout: float, niceness: int = 0) -> None:
        self.workers = workers
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.niceness = niceness
        self._pool = self._new_pool()
        # When a file last came back, or an idle pool was given one: the stall clock.
        self._last_progress = time.monotonic()
        self._pending = 0  # files submitted and not yet back
        self._counting = threading.Lock()  # submit() in request threads, callbacks in pebble's

    def _new_pool(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers,
            max_tasks=TASKS_PER_WORKER,
            initializer=_limit_worker,
            initargs=(self.memory_mb, vips_threads_per_worker(self.workers), self.niceness),
            context=forkserver.worker_context(),
        )

    @classmethod
    def from_config(
        cls, config: dict, workers: int | None = None, *, in_server: bool = False
    ) -> WorkerPool:
        from gallery.config import worker_count

        return cls(
            workers or worker_count(config),
            config["WORKER_MEMORY_MB"],
            config["WORKER_TIMEOUT"],
            worker_niceness(config, in_server),
        )

    def submit(self, path: Path, fmt: str, spec: RenditionSpec, limits: Limits) -> Future:
        if not self._pool.active:
            # pebble gives the whole pool up when a worker dies while no file is running
            # (killed, or the OOM killer's pick): start a new one rather than fail every
            # file from now on.
            log.warning("the decode pool broke (a worker died between files); starting anew")
            self._restart()
        with self._counting:
            if not self._pending:  # an idle pool has not stalled: its clock starts now
                self._last_progress = time.monotonic()
            self._pending += 1
        args = (path, fmt, spec, limits)
        _mark("submitted")
        future = self._pool.schedule(process_image, args, timeout=self.timeout)
        future.args = args  # type: ignore[attr-defined]  # to submit again, see result()
        future.add_done_callback(self._progressed)
        return future

    def _progressed(self, _future: Future) -> None:
        with self._counting:
            self._pending -= 1
            self._last_progress = time.monotonic()

    def _wait(self, future: Future) -> Processed:
        """The future's result; a pool where nothing finishes for too long is restarted.

        A worker killed while it holds pebble's channel lock leaves the other workers
        waiting on that lock forever and no file's time limit ever starts: seen when a
        decode worker was killed with SIGKILL in the middle of an import.
        """
        while True:
            try:
                return future.result(timeout=1.0)
            except FutureTimeout:
                if future.done():
                    raise  # the file's own time limit (pebble reports it the same way)
                if time.monotonic() - self._last_progress > self.timeout + STALL_GRACE:
                    log.warning("the decode pool stalled (a worker died holding its lock)")
                    self._restart()
                    raise BrokenProcessPool("stalled") from None

    def _restart(self) -> None:
        self._pool.stop()  # its waiting files are cancelled, and submitted again by result()
        self._pool = self._new_pool()
        self._last_progress = time.monotonic()

    def result(self, future: Future) -> Processed:
        """The worker's answer, or a `Rejected` that says why it failed."""
        try:
            return self._wait(future)
        except Rejected:
            raise
        except (BrokenProcessPool, CancelledError):  # the pool broke under this file
            if getattr(future, "retried", False):
                raise Rejected("decoder_failed", N_("the decode workers kept failing")) from None
            # Futures carry no arguments of their own: submit() pins them on, see there.
            again = self.submit(*future.args)  # type: ignore[attr-defined]
            again.retried = True  # type: ignore[attr-defined]  # a second failure refuses
            return self.result(again)
        except FutureTimeout:
            raise Rejected(
                "decoder_failed",
                N_("decoding took longer than %(seconds)s s and was stopped"),
                seconds=f"{self.timeout:g}",
            ) from None
        except ProcessExpired as exc:
            log.warning("decode worker died: %s", exc)
            raise Rejected(
                "decoder_failed",
                N_("the image decoder crashed on this file; it is probably corrupt"),
            ) from None
        except MemoryError:
            raise Rejected(
                "decoder_failed", N_("decoding needs more memory than allowed")
            ) from None
        except Exception as exc:  # a decoder bug must refuse one file, not stop an import
            log.exception("unexpected decode failure")
            raise Rejected(
                "corrupt",
                N_("the image could not be decoded (%(error)s)"),
                error=type(exc).__name__,
            ) from exc

    def close(self) -> None:
        """Let the workers finish what they have, then stop them."""
        self._pool.close()
        self._pool.join()

    def stop(self) -> None:
        """Stop the workers now, abandoning their files."""
        self._pool.stop()
        self._pool.join()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        if exc_type:
            self.stop()
        else:
            self.close()
