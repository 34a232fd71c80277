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

import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class GalleryServer(BaseApplication):
    """gunicorn with settings from the gallery's config, serving `create_app()`."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        from gallery import create_app

        return create_app()  # in each worker process, after the fork; settings from GALLERY_*


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
