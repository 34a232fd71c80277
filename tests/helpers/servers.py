"""Running the real `gallery` command, its production server and Chromium from tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import databases

CHROMIUM = "/usr/bin/chromium"


def gallery(data: Path, *args: str, stdin: str | None = None, env: dict | None = None) -> str:
    """Run `gallery --data DATA ARGS...` and return what it printed."""
    command = [sys.executable, "-m", "gallery", "--data", str(data), *args]
    env = {**databases.subprocess_env(data), **(os.environ if env is None else env)}
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=True, env=env)
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(data: Path, env: dict | None = None) -> Iterator[str]:
    """`gallery serve` on a free port for the duration; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gallery", "--data", str(data), "serve"]
    log_path = data / "serve.log"
    # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env={**os.environ, **databases.subprocess_env(data), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(url, process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def redis_url() -> str:
    """Start (or find) the throwaway Redis of scripts/redis; its URL."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "redis"
    done = subprocess.run([script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def empty_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@contextmanager
def working(data: Path, env: dict, threads: int = 1) -> Iterator[subprocess.Popen]:
    """`gallery worker` over `data` for the duration, in its own process group: a test may
    kill it with its decode processes (os.killpg), as a machine going down would."""
    command = [sys.executable, "-m", "gallery", "--data", str(data), "worker"]
    log = open(data / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [*command, "--threads", str(threads)],
        env={**os.environ, **databases.subprocess_env(data), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        log.close()


def server_errors(data: Path) -> list[str]:
    """The server log if it holds a traceback (a test can assert it holds none)."""
    log = data / "serve.log"
    text = log.read_text() if log.exists() else ""
    return [text[-3000:]] if "Traceback" in text else []


@contextmanager
def chromium():
    """Debian's Chromium under Playwright (no browser download), closed afterwards."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/setup test installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    """Wait until `gallery serve` answers at `url`; fail with its log if it exits or stays mute."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gallery serve exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gallery serve did not answer at {url}")
