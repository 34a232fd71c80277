"""Nothing uploaded is ever served as something a browser would run, over real HTTP.

Originals and renditions go out only with the image type of the format the gallery sniffed
from their bytes (never the name, never the client's type), with `nosniff`, originals as
attachments saved under the real format's extension. Polyglots make the point: a GIF
whose header is also JavaScript, a JPEG carrying an HTML page in a comment and named
`.html`, a PNG named `.svg`. Every answer to an upload or for media carries the security
headers of pages too (CSP, nosniff, Referrer-Policy, frame protection).
"""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.helpers.images import image_bytes
from tests.helpers.upload_client import ALBUM, Site, assert_security_headers, staff_site

pytestmark = pytest.mark.slow  # `gallery serve`

HTML = b"<html><body><script>alert(document.domain)</script></body></html>"


def _jpeg_with_html_comment() -> bytes:
    made = image_bytes(size=(40, 30), seed=1, comment=HTML)
    assert HTML in made
    return made


def _png() -> bytes:
    return image_bytes("PNG", (30, 40), seed=2)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with staff_site(tmp_path_factory.mktemp("media")) as s:
        yield s


@pytest.fixture(scope="module")
def polyglots(site: Site, corpus_dir) -> dict[str, tuple[bytes, dict]]:
    """name sent -> (bytes, photo) of the polyglots the gallery accepts (they are images)."""
    sent = {
        "polyglot.js": (corpus_dir / "bad/generated/polyglot_gif_js.gif").read_bytes(),
        "page.html": _jpeg_with_html_comment(),
        "drawing.svg": _png(),
    }
    accepted = {}
    for name, data in sent.items():
        answer = site.upload(data, name)
        assert answer.status == 201, (name, answer.body)
        assert_security_headers(answer.headers)
        accepted[name] = (data, answer.json()["photo"])
    return accepted


def test_originals_go_out_as_their_sniffed_image_type_and_as_attachments(site, polyglots):
    expected = {"polyglot.js": "gif", "page.html": "jpeg", "drawing.svg": "png"}
    for name, (data, photo) in polyglots.items():
        answer = site.get(f"/albums/{ALBUM}/photos/{photo['id']}/original")  # as a visitor
        assert answer.status == 200 and answer.body == data, name
        assert answer.type == f"image/{expected[name]}", (name, answer.type)
        disposition = answer.headers["Content-Disposition"]
        assert disposition.startswith("attachment;"), disposition
        extension = {"gif": "gif", "jpeg": "jpg", "png": "png"}[expected[name]]
        assert re.search(rf"filename\*=UTF-8''{re.escape(name)}\.{extension}$", disposition)
        assert_security_headers(answer.headers)


def test_renditions_are_plain_jpegs_without_the_payload(site, polyglots):
    for name, (_data, photo) in polyglots.items():
        for rendition in photo["renditions"].values():
            answer = site.get(rendition["url"])
            assert answer.status == 200 and answer.type == "image/jpeg", name
            assert answer.body.startswith(b"\xff\xd8\xff") and b"<script" not in answer.body
            assert_security_headers(answer.headers)


def test_active_content_is_refused_and_never_stored(site, corpus_dir):
    bad = corpus_dir / "bad/generated"
    for file, name in (
        ("svg_script.svg", "logo.svg"),
        ("svg_named.png", "logo.png"),
        ("html_named.jpg", "photo.jpg"),
        ("html_named.jpg", "photo.gif"),
    ):
        data = (bad / file).read_bytes()
        answer = site.upload(data, name)
        assert answer.status == 415, (file, name, answer.status)
        assert_security_headers(answer.headers)
        sha = hashlib.sha256(data).hexdigest()
        assert not [p for p in (site.data / "uploads").rglob(f"{sha}*")], file
    assert list((site.data / "uploads/tmp").iterdir()) == []


def test_every_upload_and_media_answer_carries_the_security_headers(site, polyglots):
    data, photo = polyglots["page.html"]
    rendition = next(iter(photo["renditions"].values()))["url"]
    first = site.get(rendition)
    answers = [
        site.upload(data, "again.jpg"),  # 409
        site.upload(b"", "empty.jpg"),  # 400
        site.get(rendition, headers={"If-None-Match": first.headers["ETag"]}),  # 304
        site.get(f"/media/{'0' * 64}/320.jpg"),  # 404
        site.get(f"/albums/{ALBUM}/photos/{photo['id']}/original", headers={"Range": "bytes=0-9"}),
        site.upload(data, "x.jpg", album="no-such-album"),  # 404
        site.get("/api/v1/me"),  # 401
    ]
    assert [a.status for a in answers] == [409, 400, 304, 404, 206, 404, 401]
    for answer in answers:
        assert_security_headers(answer.headers)
    assert answers[4].type == "image/jpeg"  # a part of an original is still an image
