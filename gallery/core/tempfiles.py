"""Who owns a temp file: its name carries its writer's lease, never a host name or pid.

Several processes share one uploads/tmp: an app server's threads, a CLI import, other web
and worker machines (containers that may share a host name, whose process ids overlap).
So each process holds a lease, an empty-ish file `leases/<id>.lease` beside tmp/, which it
keeps `flock`-ed while it lives and whose mtime a daemon thread touches every
`REFRESH_EVERY` seconds; a temp name `tmp-<lease id>-<random><suffix>` names it.

An owner is alive while its lease is locked, or fresh: locks do not cross machines on
every shared file system, so freshness is what another machine can see. The lease holds
the kernel's boot id once it is locked: where that is ours, the lock is visible to us, and
an unlocked lease is a dead process's at once (a killed import's files go at the next
start, not minutes later). A lease gone, unlocked and stale owns nothing. Names without a
lease (old `tmp-<host>-<pid>-...` names, or a process that could not write its lease on
a full or read-only disk) can only be judged by their age.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "tmp-"
LEASE_SUFFIX = ".lease"
REFRESH_EVERY = 30.0  # seconds between two touches of a live process's leases
STALE_AFTER = 300.0  # seconds without a touch after which an unlocked lease is dead
_NAME = re.compile(r"tmp-(?P<lease>[0-9a-f]{32})-[0-9a-f]{32}")
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class Lease:
    """This process's lease in one folder; `id` None when it could not be written."""

    id: str | None
    path: Path | None


def new_name(lease: Lease, suffix: str = "") -> str:
    """A fresh temp file name owned by `lease` (ownerless, judged by age, without one)."""
    owner = f"{lease.id}-" if lease.id else ""
    return f"{PREFIX}{owner}{uuid.uuid4().hex}{suffix}"


def owner_alive(path: Path, leases: Path) -> bool | None:
    """True or False for a temp file named by a lease in `leases`; None when only its age
    can tell (no lease in its name)."""
    match = _NAME.match(path.name)
    if match is None:
        return None
    return lease_alive(leases / f"{match['lease']}{LEASE_SUFFIX}")


def lease_alive(path: Path) -> bool:
    """Whether a lease's process lives: locked, or (where its lock is not visible) fresh."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            pass  # no locks on this file system (ENOLCK): freshness alone tells
        else:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            if _boot_id() is not None and os.read(descriptor, 64).decode() == _boot_id():
                return False  # locked on this kernel it would be: its process is gone
        return time.time() - os.fstat(descriptor).st_mtime <= STALE_AFTER
    finally:
        os.close(descriptor)


def dead_leases(leases: Path) -> list[Path]:
    """The leases in a folder whose process is gone."""
    found = leases.glob(f"*{LEASE_SUFFIX}") if leases.is_dir() else ()
    return [path for path in found if not lease_alive(path)]


def age(path: Path) -> float:
    """Seconds since anything happened to the file (written, renamed or chmod-ed)."""
    stat = path.stat()
    return time.time() - max(stat.st_mtime, stat.st_ctime)


def hold(leases: Path) -> Lease:
    """This process's lease in the folder `leases`, taken on first use."""
    folder = Path(os.path.abspath(leases))
    with _state.lock:
        held = _state.held.get(folder)
        if held is None:
            held = _state.held[folder] = _take(folder)
            _start_refreshing()
        return held.lease


def release(leases: Path) -> None:
    """Give up this process's lease in a folder: its temp files are abandoned from now on."""
    with _state.lock:
        held = _state.held.pop(Path(os.path.abspath(leases)), None)
    if held is not None:
        if held.lease.path is not None:
            held.lease.path.unlink(missing_ok=True)
        _release(held)


def refresh() -> None:
    """Touch every lease this process holds (the daemon thread's work; tests call it)."""
    with _state.lock:
        for folder, held in list(_state.held.items()):
            if held.lease.path is None:
                continue
            try:
                os.utime(held.lease.path)
            except FileNotFoundError:
                _release(held)
                if not folder.is_dir():  # the whole store went (a test's, a moved one)
                    del _state.held[folder]
                    continue
                # Judged dead while this process stalled: its files may be gone, the next
                # ones are safe again.
                log.warning("lease %s was removed; taking it again", held.lease.path)
                _state.held[folder] = _take(folder, held.lease.id)
            except OSError as exc:
                log.warning("could not refresh lease %s: %s", held.lease.path, exc)


@dataclass
class _Held:
    lease: Lease
    descriptor: int | None


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.held: dict[Path, _Held] = {}
        self.refreshing = False


_state = _State()


def _take(folder: Path, lease_id: str | None = None) -> _Held:
    """Write and lock a new lease file; on a full or read-only disk, a lease not written."""
    lease_id = lease_id or uuid.uuid4().hex
    path = folder / f"{lease_id}{LEASE_SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:  # ENOSPC (blocks or inodes), EDQUOT, EROFS, EACCES...
        log.warning(
            "no lease written in %s (%s): this process's temp files are judged by their age",
            folder,
            exc.strerror or exc,
        )
        return _Held(Lease(None, None), None)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        boot_id = _boot_id()
        if boot_id is not None:  # only a locked lease may say where its lock is seen
            os.write(descriptor, boot_id.encode())
    except OSError as exc:  # no locks here, or no room for the 36 bytes: freshness tells
        log.info("lease %s holds no lock or kernel id: %s", path, exc)
    return _Held(Lease(lease_id, path), descriptor)


def _release(held: _Held) -> None:
    if held.descriptor is not None:
        os.close(held.descriptor)
        held.descriptor = None


def _start_refreshing() -> None:
    if not _state.refreshing:
        _state.refreshing = True
        threading.Thread(target=_refresh_forever, name="lease-refresh", daemon=True).start()


def _refresh_forever() -> None:
    while True:
        time.sleep(REFRESH_EVERY)
        refresh()


@functools.cache
def _boot_id() -> str | None:
    """The running kernel's boot id (shared by its containers), None where not readable."""
    try:
        return _BOOT_ID.read_text().strip() or None
    except OSError:
        return None


def _end() -> None:
    """At exit, the leases go: their temp files are abandoned from now on."""
    for folder in list(_state.held):
        release(folder)


def _forget_in_child() -> None:
    """A forked child holds none of its parent's leases (the lock stays the parent's)."""
    global _state
    for held in _state.held.values():
        _release(held)
    _state = _State()


atexit.register(_end)
os.register_at_fork(after_in_child=_forget_in_child)
