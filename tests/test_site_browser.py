"""The visitor site in Debian's Chromium: home -> album -> lightbox -> photo page.

Justified rows with and without JavaScript, the lightbox by keyboard and by swipe, the
photo page; axe-core finds no serious or critical accessibility problem on the home,
album, photo and search pages; no Content-Security-Policy violation anywhere.
Screenshots at phone (390 x 844) and desktop (1366 x 900) sizes go to test-artifacts/.
"""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from gallery import create_app
from gallery.config import PROJECT_ROOT
from gallery.core.models import Photo
from tests.helpers.images import write_images
from tests.helpers.servers import gallery, server_errors, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium and `gallery serve`

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SIZES = [(1600, 1067), (1067, 1600), (1200, 1200), (1600, 900), (1200, 900), (900, 1350)]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PHOTOS = 17


def _describe(data) -> None:
    """Captions and credits, as staff would type them (no CLI for that)."""
    app = create_app({"DATA_DIR": str(data)})
    session = app.extensions["gallery.db.writes"]()
    for photo in session.query(Photo).filter(Photo.number <= PHOTOS - 2):
        photo.caption = f"Skolēni sporta dienā, attēls {photo.number}"
        photo.caption_en = f"Pupils on sports day, picture {photo.number}"
        photo.credit = "Anna Bērziņa"
    session.commit()
    session.close()
    app.extensions["gallery.engine"].dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("visitor-site")
    env = {**os.environ, "GALLERY_CORPUS": str(data / "no-corpus")}
    write_images(data / "photos", [SIZES[n % len(SIZES)] for n in range(1, PHOTOS + 1)])
    gallery(data, "init", env=env)
    title = ("--title", "Sporta diena")
    gallery(data, "import", "--album", "sports", *title, str(data / "photos"), env=env)
    public = ("--visibility", "public", "--date", "2026-05-20", "--place", "Rīga")
    gallery(data, "albums", "set", "sports", *public, "--originals", env=env)
    _describe(data)
    gallery(data, "reindex", env=env)
    with serving(data, env=env) as url:
        yield url
    assert server_errors(data) == []


@pytest.fixture
def open_page(browser):
    """New pages that record CSP violations; none may happen."""
    contexts, violations = [], []

    def make(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, locale="en-GB", **options)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console", lambda m: "Content Security Policy" in m.text and violations.append(m.text)
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert violations == []


def _assert_accessible(page, name: str) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: " + results.generate_report()


def _rows_of_tiles(page) -> list[list[dict]]:
    """The tiles' boxes grouped into the lines they sit on."""
    boxes = page.eval_on_selector_all(
        ".tile",
        "tiles => tiles.map(t => { const r = t.getBoundingClientRect();"
        " return {x: r.x, y: r.y, w: r.width, h: r.height}; })",
    )
    rows: dict[int, list[dict]] = {}
    for box in boxes:
        rows.setdefault(round(box["y"]), []).append(box)
    return list(rows.values())


def _assert_justified(page) -> None:
    grid = page.locator(".justified").bounding_box()
    rows = _rows_of_tiles(page)
    assert sum(len(row) for row in rows) == PHOTOS
    for number, row in enumerate(rows):
        assert max(b["h"] for b in row) - min(b["h"] for b in row) < 1.5  # one height
        right = row[-1]["x"] + row[-1]["w"]
        if number < len(rows) - 1:
            assert abs(right - (grid["x"] + grid["width"])) < 1.5  # fills the width
        else:
            assert right <= grid["x"] + grid["width"] + 0.5  # the last row is not stretched


