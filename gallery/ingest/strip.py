"""An original without its private metadata, for visitors: found in the headers, the
pixels never decoded or re-encoded.

`private_metadata(path, fmt)` finds the metadata blocks of each format (JPEG and MPO APP1
EXIF and XMP, APP13 IPTC; PNG eXIf and XMP text chunks; WebP EXIF and XMP chunks; GIF's
XMP extension; HEIF Exif and XMP items; a TIFF's own directories) and returns what must
change, as splices of the original (see `scrub` for what counts as private). Nearly all
keep every length, so offsets inside the file stay right; only PNG text chunks, which
nothing points to, are rewritten whole. An empty answer means there is nothing to
remove. `Cleaned` reads the original through its splices, seekable, so a 200 MB TIFF is
streamed with a few bytes changed rather than copied.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from . import heif
from .scrub import Buffer, scrub_exif, scrub_irb, scrub_xmp
from .splices import Cleaned, Edits, Splice, Uncleanable, apply, spread

__all__ = ["RULES", "Cleaned", "Splice", "Uncleanable", "apply", "private_metadata"]

_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"
_PHOTOSHOP = b"Photoshop 3.0\x00"
_PNG_XMP = b"XML:com.adobe.xmp"
# ImageMagick's hex dumps of whole metadata blocks: dropped (a colour profile's stays)
_PNG_RAW_PROFILES = tuple(
    b"Raw profile type " + kind for kind in (b"exif", b"APP1", b"xmp", b"iptc", b"8bim")
)
MAX_TEXT_CHUNK = 16 * 1024 * 1024  # a compressed XMP chunk is unpacked up to this size
RULES = 1  # raise when what is removed changes: visitors' validators (ETags) change with it


def private_metadata(path: Path, fmt: str) -> tuple[Splice, ...]:
    """What to change in the original so that nothing private is left; () when nothing is."""
    walker = _WALKERS[fmt]
    with path.open("rb") as file:
        if not path.stat().st_size:
            return ()
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            edits = Edits(data)
            try:
                walker(data, edits)
            except (struct.error, IndexError, ValueError) as exc:
                raise Uncleanable(f"the {fmt} structure could not be followed: {exc}") from exc
            return edits.merged()


# --- JPEG and MPO --------------------------------------------------------------------


def _jpeg(data: Buffer, edits: Edits) -> None:
    """The first picture's header segments, then those of every other MPO picture."""
    extended: dict[bytes, list[tuple[int, int, int]]] = {}
    for picture in _mpo_pictures(data):
        for marker, begin, end in _segments(data, picture):
            _jpeg_segment(data, marker, begin, end, edits, extended)
    for pieces in extended.values():
        _extended_xmp(data, pieces, edits)


def _segments(data: Buffer, at: int) -> Iterator[tuple[int, int, int]]:
    """(marker, payload start, payload end) of each header segment up to the scan."""
    if bytes(data[at : at + 2]) != b"\xff\xd8":
        return
    at += 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: the headers are over
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            at += 2
            continue
        length = struct.unpack_from(">H", data, at + 2)[0]
        yield marker, at + 4, min(at + 2 + length, len(data))
        at += 2 + length


def _jpeg_segment(
    data: Buffer,
    marker: int,
    begin: int,
    end: int,
    edits: Edits,
    extended: dict[bytes, list[tuple[int, int, int]]],
) -> None:
    head = bytes(data[begin : begin + 35])
    if marker == 0xE1 and head.startswith(b"Exif\x00"):
        scrub_exif(data, begin + 6, end, edits.write)
    elif marker == 0xE1 and head.startswith(_XMP_APP1):
        scrub_xmp(data, begin + len(_XMP_APP1), end, edits.write)
    elif marker == 0xE1 and head.startswith(_XMP_EXTENSION):
        # GUID (32), full length (4), this chunk's offset in it (4), then the chunk
        at = begin + len(_XMP_EXTENSION)
        guid, offset = bytes(data[at : at + 32]), struct.unpack_from(">I", data, at + 36)[0]
        extended.setdefault(guid, []).append((offset, at + 40, end))
    elif marker == 0xED and head.startswith(_PHOTOSHOP):
        scrub_irb(data, begin + len(_PHOTOSHOP), end, edits.write)


def _extended_xmp(data: Buffer, chunks: list[tuple[int, int, int]], edits: Edits) -> None:
    """Extended XMP is one packet cut into APP1 chunks: scrub it whole, write back in place."""
    pieces = [(begin, end - begin) for _offset, begin, end in sorted(chunks)]
    packet = b"".join(bytes(data[begin : begin + size]) for begin, size in pieces)
    scrub_xmp(packet, 0, len(packet), spread(pieces, edits.write))


def _mpo_pictures(data: Buffer) -> list[int]:
    """Where each picture of the file starts: 0, and the others an MPF index names."""
    starts = [0]
    for marker, begin, end in _segments(data, 0):
        if marker == 0xE2 and bytes(data[begin : begin + 4]) == b"MPF\x00":
            base = begin + 4  # MP offsets count from the MP header's byte order mark
            starts += [base + offset for offset in _mp_offsets(data, base, end) if offset]
    return [start for start in starts if start < len(data)]


