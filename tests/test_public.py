"""The visitor pages of the ingest issue: album list, thumbnails, rendition files."""

from __future__ import annotations

import json

import pytest

from tests.helpers.cli import invoke


@pytest.fixture
def album_with_photo(runner, make_jpeg):
    invoke(runner, "import", "--album", "fest", "--title", "Fest <b>", "--json", make_jpeg())
    return json.loads(invoke(runner, "photos", "--album", "fest", "--json").output)


def test_draft_album_is_invisible(client, album_with_photo):
    home = client.get("/")
    assert home.status_code == 200 and b"Fest" not in home.data
    assert client.get("/albums/fest").status_code == 404
    url = album_with_photo["renditions"]["320"]["url"]
    assert client.get(url).status_code == 404


def test_public_album_lists_thumbnails(client, runner, album_with_photo):
    invoke(runner, "albums", "set", "fest", "--visibility", "public")
    home = client.get("/").get_data(as_text=True)
    url = album_with_photo["renditions"]["320"]["url"]
    assert "Fest &lt;b&gt;" in home  # titles are escaped, never markup
    assert url in home
    page = client.get("/albums/fest").get_data(as_text=True)
    assert url in page and 'decoding="async"' in page and "srcset=" in page
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert "immutable" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data[:3] == b"\xff\xd8\xff"


def test_unlisted_album_is_not_listed(client, runner, album_with_photo):
    invoke(runner, "albums", "set", "fest", "--visibility", "unlisted")
    (listed,) = invoke(runner, "albums", "list", "--json").output.splitlines()
    assert json.loads(listed)["visibility"] == "unlisted"
    home = client.get("/")
    assert home.status_code == 200 and b"Fest" not in home.data
    assert client.get("/albums/fest").status_code == 404  # the secret link: test_site.py
