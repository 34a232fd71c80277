"""What an import reads: files, folders and zip archives, each entry opened as a stream.

Zip archives are read entry by entry in memory streams: nothing is extracted to disk by
its stored name, so a hostile name (`../../x`, `C:/x`, a symlink) can never land anywhere.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Protocol

from gallery.core.messages import N_
from gallery.ingest.errors import Rejected

# System clutter that cameras and file managers leave beside photos: skipped silently.
SKIPPED_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "__macosx"}
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 2000
    max_total_bytes: int = 4 * 1024**3
    max_ratio: int = 200


class Stream(Protocol):
    """What an import reads a file through: a file object, or a zip entry that counts bytes."""

    def read(self, n: int = -1, /) -> bytes: ...

    def __enter__(self) -> Stream: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None: ...


@dataclass(frozen=True)
class Source:
    """One file to import: a label for reports, its display name, and a way to open it."""

    label: str
    filename: str
    open: Callable[[], Stream]
    problem: Rejected | None = None  # refused before reading, e.g. a zip-slip entry


def expand(paths: list[Path], limits: ZipLimits) -> Iterator[Source]:
    """Every importable entry under the given paths, in a stable (sorted) order."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path, limits)
        else:
            yield from _file_or_zip(path, str(path), limits)


def _walk(folder: Path, limits: ZipLimits) -> Iterator[Source]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if any(_skipped(part) for part in relative) or not path.is_file() or path.is_symlink():
            continue
        yield from _file_or_zip(path, str(path), limits)


def _file_or_zip(path: Path, label: str, limits: ZipLimits) -> Iterator[Source]:
    if not path.exists():
        yield _refused(label, path.name, Rejected("empty", N_("no such file")))
    elif _is_zip(path):
        yield from _zip_entries(path, label, limits)
    else:
        yield Source(label, path.name, lambda: open(path, "rb"))  # noqa: SIM115


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(ZIP_MAGIC)) == ZIP_MAGIC


def _zip_entries(path: Path, label: str, limits: ZipLimits) -> Iterator[Source]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield _refused(
            label,
            path.name,
            Rejected("corrupt", N_("the zip archive is damaged: %(error)s"), error=str(exc)),
        )
        return
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > limits.max_entries:
        text = N_("the archive has %(entries)d entries; at most %(most)d are read")
        refusal = Rejected("too_large", text, entries=len(entries), most=limits.max_entries)
        yield _refused(label, path.name, refusal)
        return
    budget = _Budget(limits.max_total_bytes)
    for info in entries:
        entry_label = f"{label}!/{info.filename}"
        name = PurePosixPath(info.filename.replace("\\", "/")).name
        if _skipped_entry(info):
            continue
        problem = _entry_problem(info, limits)
        if problem:
            yield _refused(entry_label, name, problem)
        else:
            yield Source(entry_label, name, _entry_opener(archive, info, budget))


def _entry_problem(info: zipfile.ZipInfo, limits: ZipLimits) -> Rejected | None:
    """Why a zip entry is refused before it is read, if it is."""
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if stat.S_ISLNK(info.external_attr >> 16):
        return Rejected("unsupported_format", N_("the archive entry is a symbolic link"))
    if name.startswith("/") or ".." in parts or (len(name) > 1 and name[1] == ":"):
        outside = N_("the archive entry's path points outside the archive")
        return Rejected("unsupported_format", outside)
    if info.filename.lower().endswith(".zip"):
        return Rejected("unsupported_format", N_("archives inside archives are not opened"))
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        bomb = N_("the archive entry is compressed suspiciously well (zip bomb)")
        return Rejected("too_large", bomb)
    return None


def _entry_opener(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget
) -> Callable[[], Stream]:
    return lambda: _CountingReader(archive.open(info), budget)


class _Budget:
    """Uncompressed bytes an archive may still yield: counted as read, since headers can lie."""

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining

    def spend(self, n: int) -> None:
        self.remaining -= n
        if self.remaining < 0:
            too_much = N_("the archive holds more uncompressed data than allowed")
            raise Rejected("too_large", too_much)


class _CountingReader:
    """A zip entry stream that charges every byte read to the archive's budget."""

    def __init__(self, stream: IO[bytes], budget: _Budget) -> None:
        self.stream = stream
        self.budget = budget

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.budget.spend(len(data))
        return data

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stream.close()


def _skipped(name: str) -> bool:
    return name.lower() in SKIPPED_NAMES or name.startswith("._")  # AppleDouble forks


def _skipped_entry(info: zipfile.ZipInfo) -> bool:
    return any(_skipped(part) for part in PurePosixPath(info.filename.replace("\\", "/")).parts)


def _refused(label: str, filename: str, problem: Rejected) -> Source:
    def fail() -> Stream:
        raise problem

    return Source(label, filename, fail, problem)
