"""The whole bad-input corpus through the HTTP upload endpoint of a real `gallery serve`.

The same rules as through the CLI (test_bad_corpus.py), plus HTTP's: the status DESIGN.md
names (400 empty, 409 duplicate, 413 too large, 415 unsupported, 422 corrupt), the error's
JSON shape, never a 500, and nothing left behind for a refused file: no row, no original,
no rendition, no temp file, no index entry. Zips go to the same endpoint (the staff page
sends them there): 201 and a report when they added photos, 200 and the report when they
added none, a single file's error when the archive as a whole is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from gallery.core.db import session_factory
from gallery.core.storage import LocalStorage
from gallery.ingest.errors import STATUS
from gallery.search import service as search
from tests.helpers.apps import migrated_app
from tests.helpers.servers import server_errors
from tests.helpers.upload_client import (
    ALBUM,
    STAFF,
    Site,
    multipart,
    session_upload,
    set_up,
    staff_site,
)

REFUSAL_STATUSES = {400, 413, 415, 422}
OPTIONAL_FORMATS = (b"II*\x00", b"MM\x00*")  # TIFF: the manifest's allow list lacks it
# The words a refusal must contain: it says what is wrong, not just "invalid".
SPECIFIC = {
    "generated/svg_script.svg": "SVG",
    "generated/svg_named.png": "SVG",
    "generated/html_named.jpg": "HTML",
    "pillow/psd-oob-write-overflow.psd": "Photoshop",
    "pillow/16bit.cropped.jp2": "JPEG 2000",
    "generated/zero_byte.jpg": "empty",
    "generated/bomb_header_60000x60000.png": "megapixels",
    "pillow/truncated_image.png": "truncated",
    "generated/gif_3000_frames.gif": "frames",
}


def _manifest(corpus: Path) -> dict[str, str]:
    with open(corpus / "bad" / "MANIFEST.tsv", newline="") as handle:
        return {row["file"]: row["expected"] for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with staff_site(tmp_path_factory.mktemp("bad-http"), env={"GALLERY_WORKER_TIMEOUT": "20"}) as s:
        yield s


@pytest.fixture(scope="module")
def answers(site: Site, corpus_dir) -> dict:
    """Every file of the manifest but the zips, uploaded three at a time like the staff page."""
    names = [n for n, e in _manifest(corpus_dir).items() if e != "N/A" and not n.endswith(".zip")]
    bad = corpus_dir / "bad"
    with ThreadPoolExecutor(3) as pool:
        sent = pool.map(lambda n: site.upload((bad / n).read_bytes(), Path(n).name), names)
        return dict(zip(names, sent, strict=True))


@pytest.mark.slow
def test_every_file_gets_its_status_and_a_specific_message(answers, corpus_dir):
    expected = _manifest(corpus_dir)
    for name, answer in answers.items():
        data = (corpus_dir / "bad" / name).read_bytes()
        assert answer.type == "application/json", (name, answer.status)
        if answer.status == 201:
            photo = answer.json()["photo"]
            assert photo["filename"] == Path(name).name and photo["sha256"] == _sha(data)
            assert expected[name] == "ACCEPT" or data[:4] in OPTIONAL_FORMATS, name
            continue
        error = answer.json()["error"]
        assert answer.status in REFUSAL_STATUSES, (name, answer.status, error)
        assert answer.status == STATUS[error["code"]], (name, answer.status, error)
        assert expected[name] == "REJECT", f"{name} was refused: {error}"
        assert len(error["message"]) > 15 and "Traceback" not in error["message"], error
        assert SPECIFIC.get(name, "") in error["message"], (name, error)


@pytest.mark.slow
def test_the_same_file_again_is_a_409_naming_the_first_photo(site, answers, corpus_dir):
    first = answers["generated/dup_identical_1.jpg"].json()["photo"]
    again = site.upload(
        (corpus_dir / "bad/generated/dup_identical_1.jpg").read_bytes(), "again.jpg"
    )
    assert again.status == 409
    assert again.json()["error"]["code"] == "duplicate"
    assert again.json()["error"]["photo_id"] == first["id"]


@pytest.mark.slow
def test_zips_report_each_entry_or_are_refused_whole(site, corpus_dir):
    zips = corpus_dir / "bad" / "generated"
    for slug in ("slip", "nested", "bomb", "many"):
        site.create_album(slug)  # one album each: the same small JPEG sits in several zips
    slip = site.upload((zips / "zip_slip.zip").read_bytes(), "zip_slip.zip", "slip")
    assert slip.status == 201, slip.body
    report = slip.json()
    assert [p["filename"] for p in report["photos"]] == ["good.jpg"]
    assert [d["path"] for d in report["duplicates"]] == ["zip_slip.zip!/photos/dup.jpg"] * 2
    refused = {r["path"].removeprefix("zip_slip.zip!/"): r["error"] for r in report["rejected"]}
    for entry in (
        "../../../../tmp/zipslip_evil.jpg",
        "/tmp/zipslip_abs.jpg",
        "C:/Windows/drive_letter.jpg",
    ):
        assert "outside the archive" in refused[entry]
    assert "symbolic link" in refused["photos/link_to_passwd.jpg"]

    nested = site.upload((zips / "zip_nested.zip").read_bytes(), "zip_nested.zip", "nested")
    assert nested.status == 201, nested.body
    assert [p["filename"] for p in nested.json()["photos"]] == ["photo.jpg"]  # outer only
    assert "archives inside archives" in nested.json()["rejected"][0]["error"]

    bomb = site.upload((zips / "zip_bomb_200MB.zip").read_bytes(), "zip_bomb_200MB.zip", "bomb")
    assert bomb.status == 200 and bomb.json()["photos"] == []  # nothing added: no 201
    assert bomb.json()["rejected"][0]["code"] == "too_large"

    many = site.upload((zips / "zip_many_entries.zip").read_bytes(), "zip_many_entries.zip", "many")
    assert many.status == 413 and many.json()["error"]["code"] == "too_large"
    assert "5000 entries" in many.json()["error"]["message"]


def test_a_file_over_the_size_limit_is_a_413(tmp_path):
    """The corpus has no file too big by its bytes alone: here is one, just over a small
    limit, and one over the request's own limit too (the limit plus room for the form)."""
    with migrated_app(tmp_path / "data", MAX_UPLOAD_BYTES=4096, LANGUAGE="en") as app:
        token = set_up(app)
        refusals = {
            5000: ("too_large", "the file is larger than the limit of"),  # the upload's check
            2 * 1024 * 1024: ("request_entity_too_large", "exceeds the capacity limit"),  # Flask's
        }
        for size, (code, words) in refusals.items():
            body, headers = multipart(b"\xff\xd8\xff" + bytes(size), "big.jpg")
            headers["Authorization"] = f"Bearer {token}"
            path = f"/api/v1/albums/{ALBUM}/photos"
            answer = app.test_client().post(path, data=body, headers=headers)
            assert answer.status_code == 413, (size, answer.status_code)
            error = answer.json["error"]
            assert error["code"] == code and words in error["message"], (size, error)
        assert list((Path(app.config["UPLOADS_DIR"]) / "tmp").iterdir()) == []


