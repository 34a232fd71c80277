"""Running the real `gallery` command and production server from tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def gallery(data: Path, *args: str, stdin: str | None = None, env: dict | None = None) -> str:
    """Run `gallery --data DATA ARGS...` and return what it printed."""
    command = [sys.executable, "-m", "gallery.cli", "--data", str(data), *args]
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
    command = [
        sys.executable,
        "-m",
        "gallery.cli",
        "--data",
        str(data),
        "serve",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gallery serve exited: {process.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gallery serve did not answer at {url}")
