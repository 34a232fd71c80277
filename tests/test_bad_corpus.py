"""Every hostile file of the shared corpus goes through `gallery import` and obeys its rules.

The rules (corpus/bad/README.md): no crash, an answer within seconds, bounded memory, a
specific error for each rejected file, nothing left behind for it, no GPS in renditions.
"""

from __future__ import annotations

import csv
import io
import json
import resource
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.apps import migrated_app

pytestmark = pytest.mark.slow  # imports the whole bad corpus

# REJECT in the manifest only because its reference allow list lacks TIFF/HEIF: either
# outcome is right for these, as long as it is a clean one.
OPTIONAL_FORMATS = (b"II*\x00", b"MM\x00*")


def _manifest(corpus: Path) -> dict[str, str]:
    with open(corpus / "bad" / "MANIFEST.tsv", newline="") as handle:
        return {row["file"]: row["expected"] for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="module")
def imported(corpus_dir, tmp_path_factory):
    """Import the whole bad corpus once (and one duplicate twice); keep the outcome."""
    data = tmp_path_factory.mktemp("data")
    with migrated_app(data, WORKERS=2, WORKER_TIMEOUT=20) as app:
        yield _import_bad_corpus(app, corpus_dir / "bad")


def _import_bad_corpus(app, bad: Path):
    """Run `gallery import --json` over the folder; the report, the time, labels -> names."""
    duplicate = bad / "generated" / "dup_identical_1.jpg"
    started = time.monotonic()
    result = app.test_cli_runner().invoke(
        args=["import", "--album", "bad", "--json", str(bad), str(duplicate)]
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    return app, report, elapsed, {label: path for label, path in _labels(bad)}


def _labels(bad: Path):
    for path in bad.rglob("*"):
        yield str(path), path.relative_to(bad).as_posix()


def test_every_file_gets_the_expected_answer(imported, corpus_dir):
    _app, report, _elapsed, names = imported
    expected = _manifest(corpus_dir)
    rejected = {names.get(r["path"], r["path"]): r for r in report["rejected"]}
    accepted = len(report["imported"]) + len(report["duplicates"])
    assert accepted + len(report["rejected"]) >= len(expected) - 1  # the .jsonl is N/A
    for name, outcome in expected.items():
        path = corpus_dir / "bad" / name
        if name.endswith(".zip") or outcome == "N/A":
            continue
        if outcome == "ACCEPT":
            assert name not in rejected, f"{name} was refused: {rejected.get(name)}"
        elif path.read_bytes()[:4] not in OPTIONAL_FORMATS:
            assert name in rejected, f"{name} should have been refused"


def test_each_refusal_says_specifically_what_is_wrong(imported):
    _app, report, _elapsed, names = imported
    messages = {}
    for rejected in report["rejected"]:
        assert rejected["code"], rejected
        assert len(rejected["error"]) > 15, rejected
        assert "Traceback" not in rejected["error"]
        messages[names.get(rejected["path"], rejected["path"])] = rejected["error"]
    assert "SVG" in messages["generated/svg_script.svg"]
    assert "SVG" in messages["generated/svg_named.png"]
    assert "Photoshop" in messages["pillow/psd-oob-write-overflow.psd"]
    assert "JPEG 2000" in messages["pillow/16bit.cropped.jp2"]
    assert "empty" in messages["generated/zero_byte.jpg"]
    assert "megapixels" in messages["generated/bomb_header_60000x60000.png"]
    assert "truncated" in messages["pillow/truncated_image.png"]
    assert "frames" in messages["generated/gif_3000_frames.gif"]
    assert "multi-page" in messages["generated/tiff_1000_pages.tif"]


def test_archives_are_handled_safely(imported, corpus_dir):
    _app, report, _elapsed, _names = imported
    rejected = [r["path"] for r in report["rejected"]]
    bad = corpus_dir / "bad" / "generated"
    assert any(p.startswith(str(bad / "zip_bomb_200MB.zip")) for p in rejected)
    assert str(bad / "zip_many_entries.zip") in rejected
    assert any(p.startswith(f"{bad / 'zip_nested.zip'}!/") and p.endswith(".zip") for p in rejected)
    slip = [p for p in rejected if p.startswith(str(bad / "zip_slip.zip"))]
    assert any("../" in p for p in slip)


def test_duplicate_is_reported_with_the_first_photo(imported):
    _app, report, _elapsed, _names = imported
    dup = [d for d in report["duplicates"] if d["path"].endswith("dup_identical_1.jpg")]
    assert dup and dup[0]["photo_id"] in report["imported"]


def test_answers_come_fast_with_bounded_memory(imported):
    _app, report, elapsed, _names = imported
    files = len(report["imported"]) + len(report["duplicates"]) + len(report["rejected"])
    assert elapsed < 90, f"{files} files took {elapsed:.0f} s"
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert children_mb < 1536, f"a worker peaked at {children_mb:.0f} MB"


def test_nothing_left_behind_and_no_gps_in_renditions(imported):
    app, report, _elapsed, _names = imported
    uploads = Path(app.config["UPLOADS_DIR"])
    assert list((uploads / "tmp").iterdir()) == []
    renditions = list((uploads / "renditions").rglob("*.jpg"))
    originals = list((uploads / "originals").rglob("*.*"))
    assert len(originals) == len(report["imported"])
    assert len(renditions) >= len(report["imported"])
    for path in renditions:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif(), path
            assert not {"exif", "xmp", "photoshop"} & set(image.info), path
        assert b"GPS" not in data and b"Exif\x00" not in data, path
