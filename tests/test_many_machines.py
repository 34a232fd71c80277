"""The gallery as several machines, for real, on this one: PostgreSQL, Redis (the job
queue), an S3-protocol server (moto), two `gallery serve` and two `gallery worker`
processes, each with a data directory of its own (no shared disk).

Uploads, edits, a withdrawal and searches go through both servers: every photo is seen
and found through both, a withdrawal is hidden on both at once, a worker killed in the
middle of an upload loses nothing, and `gallery check` finds nothing wrong. Runs in
scripts/test's PostgreSQL pass (GALLERY_TEST_DATABASE).
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from urllib.parse import quote

import pytest

from tests.helpers import databases, images
from tests.helpers.servers import gallery, serving, working
from tests.helpers.upload_client import multipart

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not databases.on_postgres(), reason="needs GALLERY_TEST_DATABASE"),
]

STAFF = ("staff@school.lv", "staff-password-123")
HEARTBEAT = 2  # seconds: a killed worker's upload moves to the other soon


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


def _call(url: str, token: str = "", body: bytes | None = None, headers=None, method=None):
    """(status, headers, body) of one request, whatever the status; redirects not followed."""
    headers = {"Accept-Language": "en", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, body, headers, method=method)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers, answer.read()


def _json(url: str, token: str = "", **kwargs) -> dict:
    status, _headers, body = _call(url, token, **kwargs)
    assert status < 400, (url, status, body[:300])
    return json.loads(body)


def _upload(server: str, token: str, name: str, data: bytes) -> str:
    body, headers = multipart(data, name)
    status, _h, answer = _call(f"{server}/api/v1/albums/day/photos", token, body, headers)
    assert status == 202, (status, answer[:300])
    return json.loads(answer)["upload"]["url"]


def _settled(server: str, token: str, url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = _json(server + url, token)
        if status["upload"]["state"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def _ids(server: str, token: str = "") -> list[int]:
    return sorted(p["id"] for p in _json(f"{server}/api/v1/albums/day/photos", token)["photos"])


def _found(server: str, word: str) -> set[int]:
    return {hit["id"] for hit in _json(f"{server}/api/v1/search?q={quote(word)}")["hits"]}


def _eventually(check, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.2)


@pytest.fixture
def machines(tmp_path, queue_url, s3_settings):
    """Two servers and two workers over one database, queue and bucket; their URLs, the
    staff token, and the workers' processes (a test may kill one)."""
    shared = {
        "DATABASE_URL": databases.url_for(tmp_path / "shared"),
        "QUEUE_URL": queue_url,
        "QUEUE_HEARTBEAT": str(HEARTBEAT),
        "WORKERS": "1",
        "SEARCH_FOLLOW_MS": "200",
        **s3_settings,
    }
    env = {f"GALLERY_{name}": str(value) for name, value in shared.items()}
    first = tmp_path / "server-a"
    gallery(first, "init", env={**os.environ, **env})
    gallery(first, "users", "add", STAFF[0], "--role", "staff", "--password-stdin",
            stdin=STAFF[1], env={**os.environ, **env})  # fmt: skip
    token = gallery(first, "users", "token", STAFF[0], env={**os.environ, **env}).strip()
    gallery(first, "albums", "create", "day", "--visibility", "public",
            env={**os.environ, **env})  # fmt: skip
    for name in ("server-b", "worker-1", "worker-2", "worker-3", "checker"):
        (tmp_path / name).mkdir()  # each machine's own, empty
    with ExitStack() as stack:
        servers = [stack.enter_context(serving(tmp_path / f"server-{n}", env)) for n in "ab"]
        workers = [stack.enter_context(working(tmp_path / f"worker-{n}", env)) for n in "12"]
        yield servers, token, workers, env


def test_two_servers_and_two_workers_share_one_gallery(machines, tmp_path, make_jpeg):
    (a, b), token, workers, env = machines
    photos = [make_jpeg(f"IMG_{n}.jpg", (1600, 1000), seed=n) for n in range(4)]
    # Through both servers in turn.
    urls = [_upload((a, b)[n % 2], token, p.name, p.read_bytes()) for n, p in enumerate(photos)]
    for n, url in enumerate(urls):  # each status asked of the other server
        status = _settled((b, a)[n % 2], token, url)
        assert status["result_status"] == 201, status
    ids = _ids(a, token)
    assert len(ids) == 4 and _ids(b, token) == ids and _ids(b) == ids  # staff and visitors

    # A rendition through the other server: a redirect to the bucket, bytes that are a JPEG.
    photo = _json(f"{b}/api/v1/photos/{ids[0]}", token)["photo"]
    rendition = next(iter(photo["renditions"].values()))["url"]
    status, headers, _body = _call(b + rendition if rendition.startswith("/") else rendition)
    assert status == 302, status
    status, _h, data = _call(headers["Location"])
    assert status == 200 and data[:3] == b"\xff\xd8\xff"

    # An edit through A is found through B within seconds; a withdrawal through B is hidden
    # on A at once (its kept album page and its search alike).
    edit = json.dumps({"caption": "Rīgas konference skolā"}).encode()
    json_headers = {"Content-Type": "application/json"}
    _json(f"{a}/api/v1/photos/{ids[0]}", token, body=edit, headers=json_headers, method="PATCH")
    _eventually(lambda: _found(b, "konferencē") == {ids[0]}, "B finds A's caption")
    assert f"/photos/{ids[0]}" in _call(f"{a}/albums/day")[2].decode()  # kept by A now
    withdraw = json.dumps({"consent": "no_public"}).encode()
    _json(f"{b}/api/v1/photos/{ids[0]}", token, body=withdraw, headers=json_headers,
          method="PATCH")  # fmt: skip
    assert f"/photos/{ids[0]}" not in _call(f"{a}/albums/day")[2].decode()
    assert ids[0] not in _found(a, "konference") and ids[0] not in _found(b, "konference")
    assert ids[0] not in _ids(a) and ids[0] in _ids(a, token)

    # The workers killed in the middle of a zip (whichever had it): a new worker machine
    # finishes it once their heartbeats run out, every photo once.
    big = images.write_images(tmp_path / "big", [(2400, 1600)] * 8, first=10, noise=True)
    url = _upload(a, token, "big.zip", images.zipped(big))
    _eventually(lambda: len(_ids(a, token)) >= 6, "a worker to import two of the zip's photos",
                timeout=60)  # fmt: skip
    for worker in workers:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert len(_ids(a, token)) < 12
    with working(tmp_path / "worker-3", env):
        status = _settled(b, token, url, timeout=120)
    assert status["upload"]["attempts"] == 2, status
    assert status["result_status"] == 201, status
    assert len(status["result"]["photos"]) == 8 and status["result"]["duplicates"] == []
    assert len(_ids(a, token)) == len(_ids(b, token)) == 12
    checked = gallery(tmp_path / "checker", "check", "--json", env={**os.environ, **env})
    assert json.loads(checked)["problems"] == []
