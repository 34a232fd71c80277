"""Who sees what: every route that serves a photo x every album and photo state x a
visitor, staff and an admin, against the one rule of gallery/core/visibility.py.

Five albums (draft, private, unlisted, public, and a public one in the trash) hold three
imported photos each (consent ok, consent no_public, in the trash), all with GPS in their
EXIF, and one published article places all fifteen. Each test asks one route for all of
them and compares the exact answers with the rule written out below: hidden means 404,
never 403; GPS is never shown to a visitor, in HTML, JSON or the feed.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from gallery.core.models import Album, Article, ArticlePhoto, Photo
from tests.helpers.accounts import sign_in
from tests.helpers.apps import migrated_app

STATES = ("draft", "private", "unlisted", "public", "trashed")
KINDS = ("ok", "no_public", "trashed")
GPS_TEXT = ("12.345", "65.432")  # the photos' latitude and longitude, as JSON would print them
WHO = ("visitor", "staff", "admin")
ARTICLE = "matrica"


def _jpeg(path, n: int) -> None:
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (12.0, 20.0, 44.16), 3: "E", 4: (65.0, 25.0, 55.56)})
    Image.new("RGB", (60 + n, 40), (n * 16, 90, 200 - n * 8)).save(path, exif=exif)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The app, its albums by state, their photos by (state, kind), and two clients."""
    data = tmp_path_factory.mktemp("matrix")
    with migrated_app(data / "data", WORKERS=2) as app:
        runner = app.test_cli_runner()
        paths = []
        for n in range(len(STATES) * len(KINDS)):
            paths.append(data / f"p{n:02d}.jpg")
            _jpeg(paths[-1], n)
        assert runner.invoke(args=["import", "--album", "pool", *map(str, paths)]).exit_code == 0
        clients = {"visitor": app.test_client()}
        for role in ("staff", "admin"):
            email, password = f"{role}@school.lv", f"{role}-password-123"
            add = ["users", "add", email, "--role", role, "--password-stdin"]
            assert runner.invoke(args=add, input=password).exit_code == 0
            clients[role] = app.test_client()
            assert sign_in(clients[role], email, password).status_code == 302
        albums, photos = _arrange(app)
        assert runner.invoke(args=["reindex"]).exit_code == 0
        yield {"albums": albums, "photos": photos, **clients}


def _arrange(app) -> tuple[dict, dict]:
    """Deal the imported photos into one album per state, three kinds in each."""
    session = app.extensions["gallery.db.writes"]()
    pool = iter(session.scalars(select(Photo).order_by(Photo.id)).all())
    albums, photos = {}, {}
    for state in STATES:
        album = Album(slug=f"a-{state}", title=f"Album {state}", allow_original_download=True)
        album.visibility = "public" if state == "trashed" else state
        album.status = "trashed" if state == "trashed" else "active"
        session.add(album)
        session.flush()
        for number, kind in enumerate(KINDS, start=1):
            photo = next(pool)
            photo.album_id, photo.number = album.id, number
            photo.caption = f"matrica {state} {kind}"
            photo.consent = "no_public" if kind == "no_public" else "ok"
            photo.status = "trashed" if kind == "trashed" else "active"
            photos[state, kind] = (photo.id, photo.sha256)
        albums[state] = (album.slug, album.secret)
    _article_placing_every_photo(session, photos)
    session.commit()
    session.close()
    return albums, photos


def _article_placing_every_photo(session, photos: dict) -> None:
    """A published article whose label n shows the n-th photo, three to a row."""
    labels = {str(n): photo_id for n, (photo_id, _sha) in enumerate(photos.values(), start=1)}
    rows = [" ".join(list(labels)[i : i + 3]) for i in range(0, len(labels), 3)]
    article = Article(
        slug=ARTICLE, title="Matrica", status="published", published_on=date(2026, 5, 1)
    )
    article.body = "\n\n".join(["Ievads."] + rows)
    article.photos = [ArticlePhoto(label=label, photo_id=i) for label, i in labels.items()]
    session.add(article)


def sees_album(state: str, who: str, key: bool) -> bool:
    """The rule: staff see every album not in the trash; visitors public ones, and unlisted
    ones through the secret link."""
    if state == "trashed":
        return False
    return who != "visitor" or state == "public" or (state == "unlisted" and key)


def sees_photo(state: str, kind: str, who: str, key: bool) -> bool:
    staff = who != "visitor"
    return sees_album(state, who, key) and kind != "trashed" and (staff or kind == "ok")