def _mp_offsets(data: Buffer, base: int, end: int) -> list[int]:
    """The data offsets of the MP Entry tag (0xB002): 16 bytes per picture."""
    order = "<" if bytes(data[base : base + 2]) == b"II" else ">"
    ifd = base + struct.unpack_from(order + "I", data, base + 4)[0]
    for n in range(struct.unpack_from(order + "H", data, ifd)[0]):
        tag, _kind, count, value = struct.unpack_from(order + "HHII", data, ifd + 2 + 12 * n)
        if tag == 0xB002:
            entries = base + value
            return [
                struct.unpack_from(order + "I", data, entries + 16 * i + 8)[0]
                for i in range(count // 16)
                if entries + 16 * i + 12 <= end
            ]
    return []


# --- PNG, WebP, GIF, TIFF, HEIF -------------------------------------------------------


def _png(data: Buffer, edits: Edits) -> None:
    """eXIf and XMP text chunks; each changed chunk gets its new CRC."""
    at = 8
    while at + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        body = bytes(data[at + 8 : at + 8 + length])
        if kind == b"eXIf":
            local = Edits(body)
            scrub_exif(body, 6 if body.startswith(b"Exif\x00\x00") else 0, length, local.write)
            if local.splices:
                body = apply(body, local.merged())
                edits.write(at + 8, body + struct.pack(">I", zlib.crc32(kind + body)))
        elif kind in (b"iTXt", b"tEXt", b"zTXt"):
            replaced = _png_text(kind, body)
            if replaced is not None:
                edits.replace(at, at + 12 + length, replaced)
        if kind == b"IEND":
            return
        at += 12 + length


def _png_text(kind: bytes, body: bytes) -> bytes | None:
    """A text chunk's replacement (b"" drops it), or None to keep it as it is."""
    keyword, _, rest = body.partition(b"\x00")
    if keyword.startswith(_PNG_RAW_PROFILES):
        return b""
    if keyword != _PNG_XMP:
        return None
    language = translated = b""
    if kind == b"tEXt":
        compressed, text = False, rest
    elif kind == b"zTXt":
        compressed, text = True, rest[1:]  # after the compression method
    else:  # iTXt: compressed?, method, language\0, translated keyword\0, text
        compressed = bool(rest[0])
        language, translated, text = rest[2:].split(b"\x00", 2)
    packet = _inflate(text) if compressed else text
    local = Edits(packet)
    scrub_xmp(packet, 0, len(packet), local.write)
    if not local.splices:
        return None
    packet = apply(packet, local.merged())
    # rewritten uncompressed, so the next change is in place; nothing points at a chunk
    new = _PNG_XMP + b"\x00\x00\x00" + language + b"\x00" + translated + b"\x00" + packet
    crc = struct.pack(">I", zlib.crc32(b"iTXt" + new))
    return struct.pack(">I", len(new)) + b"iTXt" + new + crc


def _inflate(text: bytes) -> bytes:
    unpacker = zlib.decompressobj()
    packet = unpacker.decompress(text, MAX_TEXT_CHUNK)
    if unpacker.unconsumed_tail:
        raise Uncleanable("a compressed XMP chunk is too large")
    return packet


def _webp(data: Buffer, edits: Edits) -> None:
    at = 12
    while at + 8 <= len(data):
        kind, size = bytes(data[at : at + 4]), struct.unpack_from("<I", data, at + 4)[0]
        begin, end = at + 8, min(at + 8 + size, len(data))
        if kind == b"EXIF":
            prefix = 6 if bytes(data[begin : begin + 6]) == b"Exif\x00\x00" else 0
            scrub_exif(data, begin + prefix, end, edits.write)
        elif kind == b"XMP ":
            scrub_xmp(data, begin, end, edits.write)
        at = begin + size + size % 2


def _gif(data: Buffer, edits: Edits) -> None:
    """XMP application extensions: the packet is stored raw, then a "magic trailer" (a ramp
    of bytes 255 down to 0) on which a reader skipping the packet as sub-blocks lands."""
    packed = data[10]
    at = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    while at < len(data):
        block, xmp = data[at], None
        if block == 0x2C:
            packed = data[at + 9]
            at += 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0) + 1
        elif block == 0x21:
            if data[at + 1] == 0xFF and bytes(data[at + 2 : at + 14]) == b"\x0bXMP DataXMP":
                xmp = at = at + 14
            else:
                at += 2
        else:
            return
        while length := data[at]:
            at += 1 + length
        if xmp is not None:
            trailer = data.find(b"\x01\xff\xfe\xfd\xfc", xmp, at)
            scrub_xmp(data, xmp, trailer if trailer > 0 else at, edits.write)
        at += 1


def _tiff(data: Buffer, edits: Edits) -> None:
    scrub_exif(data, 0, len(data), edits.write)


def _heif(data: Buffer, edits: Edits) -> None:
    for kind, pieces in heif.metadata_items(data):
        packet = b"".join(bytes(data[begin : begin + size]) for begin, size in pieces)
        write = spread(pieces, edits.write)
        if kind == "exif" and len(packet) >= 4:
            start = 4 + struct.unpack_from(">I", packet)[0]  # past its own prefix ("Exif\0\0")
            scrub_exif(packet, start, len(packet), write)
        elif kind == "xmp":
            scrub_xmp(packet, 0, len(packet), write)
        elif kind == "packed":  # compressed XMP (rare): zeros, which no reader takes for XMP
            write(0, bytes(len(packet)))


_WALKERS: dict[str, Callable[[Buffer, Edits], None]] = {
    "JPEG": _jpeg,
    "PNG": _png,
    "WEBP": _webp,
    "GIF": _gif,
    "TIFF": _tiff,
    "HEIF": _heif,
}