@pytest.mark.slow
def test_the_browser_route_answers_the_same(site, corpus_dir):
    """The staff page posts with its session cookie and CSRF header instead of a token."""
    html = (corpus_dir / "bad/generated/html_named.jpg").read_bytes()
    refused = session_upload(site, STAFF, html, "page.jpg")
    assert refused.status == 415 and refused.json()["error"]["code"] == "unsupported_format"
    forged = session_upload(site, STAFF, html, "page.jpg", csrf=False)
    assert forged.status == 400 and "CSRF" in forged.json()["error"]["message"]


@pytest.mark.slow
def test_no_gps_reaches_renditions_or_visitors(site, answers, corpus_dir):
    # The corpus's GPS files carry garbage coordinates; a camera's real ones join them here.
    real = (corpus_dir / "photos/jpg/gps/DSCN0010.jpg").read_bytes()
    gps_photo = site.upload(real, "DSCN0010.jpg").json()["photo"]
    assert gps_photo["gps"] is not None  # staff see it: the file does carry GPS
    visitor = site.get(f"/api/v1/albums/{ALBUM}/photos").json()["photos"]  # no token
    assert visitor and all("gps" not in p for p in visitor)
    page = site.get(f"/albums/{ALBUM}/photos/{gps_photo['id']}")
    assert page.status == 200, page.status  # a visitor's page, not a refusal
    for degrees in (gps_photo["gps"]["lat"], gps_photo["gps"]["lon"]):
        assert f"{degrees:.3f}".encode() not in page.body
    storage = LocalStorage(site.data / "uploads")
    for photo in visitor:
        for rendition in photo["renditions"].values():
            name = rendition["url"].rsplit("/", 1)[1].split(".")[0]
            data = storage.rendition_path(photo["sha256"], name, "jpeg").read_bytes()
            assert _metadata_segments(data) == [], (photo["filename"], name)
            with Image.open(io.BytesIO(data)) as image:
                image.load()


@pytest.mark.slow
def test_nothing_is_left_of_refused_files(site, answers):
    """Rows, originals, renditions and index entries: exactly the accepted photos' (every
    test above has run: module fixtures, and this test comes last in the file)."""
    listed = [p for slug in (ALBUM, "slip", "nested") for p in _photos(site, slug)]
    shas = {p["sha256"] for p in listed}
    uploads = site.data / "uploads"
    assert list((uploads / "tmp").iterdir()) == []
    assert {p.name.split(".")[0] for p in (uploads / "originals").rglob("*.*")} == shas
    assert {p.name for p in (uploads / "renditions").glob("*/*/*")} == shas
    with migrated_app(site.data) as app, app.app_context(), session_factory()() as session:
        drift = search.check(session)
        indexed = search.get_index().stored_digests(wait=None)
    assert drift.ok, drift
    assert sorted(indexed) == sorted(p["id"] for p in listed)
    assert server_errors(site.data) == []


def _photos(site: Site, album: str) -> list[dict]:
    return site.get(f"/api/v1/albums/{album}/photos", staff=True).json()["photos"]


def _metadata_segments(jpeg: bytes) -> list[int]:
    """The APP1 (EXIF, XMP) and APP13 (IPTC) markers before the picture data starts."""
    found, at = [], 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and jpeg[at + 1] != 0xDA:
        marker = jpeg[at + 1]
        if marker in (0xE1, 0xED):
            found.append(marker)
        at += 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
    return found


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
