"""The worker pool: a crash, a runaway or a memory hog refuses one file, never the import."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gallery.core import serving
from gallery.ingest.decode import Limits
from gallery.ingest.errors import Rejected
from gallery.ingest.renditions import RenditionSpec
from gallery.ingest.workers import STALL_GRACE, WorkerPool
from tests.helpers.servers import gallery
from tests.helpers.servers import serving as serving_http


def _allocate(n_bytes: int) -> int:
    return len(bytearray(n_bytes))


@pytest.fixture
def pool():
    with WorkerPool(workers=1, memory_mb=768, timeout=3) as pool:
        yield pool


def _still_works(pool, make_jpeg):
    path = make_jpeg(size=(400, 300))
    processed = pool.result(pool.submit(path, "JPEG", RenditionSpec((100,)), Limits()))
    assert (processed.rendered.width, processed.rendered.height) == (400, 300)


def test_crashing_worker_refuses_its_file_and_is_replaced(pool, make_jpeg):
    with pytest.raises(Rejected) as caught:
        pool.result(pool._pool.schedule(os.abort))
    assert caught.value.code == "decoder_failed"
    assert "crashed" in caught.value.message
    _still_works(pool, make_jpeg)


@pytest.mark.slow
def test_runaway_worker_is_stopped_at_the_time_limit(pool, make_jpeg):
    started = time.monotonic()
    with pytest.raises(Rejected) as caught:
        pool.result(pool._pool.schedule(time.sleep, (30,), timeout=pool.timeout))
    assert time.monotonic() - started < 10
    assert "longer than 3 s" in caught.value.message
    _still_works(pool, make_jpeg)


@pytest.mark.slow  # waits 2.5 s for a worker
def test_a_pool_that_sat_idle_has_not_stalled(pool, make_jpeg, caplog):
    """The first file after a quiet spell longer than the stall limit is waited for, not
    taken for a stall (which restarted the pool and sent uploads 70 s apart)."""
    pool._last_progress = time.monotonic() - 10 * (pool.timeout + STALL_GRACE)  # idle
    busy = pool._pool.schedule(time.sleep, (2.5,))  # the one worker, for longer than a wait
    path = make_jpeg(size=(400, 300))
    queued = pool.submit(path, "JPEG", RenditionSpec((100,)), Limits())
    assert pool.result(queued).rendered.width == 400
    assert busy.done() and "stalled" not in caplog.text


def test_memory_cap_refuses_a_hog(pool, make_jpeg):
    with pytest.raises(Rejected) as caught:
        pool.result(pool._pool.schedule(_allocate, (2 * 1024**3,)))
    assert "more memory" in caught.value.message
    _still_works(pool, make_jpeg)


def _in_worker(pool: WorkerPool, expression: str):
    """Evaluate an expression inside a pool worker (eval is a builtin: it pickles by name)."""
    return pool.result(pool._pool.schedule(eval, (expression,)))


WEB_STACK = ("flask", "werkzeug", "sqlalchemy", "alembic", "whoosh", "jinja2")
TOP_MODULES = "{name.split('.')[0] for name in __import__('sys').modules}"
LOADED_WEB_STACK = f"sorted({TOP_MODULES} & {set(WEB_STACK)})"


def test_workers_start_light_without_the_web_stack(pool):
    """Workers fork from a server that loaded only the decoders: no Flask, no database."""
    assert _in_worker(pool, LOADED_WEB_STACK) == []


def test_workers_share_the_cores_out_among_their_libvips_threads():
    cores = len(os.sched_getaffinity(0))
    for workers in (1, 2, cores + 1):
        with WorkerPool(workers=workers, memory_mb=768, timeout=10) as pool:
            threads = _in_worker(pool, "__import__('pyvips').concurrency_get()")
        assert threads == max(1, cores // workers)


@pytest.mark.slow
def test_a_pool_stuck_on_a_dead_workers_lock_is_restarted(make_jpeg):
    """A worker killed while it holds pebble's channel lock leaves the others waiting on it
    for ever; once nothing has come back for the file time limit and a grace, the pool is
    replaced and the file decoded by the new one."""
    with WorkerPool(workers=1, memory_mb=768, timeout=1) as pool:
        _still_works(pool, make_jpeg)
        channel = pool._pool._pool_manager.worker_manager.workers_channel
        channel.mutex.writer_mutex.acquire()  # as the killed worker would have left it
        started = time.monotonic()
        _still_works(pool, make_jpeg)
        assert time.monotonic() - started >= 1 + STALL_GRACE


def _worker_niceness(pool: WorkerPool) -> int:
    return _in_worker(pool, "__import__('os').nice(0)") - os.nice(0)


def _pool_niceness(config, **options) -> int:
    with WorkerPool.from_config(config, 1, **options) as pool:
        return _worker_niceness(pool)


@contextmanager
def _server_marks(data_dir: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the mark `gallery serve` holds while it runs."""
    code = f"from gallery.core import serving\nwith serving.serving({str(data_dir)!r}): input()"
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE) as process:
        try:
            while not serving.running(data_dir):
                assert process.poll() is None, "the marking process died"
                time.sleep(0.02)
            yield process
        finally:
            process.kill()


def test_import_workers_are_nice_only_beside_a_server_of_the_same_data(app, tmp_path):
    """Lower priority costs an import alone 1.1-6.5x, and only helps a server's visitors."""
    config = {**app.config, "WORKER_NICE": 7}
    assert _pool_niceness(config) == 0
    assert _pool_niceness(config, in_server=True) == 7  # the server's own upload pool
    with _server_marks(tmp_path / "another"):
        assert _pool_niceness(config) == 0
    with _server_marks(Path(config["DATA_DIR"])) as server:
        assert _pool_niceness(config) == 7
        server.kill()  # no clean exit: the kernel drops the lock with the process
        server.wait()
        assert _pool_niceness(config) == 0


@pytest.mark.slow  # a real gallery serve
def test_gallery_serve_marks_its_data_dir_while_it_runs(tmp_path):
    data = tmp_path / "data"
    gallery(data, "init")
    with serving_http(data, env={"GALLERY_SERVE_PROCESSES": "1"}):
        assert serving.running(data)
    assert not serving.running(data)
