"""What of a photo's metadata is private, and blanking it in place.

Private (what a visitor's copy of an original loses):
- where it was taken: the EXIF GPS directory; XMP properties whose name says GPS,
  latitude or longitude in any namespace (exif:GPSLatitude, drone-dji:GpsLongitude...),
  IPTC's LocationCreated, LocationShown, Location and Sublocation (street level); the
  IPTC-IIM sub-location (2:92);
- whose camera it is: the owner's name and the body's and lens's serial numbers (EXIF,
  DNG, XMP aux:/exifEX:), and maker notes, the makers' private blocks, which hold serial
  numbers, owner names, face-recognition names and, for some makers, places;
- whose faces are where: XMP face regions (mwg-rs:Regions, MP:RegionInfo) name people.
Everything else stays: orientation, capture time, camera and lens model, exposure,
caption, title, keywords, credit, copyright, city and country, the colour profile.

Every change keeps a block's length and its offsets: a dropped IFD entry is taken out of
its directory (the entries after it move up, the freed slot becomes zeros) and its value's
bytes become zeros; a dropped XMP property becomes spaces. Containers that point into the
file (TIFF strips, MPO pictures, HEIF items) stay valid and no pixel is touched. Changes
go out through `write(offset, bytes)`; nothing here reads or writes files.
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat

Buffer = bytes | bytearray | mmap.mmap
Write = Callable[[int, bytes], None]

# EXIF / TIFF tags (CIPA DC-008, TIFF 6, DNG)
_GPS_IFD, _EXIF_IFD, _INTEROP_IFD, _SUB_IFDS = 0x8825, 0x8769, 0xA005, 0x014A
_XMP, _IPTC, _PHOTOSHOP = 700, 33723, 34377
PRIVATE_TAGS = {
    0x927C: "MakerNote",
    0xA430: "CameraOwnerName",
    0xA431: "BodySerialNumber",
    0xA435: "LensSerialNumber",
    0xC62F: "CameraSerialNumber",  # DNG
}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

# XMP properties by local name, whatever their namespace prefix
_PRIVATE_XMP = re.compile(
    r"(?i)gps|latitude|longitude|serialnumber|ownername"
    r"|^(location|locationcreated|locationshown|sublocation|regions|regioninfo)$"
)
_MENTIONS_PRIVATE = re.compile(
    rb"(?i)gps|latitude|longitude|serialnumber|ownername|location|regions|regioninfo"
)
_START_TAG = re.compile(rb"<[^\s/>]+((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
_ATTRIBUTE = re.compile(rb"\s+([^\s=/>]+)\s*=\s*(?:\"[^\"]*\"|'[^']*')")

_IIM_SUBLOCATION = (2, 92)
_IRB_IPTC, _IRB_EXIF, _IRB_EXIF_3, _IRB_XMP = 0x0404, 0x0422, 0x0423, 0x0424


def scrub_exif(data: Buffer, start: int, end: int, write: Write) -> None:
    """EXIF (a TIFF structure at data[start:end], offsets relative to `start`)."""
    if end - start < 8 or bytes(data[start : start + 2]) not in (b"II", b"MM"):
        return
    _Tiff(data, start, end, write).scrub()


@dataclass
class _Entry:
    at: int  # absolute offset of the 12-byte entry
    tag: int
    type: int
    count: int
    value: int  # the value itself (4 bytes or fewer) or its offset


class _Tiff:
    """One TIFF structure: its directories are walked once each, loops and all."""

    def __init__(self, data: Buffer, start: int, end: int, write: Write) -> None:
        self.data, self.start, self.end, self.write = data, start, end, write
        self.order = "<" if bytes(data[start : start + 2]) == b"II" else ">"
        self.seen: set[int] = set()

    def scrub(self) -> None:
        self.directory(self._u32(self.start + 4))

    def _u32(self, at: int) -> int:
        return struct.unpack_from(self.order + "I", self.data, at)[0]

    def _entries(self, offset: int) -> tuple[int, int, list[_Entry]] | None:
        """(absolute offset, declared count, the entries that lie inside the block)."""
        at = self.start + offset
        if offset in self.seen or offset < 8 or at + 2 > self.end:
            return None
        self.seen.add(offset)
        count = struct.unpack_from(self.order + "H", self.data, at)[0]
        entries = []
        for n in range(count):
            entry = at + 2 + 12 * n
            if entry + 12 > self.end:
                break
            tag, kind, number, value = struct.unpack_from(self.order + "HHII", self.data, entry)
            entries.append(_Entry(entry, tag, kind, number, value))
        return at, count, entries

    def _span(self, entry: _Entry) -> tuple[int, int] | None:
        """Where an entry's value lies (absolute), when that is inside the block."""
        size = _TYPE_SIZES.get(entry.type, 0) * entry.count
        begin = entry.at + 8 if size <= 4 else self.start + entry.value
        if begin + size > self.end:
            return None
        return begin, begin + size

    def directory(self, offset: int) -> None:
        """Scrub one IFD and what hangs off it, then the IFD after it (IFD0 -> IFD1)."""
        found = self._entries(offset)
        if found is None:
            return
        at, count, entries = found
        dropped = []
        for entry in entries:
            if entry.tag == _GPS_IFD:
                self.wipe_directory(entry.value)
                dropped.append(entry)
            elif entry.tag in PRIVATE_TAGS:
                self.zero_value(entry)
                dropped.append(entry)
            else:
                self.inner(entry)
        following = at + 2 + 12 * count
        if following + 4 <= self.end:
            self.directory(self._u32(following))
        self.drop(at, count, entries, dropped)

    def inner(self, entry: _Entry) -> None:
        """Follow sub-directories and scrub the metadata blocks a TIFF file's IFD holds."""
        span = self._span(entry)
        if entry.tag in (_EXIF_IFD, _INTEROP_IFD):
            self.directory(entry.value)
        elif entry.tag == _SUB_IFDS and span is not None:
            for begin in range(span[0], span[1] - 3, 4):
                self.directory(self._u32(begin))
        elif span is None:
            return
        elif entry.tag == _XMP:
            scrub_xmp(self.data, span[0], span[1], self.write)
        elif entry.tag == _IPTC:
            scrub_iim(self.data, span[0], span[1], self.write)
        elif entry.tag == _PHOTOSHOP:
            scrub_irb(self.data, span[0], span[1], self.write)

    def zero_value(self, entry: _Entry) -> None:
        span = self._span(entry)
        if span is not None and span[1] - span[0] > 4:  # inline values go with the entry
            self.write(span[0], bytes(span[1] - span[0]))

    def wipe_directory(self, offset: int) -> None:
        """Zero a whole IFD (GPS): its values, its entries, its count and next pointer."""
        found = self._entries(offset)
        if found is None:
            return
        at, _count, entries = found
        for entry in entries:
            self.zero_value(entry)
        size = min(2 + 12 * len(entries) + 4, self.end - at)
        self.write(at, bytes(size))

    def drop(self, at: int, count: int, entries: list[_Entry], dropped: list[_Entry]) -> None:
        """Take entries out of a directory; the ones after move up, the freed slots are zeros."""
        if not dropped:
            return
        whole = 2 + 12 * count + 4
        if len(entries) < count or at + whole > self.end:  # a cut-off directory: blank them
            for entry in dropped:
                self.write(entry.at, bytes(12))
            return
        kept = [bytes(self.data[e.at : e.at + 12]) for e in entries if e not in dropped]
        following = bytes(self.data[at + 2 + 12 * count : at + whole])
        block = struct.pack(self.order + "H", len(kept)) + b"".join(kept) + following
        self.write(at, block + bytes(whole - len(block)))


