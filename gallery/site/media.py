"""Which files a request may fetch: renditions by the original's hash, and originals.

Rendition URLs name the original's hash, not a photo: a visitor may fetch one while any
photo with those bytes is publishable (gallery.core.visibility); staff may fetch any,
since their pages show drafts and the trash page shows trashed photos.

An original goes to staff as it was uploaded, and to visitors without its GPS and other
private metadata (gallery.ingest.strip). The visitor's copy is made on the fly, never
stored: the changes are a few splices of the original's headers, found in about a
millisecond and kept per process, and the bytes are streamed from the original through
them, so a 200 MB TIFF costs no second copy on disk, nothing has to follow the original
through trash, backup and repair, and new rules apply to every photo at once.
"""

from __future__ import annotations

import functools
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gallery.core import visibility as seeing
from gallery.core.models import Album, Photo, Rendition
from gallery.core.storage import Storage
from gallery.culling.marks import xmp_marks
from gallery.ingest import strip
from gallery.ingest import xmp_marks as marks_in_xmp
from gallery.ingest.accept import EXTENSIONS
from gallery.ingest.filenames import download_name

log = logging.getLogger(__name__)

# Built once: making the statement costs more than running it (an indexed lookup), and it
# runs for every image of every page a visitor opens.
_ANY_RENDITION = (
    select(Rendition.format)
    .join(Photo)
    .where(Photo.sha256 == bindparam("sha256"), Rendition.name == bindparam("name"))
    .limit(1)
)
_PUBLISHED_RENDITION = _ANY_RENDITION.join(Album, Photo.album_id == Album.id).where(
    seeing.publishable_photos()
)


def rendition_format(session: Session, sha256: str, name: str, viewer: seeing.Viewer) -> str | None:
    """The format of the rendition if the viewer may fetch it, else None."""
    query = _ANY_RENDITION if viewer.staff else _PUBLISHED_RENDITION
    return session.scalar(query, {"sha256": sha256, "name": name})


def original_file(storage: Storage, photo: Photo) -> Path | None:
    """The photo's original on this disk (from S3: a cached copy), if it is there (a lost
    one answers 404 until restored). Only the app sends it, after the visibility rule."""
    return storage.local_original(photo.sha256, EXTENSIONS[photo.format])


def may_download_original(photo: Photo, viewer: seeing.Viewer) -> bool:
    """Staff always; visitors where the album offers its originals."""
    return viewer.staff or photo.album.allow_original_download


@dataclass(frozen=True)
class Original:
    """The original file a request gets: as stored, or through `splices` for visitors."""

    path: Path
    splices: tuple[strip.Splice, ...] = ()
    etag: str = ""  # the visitor's copy's own validator; "" for the file as stored

    @property
    def size(self) -> int:
        """Bytes sent: the stored file's size, give or take what the splices change."""
        change = sum(len(s.data) - (s.end - s.start) for s in self.splices)
        return self.path.stat().st_size + change

    def open(self) -> strip.Cleaned:
        return strip.Cleaned(self.path, self.splices)


def original_for(storage: Storage, photo: Photo, viewer: seeing.Viewer) -> Original | None:
    """Staff: the file as stored, with culling's marks in its XMP (a JPEG's). Visitors:
    without its private metadata, or None (404) when it keeps some where `strip` cannot
    remove it safely."""
    path = original_file(storage, photo)
    if path is None:
        return None
    if viewer.staff:
        return _with_marks(path, photo)
    try:
        splices = _private_metadata(str(path), photo.format)
    except strip.Uncleanable as exc:
        log.warning("original %s withheld from visitors: %s", photo.sha256, exc)
        return None
    if not splices:
        return Original(path)
    return Original(path, splices, f"{photo.sha256}-visitor-{strip.RULES}")


def _with_marks(path: Path, photo: Photo) -> Original:
    """The original with its marks (xmp:Rating, xmp:Label) for staff's desktop tools: only
    a JPEG's XMP segment changes, in the stream; other formats go as stored."""
    marks = xmp_marks(photo)
    if marks.empty or photo.format != "JPEG":
        return Original(path)
    splices = _marks_splices(str(path), marks)
    if not splices:
        return Original(path)
    return Original(path, splices, f"{photo.sha256}-marks-{marks.rating}-{marks.label}")


@functools.lru_cache(maxsize=256)
def _marks_splices(path: str, marks: marks_in_xmp.XmpMarks) -> tuple[strip.Splice, ...]:
    # Originals never change, so (file, marks) always gives the same splices.
    with open(path, "rb") as file:
        head = file.read(256 * 1024)  # a JPEG's APPn segments lie at its start
    return marks_in_xmp.jpeg_splices(head, marks)


@functools.lru_cache(maxsize=256)
def _private_metadata(path: str, fmt: str) -> tuple[strip.Splice, ...]:
    # Originals are stored by hash and never change, so an answer never goes stale.
    return strip.private_metadata(Path(path), fmt)


class _Pipe(io.RawIOBase):
    """Where zipfile writes an album's zip: bytes gathered until the stream takes them.
    It tells its position but cannot seek, so zipfile writes each entry's sizes after it."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def album_zip(
    storage: Storage, photos: list[Photo], viewer: seeing.Viewer, chunk: int = 256 * 1024
) -> Iterator[bytes]:
    """The album's originals as one zip, streamed as it is made (never whole in memory, nor
    on disk): `001-name.jpg`, `002-...` in album order; visitors' copies without their
    private metadata, as each photo's own download (a file that cannot be cleaned is left
    out, as its download answers 404). Stored, not deflated: photos do not shrink."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for photo in photos:
            found = original_for(storage, photo, viewer)
            if found is None:
                continue
            name = (
                f"{photo.number:03d}-{download_name(photo.filename or photo.sha256, photo.format)}"
            )
            with found.open() as source, archive.open(name, "w", force_zip64=True) as entry:
                while data := source.read(chunk):
                    entry.write(data)
                    yield pipe.take()
            yield pipe.take()
    yield pipe.take()
