"""Uploads through the job queue: a real Redis (scripts/redis) and real `gallery worker`
processes; the web app answers 202 and a status URL, the workers import.

A killed worker's job goes to another worker once its heartbeat runs out (QUEUE_HEARTBEAT),
and the upload ends with every photo once, none lost and none twice.
"""

from __future__ import annotations

import io
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest

from gallery.core.models import Photo, UploadJob
from tests.helpers import images, servers
from tests.helpers.accounts import add_staff
from tests.helpers.apps import migrated_app
from tests.helpers.cli import invoke
from tests.helpers.objects import SHARED_SECRET

HEARTBEAT = 2  # seconds: a killed worker's job moves soon


@pytest.fixture
def settings(queue_url) -> dict:
    return {
        "QUEUE_URL": queue_url,
        "QUEUE_HEARTBEAT": HEARTBEAT,
        "WORKERS": 1,
        "SECRET_KEY": SHARED_SECRET,  # several processes share one (gallery.config)
    }


@pytest.fixture
def queued_app(tmp_path, settings):
    with migrated_app(tmp_path / "data", LANGUAGE="en", **settings) as app:
        invoke(app.test_cli_runner(), "albums", "create", "day", "--title", "Day")
        yield app


@pytest.fixture
def api(queued_app):
    """Call the app's API as staff with a bearer token."""
    token, client = add_staff(queued_app.test_cli_runner()), queued_app.test_client()

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        response = client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        response.request.environ["wsgi.input"].close()  # the test client spools big bodies
        return response

    return call


def worker(app, *, threads: int = 1):
    """A `gallery worker` over the app's data and queue (see servers.working)."""
    env = {
        "GALLERY_QUEUE_URL": app.config["QUEUE_URL"],
        "GALLERY_QUEUE_HEARTBEAT": str(HEARTBEAT),
        "GALLERY_QUEUE_ATTEMPTS": str(app.config["QUEUE_ATTEMPTS"]),
        "GALLERY_WORKERS": "1",
        "GALLERY_SECRET_KEY": SHARED_SECRET,
    }
    return servers.working(Path(app.config["DATA_DIR"]), env, threads=threads)


def upload(api, name: str, data: bytes):
    body = {"file": (io.BytesIO(data), name)}
    return api("POST", "/albums/day/photos", data=body, content_type="multipart/form-data")


