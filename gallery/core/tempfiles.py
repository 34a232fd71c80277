"""Who owns a temp file: its name carries the writer's host and process id.

Several processes share one uploads/tmp (an app server's threads, a CLI import, a second
app server), so start-up may only remove the temp files whose writer is gone. A name
`tmp-<host>-<pid>-<random><suffix>` tells: on this host, a dead process (or a process id
reused by a process started after the file was last written) owns nothing any more; a
file from another host (shared storage) can only be judged by its age.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from pathlib import Path

PREFIX = "tmp-"
_NAME = re.compile(r"tmp-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[0-9a-f]{32}")


def new_name(suffix: str = "") -> str:
    """A fresh temp file name owned by this process."""
    return f"{PREFIX}{host_token()}-{os.getpid()}-{uuid.uuid4().hex}{suffix}"


def host_token() -> str:
    """This host's name in the characters a temp name allows."""
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:64] or "host"


def owner_alive(path: Path) -> bool | None:
    """True or False for a temp file written on this host; None when it cannot be known."""
    match = _NAME.match(path.name)
    if match is None or match["host"] != host_token():
        return None  # another host's, or named before owners were recorded
    pid = int(match["pid"])
    if pid == os.getpid():
        return True
    try:
        return _running(pid) and not _started_after(pid, path.stat().st_mtime)
    except FileNotFoundError:  # removed meanwhile by its owner
        return True


def age(path: Path) -> float:
    """Seconds since anything happened to the file (written, renamed or chmod-ed)."""
    stat = path.stat()
    return time.time() - max(stat.st_mtime, stat.st_ctime)


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, run by another user
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that has ended and waits for its parent to notice: it writes nothing more."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False  # no /proc here: trust the signal test
    return state in ("Z", "X")


def _started_after(pid: int, written_at: float) -> bool:
    """Whether this pid belongs to a process younger than the file (the pid was reused)."""
    started = _start_time(pid)
    return started is not None and started > written_at + 1


def _start_time(pid: int) -> float | None:
    """When a process started, in epoch seconds (Linux /proc; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError):
        return None
    # Field 22 counts clock ticks since boot; fields after the ")" of the command name.
    ticks = int(stat.rsplit(")", 1)[1].split()[19])
    return boot + ticks / os.sysconf("SC_CLK_TCK")
