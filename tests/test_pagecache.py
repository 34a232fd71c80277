"""Visitor pages kept per process (gallery/pagecache.py): used, a moment behind what was
added, never behind what was taken away.

A kept page must go the moment something is withdrawn, whoever withdrew it: this process,
or another one (another server process, the command line). The app here keeps pages for an
hour after a change that only adds, so a withdrawal that went unnoticed would show.
"""

from __future__ import annotations

import io
import sqlite3

import pytest
from sqlalchemy import delete, event, select, text, update

from gallery.catalog import photos
from gallery.core import db
from gallery.core.models import Album, ApiToken, Photo, VisitorWithdrawals
from gallery.search import service as search
from gallery.web.pagecache import Kept, PostgresVersion, SQLiteVersion
from tests.helpers import databases
from tests.helpers.accounts import sign_in
from tests.helpers.apps import migrated_app
from tests.helpers.cli import invoke
from tests.helpers.images import image_bytes
from tests.helpers.servers import gallery
from tests.helpers.site_data import add_album, add_photo

HOUR = 3600


@pytest.fixture
def app(tmp_path):
    """Pages kept for an hour after a change that only adds."""
    with migrated_app(tmp_path / "data", WORKERS=2, LANGUAGE="en", VISITOR_CACHE_GRACE=HOUR) as app:
        yield app


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


@pytest.mark.slow
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
    kept = Kept(SQLiteVersion(str(tmp_path / "db.sqlite3")), budget=10)
    made: list[str] = []

    def page(name: str):
        return kept.get(name, lambda: made.append(name) or name * 5)

    for name in ("a", "b", "a", "c", "a", "b"):  # five bytes each: two fit
        page(name)
    assert made == ["a", "b", "c", "b"]  # "b" went when "c" came, "a" stayed: used last


def withdrawals(app) -> int:
    with app.extensions["gallery.db"]() as session:
        return session.scalar(select(VisitorWithdrawals.count))


def test_an_added_photo_shows_within_the_grace(app, client, site):
    before = fetch(client, "/albums/fest").get_data(as_text=True)
    with app.extensions["gallery.db.writes"]() as session, session.begin():
        added = add_photo(session, session.get(Photo, site[0][0]).album, 3).sha256
    assert fetch(client, "/albums/fest").get_data(as_text=True) == before  # kept: it only adds
    kept = app.extensions["gallery.pagecache"]
    clock = kept.clock
    kept.clock = lambda: clock() + HOUR
    assert added in fetch(client, "/albums/fest").get_data(as_text=True)


@pytest.fixture
def other_machine(app):
    """A second app on the same database, as another web machine (or server process) is."""
    with migrated_app(app.config["DATA_DIR"], LANGUAGE="en") as other:
        assert other.config["DATABASE_URL"] == app.config["DATABASE_URL"]
        yield other


def test_a_withdrawal_committed_by_another_machine_ends_a_kept_page_at_once(
    app, client, site, other_machine
):
    assert "Fest" in fetch(client, "/").get_data(as_text=True)
    assert fetch(client, "/albums/fest").status_code == 200
    change(other_machine, lambda s: setattr(Album.by_slug(s, "fest"), "visibility", "private"))
    assert fetch(client, "/albums/fest").status_code == 404  # grace: an hour; gone at once
    assert "Fest" not in fetch(client, "/").get_data(as_text=True)


def test_an_addition_by_another_machine_shows_after_the_grace_never_before_its_commit(
    app, client, site, other_machine
):
    writer = other_machine.extensions["gallery.db.writes"]()
    added = add_photo(writer, Album.by_slug(writer, "fest"), 3).sha256
    writer.flush()  # written, not committed: the page is made while that writer runs
    assert added not in fetch(client, "/albums/fest").get_data(as_text=True)
    writer.commit()
    writer.close()
    assert added not in fetch(client, "/albums/fest").get_data(as_text=True)  # kept: it adds
    kept = app.extensions["gallery.pagecache"]
    clock = kept.clock
    kept.clock = lambda: clock() + HOUR
    assert added in fetch(client, "/albums/fest").get_data(as_text=True)  # past the grace


def change(app, work) -> None:
    with app.extensions["gallery.db.writes"]() as session, session.begin():
        work(session)


WITHDRAWALS = {
    "album made private": lambda s: setattr(Album.by_slug(s, "fest"), "visibility", "private"),
    "photo trashed": lambda s: setattr(s.scalars(select(Photo)).first(), "status", "trashed"),
    "photo deleted": lambda s: s.delete(s.scalars(select(Photo)).first()),
    "caption rewritten": lambda s: setattr(s.scalars(select(Photo)).first(), "caption", "Cits"),
    "bulk consent withdrawn": lambda s: s.execute(update(Photo).values(consent="no_public")),
    "bulk delete": lambda s: s.execute(delete(Photo)),
    "raw SQL": lambda s: s.execute(text("UPDATE photos SET caption = 'Cits'")),
    "photo moved to another album": lambda s: setattr(
        s.scalars(select(Photo)).first(), "album", add_album(s, "other", visibility="private")
    ),
}