def test_home_album_lightbox_photo_on_a_desktop(server, open_page):
    page = open_page()
    page.goto(server)
    _assert_accessible(page, "home")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-home-desktop.png"), full_page=True)
    page.get_by_text("Sporta diena").click()
    expect(page.locator(".justified.is-laid-out")).to_be_visible()
    _assert_justified(page)
    _assert_accessible(page, "album")
    page.screenshot(path=str(ARTIFACTS / "site-album-desktop.png"), full_page=True)

    lightbox = page.locator(".lightbox")
    page.locator(".tile a").nth(1).click()
    expect(lightbox).to_be_visible()
    expect(lightbox.locator(".caption")).to_have_text(
        "2. Pupils on sports day, picture 2 · Photo: Anna Bērziņa"
    )
    expect(lightbox.locator(".counter")).to_have_text(f"2 / {PHOTOS}")
    page.keyboard.press("ArrowRight")
    expect(lightbox.locator(".counter")).to_have_text(f"3 / {PHOTOS}")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # wraps round to the last photo
    expect(lightbox.locator(".counter")).to_have_text(f"{PHOTOS} / {PHOTOS}")
    expect(lightbox.locator(".caption")).to_be_hidden()  # no caption, no credit: no stray number
    expect(lightbox.locator(".caption")).to_have_text("")
    page.keyboard.press("Home")
    # The viewer draws from the srcset: a large rendition, not the grid's thumbnail.
    page.wait_for_function(
        "(img => img.complete && /[/](640|1280|2048)[.]jpg$/.test(img.currentSrc))"
        "(document.querySelector('.lightbox img'))"
    )
    _assert_accessible(page, "lightbox")
    page.screenshot(path=str(ARTIFACTS / "site-lightbox-desktop.png"))
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    assert page.evaluate("document.activeElement.closest('.tile').id") == "photo-1"

    page.locator(".tile a").nth(4).click()
    lightbox.locator(".page-link").click()
    expect(page.locator("h1")).to_have_text("Photo 5")
    expect(page.locator(".photo-page figcaption")).to_have_text("Pupils on sports day, picture 5")
    assert page.locator('meta[property="og:image"]').get_attribute("content").startswith("http")
    assert page.locator("a", has_text="Download the original").count() == 1
    _assert_accessible(page, "photo")
    page.screenshot(path=str(ARTIFACTS / "site-photo-desktop.png"), full_page=True)


def test_phone_rows_and_swipe(server, open_page):
    page = open_page(PHONE, device_scale_factor=2, has_touch=True, is_mobile=True)
    page.goto(server)
    page.screenshot(path=str(ARTIFACTS / "site-home-phone.png"), full_page=True)
    page.goto(server + "/albums/sports")
    expect(page.locator(".justified.is-laid-out")).to_be_visible()
    _assert_justified(page)
    assert 90 < _rows_of_tiles(page)[0][0]["h"] < 180  # lower rows than on a desktop
    page.screenshot(path=str(ARTIFACTS / "site-album-phone.png"), full_page=True)
    page.locator(".tile a").first.tap()
    counter = page.locator(".lightbox .counter")
    expect(counter).to_have_text(f"1 / {PHOTOS}")
    _swipe(page, -160)  # finger moves left: the next photo
    expect(counter).to_have_text(f"2 / {PHOTOS}")
    _swipe(page, 160)
    expect(counter).to_have_text(f"1 / {PHOTOS}")
    page.screenshot(path=str(ARTIFACTS / "site-lightbox-phone.png"))
    page.goto(server + "/albums/sports/photos/3")
    page.screenshot(path=str(ARTIFACTS / "site-photo-phone.png"), full_page=True)


def _swipe(page, dx: int) -> None:
    page.evaluate(
        """dx => {
          const box = document.querySelector('.lightbox');
          const at = (type, x) => box.dispatchEvent(new PointerEvent(type,
            {bubbles: true, pointerType: 'touch', isPrimary: true, clientX: x, clientY: 400}));
          at('pointerdown', 200); at('pointermove', 200 + dx / 2); at('pointerup', 200 + dx);
        }""",
        dx,
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_rows_are_justified_without_javascript(server, open_page, viewport):
    page = open_page(viewport, java_script_enabled=False)
    page.goto(server + "/albums/sports")
    assert page.locator(".justified.is-laid-out").count() == 0
    _assert_justified(page)
    page.locator(".tile a").first.click()  # no lightbox: the photo page
    expect(page.locator("h1")).to_have_text("Photo 1")


def test_search_page_is_accessible(server, open_page):
    page = open_page()
    page.goto(server + "/search?q=sporta")
    expect(page.locator(".hit").first).to_be_visible()
    _assert_accessible(page, "search")
