"""The public article page in Debian's Chromium: rows, phone stacking, the lightbox."""

from __future__ import annotations

import os
import re
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
    _crop_8a_and_8b(data)
    with serving(data, env=env) as url:
        yield f"{url}/articles/seed"


def _crop_8a_and_8b(data: Path) -> None:
    """Photo 8 twice, as an editor would crop it: 8a square, 8b its left half."""
    from gallery import create_app
    from gallery.core.models import ArticlePhoto

    app = create_app({"DATA_DIR": str(data)})
    session = app.extensions["gallery.db.writes"]()
    for assigned in session.query(ArticlePhoto).filter(ArticlePhoto.label.in_(["8a", "8b"])):
        square = {"aspect": 1.0, "fx": 0.5, "fy": 0.5}
        assigned.crop = square if assigned.label == "8a" else {"x": 0, "y": 0, "w": 0.5, "h": 1}
    session.commit()
    session.close()
    app.extensions["gallery.engine"].dispose()


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


def test_rows_on_a_phone_break_only_where_photos_would_get_too_small(server, browser):
    """At 390 px a row of two stays a row; a row of three whose photos would be under
    120 px wide (or the row under 100 px high) breaks into the fewest lines that keep every
    photo readable, each line filling the column at one height."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page.goto(server)
    page.wait_for_selector(".photo-row.is-laid-out")
    column = page.locator(".article").bounding_box()
    for row in range(page.locator(".photo-row").count()):
        lines: dict[int, list[dict]] = {}
        for box in _frames(page, row):
            lines.setdefault(round(box["y"]), []).append(box)
        for line in lines.values():
            assert max(b["height"] for b in line) - min(b["height"] for b in line) < 1.5
            right = line[-1]["x"] + line[-1]["width"]
            assert abs(right - (column["x"] + column["width"])) < 1.5  # fills the column
            if len(line) > 1:
                assert all(b["width"] >= 119.5 for b in line) and line[0]["height"] >= 99.5
    first, second = ({round(b["y"]) for b in _frames(page, row)} for row in (0, 1))
    assert len(first) == 1  # photos 1 (2:3) and 2 (1:1): a row still, each big enough
    assert len(second) > 1  # photos 4 5 6: too small side by side on a phone
    page.screenshot(path=str(ARTIFACTS / "article-phone.png"))
    page.close()


def test_lightbox_opens_moves_and_closes(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    lightbox = page.locator(".lightbox")
    expect(lightbox).to_be_hidden()
    page.locator(".photo-row .lightbox-link").nth(1).click()
    expect(lightbox).to_be_visible()
    # No caption and no credit in the seed: no stray number either; the photo is named.
    expect(lightbox.locator(".caption")).to_be_hidden()
    expect(lightbox.locator("img")).to_have_attribute("alt", "Foto 2")
    assert "/media/" in lightbox.locator("img").get_attribute("src")
    page.keyboard.press("ArrowRight")
    expect(lightbox.locator("img")).to_have_attribute("alt", "Foto 4")  # reading order: 4 5 6
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(lightbox.locator("img")).to_have_attribute("alt", "Foto 1")
    page.keyboard.press("ArrowLeft")  # wraps around to the last photo
    expect(lightbox.locator("img")).to_have_attribute("alt", "Foto 13")
    page.screenshot(path=str(ARTIFACTS / "article-lightbox.png"))
    # A slideshow moves on by itself until paused.
    page.locator(".lightbox .play").click()
    expect(page.locator(".lightbox .play")).to_have_attribute("aria-pressed", "true")
    expect(lightbox.locator(".counter")).to_have_text("1 / 17", timeout=8_000)
    page.locator(".lightbox .play").click()
    expect(page.locator(".lightbox .play")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    page.close()


def test_the_lightbox_shows_each_labels_crop(server, browser):
    """8a and 8b are one photo: cropped differently, the viewer shows each one's crop."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    links = page.locator(".photo-row .lightbox-link")
    crops = links.evaluate_all("links => links.map(l => [l.dataset.label, l.dataset.crop])")
    by_label = dict(crops)
    assert by_label["8a"] != by_label["8b"], by_label  # the fixture crops them apart
    shown = {}
    for label in ("8a", "8b"):
        index = [c[0] for c in crops].index(label)
        links.nth(index).click()
        frame = page.locator(".lightbox .lightbox-frame")
        expect(frame).to_have_class(re.compile("cropped"))
        box = frame.bounding_box()
        shown[label] = round(box["width"] / box["height"], 2)
        page.keyboard.press("Escape")
    assert shown["8a"] == 1.0 and shown["8b"] != 1.0, shown
    page.close()
