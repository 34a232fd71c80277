"""Search on several machines: each keeps its own index and follows the change log.

Two apps on one database with index directories of their own stand for two machines. The
second app's database URL is spelt differently (a symlinked folder on SQLite, a connection
option on PostgreSQL), so the first app's commits never reach its index through this
process's session events (sync.py): only through the log. Searches read the index itself
(`raw_ids`), not run_search, which hides and mends what the database no longer shows.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update
from whoosh import index as whoosh_index

from gallery import create_app
from gallery.core import db
from gallery.core.models import Album, Photo, SearchChange, utcnow
from gallery.core.states import Consent, Status, Visibility
from gallery.search import changes
from gallery.search.follow import Follower
from gallery.search.query import parse_query
from tests.helpers import databases
from tests.helpers.cli import invoke
from tests.helpers.search_data import add_album, add_photo

FOLLOW_MS = 100
PATIENCE = 5.0  # "within a few seconds"


def other_url(app, tmp_path: Path) -> str:
    """The first app's database under another spelling of its URL."""
    url = app.config["DATABASE_URL"]
    path = db.sqlite_path(url)
    if path is None:
        return url + ("&" if "?" in url else "?") + "application_name=node-b"
    link = tmp_path / "same-database"
    if not link.exists():
        link.symlink_to(path.parent, target_is_directory=True)
    return f"sqlite:///{link / path.name}"


@contextmanager
def machine(app, tmp_path: Path, index_dir: Path, *, follow: bool = True):
    """A second machine: an app on the first one's database with its own index directory."""
    other = create_app(
        {
            "DATA_DIR": str(tmp_path / "b"),
            "DATABASE_URL": other_url(app, tmp_path),
            "INDEX_DIR": str(index_dir),
            "SEARCH_FOLLOW_MS": FOLLOW_MS,
            "TESTING": True,
            "LANGUAGE": "en",
        }
    )
    if follow:
        other.extensions["gallery.search.follow"].start()
    try:
        yield other
    finally:
        other.extensions["gallery.search.follow"].stop()
        other.extensions["gallery.search"].close()
        other.extensions["gallery.engine"].dispose()


@pytest.fixture
def node_b(app, tmp_path):
    with machine(app, tmp_path, tmp_path / "b-index") as other:
        yield other


def raw_ids(app, text: str, *, staff: bool = False) -> set[int]:
    """The photos this app's own index finds for `text` (a visitor's search unless `staff`)."""
    index = app.extensions["gallery.search"]
    found = index.search(parse_query(text), page=1, per_page=100, staff=staff, wait=None)
    return {hit.photo_id for hit in found.hits}


def eventually(check, patience: float = PATIENCE) -> float:
    """Seconds until `check()` holds (fails after `patience`)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < patience, f"not within {patience} s"
        time.sleep(0.02)
    return time.monotonic() - started


def edit(app, **photo_updates) -> None:
    """Change photos through the app's own session (its events log the change)."""
    with app.app_context():
        session = db.session_factory()()
        for photo_id, values in photo_updates.items():
            photo = session.get_one(Photo, int(photo_id.removeprefix("p")))
            for name, value in values.items():
                setattr(photo, name, value)
        session.commit()
        session.close()


@pytest.fixture
def photos(app):
    """Two public photos and one in another public album, committed through the first app."""
    with app.app_context():
        session = db.get_session()
        fair = add_album(session, "tirgus", title="Gadatirgus")
        other = add_album(session, "koris", title="Koris")
        made = {
            "market": add_photo(session, fair, "Tirgus laukumā").id,
            "stall": add_photo(session, fair, "Tirgus telts").id,
            "choir": add_photo(session, other, "Tirgus koris dzied").id,
        }
        session.commit()
        made["other_album"] = other.id
    return made


