"""gallery.ingest.strip and scrub: what is private, found in the headers and blanked in place.

The HTTP side (visitor and staff downloads of every format) is tests/test_original_privacy.py;
here the rules, the odd layouts and the cost, without an app.
"""

from __future__ import annotations

import dataclasses
import io
import random
import struct
import time
import zlib
from pathlib import Path

import exifread
import pytest
from PIL import Image, IptcImagePlugin

from gallery.ingest import strip
from gallery.ingest.accept import sniff_format
from gallery.ingest.metadata import read_metadata
from gallery.ingest.scrub import xmp_blanks
from tests.helpers.images import EXIF_IFD, GPS_IFD, image_bytes, write_image

PRIVATE_KEYS = ("GPS", "Serial", "Owner", "MakerNote")
GPS = {1: "N", 2: (56.0, 57.0, 1.5), 3: "E", 4: (24.0, 6.0, 30.0)}


def cleaned(path: Path) -> bytes:
    splices = strip.private_metadata(path, sniff_format(path.read_bytes()[:64]))
    with strip.Cleaned(path, splices) as stream:
        made = stream.read()
    assert made == strip.apply(path.read_bytes(), splices)
    return made


def exifread_tags(data: bytes) -> dict[str, str]:
    found = exifread.process_file(io.BytesIO(data), details=False)
    return {key: str(value) for key, value in found.items()}


def corpus_photos(corpus_dir: Path) -> list[Path]:
    suffixes = (".jpg", ".jpeg", ".tif", ".tiff", ".heic", ".heif")
    found = sorted(p for p in (corpus_dir / "photos").rglob("*") if p.suffix.lower() in suffixes)
    assert len(found) > 40
    return found


@pytest.mark.corpus
def test_every_corpus_photo_loses_its_private_tags_and_nothing_else(corpus_dir, tmp_path):
    had_gps = 0
    for path in corpus_photos(corpus_dir):
        before, got = exifread_tags(path.read_bytes()), cleaned(path)
        after = exifread_tags(got)
        had_gps += any(key.startswith("GPS") for key in before)
        assert not [k for k in after if any(word in k for word in PRIVATE_KEYS)], path
        kept = {k: v for k, v in before.items() if not any(w in k for w in PRIVATE_KEYS)}
        assert after == kept, path
        assert len(got) == path.stat().st_size, path  # in place: every offset still right
        # the gallery's own reading is the same but for the place
        copy = tmp_path / f"copy{path.suffix}"
        copy.write_bytes(got)
        assert read_metadata(copy) == dataclasses.replace(read_metadata(path), gps=None), path
    assert had_gps >= 8


@pytest.mark.corpus
def test_a_photo_with_nothing_private_is_left_as_it_is(make_jpeg, corpus_dir):
    assert strip.private_metadata(make_jpeg(exif={0x0112: 6, 0x010F: "Canon"}), "JPEG") == ()
    assert strip.private_metadata(corpus_dir / "photos/tiff/BSG1.tiff", "TIFF") == ()


@pytest.mark.corpus
def test_maker_notes_go_and_the_thumbnail_stays(corpus_dir):
    path = corpus_dir / "photos/jpg/Canon_PowerShot_S40.jpg"
    with path.open("rb") as file:
        original = exifread.process_file(file, details=True)
    assert "MakerNote OwnerName" in original and "JPEGThumbnail" in original
    after = exifread.process_file(io.BytesIO(cleaned(path)), details=True)
    assert not [key for key in after if key.startswith("MakerNote") or "MakerNote" in key]
    assert after["JPEGThumbnail"] == original["JPEGThumbnail"]


def test_iptc_sub_location_goes_and_the_caption_stays(tmp_path):
    datasets = [(2, 92, b"Skolas iela 1"), (2, 90, b"Riga"), (2, 120, b"Sports day")]
    iim = b"".join(b"\x1c" + bytes([r, d]) + struct.pack(">H", len(v)) + v for r, d, v in datasets)
    resource = b"8BIM" + struct.pack(">HHI", 0x0404, 0, len(iim)) + iim + b"\0" * (len(iim) % 2)
    payload = b"Photoshop 3.0\0" + resource
    data = image_bytes(size=(8, 8), seed=3)
    cut = data.index(b"\xff\xdb")
    path = tmp_path / "iptc.jpg"
    app13 = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(data[:cut] + app13 + data[cut:])
    with Image.open(io.BytesIO(cleaned(path))) as im:
        info = IptcImagePlugin.getiptcinfo(im)
    assert info[(2, 92)] == b" " * 13
    assert (info[(2, 90)], info[(2, 120)]) == (b"Riga", b"Sports day")


