"""Ingest through the job queue: uploads over HTTP to `gallery serve`, imported by its own
decode pool (the embedded default, the baseline) or by 1, 2 and 4 `gallery worker`
processes through Redis, in one run.

Run: `.venv/bin/python bench/queue_ingest.py [--count N] [--workers 1 2 4]`. Takes N
(default 16) of bench/ingest.py's 24 MP JPEGs; for each way, a fresh data dir, a server
(and its workers, started and seen on the queue before the clock starts), three uploads at
a time as the staff page sends them, and the clock stopped when the last photo is in the
album (for the queue, its status says done). Prints seconds per photo and the ratio to the
in-process pool. Redis comes from scripts/redis; each worker decodes one file at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from argparse import ArgumentParser
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import make_photos  # noqa: E402
from gallery.config import load_config  # noqa: E402
from tests.helpers.servers import free_port, wait_until_serving  # noqa: E402
from tests.helpers.upload_client import multipart  # noqa: E402

GALLERY = [sys.executable, "-m", "gallery"]
SENDING = 3  # uploads at once, as the staff page sends them


def run(data: Path, *args: str, env: dict, stdin: str | None = None) -> str:
    done = subprocess.run(
        [*GALLERY, "--data", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout.strip()


def prepared(data: Path, env: dict) -> str:
    """A data dir with a staff user and an album; the user's API token."""
    run(data, "init", env=env)
    run(
        data,
        "users",
        "add",
        "staff@school.lv",
        "--role",
        "staff",
        "--password-stdin",
        env=env,
        stdin="staff-password-123",
    )
    run(data, "albums", "create", "bench", env=env)
    return run(data, "users", "token", "staff@school.lv", env=env)


@contextmanager
def process(command: list[str], env: dict, log: Path):
    with open(log, "w") as out:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            child.terminate()
            child.wait(timeout=30)


def upload(url: str, token: str, photo: Path) -> dict:
    body, headers = multipart(photo.read_bytes(), photo.name)
    headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url}/api/v1/albums/bench/photos", body, headers)
    with urllib.request.urlopen(request, timeout=600) as answer:
        return {"status": answer.status, **json.loads(answer.read())}


def settled(url: str, token: str, answers: list[dict]) -> None:
    """Wait until every queued upload is done (a 201 was done at once)."""
    pending = [a["upload"]["url"] for a in answers if a["status"] == 202]
    headers = {"Authorization": f"Bearer {token}"}
    while pending:
        time.sleep(0.05)
        request = urllib.request.Request(url + pending[0], headers=headers)
        with urllib.request.urlopen(request) as answer:
            state = json.loads(answer.read())["upload"]["state"]
        if state == "failed":
            raise SystemExit(f"upload {pending[0]} failed")
        if state == "done":
            pending.pop(0)


def timed(photos: list[Path], workers: int, queue: str) -> float:
    """Seconds from the first upload to the last photo in; workers=0: the server's pool."""
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as folder, ExitStack() as stack:
        data = Path(folder)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if workers:
            redis.Redis.from_url(queue).flushdb()
            env |= {
                "GALLERY_QUEUE_URL": queue,
                "GALLERY_WORKERS": "1",
                "GALLERY_SECRET_KEY": "bench",
            }
        token = prepared(data, env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = stack.enter_context(
            process(
                [*GALLERY, "--data", str(data), "serve", "--port", str(port)],
                env,
                data / "serve.log",
            )
        )
        wait_until_serving(url, server, data / "serve.log")
        for n in range(workers):
            command = [*GALLERY, "--data", str(data), "worker", "--threads", "1"]
            stack.enter_context(process(command, env, data / f"worker-{n}.log"))
        _wait_for_workers(queue, workers)
        start = time.perf_counter()
        with ThreadPoolExecutor(SENDING) as sending:
            answers = list(sending.map(lambda p: upload(url, token, p), photos))
        settled(url, token, answers)
        seconds = time.perf_counter() - start
        expected = {201} if not workers else {202}
        assert {a["status"] for a in answers} == expected, [a["status"] for a in answers]
        return seconds


def _wait_for_workers(queue: str, workers: int) -> None:
    """Until every worker has polled the queue (its heartbeat is in Redis)."""
    if not workers:
        return
    broker = redis.Redis.from_url(queue)
    deadline = time.monotonic() + 60
    while broker.zcard("gallery:__heartbeats__") < workers:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start")
        time.sleep(0.1)


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=16, help="number of 24 MP photos")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    config = load_config()
    sources = sorted((Path(config["CORPUS"]) / "photos" / "jpg").glob("*.jpg"))
    photos = make_photos(args.count, sources)
    url = subprocess.run([ROOT / "scripts" / "redis"], capture_output=True, text=True, check=True)
    queue = url.stdout.strip().rsplit("/", 1)[0] + "/10"
    load = os.getloadavg()[0]
    baseline = timed(photos, 0, queue)
    print(f"{len(photos)} photos of 24 MP over HTTP, {SENDING} at a time; load {load:.2f}")
    print(
        f"in-process pool ({os.cpu_count()} decode processes): "
        f"{baseline / len(photos):.3f} s per photo (baseline)"
    )
    for workers in args.workers:
        seconds = timed(photos, workers, queue)
        per = seconds / len(photos)
        print(
            f"queue, {workers} worker process(es): {per:.3f} s per photo, "
            f"{seconds / baseline:.2f}x the pool"
        )
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
