"""The article editor: its write API (create, change, preview, labels; who may write) and
its staff pages (the article list, "new article", the editor, the contact-sheet picker)."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from gallery.core import db
from gallery.core.models import Article, AuditEvent
from tests.helpers.accounts import csrf_of, sign_in
from tests.helpers.apps import migrated_app

# Landscape 3:2, portrait 2:3, square: mixed aspect ratios for the layout.
SIZES = [(900, 600), (600, 900), (700, 700)]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app for the module: photos are imported once, each test writes its own articles."""
    root = tmp_path_factory.mktemp("article-api")
    with migrated_app(root / "data", WORKERS=1, LANGUAGE="en") as app:
        runner = app.test_cli_runner()
        for role in ("editor", "staff"):
            args = ["users", "add", f"{role}@school.lv", "--role", role, "--password-stdin"]
            assert runner.invoke(args=args, input=f"{role}-password-123").exit_code == 0
        _import(runner, root)
        yield app


def _import(runner, root) -> None:
    """Album `fest`: photos 1-3 of mixed aspects; album `other`: one photo."""
    for slug, count in (("fest", 3), ("other", 1)):
        folder = root / slug
        folder.mkdir()
        for n in range(count):
            Image.new("RGB", SIZES[n], (40 * n, 90, 200)).save(folder / f"IMG_{n + 1:04d}.jpg")
        result = runner.invoke(args=["import", "--album", slug, "--json", str(folder)])
        assert result.exit_code == 0, result.output


@pytest.fixture
def users():
    return {role: (f"{role}@school.lv", f"{role}-password-123") for role in ("editor", "staff")}


@pytest.fixture
def album(app) -> dict[int, int]:
    """Number -> photo id of album `fest`; key 0 is the photo of album `other`."""
    runner = app.test_cli_runner()
    ids = {}
    for line in runner.invoke(args=["photos", "--album", "fest", "--json"]).output.splitlines():
        photo = json.loads(line)
        ids[photo["number"]] = photo["id"]
    other = runner.invoke(args=["photos", "--album", "other", "--json"]).output
    ids[0] = json.loads(other)["id"]
    return ids


@pytest.fixture
def editor(client, users):
    """Call the API as the signed-in editor, with the session's CSRF token."""
    sign_in(client, *users["editor"])
    token = csrf_of(client)

    def call(method, path, body=None):
        headers = {"X-CSRF-Token": token}
        return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)

    return call


def _new(editor, **fields):
    body = {"title": "Konference", "body": "Ievads.\n\n1    2", "album": "fest", **fields}
    response = editor("POST", "/articles", body)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def article_a(editor, app):
    """Article `a`, made once for the module."""
    with app.app_context():
        exists = Article.by_slug(db.get_session(), "a") is not None
    if not exists:
        _new(editor, slug="a")
    return "a"


def test_create_answers_with_article_problems_and_layout(editor, album):
    answer = _new(editor, title="Sveiki, pasaule!")
    article, layout = answer["article"], answer["layout"]
    assert article["slug"] == "sveiki-pasaule" and article["status"] == "draft"
    assert article["album"] == "fest"
    assert article["blocks"] == [{"paragraph": "Ievads."}, {"row": ["1", "2"]}]
    assert {label: a["photo_id"] for label, a in article["labels"].items()} == {
        "1": album[1],
        "2": album[2],
    }
    one = article["labels"]["1"]
    assert (one["width"], one["height"], one["rect"]) == (900, 600, [0.0, 0.0, 1.0, 1.0])
    assert [r["width"] for r in one["renditions"]] == [320, 640]
    assert all(r["url"].startswith("/media/") for r in one["renditions"])
    assert {p["code"] for p in article["problems"]} == {"missing_alt", "hidden_photo"}
    row = layout["rows"][0]
    assert [b["label"] for b in row] == ["1", "2"]
    assert row[0]["height"] == row[1]["height"]
    assert row[1]["x"] + row[1]["width"] == layout["width"]
    again = _new(editor, title="Sveiki, pasaule!")
    assert again["article"]["slug"] == "sveiki-pasaule-2"  # a free slug is made


