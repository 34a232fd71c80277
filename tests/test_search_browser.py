"""The search page in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from gallery.config import PROJECT_ROOT
from tests.helpers.images import write_image
from tests.helpers.servers import gallery, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium and `gallery serve`

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
XP_COMMENT, XP_KEYWORDS = 0x9C9C, 0x9C9E  # Windows' caption and keyword tags (UTF-16)

PHOTOS = {
    "konference": [
        ("Daugavpils tehnikumā pulcējās viesi uz konferenci", "Erasmus+"),
        ("Baku koledžas viesi tehnikuma darbnīcās", "Baku"),
    ],
    "atvertas-durvis": [("Atvērto durvju diena tehnikumā", "skolēni")],
}


def _photo(folder: Path, n: int, caption: str, keyword: str) -> Path:
    tags = {
        XP_COMMENT: f"{caption}\0".encode("utf-16-le"),
        XP_KEYWORDS: f"{keyword}\0".encode("utf-16-le"),
    }
    return write_image(folder / f"photo-{n}.jpg", (320, 240), seed=n, exif=tags)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Two public albums of captioned photos, imported and served on a free port."""
    data = tmp_path_factory.mktemp("site")
    gallery(data, "init")
    n = 0
    for slug, photos in PHOTOS.items():
        paths = []
        for caption, keyword in photos:
            n += 1
            paths.append(str(_photo(data, n, caption, keyword)))
        gallery(data, "import", "--album", slug, *paths)
        gallery(data, "albums", "set", slug, "--visibility", "public", "--title", slug.title())
    with serving(data, env={"GALLERY_CORPUS": str(data / "no-corpus")}) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield page
    page.close()


def test_search_without_diacritics_then_narrow_by_a_facet(server, page):
    page.goto(server)
    box = page.locator("header input[type=search]")
    box.fill("tehnikums")
    box.press("Enter")
    hits = page.locator("ol.hits li")
    expect(hits).to_have_count(3)
    marks = page.locator("ol.hits mark").all_inner_texts()
    assert {"tehnikumā", "tehnikuma"} <= set(marks)
    page.locator(".facet-album a", has_text="Konference").click()
    expect(hits).to_have_count(2)
    expect(page.locator(".facet-album a.selected")).to_contain_text("Konference")
    assert "album:konference" in page.locator("main input[type=search]").input_value()
    page.locator(".facet-keyword a", has_text="Baku").click()
    expect(hits).to_have_count(1)
    expect(hits.first.locator(".snippet")).to_contain_text("Baku koledžas viesi")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)


def test_a_misspelling_gets_a_suggestion(server, page):
    page.goto(f"{server}/search?q=konferenze")
    page.locator(".suggestion a").click()
    expect(page.locator("ol.hits li")).to_have_count(2)  # one caption, and the album's title
    expect(page.locator("ol.hits mark")).to_have_text("konferenci")
