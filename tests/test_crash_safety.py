"""Crash safety: `kill -9` an import, one of its workers, or the server mid-upload, then look.

After every kill: no half-written original or rendition under a final name (originals hash
to their names, renditions decode to the end), no row pointing at a missing file, the dead
process's temp files gone once the app starts again, `gallery check --repair` then
`gallery check` clean with no file left without its row, and the same import or uploads,
run again, leave every source photo in the album exactly once.

The kill moments are random but seeded (GALLERY_CRASH_SEED), and placed by progress (after
the n-th original lands, plus a random fraction of a second) so that they span start-up,
the busy middle and the last commits on a fast machine and a slow one alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Connection, create_engine

from gallery.ingest.decode import Limits
from gallery.ingest.renditions import RenditionSpec
from gallery.ingest.workers import WorkerPool
from tests.helpers import databases
from tests.helpers.apps import migrated_app
from tests.helpers.cli import invoke
from tests.helpers.images import write_images
from tests.helpers.servers import free_port, wait_until_serving
from tests.helpers.upload_client import token_upload

pytestmark = pytest.mark.slow  # imports, workers and servers killed

SEED = int(os.environ.get("GALLERY_CRASH_SEED", "20261127"))
PHOTOS = 20
ROUNDS = 4  # kills of one import and its re-runs
SIZE = (1200, 900)  # noise: about 1 MB of JPEG each, a real decode and four renditions
GALLERY = [sys.executable, "-m", "gallery"]


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, set[str]]:
    """A folder of distinct JPEGs (noise: real decoding and encoding work) and their hashes."""
    folder = tmp_path_factory.mktemp("sources")
    write_images(folder, [SIZE] * PHOTOS, first=0, noise=True, quality=90)
    return folder, {_sha(path) for path in folder.iterdir()}


@pytest.fixture
def rng() -> random.Random:
    return random.Random(SEED)


def _fresh_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with migrated_app(data):
        pass
    return data


# --- the kills ---------------------------------------------------------------------------


def test_killing_an_import_at_random_moments(tmp_path, sources, rng):
    folder, expected = sources
    data = _fresh_data(tmp_path)
    for round_ in range(ROUNDS):
        # Each re-run is killed in turn, somewhere in its share of what is left to do
        # (+0: still starting up); the last share runs to the end, index update included.
        already = len(_originals(data))
        share = (PHOTOS - already) // (ROUNDS - round_)
        after = already + rng.randrange(share + 1)
        victim = _start(data, "import", "--album", "day", "--workers", "2", str(folder))
        landed = _kill_after(victim, data, after, rng.uniform(0.0, 0.1))
        context = f"seed {SEED}, round {round_}, killed after {landed} originals"
        _after_the_kill(data, context)
    report = _import(data, folder)
    assert report["rejected"] == [], report
    _assert_each_once(data, expected)


def test_killing_a_decode_worker(tmp_path, sources, rng):
    folder, expected = sources
    data = _fresh_data(tmp_path)
    # A short file time limit: a worker killed holding pebble's lock stalls the pool until
    # the limit and a grace have passed, then the pool is restarted (workers.py).
    limit = {"GALLERY_WORKER_TIMEOUT": "10"}
    args = ("import", "--album", "day", "--workers", "2", "--json", str(folder))
    importing = _start(data, *args, env=limit)
    _wait_for_originals(importing, data, rng.randrange(1, PHOTOS // 2))
    worker = rng.choice(_workers_of(importing.pid))
    os.kill(worker, signal.SIGKILL)
    assert importing.wait(timeout=60) == 0, _errors(data)
    report = json.loads(_output(data).splitlines()[0])
    # The file the worker held is refused as a crash of the decoder; nothing else is lost.
    assert {r["code"] for r in report["rejected"]} <= {"decoder_failed"}, report
    assert len(report["imported"]) + len(report["rejected"]) == PHOTOS
    _after_the_kill(data, f"seed {SEED}, worker {worker}")
    _import(data, folder)
    _assert_each_once(data, expected)


def test_killing_the_server_while_uploads_are_in_flight(tmp_path, sources, rng):
    folder, expected = sources
    data = _fresh_data(tmp_path)
    token = _staff_token(data)
    files = sorted(folder.iterdir())
    with _server(data) as (url, server):
        uploads = _upload_in_background(url, token, files)
        landed = _kill_after(server, data, rng.randrange(PHOTOS // 2), rng.uniform(0.0, 0.1))
        uploads.join(timeout=60)
    context = f"seed {SEED}, server killed after {landed} originals"
    left = _temps(data)  # every process of the group is dead: all of these are abandoned
    _assert_whole(data, context)
    with _server(data) as (url, _again):
        assert [p for p in left if p.exists()] == [], f"{context}: start-up kept them"
        _repair_and_check(data, context)
        with ThreadPoolExecutor(4) as uploaders:
            statuses = list(uploaders.map(lambda path: _upload(url, token, path)[0], files))
        assert set(statuses) <= {201, 409}, statuses  # 409: it made it in before the kill
    _assert_each_once(data, expected)


def test_a_worker_killed_between_files_does_not_break_the_pool(make_jpeg):
    """pebble gives up a pool whose worker dies while no file runs; ours starts a new one."""
    spec, path = RenditionSpec((100,)), make_jpeg(size=(400, 300))
    others = set(_grandchildren(os.getpid()))  # other tests' pools may live on in this process
    with WorkerPool(workers=1, memory_mb=768, timeout=10) as pool:
        pool.result(pool.submit(path, "JPEG", spec, Limits()))  # a worker is up, now idle
        (worker,) = set(_grandchildren(os.getpid())) - others
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pool._pool.active and time.monotonic() < deadline:
            time.sleep(0.02)  # until pebble has noticed
        processed = pool.result(pool.submit(path, "JPEG", spec, Limits()))
    assert processed.rendered.width == 400


# --- after a kill ------------------------------------------------------------------------


def _after_the_kill(data: Path, context: str) -> None:
    left = _temps(data)  # the killed process group's: every one of them is dead
    _assert_whole(data, context)
    # The check below starts the app, whose start-up removes what the dead processes left.
    _repair_and_check(data, context)
    assert [p for p in left if p.exists()] == [], f"{context}: abandoned temp files remain"


def _repair_and_check(data: Path, context: str) -> None:
    repaired = _run(data, "check", "--repair")
    assert repaired.returncode == 0, f"{context}: {repaired.stdout}{repaired.stderr}"
    with migrated_app(data) as app:  # in this process: a second interpreter costs a second
        checked = app.test_cli_runner().invoke(args=["check"])
        app.extensions["gallery.search"].close()
    assert checked.exit_code == 0, f"{context}: {checked.output}"
    assert "no problems" in checked.output
    assert _files_without_rows(data) == [], context


def _assert_whole(data: Path, context: str) -> None:
    """Nothing half-written under a final name, no row without its file."""
    for path in _originals(data):
        assert _sha(path) == path.stem, f"{context}: half-written original {path}"
    for path in _renditions(data):
        with Image.open(path) as image:
            image.load()  # raises on a truncated file
    uploads = data / "uploads"
    photos, renditions = _rows(data)
    for sha, ext in photos:
        assert (uploads / "originals" / sha[:2] / sha[2:4] / f"{sha}.{ext}").is_file(), context
    for sha, name in renditions:
        path = uploads / "renditions" / sha[:2] / sha[2:4] / sha / f"{name}.jpg"
        assert path.is_file(), f"{context}: a row names the missing {path}"


def _files_without_rows(data: Path) -> list[Path]:
    photos, renditions = _rows(data)
    shas = {sha for sha, _ext in photos}
    named = {(sha, f"{name}.jpg") for sha, name in renditions}
    loose = [p for p in _originals(data) if p.stem not in shas]
    return loose + [p for p in _renditions(data) if (p.parent.name, p.name) not in named]


def _assert_each_once(data: Path, expected: set[str]) -> None:
    with _database(data) as db:
        shas = [sha for (sha,) in db.exec_driver_sql("SELECT sha256 FROM photos")]
    assert sorted(shas) == sorted(expected), f"seed {SEED}"
    assert _files_without_rows(data) == []


# --- processes ---------------------------------------------------------------------------


def _start(data: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """A `gallery` command in its own process group (so its workers can be cleaned up)."""
    with open(data / "output.log", "w") as out, open(data / "errors.log", "w") as err:
        return subprocess.Popen(
            [*GALLERY, "--data", str(data), *args],
            stdout=out,
            stderr=err,
            env={**os.environ, **databases.subprocess_env(data), **(env or {})},
            start_new_session=True,
        )


def _kill_after(process: subprocess.Popen, data: Path, originals: int, delay: float) -> int:
    """SIGKILL the process once `originals` originals are stored and `delay` s have passed."""
    landed = _wait_for_originals(process, data, originals)
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    _reap(process)
    return landed


def _wait_for_originals(process: subprocess.Popen, data: Path, count: int) -> int:
    deadline = time.monotonic() + 60
    while (landed := len(_originals(data))) < count and process.poll() is None:
        assert time.monotonic() < deadline, "the import made no progress"
        time.sleep(0.01)
    return landed


def _reap(process: subprocess.Popen) -> None:
    """Wait for the killed process, then end what is left of its group (its workers)."""
    process.wait(timeout=30)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _living_in_group(process.pid):  # SIGKILL takes effect soon, not at once
        assert time.monotonic() < deadline, "a killed process lives on"
        time.sleep(0.01)


def _living_in_group(pgid: int) -> list[int]:
    """Processes of the group that have not ended (zombies have: they only await a wait)."""
    return [
        pid
        for pid, (state, _parent, group) in _processes()
        if group == pgid and state not in ("Z", "X")
    ]


def _workers_of(pid: int) -> list[int]:
    """The decode workers: children of the import's forkserver, itself a child of the import."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if workers := _grandchildren(pid):
            return workers
        time.sleep(0.02)
    raise AssertionError("no decode worker appeared")