def test_patch_preview_and_status(editor, app, album):
    _new(editor, slug="talk")
    preview = editor("POST", "/articles/talk/preview", {"body": "1 2 3\n\n9"})
    assert preview.status_code == 200
    codes = {(p["code"], p["label"]) for p in preview.json["article"]["problems"]}
    assert ("unknown_label", "9") in codes
    assert [b["label"] for b in preview.json["layout"]["rows"][0]] == ["1", "2", "3"]
    with app.app_context():  # nothing of the preview was saved
        article = Article.by_slug(db.get_session(), "talk")
        assert article.body == "Ievads.\n\n1    2" and set(article.assignments()) == {"1", "2"}

    changed = editor(
        "PATCH", "/articles/talk", {"title": "Runa", "body": "3\n\n1", "status": "published"}
    )
    assert changed.status_code == 200, changed.json
    article = changed.json["article"]
    assert (article["title"], article["status"]) == ("Runa", "published")
    assert article["published_on"] is not None
    assert {p["code"] for p in article["problems"]} >= {"unplaced"}  # 2 stands in no row
    assert [[b["label"] for b in row] for row in changed.json["layout"]["rows"]] == [["3"], ["1"]]
    with app.app_context():
        actions = [e.action for e in db.get_session().query(AuditEvent).order_by(AuditEvent.id)]
        assert actions[-2:] == ["article.create", "article.update"]


def test_labels_crop_reassign_forget(editor, album):
    _new(editor, slug="crops")
    square = {"photo_id": album[1], "crop": {"aspect": 1, "fx": 0.5, "fy": 0.5}, "caption": None}
    answer = editor("PUT", "/articles/crops/labels/1", square)
    assert answer.status_code == 200, answer.json
    label = answer.json["article"]["labels"]["1"]
    assert label["crop"] == {"aspect": 1.0, "fx": 0.5, "fy": 0.5}
    assert label["rect"] == pytest.approx([1 / 6, 0.0, 2 / 3, 1.0])
    box = answer.json["layout"]["rows"][0][0]
    assert box["width"] == box["height"]  # the crop made it square

    other = {"photo_id": album[0], "caption": "Cits"}
    answer = editor("PUT", "/articles/crops/labels/2B", other).json["article"]
    assert (
        answer["labels"]["2b"]["album"] == "other" and answer["labels"]["2b"]["caption"] == "Cits"
    )
    assert any(p["code"] == "unplaced" and p["label"] == "2b" for p in answer["problems"])

    gone = editor("DELETE", "/articles/crops/labels/2b")
    assert gone.status_code == 200 and "2b" not in gone.json["article"]["labels"]
    assert editor("DELETE", "/articles/crops/labels/2b").status_code == 404


def test_changing_the_album_moves_the_default_labels(editor, album):
    _new(editor, slug="moved", body="1    2")
    editor("PUT", "/articles/moved/labels/2", {"photo_id": album[3]})  # chosen by hand
    answer = editor("PATCH", "/articles/moved", {"album": "other"}).json["article"]
    assert answer["album"] == "other"
    assert answer["labels"]["1"]["photo_id"] == album[0]  # other's photo 1
    assert answer["labels"]["2"]["photo_id"] == album[3]  # kept: not a default


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("POST", "/articles", {"title": " "}, "title must not be empty"),
        ("POST", "/articles", {"title": "A", "album": "nope"}, "there is no album 'nope'"),
        ("POST", "/articles", {"title": "A", "slug": "Bad Slug"}, "lowercase letters"),
        ("POST", "/articles", {"title": "A", "colour": "red"}, "unknown fields: colour"),
        ("POST", "/articles", ["not", "an", "object"], "send a JSON object"),
        ("PATCH", "/articles/a", {"status": "gone"}, "status must be one of draft, published"),
        ("PATCH", "/articles/a", {"title": 7}, "title must be text"),
        ("POST", "/articles/a/preview", {"status": "published"}, "unknown fields: status"),
        ("PUT", "/articles/a/labels/x1", {"photo_id": 1}, "'x1' is not a label"),
        ("PUT", "/articles/a/labels/1", {"photo_id": "1"}, "photo_id must be a whole number"),
        ("PUT", "/articles/a/labels/1", {"photo_id": 99999}, "there is no photo 99999"),
        ("PUT", "/articles/a/labels/1", {"photo_id": 1, "crop": {"w": 2}}, "inside the photo"),
        ("PUT", "/articles/a/labels/1", {"photo_id": 1, "crop": {"z": 1}}, "unknown crop fields"),
        ("DELETE", "/articles/a/labels/x1", None, "'x1' is not a label"),
    ],
)
def test_bad_input_is_a_400_that_says_why(editor, article_a, method, path, body, message):
    response = editor(method, path, body)
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "invalid_input"
    assert message in response.json["error"]["message"]


