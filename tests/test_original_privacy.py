"""GPS never leaves with an original (issue 15): a visitor's download of an original has its
location and other private metadata removed, its pixels untouched; staff get the file as
it was uploaded.

Each accepted format is made here with GPS in its EXIF and location in its XMP (where the
format carries them), uploaded through the API into a public album that offers originals,
and downloaded through the visitor route; exifread, Pillow and a scan of the XMP packets
check what is left. Real camera files with GPS from the shared corpus go the same way.
"""

from __future__ import annotations

import io
import re
import struct
import zlib

import exifread
import pillow_heif
import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from tests.helpers.accounts import sign_in
from tests.helpers.images import EXIF_IFD, GPS_IFD, exif, image_bytes, picture
from tests.helpers.site_data import add_album, add_photo
from tests.helpers.upload_client import multipart

pillow_heif.register_heif_opener()

ORIENTATION, MAKE, MODEL, DESCRIPTION, ARTIST, COPYRIGHT = (
    0x0112,
    0x010F,
    0x0110,
    0x010E,
    0x013B,
    0x8298,
)
TAKEN, OWNER, BODY_SERIAL, LENS_MODEL, LENS_SERIAL = 0x9003, 0xA430, 0xA431, 0xA434, 0xA435
GPS = {
    1: "N",
    2: (56.0, 57.0, 1.5),
    3: "E",
    4: (24.0, 6.0, 30.0),
    5: 0,
    6: 12.5,
    27: b"ASCII\x00\x00\x00GPS-FUSED-FIX",  # GPSProcessingMethod: text in the GPS IFD
}
PRIVATE_TEXT = (b"GPS-FUSED-FIX", b"SN-4815162342", b"Jane Owner", b"LSN-777", b"56,57.025N")
XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    exif:GPSLatitude="56,57.025N" exif:GPSLongitude="24,6.5E"
    aux:SerialNumber="SN-4815162342" photoshop:City="Riga">
   <dc:description><rdf:Alt>
    <rdf:li xml:lang="x-default">Sports day</rdf:li>
   </rdf:Alt></dc:description>
   <photoshop:Credit>School press office</photoshop:Credit>
   <exif:GPSAltitude>125/10</exif:GPSAltitude>
   <Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li rdf:parseType="Resource">
    <Iptc4xmpExt:Sublocation>Skolas iela 1</Iptc4xmpExt:Sublocation>
    <exif:GPSLatitude>56,57.025N</exif:GPSLatitude>
   </rdf:li></rdf:Bag></Iptc4xmpExt:LocationCreated>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def tags(extra: dict | None = None) -> dict:
    """EXIF that visitors may keep, with GPS, serial numbers and the owner's name added."""
    return {
        MAKE: "Canon",
        MODEL: "EOS R6",
        ORIENTATION: 6,
        DESCRIPTION: "Sports day",
        ARTIST: "Anna",
        COPYRIGHT: "School",
        **(extra or {}),
        GPS_IFD: GPS,
        EXIF_IFD: {
            TAKEN: "2026:05:01 10:00:00",
            OWNER: "Jane Owner",
            BODY_SERIAL: "SN-4815162342",
            LENS_MODEL: "RF24-105mm",
            LENS_SERIAL: "LSN-777",
        },
    }


def jpeg() -> bytes:
    return image_bytes("JPEG", (64, 48), seed=1, exif=tags(), xmp=XMP.encode(), icc_profile=ICC)


def mpo() -> bytes:
    """A stereo pair (MPO): both pictures carry their own EXIF with GPS."""
    first, second = picture((64, 48), seed=2), picture((64, 48), seed=3)
    second.encoderinfo = {"exif": exif(tags()).tobytes()}
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=exif(tags()))
    made = out.getvalue()
    assert made.count(b"Exif\x00\x00") == 2 and b"MPF\x00" in made
    return made