def publishable(state: str, kind: str) -> bool:
    """What articles, exports, press kits and rendition files show visitors."""
    return state in ("public", "unlisted") and kind == "ok"


def in_article(state: str, kind: str, who: str) -> bool:
    """An article shows visitors publishable photos, staff all but the trash."""
    if who == "visitor":
        return publishable(state, kind)
    return "trashed" not in (state, kind)


def _get(world, who: str, url: str):
    with world[who].get(url) as response:
        response.get_data()
    if who == "visitor":
        text = response.get_data(as_text=True) if response.mimetype != "image/jpeg" else ""
        assert not any(gps in text for gps in GPS_TEXT), f"GPS leaked at {url}"
        assert '"gps"' not in text and "secret_url" not in text and '"consent"' not in text
    return response


def _linked_photo_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/albums/[\w-]+/photos/(\d+)', html)}


def _visible_ids(world, state: str, who: str, key: bool) -> set[int]:
    ids = world["photos"]
    return {ids[state, kind][0] for kind in KINDS if sees_photo(state, kind, who, key)}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("key", [False, True])
def test_album_pages(world, who, key):
    for state, (slug, secret) in world["albums"].items():
        response = _get(world, who, f"/albums/{slug}" + (f"?key={secret}" if key else ""))
        expected = 200 if sees_album(state, who, key) else 404
        assert response.status_code == expected, (state, who, key)
        if expected == 200:
            shown = _linked_photo_ids(response.get_data(as_text=True))
            assert shown == _visible_ids(world, state, who, key), (state, who)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("key", [False, True])
def test_photo_pages_and_originals(world, who, key):
    for (state, kind), (photo_id, _sha) in world["photos"].items():
        slug, secret = world["albums"][state]
        query = f"?key={secret}" if key else ""
        expected = 200 if sees_photo(state, kind, who, key) else 404
        page = _get(world, who, f"/albums/{slug}/photos/{photo_id}{query}")
        assert page.status_code == expected, (state, kind, who, key)
        original = _get(world, who, f"/albums/{slug}/photos/{photo_id}/original{query}")
        assert original.status_code == expected, (state, kind, who, key)


@pytest.mark.parametrize("who", WHO)
def test_rendition_urls(world, who):
    # Content-addressed: whoever knows a URL of a photo in an unlisted album may fetch it;
    # only the secret-link page shows those URLs. Staff's pages show everything.
    for (state, kind), (_id, sha) in world["photos"].items():
        expected = 200 if who != "visitor" or publishable(state, kind) else 404
        assert _get(world, who, f"/media/{sha}/320.jpg").status_code == expected, (state, kind)


@pytest.mark.parametrize("who", WHO)
def test_listings_and_feed_show_public_albums_only(world, who):
    home = _get(world, who, "/").get_data(as_text=True)
    feed = _get(world, who, "/feed.atom").get_data(as_text=True)
    for state, (slug, _secret) in world["albums"].items():
        listed = state == "public"
        assert (f'href="/albums/{slug}"' in home) == listed, (state, who)
        assert (f'href="http://localhost/albums/{slug}"' in feed) == listed, (state, who)
    year = _get(world, who, f"/years/{date.today().year}").get_data(as_text=True)
    for state, (slug, _secret) in world["albums"].items():
        assert (f'href="/albums/{slug}"' in year) == (state == "public"), (state, who)


@pytest.mark.parametrize("who", WHO)
def test_api_albums(world, who):
    listed = {a["slug"] for a in _get(world, who, "/api/v1/albums").json["albums"]}
    expected = {
        slug for state, (slug, _) in world["albums"].items() if sees_album(state, who, False)
    }
    assert listed - {"pool"} == expected
    for state, (slug, secret) in world["albums"].items():
        for key in (False, True):
            query = f"?key={secret}" if key else ""
            one = _get(world, who, f"/api/v1/albums/{slug}{query}")
            assert one.status_code == (200 if sees_album(state, who, key) else 404), (state, key)
            photos = _get(world, who, f"/api/v1/albums/{slug}/photos{query}")
            assert photos.status_code == one.status_code
            if photos.status_code == 200:
                ids = {p["id"] for p in photos.json["photos"]}
                assert ids == _visible_ids(world, state, who, key), (state, who, key)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("key", [False, True])
