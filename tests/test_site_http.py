"""The visitor site over HTTP: validators and 304, compression, originals, the Atom feed."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import brotli
import pytest
from sqlalchemy import select, text

from gallery.core.models import Album
from gallery.site.feed import Entry, atom
from tests.helpers.accounts import csrf_of, sign_in
from tests.helpers.site_data import add_album, add_photo

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def session(app):
    """A database session outside any app context (one would leak `g` into requests)."""
    made = app.extensions["gallery.db.writes"]()
    yield made
    made.close()


@pytest.fixture
def storage(app):
    return app.extensions["gallery.storage"]


def fetch(client, url: str, **headers: str):
    """GET, read, and close at once (media responses hold their file open until closed)."""
    with client.get(url, headers=headers) as response:
        response.get_data()
        return response


def test_pages_send_an_etag_and_answer_304(client, session):
    add_photo(session, add_album(session, "fest"), 1, caption="before")
    session.commit()
    first = client.get("/albums/fest")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert {"Accept-Language", "Cookie", "Accept-Encoding"} <= set(first.vary)
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get("/albums/fest", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # Changed behind the ORM's back, with no timestamp: the ETag still follows the page.
    session.execute(text("UPDATE photos SET caption = 'after'"))
    session.commit()
    changed = client.get("/albums/fest", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b"after" in changed.data


@pytest.mark.parametrize(
    ("accept", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)]
)
def test_html_is_compressed_and_jpegs_are_not(client, session, storage, accept, decode):
    album = add_album(session, "fest")
    for n in range(1, 30):
        add_photo(session, album, n, storage=storage if n == 1 else None)
    session.commit()
    plain = client.get("/albums/fest").data
    packed = client.get("/albums/fest", headers={"Accept-Encoding": accept})
    assert packed.headers["Content-Encoding"] == accept
    assert decode(packed.data) == plain and len(packed.data) < len(plain) / 4
    feed = client.get("/feed.atom", headers={"Accept-Encoding": accept})
    assert decode(feed.data).startswith(b"<?xml")
    first = album.photos[0]
    image = fetch(client, f"/media/{first.sha256}/320.jpg", **{"Accept-Encoding": accept})
    assert image.status_code == 200 and "Content-Encoding" not in image.headers


def test_a_page_with_the_csrf_token_is_never_compressed(client):
    token = csrf_of(client)
    page = client.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert token.encode() in page.data and "Content-Encoding" not in page.headers


def test_originals_only_where_the_album_offers_them(client, session, storage, users):
    album = add_album(session, "fest")
    photo = add_photo(session, album, 1, storage=storage)
    session.commit()
    url = f"/albums/fest/photos/{photo.id}/original"
    assert fetch(client, url).status_code == 404
    album.allow_original_download = True
    session.commit()
    response = fetch(client, url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "IMG_0001.JPG" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"]
    album.allow_original_download = False
    session.commit()
    sign_in(client, *users["staff"])
    assert fetch(client, url).status_code == 200  # staff: always


def test_staff_fetch_renditions_of_drafts_privately(client, session, storage, users):
    photo = add_photo(session, add_album(session, "draft", "draft"), 1, storage=storage)
    session.commit()
    url = f"/media/{photo.sha256}/640.jpg"
    assert fetch(client, url).status_code == 404
    sign_in(client, *users["staff"])
    response = fetch(client, url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")


def test_feed_lists_newly_published_albums(client, session):
    old = add_album(session, "old", title="Old & <tired>", description="First\x0b one")
    add_photo(session, old, 1, caption="cover")
    add_album(session, "draft", "draft")
    session.flush()
    newer = add_album(session, "newer", "draft")
    newer.visibility = "public"  # published later: first in the feed
    newer.published_at = old.published_at + timedelta(hours=1)
    session.commit()
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Newer", "Old & <tired>"]
    assert entries[0].find(f"{ATOM}id").text.startswith("urn:uuid:")  # the same on any host
    alternate = entries[0].find(f"{ATOM}link[@rel='alternate']").get("href")
    assert alternate == "http://localhost/albums/newer"
    assert entries[1].find(f"{ATOM}summary").text == "First one"  # no control characters
    content = entries[1].find(f"{ATOM}content")
    assert content.get("type") == "html" and '<img src="http://localhost/media/' in content.text
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/feed.atom"


def test_feed_document_is_valid_atom_without_entries():
    named = {"id": "urn:uuid:1", "title": "T", "language": "lv", "author": "A"}
    document = atom(**named, site_url="http://x/", feed_url="http://x/f", entries=[])
    feed = ET.fromstring(document)
    assert feed.find(f"{ATOM}updated").text == "1970-01-01T00:00:00+00:00"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "lv"
    moment = datetime(2026, 5, 1, 12, 0)
    entry = Entry("http://x/a", "urn:uuid:2", "a", moment, moment.replace(tzinfo=UTC), "s")
    one = ET.fromstring(atom(**named, site_url="", feed_url="", entries=[entry]))
    assert one.find(f"{ATOM}entry/{ATOM}published").text == "2026-05-01T12:00:00+00:00"
    assert one.find(f"{ATOM}entry/{ATOM}id").text == "urn:uuid:2"


def test_feed_ids_do_not_follow_the_host_asked(client, runner):
    """The same feed asked through two addresses: the same ids, its language marked."""
    assert runner.invoke(args=["albums", "create", "fest", "--visibility", "public"]).exit_code == 0
    answers = [
        client.get("/feed.atom", base_url=f"http://{host}/", headers={"Accept-Language": "lv"})
        for host in ("gallery.school.lv", "10.0.0.5:8000")
    ]
    feeds = [ET.fromstring(answer.data) for answer in answers]
    ids = [[e.text for e in feed.iter(f"{ATOM}id")] for feed in feeds]
    assert ids[0] == ids[1] and len(ids[0]) == 2
    assert all(i.startswith("urn:uuid:") for i in ids[0])
    assert feeds[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "lv"
    links = [feed.find(f"{ATOM}link[@rel='self']").get("href") for feed in feeds]
    assert links == ["http://gallery.school.lv/feed.atom", "http://10.0.0.5:8000/feed.atom"]


def test_an_album_is_dated_when_it_first_becomes_public(runner, session):
    assert runner.invoke(args=["albums", "create", "fest"]).exit_code == 0
    result = runner.invoke(args=["albums", "set", "fest", "--visibility", "public", "--originals"])
    assert result.exit_code == 0, result.output
    album = session.scalars(select(Album)).one()
    assert album.published_at is not None and album.allow_original_download
    first = album.published_at
    album.visibility = "private"
    album.visibility = "public"
    assert album.published_at == first