def settled(api, url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api("GET", url.removeprefix("/api/v1")).get_json()
        if status["upload"]["state"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"upload not settled in {timeout} s: {status}")


def photo_count(app) -> int:
    with app.app_context():
        from gallery.core.db import get_session

        return get_session().query(Photo).count()


def test_a_queued_upload_answers_202_and_a_worker_imports_it(queued_app, api, make_jpeg):
    answer = upload(api, "IMG_1.jpg", make_jpeg("IMG_1.jpg", (800, 600)).read_bytes())
    assert answer.status_code == 202, answer.get_json()
    queued = answer.get_json()["upload"]
    assert queued["state"] == "queued" and answer.headers["Location"] == queued["url"]
    assert photo_count(queued_app) == 0  # nothing decoded in the web process
    assert "gallery.pool" not in queued_app.extensions
    with worker(queued_app):
        status = settled(api, queued["url"])
    assert status["upload"]["state"] == "done", status
    assert status["result_status"] == 201
    photo = status["result"]["photo"]
    assert photo["filename"] == "IMG_1.jpg" and photo["width"] == 800
    assert photo_count(queued_app) == 1
    incoming = Path(queued_app.config["UPLOADS_DIR"]) / "incoming"
    assert list(incoming.iterdir()) == []  # the kept upload goes once imported


def test_a_worker_says_what_an_upload_would_have_said(queued_app, api, make_jpeg, corpus_dir):
    photo = make_jpeg("IMG_2.jpg", (640, 480)).read_bytes()
    corrupt = (corpus_dir / "photos" / "jpg" / "corrupted.jpg").read_bytes()
    album = images.zipped([make_jpeg(f"Z_{n}.jpg", (320, 240), seed=n) for n in range(3)])
    urls = [
        upload(api, name, data).get_json()["upload"]["url"]
        for name, data in (
            ("IMG_2.jpg", photo),
            ("again.jpg", photo),
            ("corrupted.jpg", corrupt),
            ("three.zip", album),
        )
    ]
    with worker(queued_app):
        first, again, bad, report = (settled(api, url) for url in urls)
    assert first["result_status"] == 201
    assert again["result_status"] == 409
    assert again["result"]["error"]["photo_id"] == first["result"]["photo"]["id"]
    assert bad["result_status"] == 422 and bad["result"]["error"]["code"] in (
        "corrupt",
        "decoder_failed",
    )
    assert report["result_status"] == 201 and len(report["result"]["photos"]) == 3


def test_a_killed_workers_upload_is_finished_by_another(queued_app, api, tmp_path):
    sizes = [(2400, 1600)] * 10
    paths = images.write_images(tmp_path / "big", sizes, noise=True)
    url = upload(api, "big.zip", images.zipped(paths)).get_json()["upload"]["url"]
    with worker(queued_app) as first:
        _wait_for(lambda: photo_count(queued_app) >= 2, "the first worker to import two photos")
        os.killpg(first.pid, signal.SIGKILL)  # mid-job, decode processes and all
        first.wait()
    assert photo_count(queued_app) < len(paths)
    with worker(queued_app):
        status = settled(api, url, timeout=90)
    assert status["upload"]["attempts"] == 2, status
    assert status["result_status"] == 201, status
    report = status["result"]
    assert len(report["photos"]) == len(paths)  # the first worker's photos are its own too
    assert report["duplicates"] == [] and report["rejected"] == []
    assert photo_count(queued_app) == len(paths)
    runner = queued_app.test_cli_runner()
    assert invoke(runner, "check").exit_code == 0


def test_a_retry_claims_only_what_its_uploader_committed_since_the_job_began(
    queued_app, api, tmp_path
):
    """A retry's duplicates that the dead attempt made are its own; a photo another user
    sent meanwhile, or one the uploader had before, stays a duplicate."""
    paths = images.write_images(tmp_path / "three", [(600, 400)] * 3)
    url = upload(api, "three.zip", images.zipped(paths)).get_json()["upload"]["url"]
    invoke(queued_app.test_cli_runner(), "import", "--album", "day", *map(str, paths))
    with queued_app.app_context():
        from gallery.core.db import get_session

        session = get_session()
        job = session.query(UploadJob).one()
        ours, others, older = session.query(Photo).order_by(Photo.number).all()
        ours.created_by = older.created_by = job.user
        others.created_by = "someone-else@school.lv"
        older.created_at = job.created_at - timedelta(minutes=1)
        job.attempts = 1  # as if a worker had died under it after committing these
        session.commit()
        others_id, older_id = others.id, older.id
    with worker(queued_app):
        status = settled(api, url)
    assert status["upload"]["attempts"] == 2, status
    report = status["result"]
    assert [photo["filename"] for photo in report["photos"]] == [paths[0].name], report
    assert sorted(d["photo_id"] for d in report["duplicates"]) == [others_id, older_id], report
    assert photo_count(queued_app) == 3


def test_an_upload_its_workers_keep_dying_under_is_reported(queued_app, api, tmp_path):
    queued_app.config["QUEUE_ATTEMPTS"] = 1  # the workers' setting (see `worker`)
    paths = images.write_images(tmp_path / "big", [(2400, 1600)] * 6, noise=True)
    url = upload(api, "big.zip", images.zipped(paths)).get_json()["upload"]["url"]
    with worker(queued_app) as first:
        _wait_for(lambda: _state(queued_app) == "working", "a worker to take the upload")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    with worker(queued_app):
        status = settled(api, url, timeout=60)
    assert status["upload"]["state"] == "failed", status
    assert status["result_status"] == 422
    assert "kept failing" in status["result"]["error"]["message"]


def test_a_queue_that_is_down_refuses_the_upload_and_keeps_nothing(queued_app, api, make_jpeg):
    queued_app.config["QUEUE_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    answer = upload(api, "a.jpg", make_jpeg().read_bytes())
    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["error"]["code"] == "queue_down"
    uploads = Path(queued_app.config["UPLOADS_DIR"])
    assert list((uploads / "incoming").iterdir()) == []
    assert list((uploads / "tmp").glob("tmp-*")) == []
    assert _state(queued_app) == "failed"


def _state(app) -> str | None:
    with app.app_context():
        from gallery.core.db import get_session

        job = get_session().query(UploadJob).first()
        return job.state if job else None


def _wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
