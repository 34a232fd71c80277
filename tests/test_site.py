"""The visitor site's pages: album list, justified album page, photo page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from gallery.site.photo_facts import camera, camera_facts, exposure, taken
from gallery.site.tiles import GAP, REFERENCE_WIDTH
from tests.helpers.accounts import sign_in
from tests.helpers.site_data import add_album, add_photo


class Tags(HTMLParser):
    """Every start tag of a page as (tag, attributes), in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


@pytest.fixture
def session(app):
    """A database session outside any app context (one would leak `g` into requests)."""
    made = app.extensions["gallery.db.writes"]()
    yield made
    made.close()


def _page(client, url: str, **headers) -> str:
    """The page's HTML, in English unless the headers ask otherwise."""
    response = client.get(url, headers={"Accept-Language": "en", **headers})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_home_lists_public_albums_newest_first_a_page_at_a_time(app, client, session):
    app.config["ALBUMS_PER_PAGE"] = 4
    for n in range(10):
        add_album(session, f"a{n}", event_date=date(2026, 5, 1) - timedelta(days=40 * n))
    add_album(session, "hidden", "unlisted", event_date=date(2030, 1, 1))
    add_album(session, "draft", "draft", event_date=date(2030, 1, 1))
    session.commit()
    seen, url, pages = [], "/", []
    while url:
        html = _page(client, url)
        pages.append(html)
        seen += re.findall(r'href="/albums/([\w-]+)"', html)
        older = re.search(r'rel="next" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == [f"a{n}" for n in range(10)]  # newest first, each once, never the hidden
    assert len(pages) == 3
    newer = re.search(r'rel="prev" href="([^"]+)"', pages[2]).group(1).replace("&amp;", "&")
    assert re.findall(r'href="/albums/([\w-]+)"', _page(client, newer)) == ["a4", "a5", "a6", "a7"]
    assert client.get("/?after=yesterday").status_code == 400


def test_year_pages_list_one_year(client, session):
    add_album(session, "old", event_date=date(2019, 3, 1))
    add_album(session, "new", event_date=date(2026, 3, 1))
    session.commit()
    home = _page(client, "/")
    assert 'href="/years/2019"' in home and 'href="/years/2026"' in home
    assert re.findall(r'href="/albums/(\w+)"', _page(client, "/years/2019")) == ["old"]
    assert client.get("/years/2020").status_code == 404
    assert client.get("/years/0").status_code == 404


def test_cards_count_and_show_only_what_visitors_may_see(client, session):
    album = add_album(session, "fest", title="Fest & <fun>")
    hidden = add_photo(session, album, 1, consent="no_public", caption="secret face")
    add_photo(session, album, 2, caption="the stage")
    add_photo(session, album, 3, status="trashed")
    album.cover_photo_id = hidden.id  # chosen, but visitors may not see it
    session.commit()
    home = _page(client, "/")
    assert "Fest &amp; &lt;fun&gt;" in home
    assert "1 photo" in home and "secret face" not in home
    assert 'alt="the stage"' in home


def _rows(html: str) -> list[list[dict[str, str]]]:
    rows = re.findall(r'<div class="jrow">(.*?)</div>', html, re.S)
    return [Tags(row).find("img") for row in rows]


def test_album_page_lays_photos_out_in_justified_rows(client, session):
    album = add_album(session, "rows")
    shapes = [(6000, 4000), (4000, 6000), (5000, 5000), (6000, 3375), (4000, 3000)] * 5
    for n, size in enumerate(shapes, start=1):
        add_photo(session, album, n, size=size, caption=f"caption {n}" if n % 2 else "")
    session.commit()
    rows = _rows(_page(client, "/albums/rows"))
    assert sum(len(row) for row in rows) == len(shapes)
    for number, row in enumerate(rows):
        assert len({img["height"] for img in row}) == 1  # one height per row
        filled = sum(int(img["width"]) for img in row) + GAP * (len(row) - 1)
        assert filled == REFERENCE_WIDTH or number == len(rows) - 1
    first = rows[0][0]
    assert first["alt"] == "caption 1" and "loading" not in first  # above the fold: eager
    assert rows[2][0]["loading"] == "lazy"
    assert [part.split()[-1] for part in first["srcset"].split(", ")] == [
        "320w",
        "640w",
        "1280w",
        "2048w",
    ]
    assert first["sizes"].endswith(f"{first['width']}px")
    assert rows[0][1]["alt"] == "Photo 2"  # neither alt text nor caption


def test_album_page_speaks_the_visitors_language(client, session):
    album = add_album(session, "lang")
    add_photo(session, album, 1, caption="Skolēni", caption_en="Pupils", alt_text="")
    session.commit()
    assert 'alt="Skolēni"' in _page(client, "/albums/lang", **{"Accept-Language": "lv"})
    english = _page(client, "/albums/lang", **{"Accept-Language": "en"})
    assert 'alt="Pupils"' in english and "<figcaption>Pupils</figcaption>" in english


def test_staff_see_drafts_and_hidden_photos_under_a_banner(client, session, users):
    album = add_album(session, "draft", "draft")
    add_photo(session, album, 1, consent="no_public")
    session.commit()
    assert client.get("/albums/draft").status_code == 404
    sign_in(client, *users["staff"])
    html = _page(client, "/albums/draft")
    assert "staff-banner" in html and "Not public" in html
    assert 'class="badge"' in html


def test_unlisted_album_opens_with_its_key_and_links_keep_it(client, session):
    album = add_album(session, "secret", "unlisted")
    photo = add_photo(session, album, 1)
    session.commit()
    assert client.get("/albums/secret").status_code == 404
    assert client.get("/albums/secret?key=wrong").status_code == 404
    assert client.get("/albums/secret?key=āž").status_code == 404  # not a 500
    html = _page(client, f"/albums/secret?key={album.secret}")
    assert f"/albums/secret/photos/{photo.id}?key={album.secret}" in html
    assert '<meta name="robots" content="noindex">' in html
    assert client.get(f"/albums/secret/photos/{photo.id}").status_code == 404
    _page(client, f"/albums/secret/photos/{photo.id}?key={album.secret}")


def test_photo_page_has_facts_links_and_sharing_metadata(client, session):
    album = add_album(session, "fest")
    first = add_photo(session, album, 1)
    photo = add_photo(
        session,
        album,
        2,
        caption="Pupils on stage",
        alt_text="Six pupils sing",
        credit="Anna Bērziņa",
        copyright="CC BY 4.0",
        taken_at="2026-05-31T14:05:09+03:00",
        camera_make="Canon",
        camera_model="Canon EOS 40D",
        exposure_time="1/125",
        f_number=2.8,
        iso=400,
        focal_length=50.0,
        gps_lat=56.9496,
        gps_lon=24.1052,
    )
    session.commit()
    html = _page(client, f"/albums/fest/photos/{photo.id}")
    tags = Tags(html)
    assert tags.find("meta", property="og:image")[0]["content"].startswith(
        "http://localhost/media/"
    )
    assert tags.find("meta", property="og:image:alt")[0]["content"] == "Six pupils sing"
    assert tags.find("meta", property="og:description")[0]["content"] == "Pupils on stage"
    assert tags.find("article", itemtype="https://schema.org/ImageObject")
    assert tags.find("img", itemprop="contentUrl")[0]["alt"] == "Six pupils sing"
    assert tags.find("a", rel="prev")[0]["href"] == f"/albums/fest/photos/{first.id}"
    for text in ("Anna Bērziņa", "CC BY 4.0", "2026-05-31 14:05", "Canon EOS 40D", "1/125 s"):
        assert text in html
    assert "56.9" not in html and "24.10" not in html  # never GPS
    assert tags.find("a", download=f"fest-{photo.number}.jpg")
    assert "/original" not in html  # the album does not offer originals
    album.allow_original_download = True
    session.commit()
    assert f"/albums/fest/photos/{photo.id}/original" in _page(
        client, f"/albums/fest/photos/{photo.id}"
    )


def test_a_photo_of_another_album_is_not_found_under_this_one(client, session):
    add_album(session, "one")
    other = add_photo(session, add_album(session, "two"), 1)
    session.commit()
    assert client.get(f"/albums/one/photos/{other.id}").status_code == 404


def test_camera_facts_are_written_as_people_read_them():
    assert taken("2026-05-31T14:05:09+03:00") == "2026-05-31 14:05"
    assert camera("NIKON CORPORATION", "NIKON D70") == "NIKON D70"
    assert camera("Apple", "iPhone 13") == "Apple iPhone 13"
    assert camera(None, "X100") == "X100"

    class Shot:
        taken_at, camera_make, camera_model, lens = None, None, None, " "
        exposure_time, f_number, iso, focal_length = "1/60", 4.0, None, 35.5

    assert exposure(Shot) == "1/60 s · f/4 · 35.5 mm"
    assert camera_facts(Shot) == {"exposure": "1/60 s · f/4 · 35.5 mm"}
