"""`gallery check [--repair]` on problems made by hand, and the writers it must wait for."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, text

from gallery.catalog import trash
from gallery.core import db
from gallery.core.models import Photo
from gallery.core.storage import LocalStorage
from gallery.ops import check as maintenance
from gallery.ops import media_scan
from gallery.ops.repair import quarantine
from gallery.search import service as search
from tests.helpers.cli import invoke
from tests.helpers.images import write_images


@pytest.fixture
def stocked(app, runner, tmp_path):
    """Three photos in album 'sports-day', imported for real; their (id, sha256, file name)."""
    folder = tmp_path / "photos"
    write_images(folder, [(900, 600)] * 3, first=0, name="IMG_{}.jpg")
    result = runner.invoke(args=["import", "--album", "sports-day", str(folder)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.get_session().execute(select(Photo.id, Photo.sha256, Photo.filename))
        return [tuple(row) for row in rows]


def _check(runner, *options):
    return runner.invoke(args=["check", *options])


def _storage(app) -> LocalStorage:
    return app.extensions["gallery.storage"]


def _original(app, sha: str) -> Path:
    return _storage(app).original_path(sha, "jpg")


def _quarantined(app, folder: str) -> list[Path]:
    root = _storage(app).root / "quarantine"
    return sorted(p for p in root.glob(f"*/{folder}/**/*") if p.is_file())


def test_a_sound_gallery_passes(stocked, runner):
    result = _check(runner)
    assert result.exit_code == 0, result.output
    assert "checked 3 photos, 3 originals" in result.output and "no problems" in result.output


def test_a_changed_byte_in_an_original_is_found_and_set_aside_never_deleted(app, stocked, runner):
    photo_id, sha, name = stocked[0]
    path = _original(app, sha)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # bit rot: same size, other bytes
    path.write_bytes(bytes(data))

    result = _check(runner)
    line = f"photo {photo_id} (album 'sports-day', {name}): original's bytes no longer match"
    assert result.exit_code == 1 and line in result.output
    assert _check(runner, "--quick").exit_code == 0  # same size: only hashing sees it

    repaired = _check(runner, "--repair")
    assert repaired.exit_code == 1, repaired.output  # the photo still has no sound original
    (kept,) = _quarantined(app, "damaged")
    assert kept.read_bytes() == bytes(data) and not path.exists()
    notes = (kept.parents[4] / "why.txt").read_text()
    assert f"photo {photo_id}" in notes and "no longer match" in notes
    with app.app_context():  # the database is the source of truth: the row stays
        assert db.get_session().get(Photo, photo_id) is not None
    assert _storage(app).rendition_path(sha, "320", "jpeg").is_file()  # still shown
    again = _check(runner)
    assert again.exit_code == 1 and "original is missing (its damaged bytes are in" in again.output


def test_a_truncated_original_is_found_by_the_quick_check(app, stocked, runner):
    _, sha, _ = stocked[1]
    path = _original(app, sha)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-100])
    result = _check(runner, "--quick")
    assert result.exit_code == 1 and "bytes, it was" in result.output
    assert "hashed" not in result.output


def test_deleted_and_damaged_renditions_are_rendered_again(app, client, stocked, runner):
    _, sha, _ = stocked[0]
    storage = _storage(app)
    invoke(runner, "albums", "set", "sports-day", "--visibility", "public")
    with client.get(f"/media/{sha}/640.jpg") as served:
        assert served.status_code == 200  # visible: the 404 below is the missing file's
    storage.rendition_path(sha, "640", "jpeg").unlink()
    assert client.get(f"/media/{sha}/640.jpg").status_code == 404  # not a server error
    small = storage.rendition_path(sha, "320", "jpeg")
    small.write_bytes(small.read_bytes()[:500])

    result = _check(runner)
    assert result.exit_code == 1
    assert "rendition 640 is missing" in result.output
    assert "rendition 320 is 500 bytes" in result.output
    repaired = _check(runner, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert repaired.output.count("rendered again from the original") == 2
    for name in ("320", "640"):
        with Image.open(storage.rendition_path(sha, name, "jpeg")) as image:
            image.load()  # the whole file decodes
    assert _check(runner).exit_code == 0
    with client.get(f"/media/{sha}/640.jpg") as served:
        assert served.status_code == 200


def test_a_missing_original_is_reported_and_an_import_of_the_same_file_puts_it_back(
    app, stocked, runner, make_jpeg
):
    photo_id, sha, name = stocked[2]
    saved = _original(app, sha).read_bytes()
    _original(app, sha).unlink()
    shutil.rmtree(_storage(app).rendition_path(sha, "x", "jpeg").parent)

    result = _check(runner, "--repair")
    assert result.exit_code == 1
    assert f"photo {photo_id} (album 'sports-day', {name}): original is missing" in result.output
    assert "cannot be rebuilt: restore it from a backup" in result.output
    assert "cannot be rendered: its original is not sound" in result.output
    with app.app_context():
        assert db.get_session().get(Photo, photo_id) is not None

    again = make_jpeg("again/copy.jpg")
    again.write_bytes(saved)
    imported = invoke(runner, "import", "--album", "sports-day", again, "--json")
    assert json.loads(imported.output)["duplicates"][0]["photo_id"] == photo_id
    assert _original(app, sha).read_bytes() == saved
    assert _check(runner, "--repair").exit_code == 0  # renditions made from it again
    assert _check(runner).exit_code == 0


def test_orphans_are_quarantined_or_deleted_and_can_be_imported_again(
    app, stocked, runner, make_jpeg
):
    storage = _storage(app)
    loose = make_jpeg("loose.jpg", seed=100).read_bytes()  # unlike the stocked ones
    sha = hashlib.sha256(loose).hexdigest()
    orphan = storage.original_path(sha, "jpg")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(loose)  # as an import killed before its commit leaves it
    storage.write_rendition(sha, "320", "jpeg", b"derived")
    stray = storage.root / "originals" / "notes.txt"
    stray.write_text("not a photo")

    result = _check(runner)
    assert result.exit_code == 1
    origin = f"originals/{sha[:2]}/{sha[2:4]}/{sha}.jpg: original of no photo (its bytes match"
    assert origin in result.output
    assert f"{sha}/320.jpg: rendition of no photo" in result.output
    assert "originals/notes.txt: not a file the gallery stores" in result.output

    assert _check(runner, "--repair").exit_code == 0
    assert _check(runner).exit_code == 0
    (kept,) = _quarantined(app, "orphan")
    assert kept.read_bytes() == loose and not orphan.exists()
    assert [p.name for p in _quarantined(app, "unknown")] == ["notes.txt"]
    assert not storage.rendition_path(sha, "320", "jpeg").exists()

    back = invoke(runner, "import", "--album", "found", kept.parent, "--json")
    assert len(json.loads(back.output)["imported"]) == 1
    assert _check(runner).exit_code == 0


def test_index_drift_is_reported_by_photo_and_repaired(app, stocked, runner):
    photo_id, _, name = stocked[1]
    with app.app_context():
        search.get_index().submit(remove=[photo_id]).result()
    result = _check(runner)
    line = f"photo {photo_id} (album 'sports-day', {name}): is not in the search index"
    assert result.exit_code == 1 and line in result.output
    assert _check(runner, "--repair").exit_code == 0
    assert _check(runner).exit_code == 0


def test_trashed_photos_are_checked_too(app, stocked, runner):
    photo_id, sha, _ = stocked[0]
    with app.app_context():
        session = db.get_session()
        trash.trash(session.get(Photo, photo_id))
        session.commit()
    assert _check(runner).exit_code == 0
    _original(app, sha).unlink()
    assert "original is missing" in _check(runner).output


def test_json_report(app, stocked, runner):
    _, sha, _ = stocked[0]
    _storage(app).rendition_path(sha, "640", "jpeg").unlink()
    report = json.loads(_check(runner, "--json").output)
    assert report["ok"] is False and report["verified"] is True
    assert report["stats"]["photos"] == 3 and report["stats"]["originals"] == 3
    (problem,) = report["problems"]
    assert problem["kind"] == "rendition_missing" and problem["path"].endswith("640.jpg")
    repaired = json.loads(_check(runner, "--repair", "--json").output)
    assert repaired["ok"] is True
    assert repaired["problems"][0]["repair"] == {
        "fixed": True,
        "note": "rendered again from the original",
    }


def test_files_a_running_import_may_commit_soon_are_left_alone(app, stocked, runner, make_jpeg):
    storage = _storage(app)
    young = make_jpeg("young.jpg", seed=100).read_bytes()  # unlike the stocked ones
    path = storage.original_path(hashlib.sha256(young).hexdigest(), "jpg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(young)
    with storage.writing():  # this live process stores files: as an import does
        result = _check(runner, "--repair")
        assert result.exit_code == 0, result.output
        assert "1 file without a row is newer than 60 min while an import runs" in result.output
        assert path.exists()
        with app.app_context():  # older than the grace period, it is judged all the same
            sessions = db.session_factory(writes=False)
            report = maintenance.check(sessions, storage, None, grace=0)
        assert [p.kind for p in report.problems] == ["orphan_original"]
    assert "original of no photo" in _check(runner).output


def test_quarantine_never_overwrites_and_notes_why(tmp_path):
    storage = LocalStorage(tmp_path)
    moved = []
    for content in (b"first", b"second"):
        path = storage.root / "originals" / "ab" / "cd" / "x.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        moved.append(quarantine(storage, path, "orphan", f"because {content.decode()}"))
    assert [p.read_bytes() for p in moved] == [b"first", b"second"]
    assert moved[1].name == "x-1.jpg"
    notes = (moved[0].parents[4] / "why.txt").read_text().splitlines()
    assert [line.rsplit(": ", 1)[1] for line in notes] == ["because first", "because second"]


def test_another_machines_writer_protects_young_files_until_its_lease_is_stale(
    app, stocked, runner, make_jpeg
):
    """Check --repair on one machine, an import on another: the import's marker names its
    lease, which that machine touches while it lives; killed, it stops protecting within
    minutes (tests/test_leases.py has the lease itself)."""
    storage = _storage(app)
    young = make_jpeg("young.jpg", seed=100).read_bytes()
    path = storage.original_path(hashlib.sha256(young).hexdigest(), "jpg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(young)
    lease = storage.leases / "0123456789abcdef0123456789abcdef.lease"
    lease.parent.mkdir(parents=True, exist_ok=True)
    lease.write_text("another machine's kernel")  # its lock is not seen from here
    (storage.tmp / f"tmp-{lease.stem}-{'f' * 32}.writing").touch()
    assert "newer than 60 min while an import runs" in _check(runner, "--repair").output
    assert path.exists()
    minutes_ago = time.time() - 6 * 60  # no touch for longer than tempfiles.STALE_AFTER
    os.utime(lease, (minutes_ago, minutes_ago))
    result = _check(runner, "--repair")
    assert "while an import runs" not in result.output
    assert not path.exists() and _quarantined(app, "orphan")


def test_a_pages_photos_take_their_own_renditions():
    """A page's photos, then the renditions of their ids (media_scan._renditions_of): each
    photo takes its own, in their order, and none of another photo."""
    page = [("a" * 64, 1, "x", "1.jpg", "JPEG", 10), ("c" * 64, 3, "x", "3.jpg", "JPEG", 30)]
    renditions = [(1, "640", "JPEG", 6), (2, "640", "JPEG", 7)]
    renditions += [(3, "640", "JPEG", 8), (3, "1280", "JPEG", 9)]
    photos = [photo for _sha, photo in media_scan._photos(page, renditions)]
    assert [[r.byte_size for r in photo.renditions] for photo in photos] == [[6], [8, 9]]


def test_index_drift_of_both_halves_is_reported(app, stocked, runner):
    """The index is compared in two halves by id, each in its own process: what either
    finds is reported, a photo missing from the index and an entry of a photo gone."""
    first, gone = stocked[0][0], stocked[2][0]
    with app.app_context():
        search.get_index().submit(remove=[first]).result()
        session = db.get_session()
        session.execute(text("DELETE FROM photos WHERE id = :id"), {"id": gone})
        session.commit()
    report = json.loads(_check(runner, "--json").output)
    found = {(p["kind"], p["photo_id"]) for p in report["problems"] if "index" in p["kind"]}
    assert found == {("index_missing", first), ("index_orphan", gone)}