# --- XMP -------------------------------------------------------------------------


def scrub_xmp(data: Buffer, start: int, end: int, write: Write) -> None:
    """An XMP packet at data[start:end]: private properties become spaces."""
    for begin, stop in xmp_blanks(bytes(data[start:end])):
        write(start + begin, b" " * (stop - begin))


def xmp_blanks(packet: bytes) -> list[tuple[int, int]]:
    """The byte ranges of a packet's private properties (elements or attributes).

    A packet that cannot be read as UTF-8 XML (broken, UTF-16, with a DTD) but mentions a
    private name is blanked whole: a reader more lenient than expat might still find it.
    """
    first, last = packet.find(b"<"), packet.rfind(b">")
    if first < 0 or last < first:
        return []
    body = packet[first : last + 1]
    try:
        spans = _private_spans(body)
    except (expat.ExpatError, ValueError):
        mentions = _MENTIONS_PRIVATE.search(packet.replace(b"\x00", b""))  # UTF-16 too
        return [(0, len(packet))] if mentions else []
    return [(first + begin, first + stop) for begin, stop in spans]


@dataclass
class _Open:
    at: int  # where its start tag begins
    tag_end: int
    empty: bool
    private: bool


def _private_spans(body: bytes) -> list[tuple[int, int]]:
    """Walk the XML with expat (byte positions, no DTD, no entities) and collect spans."""
    if b"\x00" in body:
        raise ValueError("not UTF-8")
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    spans: list[tuple[int, int]] = []
    stack: list[_Open] = []

    def start(name: str, _attributes: list[str]) -> None:
        at = parser.CurrentByteIndex
        tag = _START_TAG.match(body, at)
        if tag is None:
            raise ValueError("a start tag that does not read back")
        inside = bool(stack) and stack[-1].private
        private = inside or _is_private(name)
        if not private:
            for attribute in _ATTRIBUTE.finditer(body, tag.start(1), tag.end(1)):
                if _is_private(attribute.group(1).decode("utf-8", "replace")):
                    spans.append(attribute.span())
        stack.append(_Open(at, tag.end(), bool(tag.group(2)), private))

    def end(_name: str) -> None:
        element = stack.pop()
        if element.private and not (stack and stack[-1].private):
            stop = element.tag_end if element.empty else body.index(b">", parser.CurrentByteIndex)
            spans.append((element.at, stop + (0 if element.empty else 1)))

    def refuse(*_args: object) -> None:
        raise ValueError("XMP has no DTD")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.Parse(body, True)
    return spans


