"""read_metadata: agrees with exifread's reference dump, prefers the right sources, and
survives hostile files."""

from __future__ import annotations

import struct
import time
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import exifread
import pytest
from exifread.tags.exif import EXIF_TAGS
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational

from gallery.config import load_config
from gallery.ingest.iptc_xmp import MAX_TEXT, clean_text
from gallery.ingest.metadata import GPS, PhotoMetadata, read_metadata
from tests.helpers import images

# --- the exifread reference (EXPECTED-exifread.txt) ------------------------------------

# Same setting as the corpus_dir fixture; parametrizing needs it at collection time.
PHOTOS = Path(load_config()["CORPUS"]) / "photos"
REFERENCE = PHOTOS / "EXPECTED-exifread.txt"
NO_EXIF = "No EXIF information found"
# exifread prints orientations by name ("Rotated 90 CW"): its own table maps them back.
ORIENTATIONS = {name: number for number, name in EXIF_TAGS[0x0112][1].items()}
# Files the reference says have no EXIF but that do have it, and why. They are checked
# against what the installed exifread prints instead. (jpg/invalid/*.jpg also say "No EXIF";
# there the Pillow fallback finds a lone Orientation=1 in IFD0, the default, so the
# fields still match the reference exactly.)
FOUND_MORE = {
    "heic/mobile/HMD_Nokia_8.3_5G.heif": "the dump says 'No EXIF information found', but the "
    "installed exifread 3.5.1 itself reads this HEIF's Exif item (DateTime, exposure, ISO, "
    "GPS) and pillow-heif agrees: the dump must come from an older exifread",
}
EXIF_FIELDS = (
    *("taken_at", "camera_make", "camera_model", "exposure_time"),
    *("f_number", "iso", "focal_length", "orientation"),
)


def parse_reference(text: str) -> dict[str, dict[str, str]]:
    """{file: {"EXIF FNumber": "71/10", ...}} from exifread's printed output."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("Opening: "):
            current = sections.setdefault(line.removeprefix("Opening: "), {})
        elif line == NO_EXIF:
            current[NO_EXIF] = ""
        elif " (" in line and "): " in line + " ":
            key, _, rest = line.partition(" (")
            current[key] = rest.partition("):")[2].strip()
    return sections


def live_exifread(path: Path) -> dict[str, str]:
    """What the installed exifread prints for a file, in the reference's shape."""
    with path.open("rb") as fh:
        tags = exifread.process_file(fh, details=False)
    return {key: tag.printable.strip() for key, tag in tags.items() if hasattr(tag, "printable")}


def expected_fields(section: dict[str, str]) -> dict[str, object]:
    """The reader's fields as the exifread output implies them."""

    def number(key: str) -> float | None:
        value = section.get(key)
        return round(float(Fraction(value)), 2) if value else None

    gps = expected_gps(section)
    return {
        "taken_at": expected_date(section),
        "camera_make": section.get("Image Make") or None,
        "camera_model": section.get("Image Model") or None,
        "exposure_time": section.get("EXIF ExposureTime") or None,
        "f_number": number("EXIF FNumber"),
        "iso": int(section["EXIF ISOSpeedRatings"]) if "EXIF ISOSpeedRatings" in section else None,
        "focal_length": number("EXIF FocalLength"),
        "orientation": ORIENTATIONS.get(section.get("Image Orientation", ""), 1),
        **flat_gps(gps),
    }


