"""The public article page in Debian's Chromium: rows, phone stacking, the lightbox."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gallery.config import PROJECT_ROOT, load_config
from tests.helpers.images import write_images
from tests.helpers.servers import gallery as _gallery
from tests.helpers.servers import serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium and `gallery serve`

SEED = Path(load_config()["CORPUS"]).parent / "seed" / "article-lv.txt"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SIZES = [(480, 320), (320, 480), (400, 400), (640, 240), (400, 300)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The seed article, published over a public 16-photo album, served by `gallery serve`."""
    data = tmp_path_factory.mktemp("article-site")
    env = {**os.environ, "GALLERY_CORPUS": str(data / "no-corpus")}
    folder = data / "photos"
    write_images(folder, [SIZES[n % len(SIZES)] for n in range(1, 17)])
    _gallery(data, "init", env=env)
    _gallery(data, "import", "--album", "erasmus", str(folder), env=env)
    _gallery(data, "albums", "set", "erasmus", "--visibility", "public", env=env)
    _gallery(data, "article", "import", str(SEED), "--album", "erasmus", "--slug", "seed", env=env)
    _gallery(data, "article", "set", "seed", "--status", "published", env=env)
    with serving(data, env=env) as url:
        yield f"{url}/articles/seed"


def _frames(page, row: int) -> list[dict]:
    """The bounding boxes of a row's photo frames."""
    frames = page.locator(".photo-row").nth(row).locator(".frame")
    return [frames.nth(i).bounding_box() for i in range(frames.count())]


def test_rows_side_by_side_on_a_desktop(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    assert page.locator(".photo-row").count() == 6
    for row in range(6):
        boxes = _frames(page, row)
        assert len({round(b["y"]) for b in boxes}) == 1  # one line
        assert max(b["height"] for b in boxes) - min(b["height"] for b in boxes) < 1.5
        assert all(a["x"] + a["width"] < b["x"] for a, b in zip(boxes, boxes[1:], strict=False))
    column = page.locator(".article").bounding_box()
    boxes = _frames(page, 1)
    assert abs(boxes[-1]["x"] + boxes[-1]["width"] - (column["x"] + column["width"])) < 1.5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "article-desktop.png"), full_page=True)
    page.close()


def test_rows_stack_on_a_phone(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page.goto(server)
    boxes = _frames(page, 1)
    assert all(a["y"] + a["height"] <= b["y"] for a, b in zip(boxes, boxes[1:], strict=False))
    assert all(b["width"] > 300 for b in boxes)
    page.screenshot(path=str(ARTIFACTS / "article-phone.png"))
    page.close()


def test_lightbox_opens_moves_and_closes(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    lightbox = page.locator(".lightbox")
    expect(lightbox).to_be_hidden()
    page.locator(".photo-row .lightbox-link").nth(1).click()
    expect(lightbox).to_be_visible()
    expect(lightbox.locator(".caption")).to_have_text("2.")
    assert "/media/" in lightbox.locator("img").get_attribute("src")
    page.keyboard.press("ArrowRight")
    expect(lightbox.locator(".caption")).to_have_text("4.")  # reading order: row 2 is 4 5 6
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(lightbox.locator(".caption")).to_have_text("1.")
    page.keyboard.press("ArrowLeft")  # wraps around to the last photo
    expect(lightbox.locator(".caption")).to_have_text("13.")
    page.screenshot(path=str(ARTIFACTS / "article-lightbox.png"))
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    page.close()
