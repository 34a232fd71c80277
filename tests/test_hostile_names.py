"""Hostile file names (corpus/bad/generated/hostile_filenames.jsonl), stored and shown safely.

Each name comes with a small JPEG of its own, through HTTP (multipart, the exact name as
RFC 5987 `filename*`, and a few as a browser writes them) and, where the name can exist
on disk, through `gallery import`. The rule (gallery/ingest/filenames.py): the user's
name is kept for display, cleaned; it never names anything on disk (originals are stored
by hash); pages show it as text; a download's `Content-Disposition` carries it exactly
(`filename*`) with the extension of the real format.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.helpers.cli import invoke
from tests.helpers.images import image_bytes
from tests.helpers.upload_client import ALBUM, STAFF, Site, staff_site

FALLBACK = re.compile(r"photo-[0-9a-f]{8}\.jpg")
LONG = "a" * 1000 + ".jpg"
# every name of the corpus file -> the name shown; None: the fallback photo-<hash>.jpg
SHOWN = {
    "../../../etc/passwd": "passwd",
    "..\\..\\..\\windows\\win.ini": "win.ini",
    "/etc/passwd": "passwd",
    "C:\\boot.ini": "boot.ini",
    "....//....//etc/passwd": "passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",  # text, not a path
    "photo.jpg\x00.php": "photo.jpg.php",
    "photo.php.jpg": "photo.php.jpg",
    "photo.jpg.php": "photo.jpg.php",
    "photo.PhP": "photo.PhP",
    "<img src=x onerror=alert(1)>.jpg": "<img src=x onerror=alert(1)>.jpg",
    '"><script>alert(1)</script>.jpg': "script>.jpg",  # "</" makes it a path
    "photo\u202egpj.exe": "photogpj.exe",  # no bidi override disguising the extension
    "cafe\u0301.jpg": "caf\u00e9.jpg",  # NFC
    "CON": "CON",
    "NUL.jpg": "NUL.jpg",
    LONG: "a" * 251 + ".jpg",
    "": None,
    ".": None,
    "..": None,
    ".htaccess": ".htaccess",
    "x.svg": "x.svg",
    "\U0001f600\U0001f389.jpg": "\U0001f600\U0001f389.jpg",
    "name with\nnewline.jpg": "name with newline.jpg",
    "name with\r\nContent-Type: text/html.jpg": "html.jpg",
}
# the name a download is saved under, where it differs from the name shown
SAVED = {
    "passwd": "passwd.jpg",
    "win.ini": "win.ini.jpg",
    "boot.ini": "boot.ini.jpg",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd": "%2e%2e%2f%2e%2e%2fetc%2fpasswd.jpg",
    "photo.jpg.php": "photo.jpg.php.jpg",
    "photo.PhP": "photo.PhP.jpg",
    "photogpj.exe": "photogpj.exe.jpg",
    "CON": "CON.jpg",
    ".htaccess": ".htaccess.jpg",
    "x.svg": "x.svg.jpg",  # a JPEG never downloads as a drawing a browser would run
}
AS_A_BROWSER_SENDS = ['"><script>alert(1)</script>.jpg', "cafe\u0301.jpg", "x.svg", "CON"]


def _names(corpus_dir: Path) -> list[str]:
    lines = (corpus_dir / "bad/generated/hostile_filenames.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _expected(raw: str, sha256: str) -> str:
    return SHOWN[raw] if SHOWN[raw] is not None else f"photo-{sha256[:8]}.jpg"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # an editor: the article editor's contact sheet is one of the pages that show names
    with staff_site(tmp_path_factory.mktemp("names"), role="editor") as s:
        yield s


@pytest.fixture(scope="module")
def uploaded(site: Site, corpus_dir) -> list[tuple[str, dict]]:
    """(name sent, photo) for every name sent exactly, then a few sent as browsers do."""
    sent = [(raw, True) for raw in _names(corpus_dir)] + [(r, False) for r in AS_A_BROWSER_SENDS]

    def send(n: int) -> tuple[str, dict]:
        raw, exact = sent[n]
        answer = site.upload(image_bytes(size=(48, 32), seed=n), raw, exact=exact)
        assert answer.status == 201, (raw, answer.body)
        return raw, answer.json()["photo"]

    with ThreadPoolExecutor(3) as pool:  # three at a time, as the staff page sends them
        return list(pool.map(send, range(len(sent))))


def test_the_table_covers_every_name_of_the_corpus(corpus_dir):
    assert set(_names(corpus_dir)) == set(SHOWN)


@pytest.mark.slow
def test_names_are_cleaned_by_the_rule(uploaded):
    for raw, photo in uploaded:
        assert photo["filename"] == _expected(raw, photo["sha256"]), raw
    fallbacks = [p["filename"] for raw, p in uploaded if SHOWN[raw] is None]
    assert len(fallbacks) == 3 and all(FALLBACK.fullmatch(name) for name in fallbacks)


@pytest.mark.slow
def test_nothing_is_stored_under_a_name_that_was_sent(site, uploaded):
    uploads = site.data / "uploads"
    files = [p for p in uploads.rglob("*") if p.is_file() and p.parent != uploads / "leases"]
    allowed = re.compile(r"[0-9a-f]{64}\.jpg|\d+\.jpg")  # originals by hash, renditions by size
    assert files and all(allowed.fullmatch(p.name) for p in files), files


@pytest.mark.slow
def test_downloads_name_the_file_exactly_with_its_real_extension(site, uploaded):
    for raw, photo in uploaded:
        answer = site.get(f"/albums/{ALBUM}/photos/{photo['id']}/original")
        assert answer.status == 200 and answer.type == "image/jpeg", raw
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        header = answer.headers["Content-Disposition"]
        shown = photo["filename"]
        assert _saved_as(header) == SAVED.get(shown, shown), (raw, header)
        plain = re.search(r'filename="([^"]*)"', header)[1]
        assert plain.isascii() and plain.isprintable() and "%" not in plain, header


@pytest.mark.slow
def test_pages_show_names_as_text(site, uploaded):
    """The article editor's contact sheet prints file names into its HTML; the photo pages
    do not print them at all. Neither may gain an element or an attribute from a name."""
    body = json.dumps({"title": "Names", "album": ALBUM}).encode()
    created = site.request("/api/v1/articles", body, {"Content-Type": "application/json"})
    assert created.status == 201, created.body
    slug = created.json()["article"]["slug"]
    picker = _parse(site.get(f"/staff/articles/{slug}/picker?album={ALBUM}", staff=True))
    assert sorted(picker.filenames) == sorted(p["filename"] for _raw, p in uploaded)
    picker.assert_nothing_injected()
    for _raw, photo in uploaded:
        _parse(site.get(f"/albums/{ALBUM}/photos/{photo['id']}")).assert_nothing_injected()
    _parse(site.get(f"/albums/{ALBUM}")).assert_nothing_injected()


@pytest.mark.browser
@pytest.mark.slow
def test_the_staff_album_page_shows_names_as_text(site, uploaded, browser):
    page = browser.new_page(locale="en-US")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{site.url}/login")
        page.get_by_label("Email").fill(STAFF[0])
        page.get_by_label("Password").fill(STAFF[1])
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{site.url}/staff/albums/{ALBUM}")
        tiles = page.locator(".tile figcaption.filename")
        tiles.nth(len(uploaded) - 1).wait_for()
        assert sorted(tiles.all_text_contents()) == sorted(p["filename"] for _r, p in uploaded)
        # (the page's words for its scripts come as a JSON data block: no script that runs)
        found = "img[src='x'], script:not([src]):not([type='application/json']), [onerror]"
        injected = page.evaluate(f'document.querySelectorAll("{found}").length')
        assert injected == 0 and dialogs == []
    finally:
        page.close()


def test_cli_import_cleans_names_the_same_way(runner, tmp_path, corpus_dir):
    """`gallery import` of files named so on disk (where a name can exist there at all)."""
    folder = tmp_path / "names"
    folder.mkdir()
    made = {}
    for n, raw in enumerate(_names(corpus_dir)):
        if not raw.strip(".") or "/" in raw or "\x00" in raw or len(raw.encode()) > 255:
            continue  # not a possible file name: the HTTP test covers it
        (folder / raw).write_bytes(image_bytes(size=(48, 32), seed=n))
        made[SHOWN[raw]] = raw
    result = runner.invoke(args=["import", "--album", "names", "--json", str(folder)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["imported"]) == len(made) >= 15
    listed = invoke(runner, "photos", "--album", "names", "--json").output.splitlines()
    assert sorted(json.loads(line)["filename"] for line in listed) == sorted(made)


def _saved_as(header: str) -> str:
    """The name browsers save under: RFC 6266 says `filename*` (RFC 5987) wins."""
    disposition, _, params = header.partition(";")
    assert disposition == "attachment", header
    encoded = re.fullmatch(r' filename="[^"]*"; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]+)', params)
    assert encoded, header
    return unquote(encoded[1], errors="strict")


class _Page(HTMLParser):
    """The tags of a page, and the text of its `.filename` elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.filenames: list[str] = []
        self._in_filename = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_filename = "filename" in (dict(attrs).get("class") or "").split()
        if self._in_filename:
            self.filenames.append("")

    def handle_endtag(self, tag):
        self._in_filename = False

    def handle_data(self, data):
        if self._in_filename:
            self.filenames[-1] += data

    def assert_nothing_injected(self) -> None:
        for tag, attrs in self.tags:
            assert not any(name.startswith("on") for name in attrs), (tag, attrs)
            assert tag != "script" or attrs.get("src", "").startswith("/static/"), attrs
            assert attrs.get("src") != "x", (tag, attrs)


def _parse(answer) -> _Page:
    assert answer.status == 200, answer.status
    page = _Page()
    page.feed(answer.body.decode())
    return page
