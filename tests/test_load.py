"""Staff uploading and visitors browsing at once, through the production server.

The same code as `bench/load.py`, at a small scale: 20 uploaders (some sending the same file
at the same moment) and 50 visitors for about ten seconds. It asserts correctness only;
timings belong to the benchmark. Real server (`gallery serve`), real SQLite, real Whoosh.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,  # uploaders and visitors for ten seconds
    pytest.mark.sqlite_only("bench/loadkit seeds and reads back gallery.sqlite3 itself"),
]

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_uploads_and_visits_at_once_lose_nothing(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    from loadkit.run import Load, run
    from loadkit.seed import Scale

    scale = Scale(
        public_albums=2,
        photos_per_album=6,
        photo_size=(640, 427),
        uploaders=20,
        uploads_each=3,
        upload_size=(900, 600),
        shared_every=2,  # upload 0: one file for all albums; upload 2: one per album
    )
    load = Load(visitors=50, seconds=10, think=0.5, ramp=2, uploads_after=1)
    # Two server processes whatever the machine: uploads must be right across processes.
    report = run(tmp_path / "data", scale, load, env={"GALLERY_SERVE_PROCESSES": "2"})

    assert not report.recorder.errors, report.recorder.errors
    assert report.recorder.count("visitors") > 200  # they really browsed meanwhile
    statuses = Counter(answer.status for answer in report.answers)
    # Per album of 5 uploaders: the common file once, its own shared file once, 5 unique
    # files; everyone else who sent a shared file was told it is a duplicate.
    assert statuses == {201: 4 * (1 + 1 + 5), 409: 4 * (4 + 4)}, statuses
    failed = [f"{v.name}: {v.detail}" for v in report.verdicts if not v.ok]
    assert not failed, failed
    # Uploads only add: none of their commits may drop the visitors' kept pages at once.
    assert report.withdrawals == 0
