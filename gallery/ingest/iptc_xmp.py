"""The text side of photo metadata: clean strings, IPTC-IIM and XMP descriptive fields.

Pure functions over bytes Pillow has already pulled out of the file; nothing here opens
files. Each reader returns {field: [cleaned strings]} with empty values dropped, so the
caller can take the first source that has something.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

MAX_TEXT = 2000  # characters kept per string: a caption, not a document
MAX_KEYWORDS = 100
MAX_XMP_BYTES = 1_000_000  # a JPEG packet is at most 64 KB; anything far bigger is abuse

# Bidi embeddings/overrides/isolates can make shown text lie about its order; BOMs are noise.
_INVISIBLE = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF])
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029]")

# IPTC-IIM (record, dataset) for each field; 1:90 is the coded character set.
_IPTC = {
    "title": (2, 5),
    "keywords": (2, 25),
    "byline": (2, 80),
    "credit": (2, 110),
    "copyright": (2, 116),
    "caption": (2, 120),
}
_IPTC_CHARSET = (1, 90)
_IPTC_UTF8 = b"\x1b%G"  # ISO 2022 escape sequence for UTF-8

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XMP = {
    "title": _DC + "title",
    "caption": _DC + "description",
    "keywords": _DC + "subject",
    "creator": _DC + "creator",
    "copyright": _DC + "rights",
    "credit": "{http://ns.adobe.com/photoshop/1.0/}Credit",
    # culling marks as Lightroom, Bridge and Photo Mechanic write them
    "rating": "{http://ns.adobe.com/xap/1.0/}Rating",
    "label": "{http://ns.adobe.com/xap/1.0/}Label",
}
_CONTAINERS = {_RDF + "Alt", _RDF + "Bag", _RDF + "Seq"}


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    """Text safe to store and show: no controls or bidi overrides, NFC, trimmed, capped."""
    if not value:
        return None
    text = _NEWLINES.sub("\n", value.translate(_INVISIBLE)).replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    # Cc is C0, DEL and C1: NUL, escape sequences, bells... only "\n" survives.
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    text = unicodedata.normalize("NFC", text).strip()[:MAX_TEXT].strip()
    return text or None


def decode_legacy(raw: bytes) -> str:
    """Decode 8-bit text of unknown charset: UTF-8 if valid, else Windows-1257 (cp1257).

    Text without a declared charset comes from old Windows tools; for this institution's
    Latvian/Baltic archive that is code page 1257, so it is the fallback. Latin-1 text is
    rare here and would only get a few wrong letters, never an error.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1257", "replace")


def decode_xp(raw: bytes) -> str:
    """Decode a Windows XP* tag (UTF-16LE, NUL-terminated); broken pairs become U+FFFD."""
    return raw[: len(raw) - len(raw) % 2].decode("utf-16le", "replace").split("\0", 1)[0]


def iptc_fields(info: Mapping[tuple[int, int], object] | None) -> dict[str, list[str]]:
    """Descriptive fields from Pillow's IPTC dict, honouring the 1:90 character set."""
    if not info:
        return {}
    utf8 = any(_IPTC_UTF8 in raw for raw in _iptc_values(info.get(_IPTC_CHARSET)))
    fields = {}
    for name, key in _IPTC.items():
        raws = _iptc_values(info.get(key))
        texts = [raw.decode("utf-8", "replace") if utf8 else decode_legacy(raw) for raw in raws]
        fields[name] = _cleaned(texts, multiline=name == "caption")
    return {name: values for name, values in fields.items() if values}


def _iptc_values(value: object) -> list[bytes]:
    """A dataset's values as a list: Pillow gives bytes once and a list when repeated."""
    values = value if isinstance(value, list) else [value]
    return [raw for raw in values[:MAX_KEYWORDS] if isinstance(raw, bytes)]


def xmp_fields(packet: bytes | str | None) -> dict[str, list[str]]:
    """Descriptive fields from an XMP packet (parsed with defusedxml: no entities, no DTDs)."""
    if not packet or len(packet) > MAX_XMP_BYTES:
        return {}
    data = packet.encode("utf-8") if isinstance(packet, str) else packet
    # Writers pad packets with NULs and whitespace, which XML does not allow after the root.
    root = fromstring(data.strip(b"\x00 \t\r\n"))
    fields = {}
    for name, tag in _XMP.items():
        fields[name] = _cleaned(_xmp_property(root, tag), multiline=name == "caption")
    return {name: values for name, values in fields.items() if values}


def _xmp_property(root: Element, tag: str) -> list[str]:
    """All values of one property, written as an attribute or as an element."""
    values: list[str] = []
    for description in root.iter(_RDF + "Description"):
        if tag in description.attrib:
            values.append(description.attrib[tag])
        for prop in description.findall(tag):
            values.extend(_rdf_items(prop))
    return values


def _rdf_items(prop: Element) -> list[str]:
    """A property's text: simple value, Bag/Seq items, or the x-default of an Alt."""
    container = next((child for child in prop if child.tag in _CONTAINERS), None)
    if container is None:
        return [prop.text or ""]
    items = container.findall(_RDF + "li")
    if container.tag == _RDF + "Alt":
        default = [li for li in items if li.get(_XML_LANG) == "x-default"]
        items = (default or items)[:1]
    return ["".join(li.itertext()) for li in items]


def _cleaned(texts: Iterable[str], *, multiline: bool = False) -> list[str]:
    """Cleaned, non-empty strings, at most MAX_KEYWORDS of them."""
    values = (clean_text(text, multiline=multiline) for text in texts)
    return [value for value in values if value][:MAX_KEYWORDS]
