"""A `gallery serve` process gets ready before its first visitor: pages opened once, and what
it made set aside from the garbage collector."""

from __future__ import annotations

import gc

import pytest

from gallery import create_app
from gallery.web.serve import GalleryServer, options
from tests.helpers import databases
from tests.helpers.apps import migrated_app
from tests.helpers.site_data import add_album, add_photo

SETTINGS = {"SERVE_PROCESSES": 1, "SERVE_THREADS": 4, "SERVE_CONNECTIONS": 10, "SERVE_KEEPALIVE": 5}


@pytest.fixture
def photo_id(tmp_path, monkeypatch) -> int:
    """A migrated data folder, the server's, with a public album of one photo."""
    data = tmp_path / "data"
    with migrated_app(data) as app, app.extensions["gallery.db.writes"]() as session:
        album = add_album(session, "fest", title="Pavasara skrējiens")
        made = add_photo(session, album, 1).id
        session.commit()
    monkeypatch.setenv("GALLERY_DATA_DIR", str(data))
    return made


def load_server_process():
    """What a gunicorn worker does after the fork; the collector is given back afterwards."""
    try:
        app = GalleryServer(create_app, options(SETTINGS, "127.0.0.1", 0)).load()
        return app, gc.get_freeze_count()
    finally:
        gc.unfreeze()


@pytest.mark.slow
def test_a_server_process_opens_the_visitor_pages_before_serving(photo_id):
    app, frozen = load_server_process()
    kept = {key[1] for key in app.extensions["gallery.pagecache"].items}
    assert {"/?", "/feed.atom?", "/albums/fest?", f"/albums/fest/photos/{photo_id}?"} <= kept
    compiled = {template.name for template in app.jinja_env.cache.values()}
    assert "search.html" in compiled  # the search page, which is never kept, was opened too
    assert frozen > 10_000  # modules, templates, compiled queries: out of the collector's way


def test_a_server_process_without_a_schema_still_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("GALLERY_DATA_DIR", str(tmp_path / "empty"))
    if databases.on_postgres():  # its database would be a migrated copy
        url = databases.url_for(tmp_path / "empty", migrated=False)
        monkeypatch.setenv("GALLERY_DATABASE_URL", url)
    app, _frozen = load_server_process()
    app.extensions["gallery.engine"].dispose()  # and the kept pages' connections with it
    assert app.extensions["gallery.pagecache"].items == {}
