"""The media store and the photo rows side by side, in hash order, one page at a time.

Originals live at originals/ab/cd/<sha256>.<ext> and renditions at
renditions/ab/cd/<sha256>/<name>.<ext>, so walking the shard folders in name order (or
listing a bucket's keys, which S3 returns in order) visits the files in hash order; the
rows come in the same order from the sha256 index, in keyset pages. Merging the three
streams pairs every row with its files in one pass, with memory bounded by a
page: a million photos cost time, not memory.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Integer, any_, literal, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from gallery.core.models import Album, Photo, Rendition
from gallery.core.storage import Storage

ROWS_PER_PAGE = 2000  # photos read per query, then their renditions in a second
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


class RenditionRow(NamedTuple):  # tuples: made four million times over a million photos
    name: str
    format: str
    byte_size: int


class PhotoRow(NamedTuple):
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
    sessions: sessionmaker[Session], storage: Storage, strays: list[StoredFile]
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
            # Core, not ORM, execution: the same rows without the ORM's work per row.
            read = session.connection().execute
            page = read(_photo_page(after)).all()
            if not page:
                return
            ids = [row.id for row in page]
            renditions = read(_renditions_of(ids, session.get_bind().dialect.name))
        yield from _photos(page, renditions)
        after = (page[-1].sha256, page[-1].id)


def _photos(page: Sequence, renditions: Iterable) -> Iterator[tuple[str, PhotoRow]]:
    """A page of photo rows with their renditions."""
    mine: dict[int, list[RenditionRow]] = {}
    for photo_id, *rendition in renditions:
        mine.setdefault(photo_id, []).append(RenditionRow(*rendition))
    for sha, photo_id, album, filename, fmt, size in page:
        yield sha, PhotoRow(photo_id, album, filename, fmt, size, tuple(mine.get(photo_id, ())))


def _photo_page(after: tuple[str, int]):
    columns = (Photo.sha256, Photo.id, Album.slug, Photo.filename, Photo.format, Photo.byte_size)
    return (
        select(*columns)
        .join(Album, Photo.album_id == Album.id)
        .where(tuple_(Photo.sha256, Photo.id) > tuple_(*after))
        .order_by(Photo.sha256, Photo.id)
        .limit(ROWS_PER_PAGE)
    )


def _renditions_of(ids: list[int], dialect: str):
    """The renditions of a page's photos, through the (photo_id, name) index.

    By id, not by the page's range of hashes: PostgreSQL joined that range by hashing all
    four million renditions, 0.9 s a page at a million photos. On PostgreSQL the ids go as
    one array: planning two thousand parameters cost more than the read (15 ms against
    110 ms a page, measured at a million photos).
    """
    among = (
        Rendition.photo_id == any_(literal(ids, ARRAY(Integer)))
        if dialect == "postgresql"
        else Rendition.photo_id.in_(ids)
    )
    columns = (Rendition.photo_id, Rendition.name, Rendition.format, Rendition.byte_size)
    return select(*columns).where(among).order_by(Rendition.photo_id, Rendition.id)


def original_files(storage: Storage, strays: list[StoredFile]) -> Iterator[tuple[str, StoredFile]]:
    """Files under originals/ named `ab/cd/<sha256>.<ext>`, in hash order."""
    for parts, folder, name, size, age in storage.scan("originals"):
        stored = StoredFile(folder, name, size, age)
        sha, dot, ext = stored.name.partition(".")
        if _SHA.fullmatch(sha) and dot and ext and parts == (sha[:2], sha[2:4]):
            yield sha, stored
        else:
            strays.append(stored)


def rendition_files(storage: Storage, strays: list[StoredFile]) -> Iterator[tuple[str, StoredFile]]:
    """Files under renditions/ in `ab/cd/<sha256>/` folders, in hash order."""
    for parts, folder, name, size, age in storage.scan("renditions"):
        stored = StoredFile(folder, name, size, age)
        sha = parts[2] if len(parts) == 3 else ""
        if _SHA.fullmatch(sha) and parts[:2] == (sha[:2], sha[2:4]):
            yield sha, stored
        else:
            strays.append(stored)


def hash_files(group: Group, storage: Storage) -> dict[str, str | OSError]:
    """SHA-256 of each original file of the group by name (an unreadable one: its error)."""
    digests: dict[str, str | OSError] = {}
    for stored in group.originals:
        try:
            digests[stored.name] = storage.hash_file(stored.path)
        except FileNotFoundError:
            continue  # gone since it was listed: judged as missing or not at all
        except OSError as exc:  # a bad sector, say: the file is there but not its bytes
            digests[stored.name] = exc
    return digests