def png(*, zipped: bool) -> bytes:
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP, zip=zipped)
    return image_bytes("PNG", (64, 48), seed=4, exif=tags(), pnginfo=info, icc_profile=ICC)


def webp(*, exif_prefix: bool) -> bytes:
    """Lossless WebP; with `exif_prefix` its EXIF chunk starts "Exif\\0\\0" as some writers
    do (and as exifread expects: without it exifread reads no WebP EXIF at all)."""
    made = image_bytes("WEBP", (64, 48), seed=5, exif=tags(), xmp=XMP.encode(), lossless=True)
    if not exif_prefix:
        return made
    at = made.index(b"EXIF")
    size = struct.unpack("<I", made[at + 4 : at + 8])[0]
    body = b"Exif\x00\x00" + made[at + 8 : at + 8 + size]
    chunk = b"EXIF" + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) % 2)
    rest = made[12:at] + chunk + made[at + 8 + size + size % 2 :]
    return b"RIFF" + struct.pack("<I", 4 + len(rest)) + b"WEBP" + rest


def gif() -> bytes:
    """A GIF with an XMP application extension (raw packet, then the 258-byte magic trailer
    that lets GIF readers skip it as sub-blocks), put before the first image."""
    made = image_bytes("GIF", (64, 48), seed=6)
    trailer = bytes([1, *range(255, -1, -1), 0])
    extension = b"\x21\xff\x0bXMP DataXMP" + XMP.encode() + trailer
    first_block = made.index(b"\x2c\x00\x00\x00\x00")  # Pillow: the image descriptor
    return made[:first_block] + extension + made[first_block:]


def heif() -> bytes:
    out = io.BytesIO()
    picture((64, 48), seed=7).save(
        out, "HEIF", exif=exif(tags()).tobytes(), xmp=XMP.encode(), quality=90
    )
    return out.getvalue()


def tiff() -> bytes:
    out = io.BytesIO()
    picture((64, 48), seed=8).save(
        out, "TIFF", exif=exif(tags({700: XMP.encode()})).tobytes(), icc_profile=ICC
    )
    return out.getvalue()


MADE = {
    "photo.jpg": jpeg,  # with a colour profile, as are photo.png and photo.tif
    "stereo.mpo.jpg": mpo,
    "photo.png": lambda: png(zipped=False),
    "zipped-xmp.png": lambda: png(zipped=True),
    "photo.webp": lambda: webp(exif_prefix=False),
    "exif-prefix.webp": lambda: webp(exif_prefix=True),
    "photo.gif": gif,
    "photo.heic": heif,
    "photo.tif": tiff,
}
NO_EXIF = ("photo.gif",)  # GIF carries no EXIF, only XMP
CORPUS = (
    "jpg/gps/DSCN0010.jpg",
    "jpg/Kodak_CX7530.jpg",
    "jpg/mobile/HMD_Nokia_8.3_5G.jpg",
    "heic/IMG_5195.HEIC",
    "heic/mobile/HMD_Nokia_8.3_5G.heif",
)


# --- what a file says -----------------------------------------------------------------


def exifread_tags(data: bytes) -> dict[str, str]:
    """exifread's tags, as printed; {} where exifread reads nothing."""
    try:
        found = exifread.process_file(io.BytesIO(data), details=False)
    except Exception:  # exifread asserts on some valid HEIF layouts (pillow-heif's)
        return {}
    return {key: str(value) for key, value in found.items() if key != "JPEGThumbnail"}


def pillow_exif(data: bytes) -> tuple[dict, dict, dict]:
    """Pillow's IFD0, Exif IFD and GPS IFD."""
    with Image.open(io.BytesIO(data)) as im:
        found = im.getexif()
        return dict(found), dict(found.get_ifd(EXIF_IFD)), dict(found.get_ifd(GPS_IFD))


