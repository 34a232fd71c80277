"""The quick start's demo in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os

import pytest

from gallery.config import PROJECT_ROOT
from tests.helpers.servers import gallery, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium and `gallery serve`

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`gallery init`, `gallery demo` (generated photos) and `gallery serve` on a free port."""
    data = tmp_path_factory.mktemp("site")
    env = {**os.environ, "GALLERY_CORPUS": str(data / "no-corpus")}
    gallery(data, "init", env=env)
    gallery(data, "demo", env=env)
    with serving(data, env=env) as url:
        yield url


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    yield page
    page.close()


def test_demo_album_shows_numbered_thumbnails(server, page):
    page.goto(server)
    page.get_by_text("Demo album").click()
    page.wait_for_load_state("networkidle")
    images = page.locator(".justified img")
    assert images.count() == 12
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # load the lazy ones
    page.wait_for_function(
        "[...document.querySelectorAll('.justified img')].every(i => i.complete && i.naturalWidth)"
    )
    # Thumbnails from the srcset, never the largest rendition.
    sources = page.eval_on_selector_all(".justified img", "imgs => imgs.map(i => i.currentSrc)")
    assert all(s.endswith(("/320.jpg", "/640.jpg")) for s in sources)
    numbers = page.locator(".justified .number").all_inner_texts()
    assert numbers == [str(n) for n in range(1, 13)]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-album.png"), full_page=True)
