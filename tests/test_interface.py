"""The interface's edges without a browser: error pages for every status in both languages,
a public album's zip, one audit event per bulk action, the audit log's filters."""

from __future__ import annotations

import errno
import io
import zipfile

import pytest
from werkzeug.exceptions import abort

from gallery.core import db
from gallery.core.models import AuditEvent
from tests.helpers.accounts import csrf_of, sign_in
from tests.helpers.cli import invoke

TITLES = {
    400: ("The request could not be understood", "Pieprasījumu neizdevās saprast"),
    403: ("Not allowed", "Nav atļauts"),
    404: ("Page not found", "Lapa nav atrasta"),
    413: ("Too large", "Pārāk liels"),
    429: ("Too many attempts", "Pārāk daudz mēģinājumu"),
    500: ("Something went wrong", "Kaut kas nogāja greizi"),
    503: ("Not possible just now", "Pašlaik nav iespējams"),
    507: ("The server's disk is full", "Servera disks ir pilns"),
}


@pytest.fixture
def failing(app):
    """Routes that fail as real ones may: each status, an error, a full disk."""

    def status(code: int):
        abort(code)

    def crash():
        raise RuntimeError("a bug")

    def full():
        raise OSError(errno.ENOSPC, "No space left on device")

    app.add_url_rule("/test/status/<int:code>", "test_status", status)
    app.add_url_rule("/test/crash", "test_crash", crash)
    app.add_url_rule("/test/full", "test_full", full)
    app.testing = False  # a crash is answered, not raised into the test
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app.test_client()


@pytest.mark.parametrize("status", sorted(TITLES))
@pytest.mark.parametrize("language", ["en", "lv"])
def test_error_pages_in_the_readers_language(failing, status, language):
    path = {500: "/test/crash", 507: "/test/full"}.get(status, f"/test/status/{status}")
    answer = failing.get(path, headers={"Accept-Language": language})
    html = answer.get_data(as_text=True)
    assert answer.status_code == status and answer.mimetype == "text/html"
    title = TITLES[status][language == "lv"]
    assert f'<h1 id="error-heading">{title}</h1>' in html.replace("&#39;", "'")
    assert f'<html lang="{language}">' in html and 'class="site-header"' in html
    assert 'href="/"' in html  # a way back home
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_api_keeps_its_json_errors(failing):
    answer = failing.get("/api/v1/articles/nope", headers={"Accept-Language": "lv"})
    assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
    assert answer.json["error"]["message"] == "nav raksta „nope”"


@pytest.fixture
def album(app, runner, make_jpeg):
    photos = [make_jpeg(f"p{n}.jpg", seed=n) for n in range(3)]
    invoke(runner, "import", "--album", "fest", *map(str, photos))
    invoke(runner, "albums", "set", "fest", "--visibility", "public")
    return "fest"


def test_a_public_albums_originals_as_one_zip(client, runner, album):
    assert client.get("/albums/fest/download.zip").status_code == 404  # not offered
    page = client.get("/albums/fest").get_data(as_text=True)
    assert "download.zip" not in page
    invoke(runner, "albums", "set", "fest", "--originals")
    page = client.get("/albums/fest").get_data(as_text=True)
    assert 'href="/albums/fest/download.zip"' in page
    answer = client.get("/albums/fest/download.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert "fest.zip" in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert archive.namelist() == ["001-p0.jpg", "002-p1.jpg", "003-p2.jpg"]
    assert archive.testzip() is None and archive.read("001-p0.jpg")[:2] == b"\xff\xd8"
    invoke(runner, "albums", "set", "fest", "--visibility", "private")
    assert client.get("/albums/fest/download.zip").status_code == 404  # visitors never


def test_a_bulk_edit_is_one_audit_event_with_its_count(app, client, users, album):
    sign_in(client, *users["staff"])
    photos = client.get("/api/v1/albums/fest/photos").json["photos"]
    ids = [p["id"] for p in photos]
    body = {"ids": ids, "set": {"caption": "Skolēni"}}
    answer = client.patch("/api/v1/photos", json=body, headers={"X-CSRF-Token": csrf_of(client)})
    assert answer.status_code == 200
    with app.app_context():
        events = db.get_session().query(AuditEvent).filter_by(action="photos.update").all()
    assert len(events) == 1
    assert events[0].details == {"count": 3, "ids": ids, "caption": "Skolēni"}
    sign_in(client, *users["admin"])
    log = client.get("/staff/audit?action=photos.update", headers={"Accept-Language": "en"})
    html = log.get_data(as_text=True)
    assert "edited 3 photos at once" in html and "caption: Skolēni" in html
    assert html.count("<tr>") == 2  # the header and the one event
    latvian = client.get("/staff/audit?who=staff@school.lv", headers={"Accept-Language": "lv"})
    assert "rediģēja 3 fotogrāfijas vienlaikus" in latvian.get_data(as_text=True)
    nobody = client.get("/staff/audit?who=nobody@school.lv&since=2020-01-01&until=2020-01-02")
    assert "Nothing in the log matches." in nobody.get_data(as_text=True)