def xmp_packets(data: bytes) -> list[bytes]:
    """Every XMP packet in the file, PNG's compressed iTXt chunks unpacked."""
    packets = re.findall(rb"<x:xmpmeta.*?</x:xmpmeta>", data, re.S)
    if data.startswith(b"\x89PNG"):
        at = 8
        while at < len(data):
            length, kind = struct.unpack(">I4s", data[at : at + 8])
            body = data[at + 8 : at + 8 + length]
            if kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00\x01"):
                text = body.split(b"\x00", 4)[-1]  # keyword, flag+method, language, key
                packets.append(zlib.decompress(text[1:] if text[:1] == b"\x00" else text))
            at += 12 + length
    return packets


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGBA").tobytes()


def assert_nothing_private(data: bytes) -> None:
    read = exifread_tags(data)
    assert not [key for key in read if key.startswith("GPS") or "GPSInfo" in key], read
    assert not [key for key in read if "Serial" in key or "Owner" in key], read
    _ifd0, exif_ifd, gps_ifd = pillow_exif(data)
    assert gps_ifd == {}
    assert not {OWNER, BODY_SERIAL, LENS_SERIAL} & set(exif_ifd)
    for packet in xmp_packets(data):
        assert not re.search(rb"(?i)gps|serialnumber|locationcreated|sublocation", packet), packet


# --- the site ------------------------------------------------------------------------


@pytest.fixture
def site(app, client, runner, users):
    """(upload(data, name) -> photo id, visitor's get, staff's get) on a public album that
    offers its originals."""
    token = runner.invoke(args=["users", "token", "staff@school.lv"]).output.strip()
    staff = {"Authorization": f"Bearer {token}"}
    album = {"slug": "fest", "visibility": "public", "allow_original_download": True}
    made = client.post("/api/v1/albums", json=album, headers=staff)
    assert made.status_code == 201, made.json

    def upload(data: bytes, name: str) -> int:
        # the body made here: the test client spools a big one to a file it never closes
        body, headers = multipart(data, name)
        answer = client.post("/api/v1/albums/fest/photos", data=body, headers={**headers, **staff})
        assert answer.status_code == 201, answer.json
        return answer.json["photo"]["id"]

    def get(photo_id: int, *, as_staff=False, **headers):
        url = f"/albums/fest/photos/{photo_id}/original"
        with client.get(url, headers={**headers, **(staff if as_staff else {})}) as answer:
            answer.get_data()
            return answer

    return upload, get


@pytest.mark.parametrize("name", sorted(MADE))
def test_a_visitors_original_has_no_gps_and_the_same_pixels(site, name):
    upload, get = site
    sent = MADE[name]()
    before = exifread_tags(sent)
    if name not in NO_EXIF:
        assert pillow_exif(sent)[2], "the made file must carry GPS to begin with"
    assert any(b"GPSLatitude" in packet for packet in xmp_packets(sent)) or name == "stereo.mpo.jpg"
    photo_id = upload(sent, name)

    visitor = get(photo_id)
    assert visitor.status_code == 200
    got = visitor.data
    assert_nothing_private(got)
    for text in PRIVATE_TEXT:
        assert text not in got, text
    assert pixels(got) == pixels(sent)  # nothing re-encoded
    if name != "zipped-xmp.png":  # the only one whose metadata changes size
        assert len(got) == len(sent)
    if name in NO_EXIF:
        return
    # what visitors expect stays: orientation, capture time, camera, credit, colour profile
    after = exifread_tags(got)
    for key in ("Image Orientation", "Image Make", "Image Model", "EXIF DateTimeOriginal"):
        assert after.get(key) == before.get(key), key
    ifd0, exif_ifd, _gps = pillow_exif(got)
    # pillow-heif turns the picture itself and then reports orientation 1, for both files
    assert ifd0[ORIENTATION] == pillow_exif(sent)[0][ORIENTATION]
    assert (ifd0[MAKE], ifd0[COPYRIGHT]) == ("Canon", "School")
    assert (exif_ifd[TAKEN], exif_ifd[LENS_MODEL]) == ("2026:05:01 10:00:00", "RF24-105mm")
    with Image.open(io.BytesIO(got)) as im, Image.open(io.BytesIO(sent)) as before_im:
        assert im.info.get("icc_profile") == before_im.info.get("icc_profile")
        assert name not in ("photo.jpg", "photo.png", "photo.tif") or im.info["icc_profile"] == ICC