def test_unknown_article_is_a_404(editor, album):
    response = editor("PATCH", "/articles/none", {"title": "X"})
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


WRITES = [
    ("POST", "/articles"),
    ("PATCH", "/articles/a"),
    ("POST", "/articles/a/preview"),
    ("PUT", "/articles/a/labels/1"),
    ("DELETE", "/articles/a/labels/1"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_anonymous_gets_401_and_staff_403(client, users, method, path):
    headers = {"X-CSRF-Token": csrf_of(client)}
    anonymous = client.open(f"/api/v1{path}", method=method, json={}, headers=headers)
    assert anonymous.status_code == 401
    assert anonymous.json["error"]["code"] == "unauthorized"
    sign_in(client, *users["staff"])
    headers = {"X-CSRF-Token": csrf_of(client)}
    staff = client.open(f"/api/v1{path}", method=method, json={}, headers=headers)
    assert staff.status_code == 403
    assert "editor" in staff.json["error"]["message"]


def test_writes_need_the_csrf_header(client, users, album):
    sign_in(client, *users["editor"])
    refused = client.post("/api/v1/articles", json={"title": "X"})
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]["message"]


# --- the editor's pages ------------------------------------------------------------------


def test_editor_pages_are_for_editors(client, users, album):
    assert client.get("/staff/articles/").status_code == 302  # to the sign-in page
    sign_in(client, *users["staff"])
    assert client.get("/staff/articles/").status_code == 403
    sign_in(client, *users["editor"])
    listing = client.get("/staff/articles/", headers={"Accept-Language": "en"})
    assert listing.status_code == 200 and "New article" in listing.get_data(as_text=True)


def test_new_article_form_opens_the_editor(client, users, album):
    sign_in(client, *users["editor"])
    form = {"title": "Atvērtās durvis", "album": "fest", "csrf_token": csrf_of(client)}
    created = client.post("/staff/articles/", data=form)
    assert created.status_code == 302 and created.location.endswith("/atvertas-durvis/edit")
    page = client.get(created.location, headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="pick"') == 3  # the album's contact sheet
    assert 'href="/articles/atvertas-durvis/export.html"' in html
    assert 'href="/albums/fest/contact-sheet.pdf"' in html
    assert "<script>" not in html and " onclick=" not in html  # CSP: scripts from files only
    # The scripts' words come as a JSON data block (not a script), in the reader's language.
    block = re.search(r'<script type="application/json" id="js-texts">(.*?)</script>', html, re.S)
    texts = json.loads(block.group(1))
    assert texts["lang"] == "en" and texts["texts"]["Publish"] == "Publish"
    latvian = client.get(created.location, headers={"Accept-Language": "lv"}).get_data(as_text=True)
    block = re.search(
        r'<script type="application/json" id="js-texts">(.*?)</script>', latvian, re.S
    )
    words = json.loads(block.group(1))
    assert words["plural"] == "lv" and words["texts"]["Publish"] == "Publicēt"
    assert words["texts"]["%(num)d photo"] == [
        "%(num)d fotogrāfija",
        "%(num)d fotogrāfijas",
        "%(num)d fotogrāfiju",
    ]
    # A refused form comes back filled in, with the reason in the reader's language.
    refused = client.post(
        "/staff/articles/", data={**form, "album": "nope"}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "there is no album &#39;nope&#39;" in html and 'value="Atvērtās durvis"' in html


def test_picker_shows_where_photos_are_used(client, editor, album):
    _new(editor, slug="uses-two", title="Cits raksts", body="2")
    _new(editor, slug="picker", body="")
    html = client.get("/staff/articles/picker/picker?album=fest").get_data(as_text=True)
    photo_two = html.split('data-number="2"')[1].split("</li>")[0]
    assert "Cits raksts" in photo_two and 'href="/staff/articles/uses-two/edit"' in photo_two
    other = client.get("/staff/articles/picker/picker?album=other").get_data(as_text=True)
    assert other.count('class="pick"') == 1
    assert client.get("/staff/articles/picker/picker?album=nope").status_code == 404
