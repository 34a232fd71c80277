"""Raw EXIF tags from exifread (or Pillow as fallback), and readers for their values.

Both sources end up in one shape, {(IFD name, tag id): value}, where a value is text
(str, or bytes to decode as UTF-8), a list/tuple of numbers, or a single number. The
readers below turn such values into plain Python and return None for anything else,
so a tag of the wrong type never raises.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, BinaryIO

import exifread
from PIL import Image

from gallery.ingest.iptc_xmp import clean_text, decode_xp

RawTags = dict[tuple[str, int], Any]

# EXIF tag ids (CIPA DC-008) as (IFD, tag id); the IFD names are exifread's.
MAKE = ("Image", 0x010F)
MODEL = ("Image", 0x0110)
ORIENTATION = ("Image", 0x0112)
DATETIME = ("Image", 0x0132)
DESCRIPTION = ("Image", 0x010E)
ARTIST = ("Image", 0x013B)
COPYRIGHT = ("Image", 0x8298)
XP_TITLE, XP_COMMENT, XP_AUTHOR, XP_KEYWORDS = (("Image", t) for t in range(0x9C9B, 0x9C9F))
EXPOSURE = ("EXIF", 0x829A)
FNUMBER = ("EXIF", 0x829D)
ISO = ("EXIF", 0x8827)  # ISOSpeedRatings, a.k.a. PhotographicSensitivity
FOCAL = ("EXIF", 0x920A)
ORIGINAL = ("EXIF", 0x9003)
DIGITIZED = ("EXIF", 0x9004)
OFFSET, OFFSET_ORIGINAL, OFFSET_DIGITIZED = (("EXIF", t) for t in range(0x9010, 0x9013))
LENS_MAKE = ("EXIF", 0xA433)
LENS_MODEL = ("EXIF", 0xA434)
LAT_REF, LAT, LON_REF, LON, ALT_REF, ALT = (("GPS", t) for t in range(1, 7))

_IFDS = {"Image", "EXIF", "GPS"}
_EXIF_IFD, _GPS_IFD, _MAKERNOTE = 0x8769, 0x8825, 0x927C


def exifread_tags(fh: BinaryIO) -> RawTags:
    """EXIF via exifread (details off: no MakerNote), raw values keyed by (IFD, tag id)."""
    # builtin_types=True would turn ratios into floats and reformat dates; the raw
    # IfdTag.values (str or bytes, int lists, Ratio lists) are what we map from.
    tags = exifread.process_file(fh, details=False, extract_thumbnail=False)
    raw: RawTags = {}
    for key, tag in tags.items():
        ifd, _, name = key.partition(" ")
        wanted = ifd in _IFDS and not name.startswith("SubIFD") and hasattr(tag, "values")
        if wanted and tag.tag != _MAKERNOTE:
            raw[(ifd, tag.tag)] = tag.values
    return raw


def pillow_tags(im: Image.Image) -> RawTags:
    """Pillow's IFD0, Exif and GPS IFDs in the same shape as exifread_tags."""
    # The base method on purpose: PNG's override decodes all pixels to look for a late
    # eXIf chunk, and reading metadata must never decode a possibly hostile image.
    exif = Image.Image.getexif(im)
    raw: RawTags = {("Image", tag): value for tag, value in exif.items()}
    for ifd, pointer in (("EXIF", _EXIF_IFD), ("GPS", _GPS_IFD)):
        raw.update({(ifd, tag): value for tag, value in exif.get_ifd(pointer).items()})
    raw.pop(("EXIF", _MAKERNOTE), None)
    return {key: _undo_latin1(value) for key, value in raw.items()}


def _undo_latin1(value: Any) -> Any:
    """Pillow decodes ASCII tags as Latin-1: back to bytes, cut at NUL as exifread does."""
    if isinstance(value, str):
        return value.encode("latin-1", "replace").split(b"\0", 1)[0]
    return value


def first(value: Any) -> Any:
    """The first item of a tag's values (exifread gives lists, Pillow tuples or scalars)."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def fraction(value: Any) -> Fraction | None:
    """A rational or integer tag value as a Fraction; None for zero denominators and junk."""
    item = first(value)
    if isinstance(item, float):
        return Fraction(item).limit_denominator(1_000_000) if math.isfinite(item) else None
    num, den = getattr(item, "numerator", None), getattr(item, "denominator", None)
    if isinstance(item, bool) or not isinstance(num, int) or not isinstance(den, int) or not den:
        return None
    return Fraction(num, den)


def integer(value: Any) -> int | None:
    """A SHORT/LONG tag value as an int."""
    item = first(value)
    return item if isinstance(item, int) and not isinstance(item, bool) else None


def _as_bytes(value: Any) -> Any:
    """exifread gives BYTE/UNDEFINED tags as int lists: make those bytes."""
    if isinstance(value, (list, tuple)) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value)
    return value


def text(value: Any, *, multiline: bool = False) -> str | None:
    """An ASCII tag as clean text; invalid UTF-8 becomes U+FFFD, never a bytes repr."""
    value = _as_bytes(value)
    if isinstance(value, bytes):
        value = value.split(b"\0", 1)[0].decode("utf-8", "replace")
    return clean_text(value, multiline=multiline) if isinstance(value, str) else None


def xp_text(value: Any, *, multiline: bool = False) -> str | None:
    """A Windows XP* tag (UTF-16LE bytes) as clean text."""
    value = _as_bytes(value)
    if isinstance(value, bytes):
        value = decode_xp(value)
    return clean_text(value, multiline=multiline) if isinstance(value, str) else None
