"""Accepting a file: stream it to a temp file under a size limit, hash it, sniff its format.

The format comes from the bytes alone, never from the name or the client's content type.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from gallery.core.messages import N_, Message
from gallery.core.storage import Storage
from gallery.ingest.errors import Rejected, disk_full, is_disk_full
from gallery.ingest.sources import Stream

CHUNK = 1024 * 1024
HEAD = 64  # the bytes that tell the format
ALLOWED_TEXT = Message(N_("JPEG, PNG, WebP, GIF, HEIC or single-page TIFF"))
UNKNOWN = N_("not a photo in a format the gallery knows; the gallery accepts %(accepted)s")

# format -> extension of the stored original
EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "HEIF": "heic",
    "TIFF": "tif",
}

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

# Formats we recognise only to refuse them by name: (magic prefix, what it is).
REFUSED = (
    (b"%PDF", N_("a PDF document")),
    (b"%!PS", N_("an EPS/PostScript file")),
    (b"\xc5\xd0\xd3\xc6", N_("an EPS/PostScript file")),
    (b"8BPS", N_("a Photoshop (PSD) file")),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", N_("a JPEG 2000 image")),
    (b"\xffO\xffQ", N_("a JPEG 2000 image")),
    (b"BM", N_("a BMP image")),
    (b"\x00\x00\x01\x00", N_("a Windows icon (ICO)")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", N_("an Office document")),
    (b"PK\x03\x04", N_("a zip archive or Office document")),
    (b"\x1f\x8b", N_("a gzip archive")),
    (b"Rar!", N_("a RAR archive")),
    (b"7z\xbc\xaf", N_("a 7-Zip archive")),
    (b"II*\x00\x10\x00\x00\x00CR", N_("a Canon RAW (CR2) file")),
)


@dataclass(frozen=True)
class Received:
    """A file fully written to a temp path, with its hash, size and real format."""

    temp: Path
    sha256: str
    size: int
    format: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


class Intake:
    """A temp file being written: hashed, counted and its first bytes kept as they arrive.

    Both ways in write through one: `receive` copies a file or zip entry into it, and a web
    upload streams into it while the request is read (gallery/catalog/uploads.py), so the
    bytes are written once and placed by a rename. Unbuffered, so a full disk shows in the
    write that met it; it is remembered, not raised, for the request to be read to its end,
    and `received` refuses the file.
    """

    def __init__(self, temp: Path) -> None:
        self.temp = temp
        self.size = 0
        self.head = b""
        self._digest = hashlib.sha256()
        self._file: io.FileIO | None = open(temp, "w+b", buffering=0)  # noqa: SIM115
        self._disk_full: OSError | None = None

    def write(self, chunk: bytes) -> int:
        self.size += len(chunk)
        if len(self.head) < HEAD:
            self.head += chunk[: HEAD - len(self.head)]
        self._digest.update(chunk)
        if self._file is not None:
            self._write_all(self._file, chunk)
        return len(chunk)

    def _write_all(self, out: io.FileIO, chunk: bytes) -> None:
        try:
            view = memoryview(chunk)
            while view:
                view = view[out.write(view) or 0 :]
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            self._disk_full = exc
            self.discard()  # the rest of the bytes are counted and dropped

    @property
    def complete(self) -> bool:
        """Whether every byte written so far is on disk (not lost to a full one)."""
        return self._disk_full is None

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence) if self._file else 0

    def read(self, n: int = -1) -> bytes:
        return (self._file.read(n) or b"") if self._file else b""

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop writing; the file stays for `received` to hand on."""
        if self._file is not None:
            self._file.close()

    def discard(self) -> None:
        """Close and remove the temp file (nothing, once it was renamed into place)."""
        self.close()
        self._file = None
        self.temp.unlink(missing_ok=True)

    def received(self, max_bytes: int) -> Received:
        """The file as a `Received`; or a refusal (full disk, too big, empty, no photo),
        which removes it."""
        self.close()
        try:
            if self._disk_full is not None:
                raise disk_full() from self._disk_full
            return Received(self.temp, self._check(max_bytes), self.size, sniff_format(self.head))
        except BaseException:
            self.discard()
            raise

    def _check(self, max_bytes: int) -> str:
        """The SHA-256 of a file of an acceptable size."""
        if self.size > max_bytes:
            text = N_("the file is larger than the limit of %(limit)s MB")
            raise Rejected("too_large", text, limit=_mib(max_bytes))
        if self.size == 0:
            raise Rejected("empty", N_("the file is empty (0 bytes)"))
        return self._digest.hexdigest()


def receive(source: Stream, storage: Storage, max_bytes: int) -> Received:
    """Stream `source` into tmp/, hashing as it goes; refuse what is empty, too big or no photo.

    A web upload arrives as an `Intake` already written and hashed: only checked here.
    """
    if isinstance(source, Intake):
        return source.received(max_bytes)
    try:
        intake = Intake(storage.temp_path())
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full() from exc
        raise
    try:
        while intake.size <= max_bytes and (chunk := source.read(CHUNK)):
            intake.write(chunk)  # past the limit: stop reading, `received` refuses it
    except BaseException:
        intake.discard()
        raise
    return intake.received(max_bytes)


def sniff_format(head: bytes) -> str:
    """The image format the first bytes announce, or a refusal saying what the file is."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] in (b"II*\x00", b"MM\x00*") and head[8:10] != b"CR":
        return "TIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in HEIF_BRANDS:
            return "HEIF"
        if brand in (b"avif", b"avis"):
            raise _unsupported(N_("an AVIF image"))
        raise _unsupported(N_("a video or other ISO media file"))
    for magic, what in REFUSED:
        if head.startswith(magic):
            raise _unsupported(what)
    raise _unsupported(_guess_text(head))


def _guess_text(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) or b"<svg" in text:
        return N_("an SVG drawing (or other XML)")
    if text.startswith((b"<!doctype html", b"<html", b"<script", b"<")):
        return N_("an HTML page")
    if text[:2] in (b"p1", b"p2", b"p3", b"p4", b"p5", b"p6"):
        return N_("a PNM/PPM image")
    return UNKNOWN


def _unsupported(what: str) -> Rejected:
    if what == UNKNOWN:
        return Rejected("unsupported_format", UNKNOWN, accepted=ALLOWED_TEXT)
    text = N_("this is %(what)s; the gallery accepts %(accepted)s")
    return Rejected("unsupported_format", text, what=Message(what), accepted=ALLOWED_TEXT)


def _mib(n: int) -> str:
    """Megabytes to three significant digits: 200, 1.5, 0.00488 (a small limit is not 0)."""
    return f"{n / 1024 / 1024:.3g}"
