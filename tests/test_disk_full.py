"""A full disk, for real: small tmpfs mounts under a running `gallery serve`.

The uploads directory (originals, renditions, tmp), the SQLite database and the search
index each live on a tmpfs of their own, filled to a chosen number of free bytes. Running
out of space while the upload is written to tmp/, while its renditions are written, or while
SQLite commits its row answers 507 with the DESIGN.md error shape and plain words, and
leaves nothing behind; visitors get their pages all along; once there is room again, the
same upload goes in. A full index disk costs only that photo's index entry, which
`gallery check --repair` mends. `gallery import` says the same and stops. The tests run
as root (as in CI): a mount that fails is a failure, with the reason, never a skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.disks import empty_the_write_ahead_log, filled, small_disk
from tests.helpers.images import image_bytes
from tests.helpers.upload_client import ALBUM, Site, staff_site

pytestmark = pytest.mark.slow  # tmpfs mounts under `gallery serve`

UPLOADS_KIB = 8192
DATABASE_KIB = 4096
INDEX_KIB = 2048
INDEX_FAILED = "search index update failed"  # what the server logs when a write fails
SPARE = 16 * 1024  # what the renditions test leaves beyond the upload's temp file


@pytest.fixture(scope="module")
def disks(tmp_path_factory) -> Iterator[tuple[Path, Path, Path, Path]]:
    root = tmp_path_factory.mktemp("disk-full")
    with (
        small_disk(root / "uploads", UPLOADS_KIB) as uploads,
        small_disk(root / "db", DATABASE_KIB) as database,
        small_disk(root / "index", INDEX_KIB) as index,
    ):
        yield root, uploads, database, index


def _settings(disks) -> dict[str, str]:
    _root, uploads, database, index = disks
    url = f"sqlite:///{database / 'gallery.sqlite3'}"
    return {"UPLOADS_DIR": str(uploads), "DATABASE_URL": url, "INDEX_DIR": str(index)}


@pytest.fixture(scope="module")
def site(disks) -> Iterator[tuple[Site, dict]]:
    """The gallery serving from the small disks, with one photo visitors can see."""
    config = _settings(disks)
    env = {f"GALLERY_{name}": value for name, value in config.items()}
    with staff_site(disks[0] / "data", env=env, **config) as s:
        first = s.upload(image_bytes(seed=0), "first.jpg")
        assert first.status == 201, first.body
        yield s, first.json()["photo"]


class Visitors:
    """Visitors browsing in a thread all the while: albums, photo page, image, search."""

    def __init__(self, site: Site, photo: dict) -> None:
        rendition = next(iter(photo["renditions"].values()))["url"]
        album = f"/albums/{ALBUM}"
        self.paths = ["/", album, f"{album}/photos/{photo['id']}", rendition, "/search?q=x"]
        self.site, self.answers = site, []
        self._stop = threading.Event()

    def __enter__(self) -> Visitors:
        self._thread = threading.Thread(target=self._browse)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        assert len(self.answers) >= len(self.paths), self.answers
        assert {status for _path, status in self.answers} == {200}, self.answers

    def _browse(self) -> None:
        while not self._stop.is_set():
            for path in self.paths:
                self.answers.append((path, self.site.get(path).status))


def _assert_disk_full(answer) -> None:
    assert answer.status == 507, (answer.status, answer.body)
    error = answer.json()["error"]
    assert error["code"] == "disk_full" and "disk is full" in error["message"], error


def _assert_nothing_left(site: Site, uploads: Path, photos_before: list) -> None:
    assert _photos(site) == photos_before
    kept = {p["sha256"] for p in photos_before}
    assert {p.name.split(".")[0] for p in (uploads / "originals").rglob("*.*")} == kept
    assert {p.name for p in (uploads / "renditions").glob("*/*/*")} == kept
    assert [p.name for p in (uploads / "tmp").iterdir()] == []


def _photos(site: Site) -> list[dict]:
    return site.get(f"/api/v1/albums/{ALBUM}/photos", staff=True).json()["photos"]


def _log(site: Site) -> str:
    return (site.data / "serve.log").read_text()


def test_no_room_for_the_upload_itself(site, disks):
    (s, photo), uploads = site, disks[1]
    before, payload = _photos(s), image_bytes(size=(400, 300), seed=1, noise=True, quality=85)
    with Visitors(s, photo), filled(uploads):
        for name in ("a.jpg", "b.jpg", "c.jpg"):
            _assert_disk_full(s.upload(payload, name))
        _assert_nothing_left(s, uploads, before)
    again = s.upload(payload, "a.jpg")  # room again: the same upload goes in
    assert again.status == 201, again.body


def test_no_room_for_the_renditions(site, disks):
    (s, photo), uploads = site, disks[1]
    before, payload = _photos(s), image_bytes(size=(800, 600), seed=2, noise=True, quality=85)
    # Room for the upload in tmp/ (written once, it becomes the original), not for more.
    with Visitors(s, photo), filled(uploads, leave=len(payload) + SPARE):
        _assert_disk_full(s.upload(payload, "big.jpg"))
        _assert_nothing_left(s, uploads, before)
    assert "disk full while storing big.jpg" in _log(s)  # it failed past tmp/, as meant
    assert s.upload(payload, "big.jpg").status == 201


def test_no_room_for_the_database(site, disks):
    (s, photo), uploads, database = site, disks[1], disks[2]
    before, payload = _photos(s), image_bytes(size=(300, 200), seed=3)
    empty_the_write_ahead_log(database / "gallery.sqlite3")
    with Visitors(s, photo), filled(database):
        _assert_disk_full(s.upload(payload, "row.jpg"))
        _assert_nothing_left(s, uploads, before)  # the original and renditions taken back
        caption = json.dumps({"caption": "Sports day"}).encode()
        headers = {"Content-Type": "application/json"}
        edit = s.request(f"/api/v1/photos/{photo['id']}", caption, headers, method="PATCH")
        assert edit.status == 507 and edit.json()["error"]["code"] == "disk_full", edit.body
    assert "database or disk is full" in _log(s)
    assert s.upload(payload, "row.jpg").status == 201
    assert "Traceback" not in _log(s)


def test_cli_import_says_so_and_stops(site, disks, tmp_path):
    (s, _photo), uploads = site, disks[1]
    folder = tmp_path / "card"
    folder.mkdir()
    for n in range(6):
        (folder / f"IMG_{n}.jpg").write_bytes(image_bytes(size=(200, 150), seed=10 + n))
    before = _photos(s)
    with filled(uploads):
        full = _gallery(s, disks, "import", "--album", ALBUM, "--json", str(folder))
        assert full.returncode == 1, full.stderr
        assert "the disk is full: the import stopped" in full.stderr
        rejected = json.loads(full.stdout)["rejected"]
        assert [r["code"] for r in rejected] == ["disk_full"] * 6
        assert "filled up earlier" in rejected[-1]["error"]  # the last one was not tried
        _assert_nothing_left(s, uploads, before)
    done = _gallery(s, disks, "import", "--album", ALBUM, "--json", str(folder))
    assert done.returncode == 0 and len(json.loads(done.stdout)["imported"]) == 6


def test_no_room_for_the_search_index(site, disks):
    """The photo is stored (the database is the truth); only its index entry waits, and
    the index's follower of the change log writes it once there is room again."""
    (s, photo), index = site, disks[3]
    failures = _log(s).count(INDEX_FAILED)
    with Visitors(s, photo), filled(index):
        unindexed = s.upload(image_bytes(seed=4), "unindexed.jpg")
        assert unindexed.status == 201, unindexed.body
        # The answer may come before the index write is tried (a request waits for it at
        # most SEARCH_WAIT s): keep the disk full until the server has tried and failed.
        _wait_until(lambda: _log(s).count(INDEX_FAILED) > failures)
    # Room again: the index takes writes again.
    indexed = s.upload(image_bytes(seed=5), "indexed.jpg")
    assert indexed.status == 201, indexed.body
    # The index kept all it had; the follower's cursor stayed before the failed write, so
    # it writes the missing entry again (gallery/search/follow.py): no repair needed.
    _wait_until(lambda: _gallery_check(s, disks)["ok"])


def _wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still not so after {seconds} s"
        time.sleep(0.1)


def _gallery_check(site: Site, disks, *options: str) -> dict:
    """`gallery check --json`: a report of every problem; exit 1 while one is left."""
    done = _gallery(site, disks, "check", "--json", *options)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _gallery(site: Site, disks, *args: str) -> subprocess.CompletedProcess:
    """The `gallery` command on the small disks, in its own process as people run it (and
    so that nothing of it holds files open on a disk about to be unmounted)."""
    env = {**os.environ, **{f"GALLERY_{k}": v for k, v in _settings(disks).items()}}
    command = [sys.executable, "-m", "gallery", "--data", str(site.data), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
