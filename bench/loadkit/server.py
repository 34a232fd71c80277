"""The production server (`gallery serve`) in a process of its own, on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path


def gallery_command(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "gallery", "--data", str(data), *args]


@contextmanager
def serving(data: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`gallery serve` on a free loopback port while the block runs; its log in DATA."""
    port = _free_port()
    log_path = data / "serve.log"
    command = gallery_command(data, "serve", "--host", "127.0.0.1", "--port", str(port))
    # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )
        server = Server(f"http://127.0.0.1:{port}", process.pid, log_path)
        try:
            _wait_for(server, process)
            yield server
        finally:
            process.terminate()
            process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(server: Server, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gallery serve exited: {server.log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(server.url + "/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gallery serve did not answer at {server.url}")