def test_an_edit_through_one_machine_is_found_through_the_other(
    app, client, runner, users, photos, node_b
):
    eventually(
        lambda: raw_ids(node_b, "tirgus") == {photos["market"], photos["stall"], photos["choir"]}
    )
    token = invoke(runner, "users", "token", "staff@school.lv").output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    patch = client.patch(
        f"/api/v1/photos/{photos['stall']}", headers=headers, json={"caption": "Zvejnieku svētki"}
    )
    assert patch.status_code == 200
    assert raw_ids(app, "zvejnieks") == {photos["stall"]}  # read-your-writes on the first
    eventually(lambda: raw_ids(node_b, "zvejnieks") == {photos["stall"]})
    assert photos["stall"] not in raw_ids(node_b, "telts")


def test_a_new_photo_reaches_the_other_machine(app, photos, node_b):
    eventually(lambda: len(raw_ids(node_b, "tirgus")) == 3)
    with app.app_context():
        session = db.get_session()
        added = add_photo(session, session.get_one(Album, photos["other_album"]), "Siers").id
        session.commit()
    eventually(lambda: raw_ids(node_b, "siers") == {added})


def test_a_rolled_back_edit_logs_nothing(app, photos):
    def logged() -> int:
        with db.session_factory(writes=False)() as reader:
            return reader.scalar(select(func.count()).select_from(SearchChange)) or 0

    with app.app_context():
        before = logged()
        session = db.session_factory()()
        session.get_one(Photo, photos["stall"]).caption = "Siers"
        session.flush()  # the log's row is written here, in the edit's transaction
        assert session.scalar(select(func.count()).select_from(SearchChange)) == before + 1
        session.rollback()
        session.close()
        assert logged() == before


def test_a_bulk_update_reaches_the_other_machine(app, photos, node_b):
    eventually(lambda: len(raw_ids(node_b, "tirgus")) == 3)
    with app.app_context():
        session = db.session_factory()()
        session.execute(update(Photo).where(Photo.id == photos["stall"]).values(caption="Siers"))
        session.commit()
        session.close()
    eventually(lambda: raw_ids(node_b, "siers") == {photos["stall"]})


def test_withdrawals_disappear_from_the_other_machine(app, photos, node_b):
    everything = {photos["market"], photos["stall"], photos["choir"]}
    eventually(lambda: raw_ids(node_b, "tirgus") == everything)
    edit(app, **{f"p{photos['market']}": {"status": Status.TRASHED}})
    edit(app, **{f"p{photos['stall']}": {"consent": Consent.NO_PUBLIC}})
    with app.app_context():
        session = db.session_factory()()
        session.get_one(Album, photos["other_album"]).visibility = Visibility.PRIVATE
        session.commit()
        session.close()
    eventually(lambda: raw_ids(node_b, "tirgus") == set())
    assert raw_ids(node_b, "tirgus", staff=True) == {photos["stall"], photos["choir"]}


def test_a_machine_that_was_down_catches_up(app, tmp_path, photos):
    index_dir = tmp_path / "b-index"
    with machine(app, tmp_path, index_dir) as before:
        eventually(lambda: len(raw_ids(before, "tirgus")) == 3)
        eventually(lambda: changes.read_cursor(index_dir) is not None)
    edit(app, **{f"p{photos['choir']}": {"caption": "Zvejnieku koris"}})
    edit(app, **{f"p{photos['market']}": {"status": Status.TRASHED}})
    with machine(app, tmp_path, index_dir, follow=False) as after:
        assert raw_ids(after, "zvejnieks") == set()  # its index as it was when it stopped
        after.extensions["gallery.search.follow"].start()
        eventually(lambda: raw_ids(after, "zvejnieks") == {photos["choir"]})
        assert raw_ids(after, "tirgus") == {photos["stall"]}


def test_a_new_machine_builds_its_index_from_the_database(app, tmp_path, photos):
    """No log rows for its photos (a database older than the log): it reads them all."""
    with app.app_context(), db.session_factory().begin() as session:
        session.execute(SearchChange.__table__.delete())
    index_dir = tmp_path / "b-index"
    with machine(app, tmp_path, index_dir) as other:  # nothing searches it: its follower
        eventually(lambda: changes.read_cursor(index_dir) is not None)
        assert whoosh_index.open_dir(str(index_dir)).doc_count() == 3
        edit(app, **{f"p{photos['choir']}": {"caption": "Zvejnieku koris"}})
        eventually(lambda: raw_ids(other, "zvejnieks") == {photos["choir"]})


