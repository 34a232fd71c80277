"""The JSON API: albums, uploads, curation, order, trash; who may do what."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import pytest

from gallery.ingest.accept import Intake
from gallery.web.contract import form_id
from tests.helpers.upload_client import multipart


@pytest.fixture
def token(runner, users):
    """An API token of the staff user."""
    return runner.invoke(args=["users", "token", "staff@school.lv"]).output.strip()


@pytest.fixture
def api(client, token):
    """Call the API as staff with a bearer token."""

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def _upload(api, slug, path, name=None):
    with open(path, "rb") as handle:
        data = {"file": (io.BytesIO(handle.read()), name or path.name)}
    return api("POST", f"/albums/{slug}/photos", data=data, content_type="multipart/form-data")


@pytest.fixture
def album(api):
    response = api("POST", "/albums", json={"slug": "fest", "title": "Fest"})
    assert response.status_code == 201, response.json
    return "fest"


def test_upload_duplicate_and_rejected(api, album, make_jpeg, tmp_path):
    photo = make_jpeg("a.jpg", size=(800, 600))
    created = _upload(api, album, photo)
    assert created.status_code == 201
    body = created.json["photo"]
    assert (body["number"], body["filename"], body["width"]) == (1, "a.jpg", 800)
    again = _upload(api, album, photo, name="copy.jpg")
    assert again.status_code == 409
    assert again.json["error"]["photo_id"] == body["id"]
    svg = tmp_path / "x.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    refused = _upload(api, album, svg)
    assert refused.status_code == 415
    assert "SVG" in refused.json["error"]["message"]


def test_zip_upload_reports_each_entry(api, album, make_jpeg):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(make_jpeg("one.jpg"), "one.jpg")
        archive.write(make_jpeg("two.jpg", color=(0, 0, 255)), "sub/two.jpg")
        archive.writestr("../evil.jpg", b"\xff\xd8\xff")
    data = {"file": (io.BytesIO(buffer.getvalue()), "event.zip")}
    response = api("POST", f"/albums/{album}/photos", data=data, content_type="multipart/form-data")
    assert response.status_code == 201
    assert sorted(p["filename"] for p in response.json["photos"]) == ["one.jpg", "two.jpg"]
    (rejected,) = response.json["rejected"]
    assert rejected["path"] == "event.zip!/../evil.jpg"


@pytest.fixture
def intakes(monkeypatch):
    """The inode of every upload's temp file as it was opened."""
    opened: list[int] = []
    original_init = Intake.__init__

    def init(self, temp):
        original_init(self, temp)
        opened.append(os.stat(temp).st_ino)

    monkeypatch.setattr(Intake, "__init__", init)
    return opened


