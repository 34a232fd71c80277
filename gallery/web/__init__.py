"""The web layer every capability's views share: security headers, HTTP caching and
compression, the visitor page cache, the interface language, error answers, the server.

It knows requests and responses, never a capability: views pass in what it needs to know
(e.g. whether the asker is signed in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, request, url_for

from gallery.core import db

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.wrappers import Response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    # Imported here: a module of this package (errors, say) is imported without the others.
    from gallery.web import errors, headers, httpcache, i18n, openapi, pagecache, serve

    # Refuse oversized uploads before reading them (a little room for the form around the file).
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] + 1024 * 1024
    app.before_request(_readers_never_lock)
    headers.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    httpcache.init_app(app)
    pagecache.init_app(app)
    openapi.init_app(app)
    app.cli.add_command(serve.serve)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _readers_never_lock() -> None:
    # A request that cannot change anything reads without queueing for the write lock.
    if request.method in SAFE_METHODS:
        db.reads_only()


def _favicon() -> Response:
    """Browsers that ask for /favicon.ico get the site's SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