def test_pruning_past_a_machines_cursor_rebuilds_it(app, tmp_path, photos):
    index_dir = tmp_path / "b-index"
    with machine(app, tmp_path, index_dir) as before:
        eventually(lambda: len(raw_ids(before, "tirgus")) == 3)
        eventually(lambda: changes.read_cursor(index_dir) is not None)
    edit(app, **{f"p{photos['choir']}": {"caption": "Zvejnieku koris"}})
    with app.app_context(), db.session_factory().begin() as session:
        marker = changes.prune(session, keep=timedelta(0))
        left = session.scalars(select(SearchChange.photo_id)).all()
    assert marker > (changes.read_cursor(index_dir) or 0) and left == [None]
    with machine(app, tmp_path, index_dir) as after:
        eventually(lambda: raw_ids(after, "zvejnieks") == {photos["choir"]})
        eventually(lambda: (changes.read_cursor(index_dir) or 0) >= marker)


def test_a_cursor_past_the_logs_end_rebuilds_the_index(app, tmp_path, photos):
    """A database restored from a backup: its log ends before the machine's cursor."""
    index_dir = tmp_path / "b-index"
    with machine(app, tmp_path, index_dir) as before:
        eventually(lambda: len(raw_ids(before, "tirgus")) == 3)
    changes.write_cursor(index_dir, 1_000_000)
    edit(app, **{f"p{photos['choir']}": {"caption": "Zvejnieku koris"}})
    with machine(app, tmp_path, index_dir) as after:
        eventually(lambda: raw_ids(after, "zvejnieks") == {photos["choir"]})
        eventually(lambda: (changes.read_cursor(index_dir) or 0) < 1_000_000)


def test_several_processes_on_one_index_take_turns_following(app, tmp_path, photos):
    """Two followers of one index directory stand for two `gallery serve` processes."""
    with machine(app, tmp_path, tmp_path / "b-index", follow=False) as other:
        index = other.extensions["gallery.search"]
        first, second = Follower(index, 0.1), Follower(index, 0.1)
        first.poll(index)  # takes the lock (and makes the index)
        edit(app, **{f"p{photos['choir']}": {"caption": "Zvejnieku koris"}})
        assert second.poll(index) == 0  # the lock is taken: it only reads
        assert raw_ids(other, "zvejnieks") == set()
        first.stop()
        assert second.poll(index) >= 1  # its turn now (rows of the last minute again)
        second.stop()
        assert raw_ids(other, "zvejnieks") == {photos["choir"]}


@pytest.mark.skipif(not databases.on_postgres(), reason="SQLite commits in id order")
def test_a_lower_id_committed_after_a_higher_one_is_applied(app, photos, node_b):
    eventually(lambda: len(raw_ids(node_b, "tirgus")) == 3)

    def change(connection, photo_id: int, caption: str) -> None:
        # Plain connections: none of the app's locks (the writers' lock, the withdrawals
        # count) keeps the two transactions from overlapping.
        photo = Photo.__table__
        connection.execute(update(photo).where(photo.c.id == photo_id).values(caption=caption))
        row = {"at": utcnow(), "photo_id": photo_id, "album_id": None}
        connection.execute(insert(SearchChange.__table__), row)

    engine = app.extensions["gallery.engine"]
    with engine.connect() as early, engine.connect() as late:
        early.begin(), late.begin()
        change(early, photos["market"], "Zvejnieks agri")  # the lower id, not yet committed
        change(late, photos["stall"], "Zvejnieks vēlu")
        late.commit()  # the higher id, committed first
        eventually(lambda: raw_ids(node_b, "zvejnieks") == {photos["stall"]})
        time.sleep(5 * FOLLOW_MS / 1000)  # the follower looks again meanwhile
        early.commit()
    eventually(lambda: raw_ids(node_b, "zvejnieks") == {photos["market"], photos["stall"]})
