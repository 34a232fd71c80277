"""`gallery serve`: gunicorn, several processes of several threads each.

One Python process uses one core at a time (the GIL), so the server runs one process per
core (`SERVE_PROCESSES`). The app is made for that: SQLite writers queue for the write lock
(`BEGIN IMMEDIATE`) and duplicates are refused by unique constraints, whichever process
they come from; each process has its own search writer thread (Whoosh's file lock makes
them take turns), its own searcher, decode pool and kept pages (gallery/pagecache.py,
which follow every process's commits). Every process builds its own
app after the fork (no preloading), so no thread, connection or pool crosses a fork.

Threads (`SERVE_THREADS`) run requests: an upload holds one while it waits for its decode
worker, so there are enough for every uploader plus the visitors. Idle keep-alive
connections hold no thread (gunicorn's gthread worker parks them in a selector), up to
`SERVE_CONNECTIONS` per process: browsers keep up to six connections open each, so a
limit of 100 (waitress's default) stalls the 17th visitor until another one's idle
connection times out.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from flask import Flask, url_for
from gunicorn.app.base import BaseApplication
from sqlalchemy.exc import SQLAlchemyError

from gallery import create_app, db, photos
from gallery.models import Album

log = logging.getLogger(__name__)


class GalleryServer(BaseApplication):
    """gunicorn with settings from the gallery's config, serving `create_app()`."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        app = create_app()  # in each worker process, after the fork; settings from GALLERY_*
        warm_up(app)
        # What exists now lives as long as the process (modules, templates, compiled queries):
        # out of the collector's sight, a full collection stops every request thread for
        # about 10 ms instead of 60-120 ms (measured during the load script's first seconds).
        gc.collect()
        gc.freeze()
        return app


def warm_up(app: Flask) -> None:
    """Open the visitor pages once before serving, so that the first visitors after a start
    do not wait while templates and queries are compiled and the search index is opened.
    A page that fails here is logged and left to its first visitor."""
    client = app.test_client()
    for url in _warm_up_urls(app):
        try:
            client.get(url).close()
        except Exception:
            log.warning("warming up %s failed", url, exc_info=True)


def _warm_up_urls(app: Flask) -> list[str]:
    """The home page, the feed, and the newest public album, one of its photos and a search."""
    urls = ["/", "/feed.atom"]
    with app.test_request_context():
        session = db.get_session()
        try:
            album = next(iter(Album.public(session)), None)
            shown = [p for p in photos.album_photos(session, album) if p.is_public] if album else []
        except SQLAlchemyError:  # no schema yet: `gallery init` has not run
            log.warning("nothing to warm up with", exc_info=True)
            return urls
        if album is not None:
            urls.append(url_for("public.album", slug=album.slug))
            urls.append(url_for("search.page", q=album.title))
        urls += [url_for("public.photo", slug=album.slug, photo_id=p.id) for p in shown[:1]]
    return urls


def options(config: dict[str, Any], host: str, port: int) -> dict[str, Any]:
    """gunicorn's settings from the gallery's."""
    return {
        "bind": [f"{host}:{port}"],
        "worker_class": "gthread",
        "workers": config["SERVE_PROCESSES"] or os.cpu_count() or 1,
        "threads": config["SERVE_THREADS"],
        "worker_connections": config["SERVE_CONNECTIONS"],
        "keepalive": config["SERVE_KEEPALIVE"],
        "backlog": 2048,  # a burst of new connections waits in the kernel, not refused
        "graceful_timeout": 30,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "gallery",
    }


def serve(config: dict[str, Any], host: str, port: int) -> None:
    """Serve until stopped (SIGTERM or SIGINT: requests in flight are finished first)."""
    GalleryServer(options(config, host, port)).run()