def _is_private(name: str) -> bool:
    local = name.rsplit(":", 1)[-1]
    return not name.startswith("xmlns") and bool(_PRIVATE_XMP.search(local))


# --- IPTC-IIM and Photoshop image resources -------------------------------------------


def scrub_iim(data: Buffer, start: int, end: int, write: Write) -> None:
    """IPTC-IIM datasets: the sub-location (2:92) becomes spaces."""
    at = start
    while at + 5 <= end and data[at] == 0x1C:
        record, dataset = data[at + 1], data[at + 2]
        size = struct.unpack_from(">H", data, at + 3)[0]
        at += 5
        if size & 0x8000:  # extended: the next (size & 0x7fff) bytes hold the length
            width = size & 0x7FFF
            size = int.from_bytes(bytes(data[at : at + width]), "big")
            at += width
        if (record, dataset) == _IIM_SUBLOCATION and at + size <= end:
            write(at, b" " * size)
        at += size


def scrub_irb(data: Buffer, start: int, end: int, write: Write) -> None:
    """Photoshop image resources: the IPTC, EXIF and XMP ones they may carry."""
    at = start
    while at + 12 <= end and bytes(data[at : at + 4]) in (b"8BIM", b"MeSa", b"PHUT", b"AgHg"):
        resource = struct.unpack_from(">H", data, at + 4)[0]
        name = data[at + 6]
        at += 6 + 1 + name + (1 + name) % 2  # a Pascal string padded to an even length
        if at + 4 > end:
            return
        size = struct.unpack_from(">I", data, at)[0]
        begin, stop = at + 4, min(at + 4 + size, end)
        if resource == _IRB_IPTC:
            scrub_iim(data, begin, stop, write)
        elif resource in (_IRB_EXIF, _IRB_EXIF_3):
            scrub_exif(data, begin, stop, write)
        elif resource == _IRB_XMP:
            scrub_xmp(data, begin, stop, write)
        at = begin + size + size % 2