def test_an_upload_is_hashed_as_it_arrives_and_placed_by_a_rename(
    app, api, album, make_jpeg, intakes
):
    photo = make_jpeg("a.jpg", size=(300, 200))
    created = _upload(api, album, photo).json["photo"]
    assert created["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    storage = app.extensions["gallery.storage"]
    original = storage.original_path(created["sha256"], "jpg")
    assert intakes == [original.stat().st_ino]  # the very file the request was read into
    assert list(storage.tmp.iterdir()) == []


def test_uploads_refused_or_cut_off_leave_nothing_in_tmp(app, api, album, make_jpeg):
    storage = app.extensions["gallery.storage"]
    app.config["MAX_UPLOAD_BYTES"] = 1000
    too_big = _upload(api, album, make_jpeg("big.jpg", size=(300, 200), noise=True))
    assert too_big.status_code == 413 and too_big.json["error"]["code"] == "too_large"
    assert list(storage.tmp.iterdir()) == []
    photo = make_jpeg("cut.jpg", size=(300, 200)).read_bytes()
    body, headers = multipart(photo, "cut.jpg")
    cut = api(  # the client went away in the middle of the file
        "POST",
        f"/albums/{album}/photos",
        input_stream=io.BytesIO(body[: len(body) // 2]),
        content_type=headers["Content-Type"],
        content_length=len(body),
    )
    assert cut.status_code == 400
    assert list(storage.tmp.iterdir()) == []


def test_curation_edits_bulk_edits_and_order(api, album, make_jpeg):
    ids = [
        _upload(api, album, make_jpeg(f"{n}.jpg", color=(n * 60, 90, 0))).json["photo"]["id"]
        for n in range(3)
    ]
    one = api("PATCH", f"/photos/{ids[0]}", json={"caption": "Konference", "keywords": "a, b, a"})
    assert one.json["photo"]["caption"] == "Konference"
    assert one.json["photo"]["keywords"] == ["a", "b"]
    bulk = api("PATCH", "/photos", json={"ids": ids[1:], "set": {"credit": "Foto: Anna"}})
    assert [p["credit"] for p in bulk.json["photos"]] == ["Foto: Anna", "Foto: Anna"]
    bad = api("PATCH", f"/photos/{ids[0]}", json={"sha256": "x"})
    assert bad.status_code == 400 and "unknown fields: sha256" in bad.json["error"]["message"]
    order = api("PUT", f"/albums/{album}/order", json={"photo_ids": ids[::-1]})
    assert [(p["id"], p["number"]) for p in order.json["photos"]] == list(
        zip(ids[::-1], [1, 2, 3], strict=True)
    )
    partial = api("PUT", f"/albums/{album}/order", json={"photo_ids": ids[:2]})
    assert partial.status_code == 400


def test_trash_restore_and_empty(client, runner, api, album, make_jpeg, app):
    photo = _upload(api, album, make_jpeg()).json["photo"]
    assert api("DELETE", f"/photos/{photo['id']}").json == {"trashed": photo["id"]}
    assert api("GET", f"/albums/{album}/photos").json["photos"] == []
    assert api("GET", "/trash").status_code == 403  # staff may trash, only admins restore
    admin = runner.invoke(args=["users", "token", "admin@school.lv"]).output.strip()
    headers = {"Authorization": f"Bearer {admin}"}
    listed = client.get("/api/v1/trash", headers=headers).json
    assert [p["id"] for p in listed["photos"]] == [photo["id"]]
    client.post("/api/v1/trash/restore", json={"photos": [photo["id"]]}, headers=headers)
    assert len(api("GET", f"/albums/{album}/photos").json["photos"]) == 1
    api("DELETE", f"/photos/{photo['id']}")
    emptied = client.post("/api/v1/trash/empty", headers=headers)
    assert emptied.json == {"deleted": {"albums": 0, "photos": 1}}
    storage = app.extensions["gallery.storage"]
    assert not storage.original_path(photo["sha256"], "jpg").exists()
    assert not storage.rendition_path(photo["sha256"], "320", "jpeg").exists()


def test_visitors_see_only_public_consented_photos_without_gps(client, api, album, make_jpeg):
    ids = [
        _upload(api, album, make_jpeg(f"{n}.jpg", color=(n * 60, 90, 0))).json["photo"]["id"]
        for n in range(2)
    ]
    api("PATCH", f"/photos/{ids[1]}", json={"consent": "no_public"})
    assert client.get(f"/api/v1/albums/{album}").status_code == 404  # a draft
    assert client.get(f"/api/v1/photos/{ids[0]}").status_code == 404
    api("PATCH", f"/albums/{album}", json={"visibility": "public", "cover_photo_id": ids[0]})
    listed = client.get(f"/api/v1/albums/{album}/photos").json["photos"]
    assert [p["id"] for p in listed] == [ids[0]]
    assert "gps" not in listed[0] and "consent" not in listed[0]
    assert client.get(f"/api/v1/photos/{ids[1]}").status_code == 404
    assert [a["slug"] for a in client.get("/api/v1/albums").json["albums"]] == [album]


def test_album_list_pages_newest_first_by_keyset(client, api):
    days = ["2024-05-01", "2024-05-01", "2023-01-02", "2025-12-31", "2024-06-01"]
    for n, day in enumerate(days):
        api("POST", "/albums", json={"slug": f"a{n}", "event_date": day, "visibility": "public"})
    api("POST", "/albums", json={"slug": "draft", "event_date": "2030-01-01"})
    pages, after = [], ""
    while True:
        page = client.get(f"/api/v1/albums?per_page=2&after={after}").json
        pages.append([album["slug"] for album in page["albums"]])
        if page["next"] is None:
            break
        after = page["next"]
    assert pages == [["a3", "a4"], ["a1", "a0"], ["a2"]]  # same day: the newer id first
    staff = api("GET", "/albums?per_page=100").json
    assert [a["slug"] for a in staff["albums"]][:2] == ["draft", "a3"]
    assert staff["next"] is None
    assert client.get("/api/v1/albums?after=yesterday").status_code == 400
    assert client.get("/api/v1/albums?per_page=501").status_code == 400


def test_unlisted_album_only_with_its_key(client, api, album):
    secret_url = api("PATCH", f"/albums/{album}", json={"visibility": "unlisted"}).json["album"][
        "secret_url"
    ]
    key = secret_url.split("key=")[1]
    assert client.get(f"/api/v1/albums/{album}").status_code == 404
    assert client.get(f"/api/v1/albums/{album}?key=wrong").status_code == 404
    assert client.get(f"/api/v1/albums/{album}?key={key}").status_code == 200
    assert client.get("/api/v1/albums").json == {"albums": [], "next": None}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/albums"),
        ("PATCH", "/albums/fest"),
        ("DELETE", "/albums/fest"),
        ("POST", "/albums/fest/photos"),
        ("PUT", "/albums/fest/order"),
        ("PATCH", "/photos/1"),
        ("PATCH", "/photos"),
        ("DELETE", "/photos/1"),
        ("GET", "/trash"),
        ("POST", "/trash/restore"),
        ("POST", "/trash/empty"),
        ("GET", "/me"),
    ],
)
def test_anonymous_callers_are_refused(client, method, path):
    # No session and no CSRF token: nothing to forge, so the role check answers (401).
    response = client.open(f"/api/v1{path}", method=method, json={})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/photos/{2**63}", None),  # past a database id
        ("PATCH", f"/photos/{2**63}", {"caption": "x"}),
        ("DELETE", f"/photos/{2**70}", None),
        ("GET", "/photos/-1", None),
        ("GET", "/photos/one", None),
        ("GET", f"/photos/{2**63}/articles", None),
    ],
)
def test_ids_that_name_nothing_are_a_json_404(api, method, path, body):
    response = api(method, path, json=body)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_form_id_past_an_id_reads_as_absent():
    assert form_id("7") == 7
    for text in (str(2**31), "0", "-1", "x"):
        with pytest.raises(ValueError):
            form_id(text)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"caption": None}, "caption must not be null"),
        ({"keywords": [1]}, "keywords[0] must be text"),
        ({"consent": "maybe"}, "consent must be one of ok, no_public"),
        ({"caption": "x", "album_id": 2}, "unknown fields: album_id"),
    ],
)
def test_bad_edits_are_a_400_that_says_why(api, album, make_jpeg, body, message):
    photo = _upload(api, album, make_jpeg()).json["photo"]
    response = api("PATCH", f"/photos/{photo['id']}", json=body)
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_input"
    assert message in response.json["error"]["message"]