def _grandchildren(pid: int) -> list[int]:
    return [grandchild for child in _children(pid) for grandchild in _children(child)]


def _children(pid: int) -> list[int]:
    return [child for child, (_state, parent, _group) in _processes() if parent == pid]


def _processes() -> Iterator[tuple[int, tuple[str, int, int]]]:
    """Every process as (pid, (state, parent pid, process group)), from /proc."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except OSError:
            continue  # ended meanwhile
        yield int(stat.parent.name), (state, int(parent), int(group))


def _run(data: Path, *args: str) -> subprocess.CompletedProcess:
    command = [*GALLERY, "--data", str(data), *args]
    env = {**os.environ, **databases.subprocess_env(data)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def _import(data: Path, folder: Path) -> dict:
    done = _run(data, "import", "--album", "day", "--workers", "2", "--json", str(folder))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["imported"]) + len(report["duplicates"]) == PHOTOS, report
    return report


def _output(data: Path) -> str:
    return (data / "output.log").read_text()


def _errors(data: Path) -> str:
    return (data / "errors.log").read_text()[-3000:]


# --- the server and uploads --------------------------------------------------------------


def _staff_token(data: Path) -> str:
    with migrated_app(data) as app:
        runner = app.test_cli_runner()
        add = ["users", "add", "s@school.lv", "--role", "staff", "--password-stdin"]
        invoke(runner, *add, input="staff-password-1\n")
        invoke(runner, "albums", "create", "day")
        return invoke(runner, "users", "token", "s@school.lv").output.strip()


@contextmanager
def _server(data: Path):
    """`gallery serve`, one decode worker per server process; yields its URL and process."""
    port = free_port()
    server = _start(data, "serve", "--port", str(port), env={"GALLERY_WORKERS": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server, data / "errors.log", seconds=30)
        yield url, server
    finally:
        if server.poll() is None:
            server.terminate()
        _reap(server)


def _upload_in_background(url: str, token: str, files: list[Path]) -> threading.Thread:
    """Four uploaders at a time; a killed server makes theirs fail, which is expected."""

    def upload_all() -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda path: _upload_or_fail(url, token, path), files))

    thread = threading.Thread(target=upload_all)
    thread.start()
    return thread


def _upload_or_fail(url: str, token: str, path: Path) -> None:
    with suppress(OSError, ValueError):  # connection refused or cut by the kill
        _upload(url, token, path)


def _upload(url: str, token: str, path: Path) -> tuple[int, dict]:
    answer = token_upload(url, token, path.read_bytes(), path.name, album="day")
    return answer.status, answer.json()


# --- the files and rows, read directly (not through the code under test) -----------------


def _originals(data: Path) -> list[Path]:
    return sorted(p for p in (data / "uploads" / "originals").rglob("*") if p.is_file())


def _renditions(data: Path) -> list[Path]:
    return sorted(p for p in (data / "uploads" / "renditions").rglob("*") if p.is_file())


def _temps(data: Path) -> list[Path]:
    tmp = data / "uploads" / "tmp"
    return sorted(tmp.glob("tmp-*")) if tmp.is_dir() else []


@contextmanager
def _database(data: Path) -> Iterator[Connection]:
    """A connection to the data directory's database, whichever engine the run uses."""
    engine = create_engine(databases.database_url(data))
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _rows(data: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    extensions = {"JPEG": "jpg"}
    with _database(data) as db:
        photos = [
            (sha, extensions[fmt])
            for sha, fmt in db.exec_driver_sql("SELECT sha256, format FROM photos")
        ]
        renditions = db.exec_driver_sql(
            "SELECT p.sha256, r.name FROM renditions r JOIN photos p ON p.id = r.photo_id"
        ).fetchall()
    return photos, renditions


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