@pytest.mark.parametrize("name", sorted(MADE))
def test_staff_get_the_original_untouched(site, name):
    upload, get = site
    sent = MADE[name]()
    photo_id = upload(sent, name)
    staff = get(photo_id, as_staff=True)
    assert staff.status_code == 200 and staff.data == sent


def test_the_xmp_keeps_its_caption_and_city(site):
    upload, get = site
    got = get(upload(jpeg(), "photo.jpg")).data
    (packet,) = xmp_packets(got)
    assert b"Sports day" in packet and b"School press office" in packet
    assert b'photoshop:City="Riga"' in packet


@pytest.mark.corpus
@pytest.mark.slow  # 2-3 MB phone pictures, two HEIC decodes each
@pytest.mark.parametrize("name", CORPUS)
def test_real_camera_files_lose_their_gps_only(site, corpus_dir, name):
    upload, get = site
    sent = (corpus_dir / "photos" / name).read_bytes()
    before = exifread_tags(sent)
    assert [key for key in before if key.startswith("GPS")]
    photo_id = upload(sent, name.rsplit("/", 1)[-1])
    got = get(photo_id).data
    assert_nothing_private(got)
    after = exifread_tags(got)
    kept = {k: v for k, v in before.items() if not k.startswith("GPS") and "GPSInfo" not in k}
    private = [k for k in kept if "Serial" in k or "Owner" in k or "MakerNote" in k]
    assert after == {k: v for k, v in kept.items() if k not in private}
    assert pixels(got) == pixels(sent)
    assert get(photo_id, as_staff=True).data == sent


def test_a_range_of_the_cleaned_original(site):
    upload, get = site
    sent = jpeg()
    photo_id = upload(sent, "photo.jpg")
    whole = get(photo_id)
    assert whole.headers["ETag"] and whole.headers["Content-Length"] == str(len(sent))
    part = get(photo_id, Range="bytes=100-199")
    assert part.status_code == 206 and part.data == whole.data[100:200]
    again = get(photo_id, **{"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304
    staff = get(photo_id, as_staff=True)
    assert staff.headers["ETag"] != whole.headers["ETag"]  # two different files
    for answer in (whole, part):
        assert answer.mimetype == "image/jpeg"
        assert answer.headers["Content-Disposition"].startswith("attachment")
        assert answer.headers["Cache-Control"] == "private, no-cache"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_an_original_strip_cannot_clean_is_withheld_from_visitors(app, client, users, caplog):
    """A file whose structure strip cannot follow (here an MPO index pointing past the end,
    where a second picture with its own GPS could be) is not sent to visitors at all."""
    session = app.extensions["gallery.db.writes"]()
    storage = app.extensions["gallery.storage"]
    photo = add_photo(session, add_album(session, "fest", allow_original_download=True), 1)
    session.commit()
    photo_id, sha = photo.id, photo.sha256
    session.close()
    mpf = b"MPF\x00MM\x00*\xff\xff\xff\xf0"  # the MP index's directory: 4 GB away
    data = jpeg()
    data = data[:2] + b"\xff\xe2" + struct.pack(">H", 2 + len(mpf)) + mpf + data[2:]
    path = storage.original_path(sha, "jpg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    url = f"/albums/fest/photos/{photo_id}/original"
    assert client.get(url).status_code == 404
    assert "withheld from visitors" in caplog.text
    sign_in(client, *users["staff"])
    with client.get(url) as answer:
        assert answer.status_code == 200 and answer.get_data() == data
