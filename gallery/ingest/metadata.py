"""Read a photo file's metadata (EXIF, IPTC, XMP) into a typed, cleaned record.

Modelled on sigal's image.py: collect raw EXIF tags first (exifread; Pillow where exifread
finds nothing), then map a few of them to plain fields. The files are untrusted, so every
field is read in its own narrow try that logs and moves on: bad metadata never raises,
only a missing file does (OSError).
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TypeVar

from PIL import Image, IptcImagePlugin

from gallery.core.states import MAX_RATING, Label, Pick
from gallery.ingest import exif_raw as tag
from gallery.ingest.exif_raw import RawTags, fraction, integer
from gallery.ingest.iptc_xmp import MAX_KEYWORDS, clean_text, iptc_fields, xmp_fields

logger = logging.getLogger(__name__)
T = TypeVar("T")
Sources = dict[str, dict[str, list[str]]]  # {"xmp"|"iptc"|"exif": {key: [clean strings]}}

# Pillow may parse headers of these only (never EPS, PSD...). MPO files open as JPEG.
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "GIF", "HEIF")
# Each date tag with the offset tag that belongs to it, best first.
_DATES = (
    (tag.ORIGINAL, tag.OFFSET_ORIGINAL),
    (tag.DIGITIZED, tag.OFFSET_DIGITIZED),
    (tag.DATETIME, tag.OFFSET),
)
_DATE = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d))?)?")
_OFFSET = re.compile(r"[+-](\d\d):(\d\d)")
# What cameras write as a description when nobody wrote a caption.
_PLACEHOLDER = re.compile(
    r"[A-Z0-9 .,_-]*DIGITAL CAMERA|SONY DSC|SAMSUNG CAMERA PICTURES|EXIF_JPEG_PICTURE"
    r"|(?i:DCIM[\\/].*|default)"
)
# Each text field's sources, best first: XMP, then IPTC, then EXIF.
_TEXT_SOURCES = {
    "title": ("xmp title", "iptc title", "exif xp_title"),
    "caption": ("xmp caption", "iptc caption", "exif xp_comment", "exif description"),
    "keywords": ("xmp keywords", "iptc keywords", "exif xp_keywords"),
    "credit": (
        *("xmp credit", "iptc credit", "xmp creator", "iptc byline"),
        *("exif xp_author", "exif artist"),
    ),
    "copyright": ("xmp copyright", "iptc copyright", "exif copyright"),
}


@dataclass(frozen=True)
class GPS:
    lat: float  # signed decimal degrees (S and W negative)
    lon: float
    alt: float | None  # metres, negative below sea level (GPSAltitudeRef=1)


@dataclass(frozen=True)
class PhotoMetadata:
    taken_at: str | None = None  # "YYYY-MM-DDTHH:MM:SS", plus "+HH:MM" when the file has one
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    exposure_time: str | None = None  # as exifread prints the ratio: "1/160", "2"
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None  # mm
    gps: GPS | None = None
    orientation: int = 1  # 1..8
    title: str | None = None
    caption: str | None = None
    keywords: tuple[str, ...] = ()
    credit: str | None = None
    copyright: str | None = None
    rating: int | None = None  # xmp:Rating: 0-5 stars
    pick: Pick | None = None  # reject where xmp:Rating is -1 (Bridge's and Lightroom's way)
    label: Label | None = None  # xmp:Label, when it names one of the gallery's colours


class _PillowData(NamedTuple):
    exif: RawTags
    iptc: dict | None
    xmp: bytes | str | None


_NO_PILLOW = _PillowData({}, None, None)


def read_metadata(path: Path) -> PhotoMetadata:
    """Everything the file says about itself; empty for garbage, OSError if it is missing."""
    path = Path(path)
    with warnings.catch_warnings():
        # Pillow warns about corrupt EXIF and big images; that is not news here.
        warnings.simplefilter("ignore")
        with path.open("rb") as fh:
            raw: RawTags = _safe(path, "EXIF (exifread)", lambda: tag.exifread_tags(fh), {})
            pillow = _safe(path, "Pillow metadata", lambda: _pillow_data(path, fh), _NO_PILLOW)
        return _metadata(path, raw or pillow.exif, pillow)


def _metadata(path: Path, raw: RawTags, pillow: _PillowData) -> PhotoMetadata:
    """Map raw tags and the IPTC/XMP blocks to fields, each in its own try."""
    sources: Sources = {
        "xmp": _safe(path, "XMP", lambda: xmp_fields(pillow.xmp), {}),
        "iptc": _safe(path, "IPTC", lambda: iptc_fields(pillow.iptc), {}),
        "exif": _safe(path, "EXIF text", lambda: _exif_texts(raw), {}),
    }

    def field(name: str, read: Callable[[], Any], default: Any = None) -> Any:
        return _safe(path, name, read, default)

    return PhotoMetadata(
        taken_at=field("taken_at", lambda: _taken_at(raw)),
        camera_make=field("camera_make", lambda: tag.text(raw.get(tag.MAKE))),
        camera_model=field("camera_model", lambda: tag.text(raw.get(tag.MODEL))),
        lens=field("lens", lambda: _lens(raw)),
        exposure_time=field("exposure_time", lambda: _exposure(raw.get(tag.EXPOSURE))),
        f_number=field("f_number", lambda: _positive(raw.get(tag.FNUMBER))),
        iso=field("iso", lambda: _positive_int(raw.get(tag.ISO))),
        focal_length=field("focal_length", lambda: _positive(raw.get(tag.FOCAL))),
        gps=field("gps", lambda: _gps(raw)),
        orientation=field("orientation", lambda: _orientation(raw.get(tag.ORIENTATION)), 1),
        title=field("title", lambda: _text_field(sources, "title")),
        caption=field("caption", lambda: _text_field(sources, "caption")),
        keywords=field("keywords", lambda: _keywords(sources), ()),
        credit=field("credit", lambda: _text_field(sources, "credit")),
        copyright=field("copyright", lambda: _text_field(sources, "copyright")),
        rating=field("rating", lambda: max(0, _rating(sources) or 0) or None),
        pick=field("pick", lambda: Pick.REJECT if _rating(sources) == -1 else None),
        label=field("label", lambda: _label(sources)),
    )


def _safe(path: Path, what: str, read: Callable[[], T], default: T) -> T:
    """Run one reader; on any error log it and give the default."""
    try:
        return read()
    except Exception as exc:  # hostile files make parsers raise anything
        logger.warning("%s: unreadable %s (%s: %s)", path, what, type(exc).__name__, exc)
        return default


@functools.cache
def _pillow_formats() -> tuple[str, ...]:
    """The allowed Pillow formats this install can open (HEIF only with pillow-heif)."""
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:
        logger.info("pillow-heif not installed: HEIC metadata comes from exifread only")
    Image.init()
    return tuple(name for name in _PILLOW_FORMATS if name in Image.OPEN)


def _pillow_data(path: Path, fh: BinaryIO) -> _PillowData:
    """EXIF, IPTC and XMP as Pillow finds them; opening reads headers only, no pixels."""
    fh.seek(0)
    with Image.open(fh, formats=_pillow_formats()) as im:
        exif: RawTags = _safe(path, "EXIF (Pillow)", lambda: tag.pillow_tags(im), {})
        iptc = _safe(path, "IPTC block", lambda: IptcImagePlugin.getiptcinfo(im), None)
        return _PillowData(exif, iptc, im.info.get("xmp"))


# --- EXIF fields --------------------------------------------------------------------


def _taken_at(raw: RawTags) -> str | None:
    """First valid of DateTimeOriginal, DateTimeDigitized, DateTime, with its offset."""
    for date_tag, offset_tag in _DATES:
        date = _parse_date(raw.get(date_tag))
        if date:
            return date + _parse_offset(raw.get(offset_tag))
    return None


def _parse_date(value: Any) -> str | None:
    """Parse "YYYY:MM:DD HH:MM:SS" (dashes and bare dates too) to ISO; None if invalid."""
    match = _DATE.match(tag.text(value) or "")
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups(default="0"))
    try:  # "0000:00:00 00:00:00" and friends fail here
        return datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None


def _parse_offset(value: Any) -> str:
    """An OffsetTime* value like "+03:00", or "" when missing or invalid."""
    text = tag.text(value) or ""
    match = _OFFSET.fullmatch(text)
    return text if match and int(match[1]) <= 14 and int(match[2]) < 60 else ""


def _exposure(value: Any) -> str | None:
    """Exposure time as exifread prints the ratio: "1/160", "2"."""
    ratio = fraction(value)
    return str(ratio) if ratio and ratio > 0 else None


def _positive(value: Any) -> float | None:
    """A positive rational (f-number, focal length) rounded to 2 decimals."""
    ratio = fraction(value)
    return round(float(ratio), 2) if ratio and ratio > 0 else None


def _positive_int(value: Any) -> int | None:
    number = integer(value)
    return number if number and number > 0 else None


def _orientation(value: Any) -> int:
    """EXIF orientation 1..8; anything else (0, 9, junk) means unrotated."""
    number = integer(value)
    return number if number is not None and 1 <= number <= 8 else 1


def _lens(raw: RawTags) -> str | None:
    """LensModel, prefixed with LensMake unless the model already names it."""
    model, make = tag.text(raw.get(tag.LENS_MODEL)), tag.text(raw.get(tag.LENS_MAKE))
    if model and make and not model.casefold().startswith(make.casefold()):
        return f"{make} {model}"
    return model


def _gps(raw: RawTags) -> GPS | None:
    """Signed decimal position; None when missing, broken or out of range."""
    lat = _coordinate(raw.get(tag.LAT), raw.get(tag.LAT_REF), "S")
    lon = _coordinate(raw.get(tag.LON), raw.get(tag.LON_REF), "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:  # cameras without a fix write zeros
        return None
    altitude = fraction(raw.get(tag.ALT))
    alt = None if altitude is None else float(altitude)
    below_sea = raw.get(tag.ALT_REF) in ([1], (1,), 1, b"\x01")  # exifread list, Pillow bytes
    return GPS(lat, lon, -abs(alt) if alt is not None and below_sea else alt)


def _coordinate(value: Any, ref: Any, negative: str) -> float | None:
    """Degrees, minutes, seconds ratios to signed decimal degrees."""
    parts = [fraction(part) for part in value] if isinstance(value, (list, tuple)) else []
    if not 1 <= len(parts) <= 3 or None in parts:
        return None
    degrees = float(sum(part / 60**i for i, part in enumerate(parts)))
    return -abs(degrees) if (tag.text(ref) or "").upper() == negative else degrees


# --- text fields --------------------------------------------------------------------


def _exif_texts(raw: RawTags) -> dict[str, list[str]]:
    """The descriptive EXIF tags as {source key: [clean strings]}."""
    keywords = (tag.xp_text(raw.get(tag.XP_KEYWORDS)) or "").split(";")
    found = {
        "xp_title": [tag.xp_text(raw.get(tag.XP_TITLE))],
        "xp_comment": [tag.xp_text(raw.get(tag.XP_COMMENT), multiline=True)],
        "xp_author": [tag.xp_text(raw.get(tag.XP_AUTHOR))],
        "xp_keywords": [clean_text(keyword) for keyword in keywords],
        "description": [tag.text(raw.get(tag.DESCRIPTION), multiline=True)],
        "artist": [tag.text(raw.get(tag.ARTIST))],
        "copyright": [tag.text(raw.get(tag.COPYRIGHT))],
    }
    return {key: [value for value in values if value] for key, values in found.items()}


def _pick(sources: Sources, field: str) -> list[str]:
    """The values of the best source that has any for this field."""
    for source_key in _TEXT_SOURCES[field]:
        source, key = source_key.split()
        values = sources[source].get(key, [])
        if field == "caption":
            values = [value for value in values if not _PLACEHOLDER.fullmatch(value)]
        if values:
            return values
    return []


def _text_field(sources: Sources, field: str) -> str | None:
    """One text field; several values (e.g. two creators) are joined with commas."""
    return clean_text(", ".join(_pick(sources, field)), multiline=field == "caption")


def _keywords(sources: Sources) -> tuple[str, ...]:
    """Keywords from the best source, duplicates dropped, at most MAX_KEYWORDS."""
    return tuple(dict.fromkeys(_pick(sources, "keywords")))[:MAX_KEYWORDS]


# --- culling marks ------------------------------------------------------------------

# xmp:Label as desktop tools write it: English (Lightroom, Bridge) or as a Latvian
# Lightroom shows them. Other names (custom label sets) are left out.
_LABELS = {
    **{label.value: label for label in Label},
    **{"sarkans": Label.RED, "dzeltens": Label.YELLOW, "zaļš": Label.GREEN},
    **{"zils": Label.BLUE, "violets": Label.PURPLE, "purpura": Label.PURPLE},
}


def _rating(sources: Sources) -> int | None:
    """xmp:Rating as a whole number of stars, -1 (rejected) to 5; None if absent or odd."""
    values = sources["xmp"].get("rating", [])
    if not values:
        return None
    rating = round(float(values[0]))  # "3", "3.0"; a NaN or junk raises and is logged
    return rating if -1 <= rating <= MAX_RATING else None


def _label(sources: Sources) -> Label | None:
    values = sources["xmp"].get("label", [])
    return _LABELS.get(values[0].casefold()) if values else None