def expected_date(section: dict[str, str]) -> str | None:
    """DateTimeOriginal, then DateTimeDigitized, then DateTime, with the matching offset."""
    for date_key, offset_key in (
        ("EXIF DateTimeOriginal", "EXIF OffsetTimeOriginal"),
        ("EXIF DateTimeDigitized", "EXIF OffsetTimeDigitized"),
        ("Image DateTime", "EXIF OffsetTime"),
    ):
        try:
            taken = datetime.strptime(section.get(date_key, ""), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        return taken.isoformat() + section.get(offset_key, "")
    return None


def expected_gps(section: dict[str, str]) -> GPS | None:
    """Signed decimal degrees from the printed ratio lists and Ref tags."""

    def degrees(key: str, negative: str) -> float:
        parts = [Fraction(part) for part in section[key].strip("[]").split(",")]
        value = float(sum(part / 60**i for i, part in enumerate(parts)))
        return -value if section.get(key + "Ref") == negative else value

    if "GPS GPSLatitude" not in section or "GPS GPSLongitude" not in section:
        return None
    alt = float(Fraction(section["GPS GPSAltitude"])) if "GPS GPSAltitude" in section else None
    if alt is not None and section.get("GPS GPSAltitudeRef") == "1":
        alt = -alt
    return GPS(degrees("GPS GPSLatitude", "S"), degrees("GPS GPSLongitude", "W"), alt)


def actual_fields(meta: PhotoMetadata) -> dict[str, object]:
    """The same fields from a PhotoMetadata, GPS flattened so approx can compare it."""
    fields = {key: getattr(meta, key) for key in EXIF_FIELDS}
    return fields | flat_gps(meta.gps)


def flat_gps(gps: GPS | None) -> dict[str, float | None]:
    """GPS as three flat fields: pytest.approx cannot look inside nested values."""
    if gps is None:
        return {"gps_lat": None, "gps_lon": None, "gps_alt": None}
    return {"gps_lat": gps.lat, "gps_lon": gps.lon, "gps_alt": gps.alt}


SECTIONS = parse_reference(REFERENCE.read_text("utf-8")) if REFERENCE.is_file() else {}


def unlisted_photos() -> list[str]:
    """Corpus photos that the reference dump does not cover."""
    if not PHOTOS.is_dir():
        return []
    names = (str(path.relative_to(PHOTOS)) for path in PHOTOS.rglob("*") if path.is_file())
    return sorted(n for n in names if n not in SECTIONS and not n.endswith((".txt", ".md")))


UNLISTED = unlisted_photos()


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(SECTIONS) or ["missing-corpus"])
def test_agrees_with_exifread_reference(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / "photos" / name
    section = SECTIONS[name]
    if NO_EXIF in section and name in FOUND_MORE:
        print(f"{name}: {FOUND_MORE[name]}")
        section = live_exifread(path)
    want = expected_fields(section)
    assert actual_fields(read_metadata(path)) == pytest.approx(want, abs=1e-9)


@pytest.mark.corpus
@pytest.mark.parametrize("name", UNLISTED or ["none"])
def test_files_missing_from_the_reference_agree_with_live_exifread(
    corpus_dir: Path, name: str
) -> None:
    if name == "none":
        pytest.skip("every corpus file is in the reference")
    path = corpus_dir / "photos" / name
    print(f"{name} is not in EXPECTED-exifread.txt; compared with the installed exifread")
    want = expected_fields(live_exifread(path))
    assert actual_fields(read_metadata(path)) == pytest.approx(want, abs=1e-9)


@pytest.mark.corpus
def test_corpus_text_fields(corpus_dir: Path) -> None:
    photos = corpus_dir / "photos" / "jpg"
    blue = read_metadata(photos / "xmp" / "BlueSquare.jpg")
    assert blue.title == "Blue Square Test File - .jpg"
    assert blue.keywords == ("XMP", "Blue Square", "test file", "Photoshop", ".jpg")
    assert read_metadata(photos / "corrupted.jpg").caption is None  # "OLYMPUS DIGITAL CAMERA"
    ricoh = read_metadata(photos / "exif-org" / "ricoh-rdc5300.jpg")
    assert ricoh.copyright == "(C) by RDC-5300 User"
    heic = read_metadata(corpus_dir / "photos" / "heic" / "IMG_5195.HEIC")
    assert heic.lens == "Apple iPhone 11 Pro Max back triple camera 4.25mm f/1.8"
    assert heic.taken_at == "2021-04-11T15:47:53-05:00"


# --- made-up JPEGs -------------------------------------------------------------------


def jpeg_with(
    tmp_path: Path, exif: dict | None = None, xmp: bytes = b"", app13: bytes = b""
) -> Path:
    """A tiny JPEG with EXIF ({tag: value}, sub-IFDs as dicts), XMP and a raw APP13."""
    data = images.image_bytes(size=(8, 8), color="gray", exif=exif or {}, xmp=xmp)
    cut = data.index(b"\xff\xdb")  # before the quantisation tables, after APP segments
    path = tmp_path / "made.jpg"
    path.write_bytes(data[:cut] + app13 + data[cut:])
    return path


def iptc_app13(*datasets: tuple[int, int, bytes]) -> bytes:
    """An APP13 "Photoshop 3.0" segment with one 8BIM 0x0404 (IPTC-IIM) resource."""
    iim = b"".join(b"\x1c" + bytes([r, d]) + struct.pack(">H", len(v)) + v for r, d, v in datasets)
    resource = b"8BIM" + struct.pack(">HHI", 0x0404, 0, len(iim)) + iim + b"\0" * (len(iim) % 2)
    payload = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def xmp_packet(**fields: str) -> bytes:
    """An XMP packet with dc:title/description (Alt), dc:subject (Bag) and credit."""
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Credit="{fields["credit"]}">
  <dc:title><rdf:Alt><rdf:li xml:lang="lv">Cits</rdf:li>
   <rdf:li xml:lang="x-default">{fields["title"]}</rdf:li></rdf:Alt></dc:title>
  <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{fields["caption"]}</rdf:li>
   </rdf:Alt></dc:description>
  <dc:subject><rdf:Bag><rdf:li>Rīga</rdf:li><rdf:li>jūra</rdf:li></rdf:Bag></dc:subject>
 </rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()


EXIF_IFD, GPS_IFD = 0x8769, 0x8825
LATVIAN = "Daugavpils tehnikumā konference, mācību"


def test_exif_fields_from_a_made_jpeg(tmp_path: Path) -> None:
    exif = {
        0x010F: "Canon ",
        0x0110: "Canon EOS R5",
        0x0112: 6,
        EXIF_IFD: {
            0x9003: "2024:03:05 14:30:00",
            0x9011: "+02:00",
            0x829A: IFDRational(1, 160),
            0x829D: IFDRational(71, 10),
            0x8827: 400,
            0x920A: IFDRational(247, 16),
            0xA433: "Canon",
            0xA434: "RF24-105mm F4 L IS USM",
        },
        GPS_IFD: {1: "S", 2: (33, 51, 54), 3: "W", 4: (70, 30, 0), 5: b"\x01", 6: 12.5},
    }
    meta = read_metadata(jpeg_with(tmp_path, exif))
    assert meta.taken_at == "2024-03-05T14:30:00+02:00"
    assert (meta.camera_make, meta.camera_model) == ("Canon", "Canon EOS R5")
    assert meta.lens == "Canon RF24-105mm F4 L IS USM"
    assert (meta.exposure_time, meta.f_number, meta.iso) == ("1/160", 7.1, 400)
    assert meta.focal_length == 15.44
    assert meta.orientation == 6
    assert (meta.gps.lat, meta.gps.lon, meta.gps.alt) == pytest.approx((-33.865, -70.5, -12.5))


DATETIME, ORIGINAL, DIGITIZED = 0x0132, 0x9003, 0x9004


@pytest.mark.parametrize(
    ("original", "datetime_", "taken_at"),
    [
        (None, "2008:05:30 15:56:01\0  ", "2008-05-30T15:56:01"),
        (None, "2008:05:30 15:56:01   ", "2008-05-30T15:56:01"),
        ("0000:00:00 00:00:00", "2001:01:01 00:00:00", "2001-01-01T00:00:00"),
        ("    :  :     :  :  ", "2002-02-02", "2002-02-02T00:00:00"),
        ("2008:13:01 00:00:00", "not a date", None),
    ],
)
def test_taken_at_skips_invalid_dates(
    tmp_path: Path, original: str | None, datetime_: str, taken_at: str | None
) -> None:
    exif = {DATETIME: datetime_, EXIF_IFD: {ORIGINAL: original} if original else {}}
    assert read_metadata(jpeg_with(tmp_path, exif)).taken_at == taken_at


@pytest.mark.parametrize(("offset", "suffix"), [("+05:45", "+05:45"), ("+99:00", "")])
def test_taken_at_takes_the_offset_of_the_chosen_date(
    tmp_path: Path, offset: str, suffix: str
) -> None:
    # OffsetTime (0x9010) goes with DateTime, 0x9011 with Original, 0x9012 with Digitized.
    dates = {ORIGINAL: "bad", DIGITIZED: "2002:02:02 02:02:02", 0x9011: "+01:00"}
    exif = {DATETIME: "2001:01:01 00:00:00", EXIF_IFD: {**dates, 0x9010: "+02:00", 0x9012: offset}}
    assert read_metadata(jpeg_with(tmp_path, exif)).taken_at == "2002-02-02T02:02:02" + suffix


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_invalid_orientation_means_1(tmp_path: Path, value: int) -> None:
    assert read_metadata(jpeg_with(tmp_path, {0x0112: value})).orientation == 1


@pytest.mark.parametrize(
    "gps",
    [
        {},
        {1: "N", 2: (IFDRational(1, 0), 0, 0), 3: "E", 4: (10, 0, 0)},  # zero denominator
        {1: "N", 2: (91, 0, 0), 3: "E", 4: (10, 0, 0)},
        {1: "N", 2: (0, 0, 0), 3: "E", 4: (0, 0, 0)},  # "no fix" zeros
    ],
)
def test_broken_gps_is_none(tmp_path: Path, gps: dict) -> None:
    assert read_metadata(jpeg_with(tmp_path, {GPS_IFD: gps})).gps is None


def test_exif_text_is_cleaned(tmp_path: Path) -> None:
    description = "Cafe\u0301\x07 at\x1b the\u202e bay\r\nsecond\tline\0after NUL"
    meta = read_metadata(jpeg_with(tmp_path, {0x010E: description.encode(), 0x8298: b"  "}))
    assert meta.caption == "Café at the bay\nsecond line"
    assert meta.copyright is None


def test_placeholder_description_is_not_a_caption(tmp_path: Path) -> None:
    assert read_metadata(jpeg_with(tmp_path, {0x010E: "OLYMPUS DIGITAL CAMERA"})).caption is None


def test_xp_tags_are_a_fallback(tmp_path: Path) -> None:
    def xp(text: str) -> bytes:
        return text.encode("utf-16le") + b"\0\0"

    exif = {
        0x9C9B: xp("Rīts"),
        0x9C9C: xp("Jūra\u202e"),
        0x9C9D: xp("Jānis"),
        0x9C9E: xp("a; b;;a"),
    }
    meta = read_metadata(jpeg_with(tmp_path, exif))
    assert (meta.title, meta.caption, meta.credit) == ("Rīts", "Jūra", "Jānis")
    assert meta.keywords == ("a", "b")


def test_iptc_without_charset_is_utf8_or_cp1257(tmp_path: Path) -> None:
    app13 = iptc_app13(
        (2, 5, "Rīga".encode()),  # valid UTF-8 stays UTF-8
        (2, 120, LATVIAN.encode("cp1257")),
        (2, 25, "mācības".encode("cp1257")),
        (2, 25, "tehnikums".encode("cp1257")),
        (2, 80, "Jānis Bērziņš".encode("cp1257")),
        (2, 116, b"(c) LU"),
    )
    meta = read_metadata(jpeg_with(tmp_path, app13=app13))
    assert (meta.title, meta.caption, meta.copyright) == ("Rīga", LATVIAN, "(c) LU")
    assert meta.keywords == ("mācības", "tehnikums")
    assert meta.credit == "Jānis Bērziņš"  # By-line when there is no Credit


def test_iptc_with_utf8_charset(tmp_path: Path) -> None:
    app13 = iptc_app13((1, 90, b"\x1b%G"), (2, 120, LATVIAN.encode()), (2, 110, "Ķēķis".encode()))
    meta = read_metadata(jpeg_with(tmp_path, {0x010E: "exif caption"}, app13=app13))
    assert (meta.caption, meta.credit) == (LATVIAN, "Ķēķis")  # IPTC beats EXIF


def test_xmp_is_preferred_over_iptc(tmp_path: Path) -> None:
    xmp = xmp_packet(title="XMP title", caption="XMP caption", credit="XMP credit")
    app13 = iptc_app13((2, 5, b"IPTC title"), (2, 120, b"IPTC caption"), (2, 25, b"iptc"))
    meta = read_metadata(jpeg_with(tmp_path, xmp=xmp, app13=app13))
    assert (meta.title, meta.caption, meta.credit) == ("XMP title", "XMP caption", "XMP credit")
    assert meta.keywords == ("Rīga", "jūra")


def test_hostile_xmp_is_ignored(tmp_path: Path) -> None:
    laughs = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    meta = read_metadata(jpeg_with(tmp_path, xmp=laughs, app13=iptc_app13((2, 5, b"Kept"))))
    assert meta.title == "Kept"


def test_keywords_are_capped(tmp_path: Path) -> None:
    app13 = iptc_app13(*((2, 25, b"k%d" % i) for i in range(150)))
    assert len(read_metadata(jpeg_with(tmp_path, app13=app13)).keywords) == 100


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  a\x00b\x1b[31mc\x7f\x85d  ", "ab[31mcd"),
        ("evil\u202egpj.exe\u2066x\u2069", "evilgpj.exex"),
        ("line1\r\nline2", "line1 line2"),
        ("Cafe\u0301", "Café"),
        (" \t\x00 ", None),
        ("x" * (MAX_TEXT + 50), "x" * MAX_TEXT),
    ],
)
def test_clean_text(raw: str, clean: str | None) -> None:
    assert clean_text(raw) == clean


def test_pillow_fallback_when_exifread_finds_nothing(tmp_path: Path) -> None:
    """exifread skips PNG "Raw profile type exif" text chunks (ImageMagick writes them)."""
    tags = {0x010F: "Nikon", 0x0112: 8, 0x013B: "Jānis".encode(), 0x0132: "2010:01:02 03:04:05"}
    raw = images.exif(tags).tobytes()
    info = PngInfo()
    info.add_text("Raw profile type exif", f"\nexif\n{len(raw):8d}\n{raw.hex()}\n")
    meta = read_metadata(images.write_image(tmp_path / "magick.png", (8, 8), pnginfo=info))
    assert (meta.camera_make, meta.orientation, meta.credit) == ("Nikon", 8, "Jānis")
    assert meta.taken_at == "2010-01-02T03:04:05"


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_metadata(tmp_path / "nope.jpg")


def test_garbage_gives_empty_metadata(tmp_path: Path) -> None:
    path = tmp_path / "garbage.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\0\0MM\0*\0\0\0\x08" + b"\xff" * 50)
    assert read_metadata(path) == PhotoMetadata()