def test_api_photos_and_where_they_are_used(world, who, key):
    # The same rule as the photo page: an unlisted album's photo with its album's key.
    for (state, kind), (photo_id, _sha) in world["photos"].items():
        query = f"?key={world['albums'][state][1]}" if key else ""
        expected = 200 if sees_photo(state, kind, who, key) else 404
        response = _get(world, who, f"/api/v1/photos/{photo_id}{query}")
        assert response.status_code == expected, (state, kind, who, key)
        if who != "visitor" and expected == 200:
            assert response.json["photo"]["gps"]["lat"] == pytest.approx(12.3456)
        usage = _get(world, who, f"/api/v1/photos/{photo_id}/articles{query}")
        assert usage.status_code == expected, (state, kind, who, key)
        if expected == 200:
            assert [a["slug"] for a in usage.json["articles"]] == [ARTICLE]


def _shown_labels(world, who: str) -> set[int]:
    """The labels (the photos' places in `photos`) the article page shows."""
    html = _get(world, who, f"/articles/{ARTICLE}").get_data(as_text=True)
    return {
        int(label) for label in re.findall(r'<figure class="cell"[^>]*data-label="(\d+)"', html)
    }


def _expected_labels(world, who: str) -> set[int]:
    return {
        n
        for n, (state, kind) in enumerate(world["photos"], start=1)
        if in_article(state, kind, who)
    }


@pytest.mark.parametrize("who", WHO)
def test_article_page_and_layout(world, who):
    assert _shown_labels(world, who) == _expected_labels(world, who)
    layout = _get(world, who, f"/api/v1/articles/{ARTICLE}/layout").json
    laid = {int(box["label"]) for row in layout["rows"] for box in row}
    assert laid == _expected_labels(world, who)


@pytest.mark.parametrize("who", ("staff", "admin"))
def test_export_and_press_kit_leave_the_house_with_publishable_photos_only(world, who):
    expected = _expected_labels(world, "visitor")
    export = _get(world, who, f"/articles/{ARTICLE}/export.html").get_data(as_text=True)
    shas = {sha for (state, kind), (_i, sha) in world["photos"].items() if publishable(state, kind)}
    assert set(re.findall(r"/media/([0-9a-f]{64})/", export)) == shas
    kit = zipfile.ZipFile(io.BytesIO(_get(world, who, f"/articles/{ARTICLE}/press-kit.zip").data))
    named = {int(name.split(".")[0]) for name in kit.namelist() if name.endswith(".jpg")}
    assert named == expected


@pytest.mark.parametrize("who", WHO)
def test_contact_sheets_and_staff_album_pages(world, who):
    # Staff routes: visitors are sent to sign in; the trash is nobody's, admins' included.
    for state, (slug, _secret) in world["albums"].items():
        sheet = _get(world, who, f"/albums/{slug}/contact-sheet.pdf")
        page = _get(world, who, f"/staff/albums/{slug}")
        picker = _get(world, who, f"/staff/articles/{ARTICLE}/picker?album={slug}")
        if who == "visitor":
            assert {sheet.status_code, page.status_code, picker.status_code} == {302}
            continue
        expected = 404 if state == "trashed" else 200
        assert (sheet.status_code, page.status_code) == (expected, expected), (state, who)
        if who == "admin":  # the editor's picker needs the editor role
            assert picker.status_code == expected, state
        if expected == 200:
            assert sheet.mimetype == "application/pdf"


def test_the_trash_is_listed_for_admins_only(world):
    assert _get(world, "visitor", "/api/v1/trash").status_code == 401
    assert _get(world, "staff", "/api/v1/trash").status_code == 403
    listed = _get(world, "admin", "/api/v1/trash").json
    trashed = {i for (state, kind), (i, _) in world["photos"].items() if kind == "trashed"}
    assert {p["id"] for p in listed["photos"]} == trashed
    assert {a["slug"] for a in listed["albums"]} == {world["albums"]["trashed"][0]}


def _search(world, who: str) -> set[int]:
    page = _get(world, who, "/search?q=matrica").get_data(as_text=True)
    found = {hit["id"] for hit in _get(world, who, "/api/v1/search?q=matrica").json["hits"]}
    assert len(re.findall(r'class="hit"', page)) == len(found)
    return found


def test_search_as_a_visitor(world):
    # Unlisted albums are reached by their link only, never by search.
    assert _search(world, "visitor") == {world["photos"]["public", "ok"][0]}


@pytest.mark.parametrize("who", ("staff", "admin"))
def test_search_as_staff(world, who):
    found = _search(world, who)
    for (state, kind), (photo_id, _sha) in world["photos"].items():
        if state != "trashed" and kind != "trashed":
            assert photo_id in found, (state, kind)


def test_staff_search_leaves_the_trash_out(world):
    trashed = {i for (state, kind), (i, _) in world["photos"].items() if "trashed" in (state, kind)}
    assert not _search(world, "staff") & trashed
