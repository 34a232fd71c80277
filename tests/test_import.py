"""`gallery import` end to end: real files, a real SQLite database, real worker processes."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import select

from gallery import create_app
from gallery.core import db
from gallery.core.models import Album, Photo
from gallery.ingest.pipeline import clean_filename
from tests.helpers.cli import invoke
from tests.helpers.images import EXIF_IFD, GPS_IFD, write_images
from tests.helpers.servers import gallery


def _import(runner, *args):
    result = runner.invoke(args=["import", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _photos(runner, slug):
    result = runner.invoke(args=["photos", "--album", slug, "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_import_folder_numbers_stores_and_renders(app, runner, tmp_path):
    folder = tmp_path / "photos"
    write_images(folder, [(900, 600)] * 3)
    report = _import(runner, "--album", "open-day", "--title", "Open day", folder)
    assert len(report["imported"]) == 3
    assert report["duplicates"] == [] and report["rejected"] == []
    photos = _photos(runner, "open-day")
    assert [(p["number"], p["filename"]) for p in photos] == [
        (1, "IMG_0001.jpg"),
        (2, "IMG_0002.jpg"),
        (3, "IMG_0003.jpg"),
    ]
    storage = app.extensions["gallery.storage"]
    for photo in photos:
        original = storage.original_path(photo["sha256"], "jpg")
        assert original.is_file()
        # never upscaled: the first size above 900 px is made at 900 px, larger ones skipped
        assert sorted(photo["renditions"], key=int) == ["320", "640", "1280"]
        assert photo["renditions"]["640"]["width"] == 640
        assert photo["renditions"]["1280"]["width"] == 900
        assert photo["renditions"]["640"]["url"].startswith("/media/")
        assert storage.rendition_path(photo["sha256"], "640", "jpeg").is_file()
    assert list(storage.tmp.iterdir()) == []
    with app.app_context():
        album = Album.by_slug(db.get_session(), "open-day")
        assert (album.title, album.visibility) == ("Open day", "draft")


def test_rerun_imports_nothing_new(runner, tmp_path):
    folder = tmp_path / "photos"
    write_images(folder, [(64, 48)] * 2)
    first = _import(runner, "--album", "a1", folder)
    second = _import(runner, "--album", "a1", folder)
    assert second["imported"] == []
    assert sorted(d["photo_id"] for d in second["duplicates"]) == sorted(first["imported"])
    assert len(_photos(runner, "a1")) == 2


def test_same_bytes_twice_in_one_run_and_in_another_album(app, runner, make_jpeg, tmp_path):
    one = make_jpeg("one.jpg")
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(one.read_bytes())
    report = _import(runner, "--album", "a1", one, copy)
    assert len(report["imported"]) == 1
    assert report["duplicates"] == [{"path": str(copy), "photo_id": report["imported"][0]}]
    other = _import(runner, "--album", "a2", copy)
    assert len(other["imported"]) == 1  # another album may hold the same bytes
    originals = list((tmp_path / "data" / "uploads" / "originals").rglob("*.jpg"))
    assert len(originals) == 1  # ...stored once


def test_metadata_reaches_the_row_and_gps_only_for_staff(app, runner, make_jpeg):
    exif = {
        0x010F: "Canon",
        0x0110: "Canon EOS 40D",
        EXIF_IFD: {0x9003: "2026:05:31 14:03:09", 0x829A: IFDRational(1, 125)},  # taken, 1/125 s
        GPS_IFD: {1: "S", 2: (33.0, 51.0, 0.0), 3: "W", 4: (151.0, 12.0, 36.0)},
    }
    path = make_jpeg("gps.jpg", size=(300, 200), exif=exif)
    _import(runner, "--album", "meta", path)
    (photo,) = _photos(runner, "meta")
    assert photo["taken_at"] == "2026-05-31T14:03:09"
    assert (photo["camera_make"], photo["camera_model"]) == ("Canon", "Canon EOS 40D")
    assert photo["exposure_time"] == "1/125"
    assert round(photo["gps"]["lat"], 4) == -33.85
    assert round(photo["gps"]["lon"], 4) == -151.21
    with app.app_context():
        from gallery.catalog.representations import photo_to_dict

        row = db.get_session().scalar(select(Photo))
        assert "gps" not in photo_to_dict(row, staff=False)


def test_zip_archive_imports_its_photos_and_reports_bad_entries(runner, make_jpeg, tmp_path):
    good = make_jpeg("good.jpg")
    archive = tmp_path / "event.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(good, "photos/good.jpg")
        out.writestr("../../escape.jpg", good.read_bytes())
        out.writestr("notes.txt", b"just text")
    report = _import(runner, "--album", "z", archive)
    assert len(report["imported"]) == 1
    errors = {r["path"]: r["error"] for r in report["rejected"]}
    assert "outside the archive" in errors[f"{archive}!/../../escape.jpg"]
    assert "accepts JPEG" in errors[f"{archive}!/notes.txt"]
    assert not (tmp_path.parent / "escape.jpg").exists()


def test_rejected_file_leaves_nothing_behind(app, runner, tmp_path):
    bad = tmp_path / "truncated.jpg"
    buffer = tmp_path / "full.jpg"
    Image.radial_gradient("L").resize((800, 800)).save(buffer, "JPEG")
    bad.write_bytes(buffer.read_bytes()[:4000])
    report = _import(runner, "--album", "t", bad)
    assert report["imported"] == []
    (rejected,) = report["rejected"]
    assert rejected["code"] == "corrupt"
    uploads = tmp_path / "data" / "uploads"
    left = [p for p in uploads.rglob("*") if p.is_file() and p.parent != uploads / "leases"]
    assert left == []  # this process's lease stays while it lives: it is not the photo's
    assert _photos(runner, "t") == []


def test_text_output_and_unknown_album(runner, make_jpeg):
    result = invoke(runner, "import", "--album", "Bad Slug!", make_jpeg(), exit_code=1)
    assert "Error: album slug 'Bad Slug!' must use lowercase letters" in result.output
    assert invoke(runner, "albums", "list", "--json").output == ""  # refused before any work
    result = invoke(runner, "photos", "--album", "nope", "--json", exit_code=1)
    assert result.output == "Error: no album with the slug 'nope'\n"


def test_renditions_rebuild_restores_deleted_files(app, runner, make_jpeg):
    _import(runner, "--album", "r", make_jpeg(size=(700, 500)))
    (photo,) = _photos(runner, "r")
    storage = app.extensions["gallery.storage"]
    storage.remove_renditions(photo["sha256"])
    result = runner.invoke(args=["renditions", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 originals rendered" in result.output
    assert storage.rendition_path(photo["sha256"], "640", "jpeg").is_file()
    assert _photos(runner, "r")[0]["renditions"] == photo["renditions"]


def test_albums_create_set_list(runner):
    assert runner.invoke(args=["albums", "create", "fest", "--title", "Fest"]).exit_code == 0
    result = runner.invoke(
        args=["albums", "set", "fest", "--visibility", "public", "--date", "2026-05-31"]
    )
    assert result.exit_code == 0, result.output
    bad = invoke(runner, "albums", "set", "fest", "--date", "31.05.2026", exit_code=1)
    assert "Error: date '31.05.2026' is not a date like 2026-05-31" in bad.output
    (line,) = invoke(runner, "albums", "list", "--json").output.splitlines()
    assert json.loads(line) == {
        "slug": "fest",
        "title": "Fest",
        "event_date": "2026-05-31",
        "place": "",
        "visibility": "public",
        "photos": 0,
    }


def test_hostile_file_names_are_cleaned(corpus_dir):
    lines = (corpus_dir / "bad/generated/hostile_filenames.jsonl").read_text().splitlines()
    for line in lines:
        cleaned = clean_filename(json.loads(line))
        assert "/" not in cleaned and "\\" not in cleaned and "\x00" not in cleaned
        assert all(ch.isprintable() for ch in cleaned)
        assert 0 < len(cleaned) <= 255


def test_gallery_import_runs_without_the_web_layer(app, make_jpeg, monkeypatch):
    """`gallery import` (not `flask --app gallery import`, the runner's) runs in an app with
    no pages, API or templates to load."""
    import gallery.cli

    built = []

    def recorded(**options):
        built.append(made := create_app(**options))
        return made

    data = app.config["DATA_DIR"]
    monkeypatch.setenv("GALLERY_DATA_DIR", data)  # --data sets it; restored afterwards
    monkeypatch.setattr(gallery.cli, "create_app", recorded)
    args = ["--data", data, "import", "--album", "light", "--json", str(make_jpeg())]
    result = CliRunner().invoke(gallery.cli.main, args)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["imported"]) == 1
    (light,) = built
    assert light.blueprints == {}


@pytest.mark.slow
def test_what_gallery_import_brings_is_found_at_once(make_jpeg, tmp_path):
    """The import's app has no web layer, but its photos are indexed as they come in."""
    data = tmp_path / "data"
    gallery(data, "init")
    photo = make_jpeg(exif={0x010F: "Zeissikon"})  # the camera's make is searchable
    gallery(data, "import", "--album", "light", str(photo))
    (hit,) = gallery(data, "search", "--json", "zeissikon").splitlines()
    assert json.loads(hit)["id"] == 1
