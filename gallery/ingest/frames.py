"""The extents of every frame of an animation, read from the headers without decoding.

`extents` walks a GIF's image descriptors, an APNG's fcTL chunks or an animated WebP's
ANMF chunks and yields, for the canvas and then each frame, how far right and down it
reaches (offset + size). A decoder draws every frame onto one canvas and grows it to hold
a frame that sticks out (Pillow and libnsgif do, for GIF), so what it allocates is the
union of these. Damaged structure simply ends the walk: judging it is the decoder's job.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from pathlib import Path

Extent = tuple[int, int]  # (right, bottom): the frame's offset plus its size

_GIF_TRAILER, _GIF_IMAGE, _GIF_EXTENSION = 0x3B, 0x2C, 0x21
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WEBP_ANIMATED = 0x02  # VP8X flag: the file is an animation of ANMF chunks


def extents(path: Path, fmt: str) -> Iterator[Extent]:
    """The canvas's extent, then each frame's; nothing for a still picture or another format."""
    walker = {"GIF": _gif, "PNG": _apng, "WEBP": _webp}.get(fmt)
    if walker is None or path.stat().st_size == 0:
        return
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        try:
            yield from walker(data)
        except (struct.error, IndexError):
            return  # the file ends early: the decoder will say so


def _gif(data: mmap.mmap) -> Iterator[Extent]:
    """Logical screen, then every image descriptor; sub-blocks are skipped, not decoded."""
    if data[:3] != b"GIF":
        return
    width, height, packed = struct.unpack_from("<HHB", data, 6)
    yield width, height
    at = 13 + (_colour_table(packed) if packed & 0x80 else 0)
    while True:
        block = data[at]
        if block == _GIF_IMAGE:
            left, top, width, height, packed = struct.unpack_from("<4HB", data, at + 1)
            yield left + width, top + height
            at += 10 + (_colour_table(packed) if packed & 0x80 else 0) + 1  # + LZW code size
        elif block == _GIF_EXTENSION:
            at += 2
        else:
            return  # the trailer, or damage
        at = _skip_sub_blocks(data, at)


def _colour_table(packed: int) -> int:
    return 3 << ((packed & 7) + 1)


def _skip_sub_blocks(data: mmap.mmap, at: int) -> int:
    """The offset after a chain of sub-blocks (length byte, data) and its 0 terminator."""
    while length := data[at]:
        at += 1 + length
    return at + 1


def _apng(data: mmap.mmap) -> Iterator[Extent]:
    """IHDR's size, then every fcTL's; a still PNG stops at its first IDAT (no acTL before)."""
    if data[:8] != _PNG_SIGNATURE:
        return
    at, animated = 8, False
    while at + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        if kind == b"IHDR":
            yield struct.unpack_from(">II", data, at + 8)
        elif kind == b"acTL":
            animated = True
        elif kind == b"fcTL":
            width, height, left, top = struct.unpack_from(">4I", data, at + 12)
            yield left + width, top + height
        elif kind == b"IEND" or (kind == b"IDAT" and not animated):
            return
        at += 12 + length


def _webp(data: mmap.mmap) -> Iterator[Extent]:
    """VP8X's canvas, then every ANMF frame's; a still WebP is one frame of the canvas."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or data[12:16] != b"VP8X":
        return
    if not data[20] & _WEBP_ANIMATED:
        return
    yield _u24(data, 24) + 1, _u24(data, 27) + 1
    at = 12
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], struct.unpack_from("<I", data, at + 4)[0]
        if kind == b"ANMF":
            left, top = 2 * _u24(data, at + 8), 2 * _u24(data, at + 11)
            yield left + _u24(data, at + 14) + 1, top + _u24(data, at + 17) + 1
        at += 8 + size + size % 2


def _u24(data: mmap.mmap, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")