@pytest.mark.parametrize("name", WITHDRAWALS)
def test_a_withdrawal_drops_every_kept_page_at_once(app, client, site, name):
    urls = visitor_urls(*site[0])
    first = [fetch(client, url).get_data() for url in urls]
    counted = withdrawals(app)
    change(app, WITHDRAWALS[name])
    assert withdrawals(app) == counted + 1
    statements = count_queries(app)
    again = [fetch(client, url).get_data() for url in urls]
    assert again != first
    assert any(s.lstrip().upper().startswith("SELECT") for s in statements)  # made again


ADDITIONS_AND_BOOKKEEPING = {
    "photo added": lambda s: add_photo(s, Album.by_slug(s, "fest"), 3),
    "album added": lambda s: add_album(s, "other"),
    "a token's use noted": lambda s: s.execute(update(ApiToken).values(last_used_at=None)),
    "nothing really changed": lambda s: setattr(Album.by_slug(s, "fest"), "title", "Fest"),
    "photos renumbered by time": lambda s: renumber_after_an_older_photo(s),
}


def renumber_after_an_older_photo(session):
    album = Album.by_slug(session, "fest")
    add_photo(session, album, 3, taken_at="2001-01-01T10:00:00")
    photos.sort_by_time(session, album)
    assert [p.number for p in album.photos if p.taken_at] == [1]  # it really moved


@pytest.mark.parametrize("name", ADDITIONS_AND_BOOKKEEPING)
def test_additions_and_bookkeeping_are_not_withdrawals(app, site, name):
    counted = withdrawals(app)
    change(app, ADDITIONS_AND_BOOKKEEPING[name])
    assert withdrawals(app) == counted


def test_an_upload_through_the_api_is_not_a_withdrawal(app, client, runner, users, site):
    token = invoke(runner, "users", "token", "staff@school.lv").output.strip()
    image = io.BytesIO(image_bytes())
    counted = withdrawals(app)
    answer = client.post(
        "/api/v1/albums/fest/photos",
        data={"file": (image, "new.jpg")},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201
    assert withdrawals(app) == counted


@pytest.fixture
def version_and_commit(tmp_path):
    """The suite's engine's DataVersion over a database with a count of withdrawals, and a
    way to commit SQL to it through a connection of another's."""
    if databases.on_postgres():
        engine = db.make_engine(databases.url_for(tmp_path))  # migrated: the count is 0
        yield PostgresVersion(engine), lambda sql: _commit(engine, sql)
        engine.dispose()
        return
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE visitor_withdrawals (id INTEGER PRIMARY KEY, count INTEGER)"
        )
        connection.execute("INSERT INTO visitor_withdrawals VALUES (1, 0)")

    def commit(sql: str):
        with sqlite3.connect(path) as connection:
            connection.execute(sql)

    yield SQLiteVersion(str(path)), commit


def _commit(engine, sql: str) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(sql)


def test_a_kept_value_serves_within_the_grace_after_a_change_then_is_made_again(
    version_and_commit,
):
    version, commit = version_and_commit
    now = [100.0]
    kept = Kept(version, budget=1000, grace=2, clock=lambda: now[0])
    made: list[int] = []

    def page():
        return kept.get("home", lambda: made.append(len(made)) or f"page {len(made)}")

    assert page() == "page 1"
    commit("CREATE TABLE other (x INTEGER)")  # any change
    now[0] += 1.5
    assert page() == "page 1"  # made 1.5 s ago: within the grace
    now[0] += 1
    assert page() == "page 2"  # made 2.5 s ago, before a change: made again
    if not databases.on_postgres():  # there, other tests' commits on the server move it too
        now[0] += 10
        assert page() == "page 2"  # nothing changed since it was made: however old
    commit("UPDATE visitor_withdrawals SET count = count + 1")
    assert page() == "page 3"  # a withdrawal: at once


def test_a_visitor_search_is_kept_until_the_index_changes(app, client, site):
    with app.app_context():
        search.index_photos([photo_id for photo_id, _sha in site], wait=None)
    first = fetch(client, "/search?q=skrējiens").get_data(as_text=True)
    assert f"/albums/fest/photos/{site[0][0]}" in first
    statements = count_queries(app)
    assert fetch(client, "/search?q=skrējiens").get_data(as_text=True) == first
    assert statements == []
    with app.extensions["gallery.db.writes"]() as session, session.begin():
        added = add_photo(session, Album.by_slug(session, "fest"), 3, caption="Skrējiens 3").id
    with app.app_context():
        search.index_photos([added], wait=None)  # an addition: only the index says so
    assert f"/albums/fest/photos/{added}" in fetch(client, "/search?q=skrējiens").get_data(
        as_text=True
    )