def test_bodies_are_typed(api, album):
    refused = {
        "null slug": api("POST", "/albums", json={"slug": None}),
        "id too large": api("PATCH", "/photos", json={"ids": [2**63], "set": {}}),
        "no ids": api("PATCH", "/photos", json={"ids": [], "set": {}}),
        "text date": api("PATCH", f"/albums/{album}", json={"event_date": "soon"}),
        "not JSON": api("POST", "/albums", data="slug=x"),
    }
    assert {what: r.status_code for what, r in refused.items()} == dict.fromkeys(refused, 400)
    dated = api("PATCH", f"/albums/{album}", json={"event_date": "2026-05-31", "place": "Rīga"})
    assert dated.json["album"]["event_date"] == "2026-05-31"
    undated = api("PATCH", f"/albums/{album}", json={"event_date": None})
    assert undated.json["album"]["event_date"] is None


def test_other_methods_are_a_405_that_says_which(client):
    response = client.put("/api/v1/albums")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_session_calls_need_the_csrf_header(client, users, album):
    from tests.helpers.accounts import sign_in

    sign_in(client, *users["staff"])
    refused = client.patch("/api/v1/albums/fest", json={"title": "X"})
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]["message"]


def test_visitor_counts_leave_hidden_photos_out_and_trash_is_gone(client, api, album, make_jpeg):
    ids = [
        _upload(api, album, make_jpeg(f"c{n}.jpg", color=(n * 70, 9, 9))).json["photo"]["id"]
        for n in range(3)
    ]
    api("PATCH", f"/photos/{ids[0]}", json={"consent": "no_public"})
    api("PATCH", f"/albums/{album}", json={"visibility": "public"})
    assert client.get("/api/v1/albums").json["albums"][0]["photos"] == 2
    assert api("GET", "/albums").json["albums"][0]["photos"] == 3
    api("DELETE", f"/photos/{ids[1]}")
    assert api("GET", f"/photos/{ids[1]}").status_code == 404


def test_an_albums_photo_list_costs_the_same_queries_whatever_its_size(app, api):
    from sqlalchemy import event

    from tests.helpers.site_data import add_album, add_photo

    with app.extensions["gallery.db.writes"]() as session, session.begin():
        small, large = add_album(session, "small"), add_album(session, "large")
        for n in range(1, 3):
            add_photo(session, small, n)
        for n in range(1, 13):
            add_photo(session, large, n)
    api("GET", "/albums/small/photos")  # the token's first use is noted once: not counted
    statements: list[str] = []
    engine = app.extensions["gallery.engine"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    counts = {}
    for slug, size in (("small", 2), ("large", 12)):
        statements.clear()
        listed = api("GET", f"/albums/{slug}/photos").json["photos"]
        assert len(listed) == size and all(p["renditions"] for p in listed)
        counts[slug] = len(statements)
    assert counts["small"] == counts["large"]
