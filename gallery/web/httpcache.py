"""HTTP caching and compression: validators on pages, brotli and gzip for text.

Pages get a weak ETag made from their bytes, so it is never stale however the page's data
changed (a caption edit leaves no timestamp behind), and a revalidation that matches is
answered 304 before anything is compressed. A page's compressed bytes are kept by ETag
(the same bytes always compress the same), so a popular 500-photo album is compressed
once, not on every request. Everything else that is text (CSS, JavaScript, JSON, XML)
goes through Flask-Compress; JPEGs are never touched. A page that carries the session's
CSRF token is sent uncompressed: compressing a secret next to text an attacker controls
is what the BREACH attack measures.

Static files (CSS, JavaScript) are linked with a digest of their bytes (`?v=...`) and sent
with that version as `immutable` for a year: a browser asks for them once, not on every
page (at 200 visitors that was a third of all requests, every one a 304). A URL without
the version, or with an old one, is revalidated every time as before.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from pathlib import Path
from threading import Lock

import brotli
from flask import Flask, Response, request, session
from flask_compress import Compress

TEXT_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "text/plain",
]
ENCODINGS = ("br", "gzip")  # preferred first, when the client accepts both equally
MIN_SIZE = 500  # bytes: smaller bodies gain nothing worth the work
YEAR = 365 * 24 * 3600

_compress = Compress()


def init_app(app: Flask) -> None:
    """Compression after every response, with the BREACH guard."""
    app.config.setdefault("COMPRESS_MIMETYPES", TEXT_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", list(ENCODINGS))
    # Streamed responses (static files) are compressed chunk by chunk; gzip cannot be.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_REGISTER", False)
    _compress.init_app(app)
    app.after_request(_compress_unless_secret)
    versions = StaticVersions(Path(app.static_folder or "."))
    app.url_defaults(versions.add_to_url)
    app.after_request(versions.cache_forever)


class StaticVersions:
    """A digest of each static file, put into its URL; that URL is then cached for a year."""

    def __init__(self, folder: Path) -> None:
        # Read once per process: static files change with a deployment, which restarts it.
        self.folder = folder
        self.digests: dict[str, str | None] = {}

    def of(self, filename: str) -> str | None:
        if filename not in self.digests:
            path = self.folder / filename
            data = path.read_bytes() if path.is_file() else b""
            digest = hashlib.blake2b(data, digest_size=6).hexdigest()
            self.digests[filename] = digest if data else None
        return self.digests[filename]

    def add_to_url(self, endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = self.of(values["filename"])
            if version:
                values["v"] = version

    def cache_forever(self, response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args["v"] == self.of(filename):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response


def _carries_secret(response: Response) -> bool:
    token = session.get("csrf") if session else None
    if not token:
        return False
    return token.encode() in response.get_data()


def _compress_unless_secret(response: Response) -> Response:
    if not response.is_streamed and response.mimetype == "text/html" and _carries_secret(response):
        response.vary.add("Accept-Encoding")
        return response
    return _compress.after_request(response)


class _Compressed:
    """Compressed page bodies by (ETag, encoding); the least recently used go first."""

    def __init__(self, size: int = 64) -> None:
        self.size, self.lock = size, Lock()
        self.items: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def get(self, key: tuple[str, str], body: bytes) -> bytes:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        # Brotli 4 and gzip 6: most of the gain for a few ms on a 500-photo page.
        data = brotli.compress(body, quality=4) if key[1] == "br" else gzip.compress(body, 6)
        with self.lock:
            self.items[key] = data
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return data


_pages = _Compressed()


def _compress_page(response: Response) -> Response:
    response.vary.add("Accept-Encoding")
    encoding = request.accept_encodings.best_match(ENCODINGS)
    body = response.get_data()
    if encoding is None or len(body) < MIN_SIZE or _carries_secret(response):
        return response
    etag, _weak = response.get_etag()
    if etag is None:  # validated() set one; a page without one is sent as it is
        return response
    response.set_data(_pages.get((etag, encoding), body))
    response.headers["Content-Encoding"] = encoding
    return response


def validated(response: Response, *, private: bool) -> Response:
    """A page with a weak ETag of its bytes: 304 when the client has it, else compressed.

    `Vary` names what the bytes depend on besides the URL: the language (header or cookie)
    and the session (staff see more). Clients revalidate every time (`no-cache`); staff
    pages stay out of shared caches.
    """
    response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest(), weak=True)
    response.vary.update(("Accept-Language", "Cookie"))
    response.cache_control.no_cache = True
    if private:
        response.cache_control.private = True
    response.make_conditional(request)  # in place: 304 when the client has these bytes
    return _compress_page(response) if response.status_code == 200 else response