# --- hostile corpus ------------------------------------------------------------------

BAD = Path(load_config()["CORPUS"]) / "bad"
BAD_FILES = (
    sorted(str(p.relative_to(BAD)) for p in BAD.rglob("*") if p.is_file()) if BAD.is_dir() else []
)


@pytest.mark.corpus
@pytest.mark.parametrize("name", BAD_FILES or ["missing-corpus"])
def test_bad_files_never_raise(corpus_dir: Path, name: str) -> None:
    started = time.monotonic()
    meta = read_metadata(corpus_dir / "bad" / name)
    assert isinstance(meta, PhotoMetadata)
    assert time.monotonic() - started < 2


@pytest.mark.corpus
def test_nonutf8_exif_strings_are_clean(corpus_dir: Path) -> None:
    meta = read_metadata(corpus_dir / "bad" / "generated" / "exif_nonutf8.jpg")
    strings = [value for value in vars(meta).values() if isinstance(value, str)]
    strings += meta.keywords
    assert strings, "the file has text tags"
    for text in strings:
        assert not any(bad in text for bad in ("\x00", "b'", "[", "\u202e")), text
    assert meta.taken_at is None  # "not a date at all"


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "make", "orientation"),
    [
        ("generated/exif_ifd_loop.jpg", "abc", 1),
        ("generated/exif_orientation_0.jpg", None, 1),
        ("generated/exif_orientation_9.jpg", None, 1),
        ("pillow/exif_imagemagick_orientation.png", None, 3),  # Pillow fallback
    ],
)
def test_exif_oddities(corpus_dir: Path, name: str, make: str | None, orientation: int) -> None:
    meta = read_metadata(corpus_dir / "bad" / name)
    assert (meta.camera_make, meta.orientation) == (make, orientation)
