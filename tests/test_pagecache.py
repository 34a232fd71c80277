"""Visitor pages kept per process (gallery/pagecache.py): used, and never stale.

A kept page must go the moment the database changes, whoever changed it: this process,
or another one (another server process, the command line).
"""

from __future__ import annotations

import sqlite3

import pytest
from conftest import sign_in
from servers import gallery
from site_data import add_album, add_photo
from sqlalchemy import event, update

from gallery.models import Photo
from gallery.pagecache import DataVersion, Kept


@pytest.fixture
def site(app):
    """A public album `fest` of two photos, with files, committed."""
    session = app.extensions["gallery.db.writes"]()
    storage = app.extensions["gallery.storage"]
    album = add_album(session, "fest", title="Fest")
    photos = [
        add_photo(session, album, n, storage=storage, caption=f"Skrējiens {n}") for n in (1, 2)
    ]
    session.commit()
    ids = [(photo.id, photo.sha256) for photo in photos]
    session.close()
    return ids


def fetch(client, url: str, **headers: str):
    with client.get(url, headers=headers) as response:
        response.get_data()
        return response


def visitor_urls(photo_id: int, sha256: str) -> list[str]:
    return [
        "/",
        "/years/2026",
        "/albums/fest",
        f"/albums/fest/photos/{photo_id}",
        f"/media/{sha256}/320.jpg",
        "/feed.atom",
    ]


def count_queries(app):
    """A list that gets one entry per SQL statement the app runs."""
    statements: list[str] = []
    engine = app.extensions["gallery.engine"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def test_a_kept_page_is_served_without_asking_the_database(app, client, site):
    urls = visitor_urls(*site[0])
    first = [fetch(client, url) for url in urls]
    statements = count_queries(app)
    again = [fetch(client, url) for url in urls]
    assert [r.status_code for r in first] == [200] * len(urls)
    assert [r.get_data() for r in again] == [r.get_data() for r in first]
    assert statements == []


def test_a_change_made_by_another_process_shows_at_once(app, client, site):
    (photo_id, sha256), (other_id, _other_sha) = site
    for url in visitor_urls(photo_id, sha256):
        assert fetch(client, url).status_code == 200
    # The command line is another process with its own connection, as another server is.
    gallery(app.config["DATA_DIR"], "albums", "set", "fest", "--title", "Pavasara skrējiens")
    assert "Pavasara skrējiens" in fetch(client, "/albums/fest").get_data(as_text=True)
    assert "Pavasara skrējiens" in fetch(client, "/").get_data(as_text=True)
    gallery(app.config["DATA_DIR"], "albums", "set", "fest", "--visibility", "private")
    answers = {url: fetch(client, url) for url in visitor_urls(photo_id, sha256)}
    assert {url: r.status_code for url, r in answers.items()} == {
        "/": 200,
        "/years/2026": 404,
        "/albums/fest": 404,
        f"/albums/fest/photos/{photo_id}": 404,
        f"/media/{sha256}/320.jpg": 404,
        "/feed.atom": 200,
    }
    assert "fest" not in answers["/"].get_data(as_text=True)
    assert "fest" not in answers["/feed.atom"].get_data(as_text=True)
    assert fetch(client, f"/albums/fest/photos/{other_id}").status_code == 404


def test_consent_withdrawn_in_this_process_hides_the_photo_at_once(app, client, site):
    (photo_id, sha256), _other = site
    assert fetch(client, f"/albums/fest/photos/{photo_id}").status_code == 200
    assert f"/media/{sha256}/" in fetch(client, "/albums/fest").get_data(as_text=True)
    # A bulk UPDATE, which no ORM event sees: the database's own counter still moves.
    with app.extensions["gallery.db.writes"]() as session, session.begin():
        session.execute(update(Photo).where(Photo.id == photo_id).values(consent="no_public"))
    assert fetch(client, f"/albums/fest/photos/{photo_id}").status_code == 404
    assert fetch(client, f"/media/{sha256}/320.jpg").status_code == 404
    assert f"/media/{sha256}/" not in fetch(client, "/albums/fest").get_data(as_text=True)


def test_each_language_and_signed_in_staff_get_their_own_page(app, client, site, users):
    with app.extensions["gallery.db.writes"]() as session, session.begin():
        album = session.get(Photo, site[0][0]).album
        kept_back = add_photo(session, album, 3, consent="no_public").sha256
    english = fetch(client, "/albums/fest", **{"Accept-Language": "en"}).get_data(as_text=True)
    latvian = fetch(client, "/albums/fest", **{"Accept-Language": "lv"}).get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="lv"' in latvian
    staff = app.test_client()
    sign_in(staff, *users["staff"])
    staff_page = fetch(staff, "/albums/fest", **{"Accept-Language": "en"}).get_data(as_text=True)
    assert kept_back in staff_page  # staff see the photo kept from visitors: not the kept page
    again = fetch(client, "/albums/fest", **{"Accept-Language": "en"}).get_data(as_text=True)
    assert again == english and kept_back not in again


def test_kept_pages_stay_within_their_memory_budget(tmp_path):
    sqlite3.connect(tmp_path / "db.sqlite3").close()
    kept = Kept(DataVersion(str(tmp_path / "db.sqlite3")), budget=10)
    made: list[str] = []

    def page(name: str):
        return kept.get(name, lambda: made.append(name) or name * 5)

    for name in ("a", "b", "a", "c", "a", "b"):  # five bytes each: two fit
        page(name)
    assert made == ["a", "b", "c", "b"]  # "b" went when "c" came, "a" stayed: used last
