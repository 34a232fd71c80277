"""Press kits: an article's photos as web-size JPEGs named by label, captions and credits
in `captions.txt` and embedded in every file (XMP and IPTC), zipped.

Pure Pillow and zipfile, no Flask: placed photos in, a zip out.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from PIL import Image, ImageOps

from gallery.core.credit import credit_line
from gallery.ingest.xmp_marks import XmpMarks

MAX_EDGE = 2048  # the top of the rendition ladder: large enough for print in a newspaper
QUALITY = 88
_IIM_MAX = 2000  # bytes per IPTC dataset; IIM allows more, many readers do not


@dataclass(frozen=True)
class KitPhoto:
    label: str
    source: Path  # the largest rendition (already oriented, sRGB, private metadata gone)
    rect: tuple[float, float, float, float]  # the crop, fractions (x, y, w, h)
    caption: str
    credit: str
    copyright: str = ""
    marks: XmpMarks = field(default_factory=XmpMarks)  # culling's stars and label


NO_MARKS = XmpMarks()


def xmp_packet(caption: str, credit: str, copyright: str, marks: XmpMarks = NO_MARKS) -> bytes:
    """A minimal XMP packet with dc:description, dc:rights, photoshop:Credit and, when the
    photo has them, xmp:Rating and xmp:Label."""

    def alt(text: str) -> str:
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'

    fields = [f"<dc:description>{alt(caption)}</dc:description>" if caption else ""]
    fields.append(f"<dc:rights>{alt(copyright)}</dc:rights>" if copyright else "")
    fields.append(f"<photoshop:Credit>{escape(credit)}</photoshop:Credit>" if credit else "")
    fields.append(f"<xmp:Rating>{marks.rating}</xmp:Rating>" if marks.rating else "")
    fields.append(f"<xmp:Label>{escape(marks.label)}</xmp:Label>" if marks.label else "")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"{''.join(fields)}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def iptc_block(caption: str, credit: str, copyright: str) -> bytes:
    """An APP13 segment: Photoshop 3.0, one 8BIM 0x0404 resource of IPTC-IIM in UTF-8."""
    datasets = [(1, 90, b"\x1b%G"), (2, 0, b"\x00\x04")]  # UTF-8 (ISO 2022), record version 4
    for dataset, text in ((120, caption), (110, credit), (116, copyright)):
        if text:
            data = text.encode("utf-8")[:_IIM_MAX].decode("utf-8", "ignore").encode("utf-8")
            datasets.append((2, dataset, data))
    iim = b"".join(struct.pack(">BBBH", 0x1C, r, d, len(v)) + v for r, d, v in datasets)
    # Resource: signature, id, empty Pascal name padded to even, size, data padded to even.
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim))
    resource += iim + (b"\x00" if len(iim) % 2 else b"")
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def insert_segment(jpeg: bytes, segment: bytes) -> bytes:
    """The JPEG with `segment` placed after its leading APPn segments (JFIF, EXIF, XMP)."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    at = 2
    while jpeg[at] == 0xFF and 0xE0 <= jpeg[at + 1] <= 0xEF:
        at += 2 + struct.unpack(">H", jpeg[at + 2 : at + 4])[0]
    return jpeg[:at] + segment + jpeg[at:]


def kit_jpeg(photo: KitPhoto, max_edge: int = MAX_EDGE) -> bytes:
    """The photo cropped, shrunk to `max_edge` (never enlarged), with its texts embedded."""
    with Image.open(photo.source) as image:
        x, y, w, h = photo.rect
        width, height = image.size
        box = (round(x * width), round(y * height), round((x + w) * width), round((y + h) * height))
        picture = image.convert("RGB").crop(box)
    if max(picture.size) > max_edge:
        picture = ImageOps.contain(picture, (max_edge, max_edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    xmp = xmp_packet(photo.caption, photo.credit, photo.copyright, photo.marks)
    picture.save(out, "JPEG", quality=QUALITY, optimize=True, xmp=xmp)
    iptc = iptc_block(photo.caption, photo.credit, photo.copyright)
    return insert_segment(out.getvalue(), iptc)


def captions_text(title: str, photos: Sequence[KitPhoto], credit: str = "Photo:") -> str:
    """`captions.txt`: the article's title, then each file with its caption and credit
    (`credit` is the prefix, "Foto:" for a Latvian article)."""
    lines = [title, ""]
    for photo in photos:
        lines.append(f"{photo.label}.jpg")
        lines.extend(text for text in (photo.caption, _credit_line(photo, credit)) if text)
        lines.append("")
    return "\n".join(lines)


def _credit_line(photo: KitPhoto, prefix: str) -> str:
    parts = [credit_line(photo.credit, prefix) if photo.credit else "", photo.copyright]
    return " · ".join(part for part in parts if part)


def write_press_kit(
    title: str, photos: Sequence[KitPhoto], out: Path | BinaryIO, credit: str = "Photo:"
) -> list[str]:
    """The zip; returns its member names. A label shown twice is packed once."""
    unique = list({photo.label: photo for photo in photos}.values())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for photo in unique:
            # JPEG does not shrink further: store it, deflate only the text.
            archive.writestr(f"{photo.label}.jpg", kit_jpeg(photo), zipfile.ZIP_STORED)
        archive.writestr("captions.txt", captions_text(title, unique, credit))
        return archive.namelist()
