"""Culling's marks written into a JPEG's XMP, as desktop tools read them: `xmp:Rating`
(0-5 stars, -1 for a rejected photo, Bridge's and Lightroom's way) and `xmp:Label` (the
colour's English name, as Lightroom writes it).

`set_marks` rewrites an XMP packet with the marks (everything else in it kept; a packet
that cannot be parsed is left alone); `jpeg_splices` says how to change a JPEG so that it
carries them: its XMP segment replaced, or one added after the leading APP0/APP1
segments. Pure bytes in and out; the caller streams the file through the splices
(gallery.ingest.splices), so the original on disk never changes.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from xml.etree import ElementTree

from defusedxml.ElementTree import fromstring

from .scrub import Buffer
from .splices import Splice

XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
MAX_SEGMENT = 65533  # a JPEG segment's payload, its length field included
_XMP = "http://ns.adobe.com/xap/1.0/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PREFIXES = {
    "x": "adobe:ns:meta/",
    "rdf": _RDF,
    "xmp": _XMP,
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "crs": "http://ns.adobe.com/camera-raw-settings/1.0/",
}
_WRAPPER = re.compile(rb"<\?xpacket[^>]*\?>")
for _prefix, _uri in _PREFIXES.items():
    ElementTree.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class XmpMarks:
    rating: int = 0  # -1 (rejected) to 5
    label: str | None = None  # "Red", "Yellow", "Green", "Blue", "Purple"

    @property
    def empty(self) -> bool:
        return not self.rating and self.label is None


def set_marks(packet: bytes | None, marks: XmpMarks) -> bytes | None:
    """The packet with xmp:Rating and xmp:Label set (a new packet when there is none);
    None when the packet cannot be parsed, so nothing is lost by rewriting it."""
    if not packet:
        root = ElementTree.Element(f"{{{_PREFIXES['x']}}}xmpmeta")
        rdf = ElementTree.SubElement(root, f"{{{_RDF}}}RDF")
        ElementTree.SubElement(rdf, f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})
    else:
        try:
            root = fromstring(_WRAPPER.sub(b"", packet).strip(b"\x00 \t\r\n"))
        except Exception:  # a hostile or broken packet: leave the file as it is
            return None
    descriptions = list(root.iter(f"{{{_RDF}}}Description"))
    if not descriptions:
        return None
    for description in descriptions:
        for name in ("Rating", "Label"):
            description.attrib.pop(f"{{{_XMP}}}{name}", None)
            for child in description.findall(f"{{{_XMP}}}{name}"):
                description.remove(child)
    first = descriptions[0]
    if marks.rating:
        first.set(f"{{{_XMP}}}Rating", str(marks.rating))
    if marks.label:
        first.set(f"{{{_XMP}}}Label", marks.label)
    body = ElementTree.tostring(root, encoding="unicode")
    return (
        f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>{body}<?xpacket end="w"?>'
    ).encode()


def jpeg_splices(data: Buffer, marks: XmpMarks) -> tuple[Splice, ...]:
    """How to change this JPEG so that its XMP carries the marks; () to leave it as it is
    (not a JPEG, an XMP packet that cannot be parsed or would outgrow its segment)."""
    if bytes(data[:2]) != b"\xff\xd8":
        return ()
    at, leading, in_lead = 2, 2, True
    found: tuple[int, int, bytes | None] | None = None
    while at + 4 <= len(data) and data[at] == 0xFF and 0xE0 <= data[at + 1] <= 0xEF:
        marker, length = data[at + 1], struct.unpack(">H", bytes(data[at + 2 : at + 4]))[0]
        end = at + 2 + length
        payload = bytes(data[at + 4 : end])
        if marker == 0xE1 and payload.startswith(XMP_ID):
            found = (at, end, payload[len(XMP_ID) :])
            break
        in_lead = in_lead and marker in (0xE0, 0xE1)  # JFIF, EXIF: the XMP goes after them
        leading = end if in_lead else leading
        at = end
    start, end, packet = found or (leading, leading, None)
    rewritten = set_marks(packet, marks)
    if rewritten is None or len(XMP_ID) + len(rewritten) + 2 > MAX_SEGMENT:
        return ()
    segment = XMP_ID + rewritten
    return (Splice(start, end, b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment),)
