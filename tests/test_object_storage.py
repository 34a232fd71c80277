"""Originals and renditions in S3: a real app over a bucket of a real S3 server (moto's
standalone server, started by scripts/objects), the corpus imported through `gallery import`."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from gallery.core import db
from gallery.core.models import Photo
from gallery.ops import check as maintenance
from gallery.ops.repair import repair
from tests.helpers import databases, objects
from tests.helpers.apps import migrated_app
from tests.helpers.cli import invoke

CORPUS = ["Canon_40D.jpg", "Nikon_D70.jpg", "Kodak_CX7530.jpg"]
PHOTOS = [*CORPUS, "large.jpg"]  # the corpus's are small: one rendition each


@pytest.fixture
def photos(corpus_dir, tmp_path, make_jpeg) -> Path:
    """A few corpus photos and one large enough for several renditions, in a folder."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in CORPUS:
        shutil.copy(corpus_dir / "photos" / "jpg" / name, folder / name)
    shutil.copy(make_jpeg("large.jpg", size=(1500, 1000)), folder / "large.jpg")
    return folder


@pytest.fixture
def s3_app(tmp_path, s3_settings):
    with migrated_app(tmp_path / "data", WORKERS=2, LANGUAGE="en", **s3_settings) as app:
        yield app


@pytest.fixture
def stocked(s3_app, photos, users):
    """The photos imported into a public album; [(id, sha256, file name)]."""
    runner = s3_app.test_cli_runner()
    imported = invoke(runner, "import", "--album", "fest", photos, "--json")
    assert len(json.loads(imported.output)["imported"]) == len(PHOTOS)
    invoke(runner, "albums", "set", "fest", "--visibility", "public")
    return _rows(s3_app)


