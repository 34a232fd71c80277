"""Temp files and their owners across machines: leases, never host names or process ids.

A second "container" is a real process started in a process-id namespace of its own (so
its pid is 1, as in many containers, and collides with a process of ours), on this host
name; another machine's lease is one that names another kernel.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gallery import create_app
from gallery.core import tempfiles
from gallery.core.storage import WRITING, LocalStorage
from tests.helpers.disks import small_disk

DAYS_AGO = time.time() - 3 * 24 * 3600

# Stores a temp file and holds a `writing` marker, says their names, then waits to be killed.
CONTAINER = """
import os, sys, time
from gallery.core.storage import WRITING, LocalStorage
storage = LocalStorage(sys.argv[1])
temp = storage.temp_path(".upload")
temp.write_bytes(b"half a photo")
with storage.writing():
    print(os.getpid(), temp.name, flush=True)
    time.sleep(600)
"""


@contextmanager
def container(root: Path) -> Iterator[tuple[subprocess.Popen, int, Path]]:
    """Another process storing files under `root`: (process, its own pid, its temp file)."""
    command = [sys.executable, "-c", CONTAINER, str(root)]
    if shutil.which("unshare"):
        command = ["unshare", "--pid", "--fork", "--kill-child", *command]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    ) as process:
        try:
            pid, name = process.stdout.readline().split()
            yield process, int(pid), root / "tmp" / name
        finally:
            _kill(process)


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL to the process and the one it started, and wait until both are gone."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError("the container's processes outlived SIGKILL for 10 s")


def _lease(storage: LocalStorage, kernel: str, touched: float | None = None) -> str:
    """A lease written by hand, unlocked, naming `kernel`: its id."""
    lease_id = uuid.uuid4().hex
    path = storage.leases / f"{lease_id}{tempfiles.LEASE_SUFFIX}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(kernel)
    if touched is not None:
        os.utime(path, (touched, touched))
    return lease_id


def _temp(storage: LocalStorage, lease_id: str | None, suffix: str = "") -> Path:
    lease = tempfiles.Lease(lease_id, None)
    path = storage.tmp / tempfiles.new_name(lease, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def _age(path: Path) -> None:
    os.utime(path, (DAYS_AGO, DAYS_AGO))


def _this_kernel() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def test_a_live_containers_files_stay_whatever_their_age_and_go_once_it_is_killed(tmp_path):
    storage = LocalStorage(tmp_path)
    with container(tmp_path) as (process, pid, temp):
        (marker,) = storage.tmp.glob(f"*{WRITING}")
        (lease,) = storage.leases.iterdir()
        assert socket.gethostname() not in temp.name and f"-{pid}-" not in temp.name
        for path in (temp, marker, lease):
            _age(path)  # days without a touch: only the lock tells it lives
        assert storage.clean_abandoned_temp(max_age=0) == 0
        assert temp.exists() and marker.exists() and lease.exists()
        assert storage.writers_alive()
        _kill(process)
        assert not storage.writers_alive()  # its lock is gone on this kernel: at once
        assert storage.clean_abandoned_temp() == 2
        assert not temp.exists() and not marker.exists() and not lease.exists()


def test_a_killed_containers_files_go_at_the_next_start(tmp_path):
    data = tmp_path / "data"
    with container(data / "uploads") as (process, _pid, temp):
        _kill(process)  # its temp file and lease are fresh: the lock says it died
    create_app({"DATA_DIR": str(data), "TESTING": True}).extensions["gallery.engine"].dispose()
    assert not temp.exists()
    assert list((data / "uploads" / "leases").iterdir()) == []


def test_another_machines_lease_is_judged_by_its_freshness(tmp_path):
    storage = LocalStorage(tmp_path)
    elsewhere = _lease(storage, kernel=str(uuid.uuid4()))  # unlocked: locks do not cross
    temp, marker = _temp(storage, elsewhere), _temp(storage, elsewhere, ".writing")
    _age(temp)
    assert storage.clean_abandoned_temp(max_age=0) == 0
    assert storage.writers_alive()
    _age(storage.leases / f"{elsewhere}.lease")  # no touch for minutes: that machine is gone
    assert not storage.writers_alive()
    assert storage.clean_abandoned_temp() == 2
    assert not temp.exists() and not marker.exists()
    assert list(storage.leases.iterdir()) == []


def test_names_without_a_lease_go_by_age_and_files_of_a_lease_gone_at_once(tmp_path):
    storage = LocalStorage(tmp_path)
    old_style = storage.tmp / f"tmp-{socket.gethostname()}-1-{'0' * 32}"  # pid 1 lives
    old_style.parent.mkdir(parents=True)
    old_style.write_bytes(b"x")
    ownerless, orphan = _temp(storage, None), _temp(storage, uuid.uuid4().hex)
    mine = storage.temp_path()
    mine.write_bytes(b"x")
    _age(mine)
    assert storage.clean_abandoned_temp() == 1 and not orphan.exists()
    assert storage.clean_abandoned_temp(max_age=0) == 2
    assert not old_style.exists() and not ownerless.exists() and mine.exists()


def test_a_dead_writers_marker_on_this_kernel_counts_no_more(tmp_path):
    storage = LocalStorage(tmp_path)
    assert not storage.writers_alive()
    with storage.writing():
        assert storage.writers_alive()
    _temp(storage, _lease(storage, kernel=_this_kernel()), ".writing")  # unlocked, fresh
    assert not storage.writers_alive()
    assert storage.clean_abandoned_temp() == 1


def test_the_lease_is_touched_while_the_process_lives(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.temp_path()
    (lease,) = storage.leases.iterdir()
    _age(lease)
    tempfiles.refresh()
    assert time.time() - lease.stat().st_mtime < 60
    lease.unlink()  # judged dead while this process stalled: it takes its lease back
    tempfiles.refresh()
    assert lease.exists()
    tempfiles.release(storage.leases)
    assert not lease.exists()


def test_a_lease_whose_store_went_is_let_go_not_made_again(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")
    storage.temp_path()
    shutil.rmtree(storage.root)
    tempfiles.refresh()
    assert not storage.root.exists()


def test_no_room_for_a_lease_falls_back_to_names_judged_by_age(tmp_path, caplog):
    with small_disk(tmp_path / "uploads", 1024, inodes=8) as uploads:
        storage = LocalStorage(uploads)
        storage.ensure()
        _fill_inodes(uploads)
        try:
            settings = {"DATA_DIR": str(tmp_path), "UPLOADS_DIR": str(uploads), "TESTING": True}
            create_app(settings).extensions["gallery.engine"].dispose()  # it starts all the same
            with caplog.at_level(logging.WARNING, logger="gallery.core.tempfiles"):
                temp = storage.temp_path(".upload")
            assert tempfiles.owner_alive(temp, storage.leases) is None  # judged by age
            assert "no lease written" in caplog.text and "No space left" in caplog.text
        finally:
            tempfiles.release(storage.leases)
            for path in uploads.glob("filler-*"):
                path.unlink()


def test_a_full_disk_with_files_to_spare_still_holds_a_lease(tmp_path):
    with small_disk(tmp_path / "uploads", 256) as uploads:
        storage = LocalStorage(uploads)
        storage.ensure()
        with _filled(uploads):
            temp = storage.temp_path()
            assert tempfiles.owner_alive(temp, storage.leases) is True  # an empty file, locked
            tempfiles.release(storage.leases)


def test_a_read_only_folder_falls_back_too(tmp_path):
    with small_disk(tmp_path / "uploads", 256) as uploads:
        LocalStorage(uploads).ensure()
        subprocess.run(["mount", "-o", "remount,ro", str(uploads)], check=True)
        storage = LocalStorage(uploads)
        assert tempfiles.owner_alive(storage.temp_path(), storage.leases) is None


def _fill_inodes(disk: Path) -> None:
    for number in range(100):
        try:
            (disk / f"filler-{number}").touch()
        except OSError:
            return
    raise AssertionError("the inodes never ran out")


@contextmanager
def _filled(disk: Path) -> Iterator[None]:
    filler = disk / "filler"
    with pytest.raises(OSError, match="No space left"), open(filler, "wb") as out:
        while True:
            out.write(b"\0" * 65536)
            out.flush()
    try:
        yield
    finally:
        filler.unlink()
