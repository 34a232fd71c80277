"""A staff site served by the real `gallery serve`, and a client that uploads to it over HTTP.

Uploads go to `/api/v1/albums/SLUG/photos`, the endpoint the staff page's drop zone also
posts to (with its session cookie and CSRF header instead of a token).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote, urlencode

from tests.helpers.apps import migrated_app
from tests.helpers.cli import invoke
from tests.helpers.servers import serving

STAFF = ("staff@school.lv", "staff-password-123")
ALBUM = "uploads"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return self.headers.get_content_type()


@dataclass(frozen=True)
class Site:
    url: str
    token: str
    data: Path

    def upload(self, payload: bytes, name: str, album: str = ALBUM, *, exact=True) -> Answer:
        """POST one file; `exact` sends the name as RFC 5987 `filename*` (every character
        arrives, NUL and CR/LF included), else as a browser does (`"` -> %22, raw UTF-8)."""
        body, headers = multipart(payload, name, exact)
        return self.request(f"/api/v1/albums/{album}/photos", body, headers)

    def create_album(self, slug: str) -> None:
        """A public album that offers its originals, made through the API."""
        fields = {"slug": slug, "visibility": "public", "allow_original_download": True}
        headers = {"Content-Type": "application/json"}
        answer = self.request("/api/v1/albums", json.dumps(fields).encode(), headers)
        assert answer.status == 201, answer.body

    def get(self, path: str, *, staff: bool = False, headers: dict | None = None) -> Answer:
        return self.request(path, None, headers or {}, staff=staff)

    def request(self, path: str, body, headers: dict, *, staff=True, method=None) -> Answer:
        """Any request (a POST when there is a body, unless `method` says otherwise), asking
        for English words (messages follow the request's language)."""
        headers = {"Accept-Language": "en", **headers}
        if staff:
            headers = {**headers, "Authorization": f"Bearer {self.token}"}
        request = urllib.request.Request(self.url + path, body, headers, method=method)
        return _answer(urllib.request.urlopen, request)


def multipart(payload: bytes, name: str, exact: bool = True) -> tuple[bytes, dict]:
    """A multipart/form-data body with the file in the field `file`, and its content type."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f"{_filename_param(name, exact)}\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def session_upload(site: Site, who: tuple[str, str], payload: bytes, name: str, *, csrf=True):
    """Upload as the staff page does: a session cookie, and the page's CSRF token in a header."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = opener.open(f"{site.url}/login").read().decode()
    fields = {
        "email": who[0],
        "password": who[1],
        "csrf_token": _csrf(form, r'name="csrf_token" value="([^"]+)"'),
    }
    opener.open(f"{site.url}/login", urlencode(fields).encode()).read()
    page = opener.open(f"{site.url}/staff/albums/{ALBUM}").read().decode()
    body, headers = multipart(payload, name)
    if csrf:
        headers["X-CSRF-Token"] = _csrf(page, r'data-csrf="([^"]+)"')
    request = urllib.request.Request(f"{site.url}/api/v1/albums/{ALBUM}/photos", body, headers)
    return _answer(opener.open, request)


def token_upload(url: str, token: str, payload: bytes, name: str, album: str) -> Answer:
    """Upload as a script does: an API token, the file name sent as is."""
    body, headers = multipart(payload, name, exact=False)
    headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url}/api/v1/albums/{album}/photos", body, headers)
    return _answer(urllib.request.urlopen, request)


def _answer(open_url, request: urllib.request.Request) -> Answer:
    """The answer whatever its status (urllib raises for 4xx and 5xx)."""
    try:
        with open_url(request, timeout=60) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as answer:
        return Answer(answer.code, answer.headers, answer.read())


def _csrf(html: str, pattern: str) -> str:
    return re.search(pattern, html)[1]


def _filename_param(name: str, exact: bool) -> str:
    if not exact:
        escaped = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        return f'filename="{escaped}"'
    if not name:
        return 'filename=""'
    return f"filename=\"upload\"; filename*=UTF-8''{quote(name, safe='')}"


@contextmanager
def staff_site(data: Path, env: dict | None = None, role="staff", **config) -> Iterator[Site]:
    """A data root with a user of `role` (signing in as STAFF), a token and a public album
    that offers originals, served by `gallery serve` (`env` for the server, `config` the
    same settings for the set-up in this process)."""
    with migrated_app(data, **config) as app:
        token = set_up(app, role)
    with serving(data, env={"GALLERY_WORKERS": "2", **(env or {})}) as url:
        yield Site(url, token, data)


def set_up(app, role: str = "staff") -> str:
    """The user STAFF with `role`, and the public album ALBUM; returns the user's API token."""
    runner = app.test_cli_runner()
    invoke(runner, "users", "add", STAFF[0], "--role", role, "--password-stdin", input=STAFF[1])
    invoke(runner, "albums", "create", ALBUM, "--visibility", "public", "--originals")
    return invoke(runner, "users", "token", STAFF[0]).output.strip()


def assert_security_headers(headers: Message) -> None:
    """The headers every answer carries (headers.py): the tests of pages, media and uploads."""
    csp = headers["Content-Security-Policy"] or ""
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0], csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