@pytest.mark.parametrize(
    ("packet", "left"),
    [
        # attributes, in any namespace, and elements with what they hold
        (b'<r a:GPSLatitude="1" b:City="Riga" dji:GpsLongitude=\'2\'/>', b'<r b:City="Riga"/>'),
        (b"<r><exif:GPSAltitude>1</exif:GPSAltitude><c>x</c></r>", b"<r><c>x</c></r>"),
        (b"<r><x:LocationShown><a><b>deep</b></a></x:LocationShown></r>", b"<r></r>"),
        (b'<r><aux:SerialNumber v="1"/><mwg-rs:Regions/></r>', b"<r></r>"),
        (b'<r><c a=">" exif:GPSSpeed="9">></c></r>', b'<r><c a=">">></c></r>'),
        (b"<r><Iptc4xmpCore:Location>Skolas iela</Iptc4xmpCore:Location></r>", b"<r></r>"),
        (
            b"<r><photoshop:City>Riga</photoshop:City></r>",
            b"<r><photoshop:City>Riga</photoshop:City></r>",
        ),
    ],
)
def test_xmp_private_properties_become_spaces(packet, left):
    blanked = bytearray(packet)
    for begin, end in xmp_blanks(packet):
        blanked[begin:end] = b" " * (end - begin)
    assert len(blanked) == len(packet)
    assert b"".join(bytes(blanked).split(b" ")) == b"".join(left.split(b" "))


@pytest.mark.parametrize(
    ("packet", "blank"),
    [
        (b"<r><exif:GPSLatitude>1</r>", True),  # broken, and it mentions GPS: all of it
        (b'<!DOCTYPE r [<!ENTITY e "GPS">]><r>&e;</r>', True),  # a DTD: never expanded
        (b"<r><broken></r>", False),  # broken, but nothing private in it: kept
        ("<r><GPS/></r>".encode("utf-16"), True),  # not UTF-8
    ],
)
def test_xmp_that_cannot_be_read_is_blanked_if_it_mentions_anything_private(packet, blank):
    assert xmp_blanks(packet) == ([(0, len(packet))] if blank else [])


def test_png_raw_profiles_go_and_their_colour_profile_stays(tmp_path):
    data = image_bytes("PNG", (8, 8), seed=2)
    chunks = [
        (b"tEXt", b"Raw profile type exif\x00\nexif\n  4\n45786966\n"),
        (b"zTXt", b"Raw profile type icc\x00\x00" + zlib.compress(b"\nicc\n  1\n00\n")),
    ]
    extra = b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in chunks
    )
    path = tmp_path / "raw.png"
    at = data.index(b"IDAT") - 4
    path.write_bytes(data[:at] + extra + data[at:])
    got = cleaned(path)
    assert b"Raw profile type exif" not in got and b"Raw profile type icc" in got
    with Image.open(io.BytesIO(got)) as im:
        im.verify()  # every chunk's CRC still right


def heif_with_exif_in_an_item_of_items(tmp_path: Path) -> Path:
    """A minimal HEIF whose Exif item is stored by construction method 2 (built from
    another item's bytes), which strip does not follow."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    infe = box(b"infe", b"\x02\x00\x00\x00" + struct.pack(">HH", 1, 0) + b"Exif\x00")
    iinf = box(b"iinf", b"\x00\x00\x00\x00" + struct.pack(">H", 1) + infe)
    # version 1; offset 4, length 4; base 0, index 0; one item, method 2, one extent
    item = struct.pack(">HHHH", 1, 2, 0, 1) + struct.pack(">II", 0, 10)
    iloc = box(b"iloc", b"\x01\x00\x00\x00" + bytes([0x44, 0x00]) + struct.pack(">H", 1) + item)
    meta = box(b"meta", b"\x00\x00\x00\x00" + box(b"hdlr", bytes(24)) + iinf + iloc)
    path = tmp_path / "odd.heic"
    path.write_bytes(box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + meta)
    return path


def test_a_layout_strip_cannot_follow_is_refused_not_passed_on(tmp_path):
    with pytest.raises(strip.Uncleanable):
        strip.private_metadata(heif_with_exif_in_an_item_of_items(tmp_path), "HEIF")


def test_the_cleaned_file_reads_the_same_in_any_steps(tmp_path):
    path = write_image(tmp_path / "a.jpg", (300, 200), noise=True, exif={GPS_IFD: GPS})
    splices = strip.private_metadata(path, "JPEG")
    assert splices
    whole = strip.apply(path.read_bytes(), splices)
    pick = random.Random(5)
    with strip.Cleaned(path, splices) as stream:
        assert stream.size == len(whole)
        for _ in range(200):
            start, size = pick.randrange(len(whole) + 10), pick.randrange(1, 5000)
            stream.seek(start)
            got = b""
            while len(got) < size and (part := stream.read(size - len(got))):
                got += part
            assert got == whole[start : start + size]
        stream.seek(0)
        assert io.BufferedReader(stream, 777).read() == whole


def test_an_ordinary_7mb_jpeg_costs_about_a_millisecond(tmp_path):
    exif = {0x010F: "Canon", EXIF_IFD: {0x9003: "2026:05:01 10:00:00"}, GPS_IFD: GPS}
    path = write_image(tmp_path / "big.jpg", (3000, 2000), noise=True, quality=95, exif=exif)
    assert path.stat().st_size > 7_000_000
    strip.private_metadata(path, "JPEG")
    started = time.perf_counter()
    for _ in range(10):
        splices = strip.private_metadata(path, "JPEG")
    assert (time.perf_counter() - started) / 10 < 0.01
    assert sum(s.end - s.start for s in splices) < 1000  # the GPS directory, nothing more
