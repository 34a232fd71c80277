"""The album lists' counts kept up to date (gallery/core/counts.py) equal a fresh GROUP BY
after every kind of change that moves a photo in or out of what visitors or staff see,
or an album in or out of a year's list or an album list's total: uploads, consent, trash and
restore, visibility, dates, moves between albums, deletion, bulk statements, the command
line."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import case, delete, extract, func, insert, select, text, update

from gallery.catalog.albums import album_total
from gallery.core import counts
from gallery.core import visibility as seeing
from gallery.core.models import Album, AlbumTotal, ListedYear, Photo
from tests.helpers.cli import invoke
from tests.helpers.images import image_bytes
from tests.helpers.site_data import add_album, add_photo


def fresh(session) -> tuple[dict, dict, dict]:
    """Each album's (public, live) photos, each year's public albums and each list's albums
    (staff's: all but the trash, visitors': the public ones), grouped anew."""
    shown = (Photo.status == "active") & (Photo.consent == "ok")
    per_album = select(
        Photo.album_id,
        func.sum(case((shown, 1), else_=0)),
        func.sum(case((Photo.status == "active", 1), else_=0)),
    ).group_by(Photo.album_id)
    photos = {album: (public, live) for album, public, live in session.execute(per_album)}
    albums = {album.id: photos.get(album.id, (0, 0)) for album in session.scalars(select(Album))}
    listed = func.coalesce(Album.event_date, func.date(Album.created_at))
    year = extract("year", listed)  # SQLite's strftime, PostgreSQL's EXTRACT
    per_year = (
        select(year, func.count())
        .where(Album.visibility == "public", Album.status == "active")
        .group_by(year)
    )
    live = select(func.count()).where(Album.status == "active")
    listed = live.where(Album.visibility == "public")
    totals = {"live": session.scalar(live), "listed": session.scalar(listed)}
    return albums, {int(y): n for y, n in session.execute(per_year)}, totals


def kept(session) -> tuple[dict, dict, dict]:
    rows = session.execute(select(Album.id, Album.public_photos, Album.live_photos))
    albums = {album: (public, live) for album, public, live in rows}
    years = {row.year: row.albums for row in session.scalars(select(ListedYear)) if row.albums}
    totals = {
        "live": album_total(session, seeing.STAFF),
        "listed": album_total(session, seeing.VISITOR),
    }
    return albums, years, totals


def assert_counted(app) -> None:
    with app.extensions["gallery.db"]() as session:
        assert kept(session) == fresh(session)
        assert counts.drift(session).ok


@pytest.fixture
def token(runner, users):
    return runner.invoke(args=["users", "token", "staff@school.lv"]).output.strip()


@pytest.fixture
def api(client, token):
    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        response = client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        assert response.status_code < 300, response.json
        return response.json

    return call


def upload(api, slug: str, seed: int) -> int:
    data = {"file": (io.BytesIO(image_bytes(seed=seed)), f"p{seed}.jpg")}
    return api("POST", f"/albums/{slug}/photos", data=data)["photo"]["id"]


def test_counts_follow_every_change_through_the_api(app, api, admin_api):
    api("POST", "/albums", json={"slug": "fest", "title": "Fest", "event_date": "2024-05-01"})
    api("POST", "/albums", json={"slug": "run", "title": "Run"})  # undated: its day made
    assert_counted(app)
    ids = [upload(api, "fest", seed) for seed in range(4)] + [upload(api, "run", 9)]
    assert_counted(app)
    api("PATCH", "/albums/fest", json={"visibility": "public"})
    api("PATCH", "/albums/run", json={"visibility": "public"})
    assert_counted(app)
    api("PATCH", f"/photos/{ids[0]}", json={"consent": "no_public"})  # hidden from visitors
    assert_counted(app)
    api("PATCH", "/photos", json={"ids": ids[1:3], "set": {"consent": "no_public"}})
    api("PATCH", "/photos", json={"ids": ids[1:2], "set": {"consent": "ok"}})
    assert_counted(app)
    api("DELETE", f"/photos/{ids[3]}")  # the trash
    assert_counted(app)
    admin_api("POST", "/trash/restore", json={"photos": [ids[3]]})
    assert_counted(app)
    api("PATCH", "/albums/fest", json={"event_date": "2019-09-01"})  # another year
    api("PATCH", "/albums/run", json={"event_date": None})
    assert_counted(app)
    api("PATCH", "/albums/fest", json={"visibility": "private"})  # off the list
    assert_counted(app)
    api("DELETE", "/albums/run")  # the album to the trash
    assert_counted(app)
    api("DELETE", f"/photos/{ids[2]}")
    admin_api("POST", "/trash/empty")  # rows deleted for good
    assert_counted(app)
    with app.extensions["gallery.db"]() as session:
        fest = session.scalar(select(Album).where(Album.slug == "fest"))
        assert (fest.public_photos, fest.live_photos) == (2, 3)


@pytest.fixture
def admin_api(client, runner, users):
    secret = runner.invoke(args=["users", "token", "admin@school.lv"]).output.strip()

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {secret}"}
        response = client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        assert response.status_code < 300, response.json
        return response.json

    return call


def test_counts_follow_orm_moves_deletes_and_bulk_statements(app):
    sessions = app.extensions["gallery.db.writes"]
    with sessions() as session:
        one = add_album(session, "one", event_date=date(2023, 1, 5))
        two = add_album(session, "two", visibility="draft", event_date=date(2022, 3, 1))
        made = [add_photo(session, one, n) for n in range(1, 6)]
        add_photo(session, two, 1, consent="no_public")
        session.commit()
        assert_counted(app)
        made[0].album_id = two.id  # moved to another album
        made[0].number = 2
        session.commit()
        assert_counted(app)
        made[1].status, made[1].consent = "trashed", "no_public"  # two fields at once
        session.commit()
        assert_counted(app)
        session.delete(made[2])
        session.commit()
        assert_counted(app)
        two.visibility = "public"
        two.event_date = date(2023, 12, 31)
        session.commit()
        assert_counted(app)
        session.execute(update(Photo).where(Photo.album_id == one.id).values(consent="no_public"))
        session.commit()  # a bulk UPDATE: counted afresh before its commit
        assert_counted(app)
        session.execute(delete(Photo).where(Photo.id == made[4].id))
        session.commit()
        assert_counted(app)
        session.execute(text("UPDATE albums SET visibility = 'private' WHERE slug = 'one'"))
        session.commit()  # raw SQL that writes: counted afresh too
        assert_counted(app)
        session.expire_all()  # the objects of the session do not know what SQL did
        one.event_date = None  # listed under the day it was made
        one.visibility = "public"
        session.commit()
        assert_counted(app)
        for photo in session.scalars(select(Photo).where(Photo.album_id == one.id)):
            session.delete(photo)
        session.flush()
        session.delete(one)
        session.commit()
        assert_counted(app)


def test_a_rolled_back_change_counts_nothing(app):
    sessions = app.extensions["gallery.db.writes"]
    with sessions() as session:
        album = add_album(session, "fest")
        add_photo(session, album, 1)
        session.commit()
        add_photo(session, album, 2)
        session.flush()
        session.rollback()
    assert_counted(app)


def test_the_command_line_import_counts(app, runner, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in range(3):
        (folder / f"{seed}.jpg").write_bytes(image_bytes(seed=seed))
    invoke(runner, "import", "--album", "cli", str(folder))
    invoke(runner, "albums", "set", "cli", "--visibility", "public", "--date", "2021-02-03")
    assert_counted(app)


def test_check_finds_counts_written_around_the_app_and_repair_recounts(app, runner):
    sessions = app.extensions["gallery.db.writes"]
    with sessions() as session:
        album = add_album(session, "fest", event_date=date(2020, 2, 2))
        add_photo(session, album, 1, storage=app.extensions["gallery.storage"], phash=1)
        session.commit()
    engine = app.extensions["gallery.engine"]
    with engine.begin() as connection:  # no session: nothing follows it
        connection.execute(update(Photo).values(consent="no_public"))
        connection.execute(update(Album).values(event_date=date(2018, 1, 1)))
    with sessions() as session:
        found = counts.drift(session)
        assert (found.albums, found.years) == ([album.id], [2018, 2020])
    result = invoke(runner, "check", "--quick", exit_code=1)
    assert "counts" in result.output
    invoke(runner, "check", "--quick", "--repair", exit_code=0)
    assert_counted(app)


def staff_total(client, token) -> int:
    """The total the staff album list shows ("N albums")."""
    response = client.get("/staff/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    shown = re.search(r'class="meta">(\d+) album', response.get_data(as_text=True))
    assert shown, "the staff list shows no total"
    return int(shown.group(1))


def test_the_album_lists_totals_follow_albums_made_trashed_restored_and_deleted(
    app, client, token, api, admin_api
):
    assert staff_total(client, token) == 0  # no row yet: none
    for slug in ("fest", "run", "choir"):
        api("POST", "/albums", json={"slug": slug, "title": slug.title()})
    api("PATCH", "/albums/fest", json={"visibility": "public"})
    assert staff_total(client, token) == 3
    assert_counted(app)
    api("DELETE", "/albums/run")  # to the trash: off the staff list
    api("DELETE", "/albums/fest")  # and off the visitors'
    assert staff_total(client, token) == 1
    assert_counted(app)
    admin_api("POST", "/trash/restore", json={"albums": ["fest"]})
    assert staff_total(client, token) == 2
    assert_counted(app)
    admin_api("POST", "/trash/empty")  # run deleted for good: it had left the list already
    assert staff_total(client, token) == 2
    assert_counted(app)
    with app.extensions["gallery.db.writes"]() as session:
        session.delete(session.scalar(select(Album).where(Album.slug == "choir")))
        session.commit()  # deleted while on the list
    assert staff_total(client, token) == 1
    assert_counted(app)


def test_a_bulk_update_of_albums_recounts_the_totals(app):
    sessions = app.extensions["gallery.db.writes"]
    with sessions() as session:
        for slug in ("one", "two", "three"):
            add_album(session, slug)
        session.commit()
        session.execute(update(Album).where(Album.slug != "one").values(status="trashed"))
        session.commit()  # no flush event sees the rows: counted afresh before the commit
        assert (album_total(session, seeing.STAFF), album_total(session, seeing.VISITOR)) == (1, 1)
    assert_counted(app)


def test_check_finds_a_wrong_album_total_and_repair_recounts(app, runner):
    sessions = app.extensions["gallery.db.writes"]
    with sessions() as session:
        add_album(session, "fest", visibility="draft")
        session.commit()
    engine = app.extensions["gallery.engine"]
    with engine.begin() as connection:  # no session: nothing follows it
        connection.execute(update(AlbumTotal).where(AlbumTotal.name == "live").values(albums=7))
        connection.execute(delete(AlbumTotal).where(AlbumTotal.name == "listed"))
        connection.execute(insert(AlbumTotal).values(name="listed", albums=2))
    with sessions() as session:
        assert counts.drift(session).totals == ["listed", "live"]
    result = invoke(runner, "check", "--quick", exit_code=1)
    assert "album list 'live'" in result.output
    invoke(runner, "check", "--quick", "--repair", exit_code=0)
    assert_counted(app)
    with sessions() as session:
        assert (album_total(session, seeing.STAFF), album_total(session, seeing.VISITOR)) == (1, 0)
