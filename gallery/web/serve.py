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
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from gunicorn.app.base import BaseApplication

from gallery.core import serving

log = logging.getLogger(__name__)

WarmUp = Callable[[], list[str]]  # the URLs a capability wants opened before serving


class GalleryServer(BaseApplication):
    """gunicorn with settings from the gallery's config, serving an app of `factory`."""

    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self.factory, self.options = factory, options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        app = self.factory()  # in each worker process, after the fork; settings from GALLERY_*
        warm_up(app)
        # What exists now lives as long as the process (modules, templates, compiled queries):
        # out of the collector's sight, a full collection stops every request thread for
        # about 10 ms instead of 60-120 ms (measured during the load script's first seconds).
        gc.collect()
        gc.freeze()
        return app


def add_warm_up(app: Flask, urls: WarmUp) -> None:
    """Have `gallery serve` open these pages (in a request context) before serving."""
    app.extensions.setdefault("gallery.warm_up", []).append(urls)


def warm_up(app: Flask) -> None:
    """Open the pages the capabilities named once before serving, so that the first visitors
    after a start do not wait while templates and queries are compiled and the search index
    is opened. A page that fails here is logged and left to its first visitor."""
    client = app.test_client()
    for url in _warm_up_urls(app):
        try:
            client.get(url).close()
        except Exception:
            log.warning("warming up %s failed", url, exc_info=True)


def _warm_up_urls(app: Flask) -> list[str]:
    urls: list[str] = []
    with app.test_request_context():
        for named in app.extensions.get("gallery.warm_up", []):
            try:
                urls += named()
            except Exception:  # no schema yet: `gallery init` has not run
                log.warning("nothing to warm up with", exc_info=True)
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
        "limit_request_line": 8190,  # gunicorn's most: any search the API takes fits
        "graceful_timeout": 30,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "gallery",
    }


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the app with a production WSGI server (gunicorn; see the SERVE_* settings).

    Serves until stopped (SIGTERM or SIGINT: requests in flight are finished first).
    """
    click.echo(f"serving on http://{host}:{port}/")
    factory = current_app.extensions["gallery.factory"]
    # Tells `gallery import` beside it to decode at low priority (gallery/core/serving.py).
    with serving.serving(current_app.config["DATA_DIR"]):
        GalleryServer(factory, options(current_app.config, host, port)).run()