def _rows(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        query = select(Photo.id, Photo.sha256, Photo.filename).order_by(Photo.id)
        return [tuple(row) for row in db.get_session().execute(query)]


def _rendition_count(app) -> int:
    with app.app_context():
        return sum(len(p.renditions) for p in db.get_session().scalars(select(Photo)))


def _bucket_keys(app, folder: str = "") -> list[str]:
    storage = app.extensions["gallery.storage"]
    prefix = f"{storage.prefix}/{folder}"
    return objects.keys(storage.client.meta.endpoint_url, storage.bucket, prefix)


def _token(app, email: str) -> dict[str, str]:
    runner = app.test_cli_runner()
    token = invoke(runner, "users", "token", email).output.strip()
    return {"Authorization": f"Bearer {token}"}


def _fetch(url: str) -> tuple[bytes, str]:
    """GET from the S3 server itself, as a browser follows the redirect."""
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read(), answer.headers.get("Cache-Control", "")


def test_the_bucket_holds_the_originals_and_renditions_not_the_disk(s3_app, stocked, photos):
    originals = _bucket_keys(s3_app, "originals/")
    assert len(originals) == len(PHOTOS)
    for _id, sha, name in stocked:
        key = f"media/originals/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
        assert key in originals
        assert hashlib.sha256((photos / name).read_bytes()).hexdigest() == sha
    assert len(_bucket_keys(s3_app, "renditions/")) == _rendition_count(s3_app)
    uploads = Path(s3_app.config["UPLOADS_DIR"])
    assert not (uploads / "originals").exists() or not any((uploads / "originals").rglob("*.*"))


def test_every_rendition_is_a_redirect_to_the_same_bytes_in_the_bucket(s3_app, stocked):
    client = s3_app.test_client()
    storage = s3_app.extensions["gallery.storage"]
    with s3_app.app_context():
        photos = db.get_session().scalars(select(Photo)).all()
        wanted = [(p.sha256, r.name, r.byte_size) for p in photos for r in p.renditions]
    assert len(wanted) == _rendition_count(s3_app) > len(PHOTOS)
    for sha, name, size in wanted:
        answer = client.get(f"/media/{sha}/{name}.jpg")
        assert answer.status_code == 302, (sha, name)
        assert answer.headers["Cache-Control"] == "public, max-age=43200"
        data, caching = _fetch(answer.headers["Location"])
        assert len(data) == size
        assert data == storage.cache.rendition_path(sha, name, "jpeg").read_bytes()
        assert caching == "public, max-age=43200"
    page = client.get("/albums/fest")
    assert storage.origin() in page.headers["Content-Security-Policy"]


def test_an_original_stays_private_and_staff_get_its_bytes(s3_app, stocked, photos):
    client = s3_app.test_client()
    photo_id, sha, name = stocked[0]
    url = f"/albums/fest/photos/{photo_id}/original"
    answer = client.get(url)  # the album does not offer its originals to visitors
    assert answer.status_code == 404 and "Location" not in answer.headers
    with client.get(url, headers=_token(s3_app, "staff@school.lv")) as staff:
        assert staff.status_code == 200
        assert staff.get_data() == (photos / name).read_bytes()
        assert sha not in staff.headers.get("Location", "")


def test_emptying_the_trash_removes_the_objects(s3_app, stocked):
    client = s3_app.test_client()
    photo_id, sha, _name = stocked[0]
    gone = client.delete(f"/api/v1/photos/{photo_id}", headers=_token(s3_app, "staff@school.lv"))
    assert gone.status_code == 200
    assert any(sha in key for key in _bucket_keys(s3_app))  # the trash keeps its files
    emptied = client.post("/api/v1/trash/empty", headers=_token(s3_app, "admin@school.lv"))
    assert emptied.json == {"deleted": {"albums": 0, "photos": 1}}
    assert not any(sha in key for key in _bucket_keys(s3_app))
    assert len(_bucket_keys(s3_app, "originals/")) == len(PHOTOS) - 1


def test_renditions_are_rebuilt_into_the_bucket(s3_app, stocked):
    storage = s3_app.extensions["gallery.storage"]
    _id, sha, _name = stocked[0]
    lost = storage.rendition_path(sha, "320", "jpeg")
    storage.delete(lost)
    storage.cache.remove_renditions(sha)
    shutil.rmtree(storage.cache.root / "originals")  # rendered from the bucket's original
    assert not storage.exists(lost)
    invoke(s3_app.test_cli_runner(), "renditions", "--rebuild")
    assert storage.exists(lost)
    assert len(_bucket_keys(s3_app, "renditions/")) == _rendition_count(s3_app)


def test_check_lists_the_bucket_and_repair_mends_it(s3_app, stocked):
    runner, storage = s3_app.test_cli_runner(), s3_app.extensions["gallery.storage"]
    invoke(runner, "check")
    _id, sha, _name = stocked[0]
    storage.delete(storage.rendition_path(sha, "320", "jpeg"))
    storage.delete(storage.original_path(stocked[1][1], "jpg"))
    found = invoke(runner, "check", exit_code=1).output
    assert "rendition 320 is missing" in found and "original is missing" in found
    mended = invoke(runner, "check", "--repair", exit_code=1).output
    assert "[repaired: rendered again from the original]" in mended
    assert "[left: cannot be rebuilt" in mended  # as on disk: only a backup brings it back
    assert storage.exists(storage.rendition_path(sha, "320", "jpeg"))


def test_orphans_in_the_bucket_are_quarantined_or_deleted(s3_app, stocked, photos):
    storage = s3_app.extensions["gallery.storage"]
    loose = b"\xff\xd8 not imported \xff\xd9"
    sha = hashlib.sha256(loose).hexdigest()
    temp = storage.temp_path()
    temp.write_bytes(loose)
    storage.put_original(temp, sha, "jpg")  # as an import killed before its commit leaves it
    storage.write_rendition(sha, "320", "jpeg", b"derived")
    with s3_app.app_context():
        sessions = db.session_factory()
        report = maintenance.check(sessions, storage, None, grace=0)
        kinds = sorted(p.kind for p in report.problems)
        assert kinds == ["orphan_original", "orphan_rendition"]
        fixes = repair(report, sessions, storage, None, lambda ids: [], grace=0)
        assert all(fix.fixed for fix in fixes)
        assert maintenance.check(sessions, storage, None, grace=0).ok
    kept = _bucket_keys(s3_app, "quarantine/")
    assert [k.rsplit("/", 1)[1] for k in kept] == [f"{sha}.jpg", "why.txt"]
    assert not any(sha in key for key in _bucket_keys(s3_app, "renditions/"))


def test_young_orphans_wait_for_a_later_check(s3_app, stocked):
    """Another machine's import may be about to commit them: its writers are out of sight."""
    storage = s3_app.extensions["gallery.storage"]
    storage.write_rendition("ab" * 32, "320", "jpeg", b"derived")
    with s3_app.app_context():
        report = maintenance.check(db.session_factory(), storage, None)
    assert report.ok and len(report.deferred) == 1


def test_backup_and_restore_from_and_to_the_bucket(s3_app, stocked, tmp_path, s3_endpoint):
    runner = s3_app.test_cli_runner()
    invoke(runner, "backup", tmp_path / "backup")
    other = objects.settings(s3_endpoint, objects.new_bucket(s3_endpoint))
    from gallery import create_app

    target = tmp_path / "restored"
    if databases.on_postgres():  # an empty database to restore into, not a migrated copy
        databases.url_for(target, migrated=False)
    restored = create_app({"DATA_DIR": str(target), "TESTING": True, **other})
    try:
        invoke(restored.test_cli_runner(), "restore", tmp_path / "backup")
        assert _bucket_keys(restored, "originals/") == _bucket_keys(s3_app, "originals/")
        assert len(_bucket_keys(restored, "renditions/")) == _rendition_count(restored)
        invoke(restored.test_cli_runner(), "check")
    finally:
        restored.extensions["gallery.engine"].dispose()


def test_move_files_from_disk_into_the_bucket_then_check_is_clean(
    tmp_path, photos, s3_settings, users
):
    data = tmp_path / "moving"
    with migrated_app(data, WORKERS=2, LANGUAGE="en", **{**s3_settings, "STORAGE_URL": ""}) as app:
        runner = app.test_cli_runner()
        invoke(runner, "import", "--album", "fest", photos)
        moved = invoke(runner, "move", "--to-storage", s3_settings["STORAGE_URL"]).output
        assert f"originals: {len(PHOTOS)} copied" in moved
        again = invoke(runner, "move", "--to-storage", s3_settings["STORAGE_URL"]).output
        assert f"0 copied (0.0 MB), {len(PHOTOS)} already there" in again
        assert f"renditions: 0 copied, {_rendition_count(app)} already there" in again
    with migrated_app(data, WORKERS=2, LANGUAGE="en", **s3_settings) as app:
        assert len(_bucket_keys(app, "originals/")) == len(PHOTOS)
        assert not (Path(app.config["UPLOADS_DIR"]) / "cache" / "originals").exists()
        invoke(app.test_cli_runner(), "check")


def test_a_second_machine_without_the_files_serves_and_renders_them(
    s3_app, stocked, photos, tmp_path, s3_settings
):
    """Another machine: the same database and bucket, an UPLOADS_DIR of its own, empty."""
    shared = {"DATABASE_URL": s3_app.config["DATABASE_URL"], **s3_settings}
    with migrated_app(tmp_path / "other", WORKERS=2, LANGUAGE="en", **shared) as other:
        assert other.config["UPLOADS_DIR"] != s3_app.config["UPLOADS_DIR"]
        photo_id, sha, name = stocked[0]
        url = f"/albums/fest/photos/{photo_id}/original"
        with other.test_client().get(url, headers=_token(other, "staff@school.lv")) as staff:
            assert staff.status_code == 200
            assert staff.get_data() == (photos / name).read_bytes()
        answer = other.test_client().get(f"/media/{sha}/320.jpg")
        assert answer.status_code == 302
        rendered = s3_app.extensions["gallery.storage"].cache.rendition_path(sha, "320", "jpeg")
        assert _fetch(answer.headers["Location"])[0] == rendered.read_bytes()
        invoke(other.test_cli_runner(), "renditions", "--rebuild")
        invoke(other.test_cli_runner(), "check")
