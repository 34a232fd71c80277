"""Where a HEIF file keeps its Exif and XMP items, read from its boxes (ISO/IEC 23008-12).

The `meta` box lists items (`iinf`: an `Exif` item; a `mime` item of type
application/rdf+xml is XMP) and says where each one's bytes are (`iloc`: extents in the
file, or in the `idat` box). Nothing is decoded; `strip` scrubs the bytes in place.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .scrub import Buffer

Pieces = list[tuple[int, int]]  # (file offset, size) of an item's extents, in order
_XMP_TYPE = b"application/rdf+xml"


class UnknownLayout(ValueError):
    """An item's bytes are somewhere this reader does not follow."""


def metadata_items(data: Buffer) -> list[tuple[str, Pieces]]:
    """("exif", "xmp" or "packed", where its bytes are) for each metadata item of the file;
    "packed" is XMP with a content encoding."""
    meta = next((box for box in boxes(data, 0, len(data)) if box[0] == b"meta"), None)
    if meta is None:
        return []
    inner = {kind: (begin, end) for kind, begin, end in boxes(data, meta[1] + 4, meta[2])}
    if b"iinf" not in inner or b"iloc" not in inner:
        return []
    kinds = _item_kinds(data, *inner[b"iinf"])
    idat = inner.get(b"idat", (0, 0))[0]
    places = _item_places(data, *inner[b"iloc"], idat=idat)
    found = []
    for item, kind in kinds.items():
        method, pieces = places.get(item, (0, []))
        if method not in (0, 1) or any(not size for _offset, size in pieces):
            raise UnknownLayout(f"the {kind} item is stored by construction method {method}")
        found.append((kind, pieces))
    return found


def boxes(data: Buffer, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, box end) of each box in data[start:end]."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, at + 8)[0], 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            return
        yield kind, at + header, at + size
        at += size


def _item_kinds(data: Buffer, start: int, end: int) -> dict[int, str]:
    """item id -> "exif", "xmp" or "packed", from the `infe` boxes of `iinf`."""
    version = data[start]
    first = start + 4 + (2 if version == 0 else 4)
    kinds = {}
    for kind, begin, stop in boxes(data, first, end):
        if kind != b"infe" or data[begin] < 2:  # versions 0 and 1 name no item types
            continue
        wide = data[begin] >= 3
        item = struct.unpack_from(">I" if wide else ">H", data, begin + 4)[0]
        at = begin + 4 + (4 if wide else 2) + 2  # + protection index
        item_type = bytes(data[at : at + 4])
        # item name, then for a mime item its content type and (optional) encoding
        strings = bytes(data[at + 4 : stop]).split(b"\x00")
        content_type, encoding = (strings + [b"", b""])[1:3]
        if item_type == b"Exif":
            kinds[item] = "exif"
        elif item_type == b"mime" and content_type == _XMP_TYPE:
            kinds[item] = "packed" if encoding else "xmp"  # packed: deflated, say
    return kinds


def _item_places(data: Buffer, start: int, end: int, idat: int) -> dict[int, tuple[int, Pieces]]:
    """item id -> (construction method, its extents as file offsets), from `iloc`."""
    version = data[start]
    sizes = data[start + 4], data[start + 5]
    offset_size, length_size = sizes[0] >> 4, sizes[0] & 15
    base_size, index_size = sizes[1] >> 4, (sizes[1] & 15 if version in (1, 2) else 0)
    at = start + 6
    count, at = _number(data, at, 4 if version == 2 else 2)
    places = {}
    for _ in range(count):
        item, at = _number(data, at, 4 if version == 2 else 2)
        method = 0
        if version in (1, 2):
            method, at = _number(data, at, 2)
            method &= 15
        at += 2  # data reference index
        base, at = _number(data, at, base_size)
        extents, at = _number(data, at, 2)
        pieces = []
        for _ in range(extents):
            at += index_size
            offset, at = _number(data, at, offset_size)
            length, at = _number(data, at, length_size)
            pieces.append(((idat if method == 1 else 0) + base + offset, length))
        if at > end:
            break
        places[item] = method, pieces
    return places


def _number(data: Buffer, at: int, size: int) -> tuple[int, int]:
    """A big-endian unsigned number of 0, 2, 4 or 8 bytes, and where the next one starts."""
    if size == 0:
        return 0, at
    return int.from_bytes(bytes(data[at : at + size]), "big"), at + size
