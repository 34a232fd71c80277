"""The media store and the photo rows side by side, in hash order, one page at a time.

Originals live at originals/ab/cd/<sha256>.<ext> and renditions at
renditions/ab/cd/<sha256>/<name>.<ext>, so walking the shard folders in name order visits
the files in hash order; the rows come in the same order from the sha256 index, in keyset
pages. Merging the three streams pairs every row with its files in one pass, with memory
bounded by a page: a million photos cost time, not memory.
"""

from __future__ import annotations

import heapq
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from gallery.core.models import Album, Photo, Rendition
from gallery.core.storage import LocalStorage, file_sha256

ROWS_PER_PAGE = 500  # photos read per query (also the size of the renditions' IN list)
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredFile:
    folder: str  # strings, not Paths: a million photos make five million of these
    name: str
    size: int
    age: float  # seconds since it was last written, renamed or chmod-ed

    @property
    def path(self) -> Path:
        return Path(self.folder, self.name)


@dataclass(frozen=True)
class RenditionRow:
    name: str
    format: str
    byte_size: int


@dataclass(frozen=True)
class PhotoRow:
    id: int
    album: str
    filename: str
    format: str
    byte_size: int
    renditions: tuple[RenditionRow, ...]

    @property
    def subject(self) -> str:
        """How a report names the photo: `photo 12 (album 'sports-day', IMG_1.jpg)`."""
        return f"photo {self.id} (album {self.album!r}, {self.filename})"


@dataclass
class Group:
    """Everything stored under one hash: its photo rows, original files, rendition files."""

    sha256: str
    photos: list[PhotoRow] = field(default_factory=list)
    originals: list[StoredFile] = field(default_factory=list)
    renditions: list[StoredFile] = field(default_factory=list)


def walk(
    sessions: sessionmaker[Session], storage: LocalStorage, strays: list[StoredFile]
) -> Iterator[Group]:
    """Every hash that has a row or a file, in order; files named like nothing go to `strays`."""
    streams = (
        _tagged(0, photo_rows(sessions)),
        _tagged(1, original_files(storage, strays)),
        _tagged(2, rendition_files(storage, strays)),
    )
    merged = heapq.merge(*streams, key=lambda item: item[0])
    for sha, items in groupby(merged, key=lambda item: item[0]):
        group = Group(sha)
        for _sha, source, item in items:
            (group.photos, group.originals, group.renditions)[source].append(item)
        yield group


def _tagged(source: int, stream: Iterable[tuple[str, object]]) -> Iterator[tuple]:
    last = ""
    for sha, item in stream:
        if sha < last:  # a merge of unsorted streams would report files as orphans
            raise RuntimeError(f"stream {source} is not in hash order ({sha} after {last})")
        last = sha
        yield sha, source, item


def photo_rows(sessions: sessionmaker[Session]) -> Iterator[tuple[str, PhotoRow]]:
    """Every photo row (trashed ones too: the trash keeps its files), in hash order."""
    after: tuple[str, int] = ("", 0)
    while True:
        with sessions() as session:  # one short read per page: no hours-long transaction
            page = session.execute(_photo_page(after)).all()
            renditions = _renditions_of(session, [row.id for row in page])
        if not page:
            return
        for row in page:
            photo = PhotoRow(
                row.id,
                row.slug,
                row.filename,
                row.format,
                row.byte_size,
                tuple(renditions.get(row.id, ())),
            )
            yield row.sha256, photo
        after = (page[-1].sha256, page[-1].id)


def _photo_page(after: tuple[str, int]):
    columns = (Photo.sha256, Photo.id, Album.slug, Photo.filename, Photo.format, Photo.byte_size)
    return (
        select(*columns)
        .join(Album, Photo.album_id == Album.id)
        .where(tuple_(Photo.sha256, Photo.id) > tuple_(*after))
        .order_by(Photo.sha256, Photo.id)
        .limit(ROWS_PER_PAGE)
    )


def _renditions_of(session: Session, ids: list[int]) -> dict[int, list[RenditionRow]]:
    found: dict[int, list[RenditionRow]] = {}
    if not ids:
        return found
    columns = (Rendition.photo_id, Rendition.name, Rendition.format, Rendition.byte_size)
    for photo_id, name, fmt, size in session.execute(
        select(*columns).where(Rendition.photo_id.in_(ids)).order_by(Rendition.id)
    ):
        found.setdefault(photo_id, []).append(RenditionRow(name, fmt, size))
    return found


def original_files(
    storage: LocalStorage, strays: list[StoredFile]
) -> Iterator[tuple[str, StoredFile]]:
    """Files under originals/ named `ab/cd/<sha256>.<ext>`, in hash order."""
    for parts, stored in _files_in_name_order(str(storage.root / "originals"), ()):
        sha, dot, ext = stored.name.partition(".")
        if _SHA.fullmatch(sha) and dot and ext and parts == (sha[:2], sha[2:4]):
            yield sha, stored
        else:
            strays.append(stored)


def rendition_files(
    storage: LocalStorage, strays: list[StoredFile]
) -> Iterator[tuple[str, StoredFile]]:
    """Files under renditions/ in `ab/cd/<sha256>/` folders, in hash order."""
    for parts, stored in _files_in_name_order(str(storage.root / "renditions"), ()):
        sha = parts[2] if len(parts) == 3 else ""
        if _SHA.fullmatch(sha) and parts[:2] == (sha[:2], sha[2:4]):
            yield sha, stored
        else:
            strays.append(stored)


def _files_in_name_order(
    folder: str, parts: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], StoredFile]]:
    """Every file below `folder` with the folders leading to it, each folder sorted by name."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        return
    now = time.time()
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _files_in_name_order(entry.path, (*parts, entry.name))
        else:
            yield parts, _stored(folder, entry, now)


def _stored(folder: str, entry: os.DirEntry, now: float) -> StoredFile:
    try:
        stat = entry.stat(follow_symlinks=False)
    except FileNotFoundError:  # gone since the folder was listed (trash emptied meanwhile)
        return StoredFile(folder, entry.name, -1, 0.0)
    return StoredFile(folder, entry.name, stat.st_size, now - max(stat.st_mtime, stat.st_ctime))


def hash_files(group: Group) -> dict[str, str | OSError]:
    """SHA-256 of each original file of the group by name (an unreadable one: its error)."""
    digests: dict[str, str | OSError] = {}
    for stored in group.originals:
        try:
            digests[stored.name] = file_sha256(stored.path)
        except FileNotFoundError:
            continue  # gone since it was listed: judged as missing or not at all
        except OSError as exc:  # a bad sector, say: the file is there but not its bytes
            digests[stored.name] = exc
    return digests
