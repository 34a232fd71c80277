"""Culling a 60-photo album with the keyboard only, in a real browser (Chromium).

The album: 10 bursts of 4 frames (one sharp frame each) and 20 single photos, imported
with `gallery import`. An editor marks photos with single keys (flags, stars, labels, on
one photo and on a selection), undoes with Ctrl+Z, opens a stack and chooses its top,
looks through the loupe (moving on, marking, zooming), compares two photos with their zoom
in step, filters the grid, and finds only the picks in the article editor's picker. Each
step is checked on the page and through the API; script errors and CSP reports fail it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.helpers.images import EXIF_IFD, scene, view
from tests.helpers.servers import gallery, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EDITOR = ("editor@school.lv", "editor-password-123")
SLUG = "sports-day"
DATE = 0x9003  # DateTimeOriginal


def _album(folder: Path) -> None:
    """10 bursts of 4 frames (the second one sharp), then 20 singles, a minute apart."""
    folder.mkdir(parents=True)
    n = 0
    for burst in range(10):
        picture = scene(100 + burst, (1100, 740))
        for frame in range(4):
            n += 1
            box = (0.04 + 0.006 * frame, 0.05, 0.94 + 0.006 * frame, 0.95)
            shot = view(picture, box, light=1 + 0.04 * (frame % 2), blur=0 if frame == 1 else 1.5)
            _save(folder / f"IMG_{n:04d}.jpg", shot, minute=burst, second=frame // 2)
    for single in range(20):
        n += 1
        _save(folder / f"IMG_{n:04d}.jpg", view(scene(200 + single)), minute=20 + single, second=0)


def _save(path: Path, picture, minute: int, second: int) -> None:
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATE] = f"2026:05:14 10:{minute:02d}:{second:02d}"
    picture.save(path, "JPEG", quality=85, exif=exif)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("culling-site")
    data = root / "data"
    gallery(data, "init")
    gallery(
        data, "users", "add", EDITOR[0], "--role", "editor", "--password-stdin", stdin=EDITOR[1]
    )
    _album(root / "photos")
    gallery(data, "import", "--album", SLUG, str(root / "photos"))
    story = root / "story.txt"
    story.write_text("Sporta diena\n\nSkrējām.\n", encoding="utf-8")
    gallery(data, "article", "import", str(story), "--album", SLUG, "--slug", "story")
    with serving(data) as url:
        yield url, data


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.set_default_timeout(20_000)
    seen: list[str] = []
    page.on("pageerror", lambda exc: seen.append(str(exc)))
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    page.close()
    assert not seen, seen


def _api(page: Page, path: str) -> dict:
    origin = page.url.split("/staff")[0]
    response = page.request.get(f"{origin}/api/v1{path}")
    assert response.status == 200, response.text()
    return response.json()


def _photos(page: Page) -> dict[str, dict]:
    """The album's photos through the API, once every key pressed so far is saved."""
    if page.locator("#album-page").count():
        expect(page.locator("#album-page")).to_have_attribute("data-saved", "true")
    return {p["filename"]: p for p in _api(page, f"/albums/{SLUG}/photos")["photos"]}


def _tile(page: Page, name: str):
    return page.locator("#photo-grid .tile", has=page.locator(".filename", has_text=name))


def test_culling_an_album_with_the_keyboard(site, page):
    url, _data = site
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/staff/albums/{SLUG}")
    expect(page.locator("#album-page")).to_have_attribute("data-ready", "true")
    grid = page.locator("#photo-grid .tile:visible")
    # stacks: one tile per burst (its sharp frame, suggested), with its count
    expect(grid).to_have_count(30)
    expect(page.locator("#shown-count")).to_have_text("30 shown")
    first_top = _tile(page, "IMG_0002.jpg")
    expect(first_top.locator(".stack-badge")).to_have_text("▸ 4 in stack")
    expect(first_top.locator(".suggested")).to_be_visible()

    # marks on the current photo: P, then 3 stars and the red label on the next one
    first_top.focus()
    page.keyboard.press("p")
    expect(first_top.locator(".flag")).to_have_text("Pick")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("3")
    page.keyboard.press("6")
    second = _tile(page, "IMG_0006.jpg")
    expect(second.locator(".stars")).to_have_text("★★★")
    expect(second.locator(".label-chip")).to_have_text("red")
    page.keyboard.press("x")
    expect(second.locator(".flag")).to_have_text("Reject")
    page.keyboard.press("Control+z")  # the reject is undone, the stars and label stay
    expect(second.locator(".flag")).to_be_hidden()
    photos = _photos(page)
    assert (photos["IMG_0002.jpg"]["pick"], photos["IMG_0006.jpg"]["rating"]) == ("pick", 3)
    assert (photos["IMG_0006.jpg"]["label"], photos["IMG_0006.jpg"]["pick"]) == ("red", None)

    # a selection: Shift+arrows, then one key marks all of it
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#selection-count")).to_have_text("3 selected")
    page.keyboard.press("p")
    expect(page.locator("#photo-grid .tile.selected .flag.pick")).to_have_count(3)
    page.keyboard.press("Escape")

    # a stack opened with S, another frame made its top with T
    first_top.focus()
    page.keyboard.press("s")
    expect(grid).to_have_count(33)
    frame = _tile(page, "IMG_0004.jpg")
    frame.focus()
    page.keyboard.press("t")
    expect(frame.locator(".stack-badge")).to_be_visible()
    stacks = _api(page, f"/albums/{SLUG}/stacks")["stacks"]
    chosen = [s for s in stacks if photos["IMG_0004.jpg"]["id"] in s["photos"]][0]
    assert (chosen["top"], chosen["chosen"]) == (photos["IMG_0004.jpg"]["id"], True)
    assert chosen["suggested"] == photos["IMG_0002.jpg"]["id"]
    page.keyboard.press("s")
    expect(grid).to_have_count(30)

    # the loupe: Enter, move on, mark, zoom to 100 %, Esc
    single = _tile(page, "IMG_0041.jpg")
    single.focus()
    page.keyboard.press("Enter")
    loupe = page.locator("#loupe")
    expect(loupe).to_be_visible()
    expect(loupe.locator(".loupe-panel-title")).to_have_text("photo 41 (IMG_0041.jpg)")
    page.keyboard.press("ArrowRight")
    expect(loupe.locator(".loupe-panel-title")).to_have_text("photo 42 (IMG_0042.jpg)")
    page.keyboard.press("2")
    expect(loupe.locator(".loupe-panel-marks")).to_have_text("★★")
    page.keyboard.press("z")
    expect(loupe.locator(".loupe-panel.zoomed img.at-100")).to_have_count(1)
    page.keyboard.press("z")
    page.keyboard.press("Escape")
    expect(loupe).to_be_hidden()
    assert _photos(page)["IMG_0042.jpg"]["rating"] == 2

    # compare two selected photos, zoomed together
    single.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("c")
    expect(loupe.locator(".loupe-panel")).to_have_count(2)
    page.keyboard.press("z")
    expect(loupe.locator(".loupe-panel.zoomed img.at-100")).to_have_count(2)
    translations = loupe.locator(".loupe-panel img").evaluate_all(
        "els => els.map(e => e.style.translate)"
    )
    assert translations[0] and translations[0] == translations[1]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("p")  # marks the highlighted (second) photo
    expect(loupe.locator(".loupe-panel.active .loupe-panel-marks")).to_have_text("Pick · ★★")
    page.keyboard.press("Escape")

    # filters: only the picks, then back to every photo
    picks = [n for n, p in _photos(page).items() if p["pick"] == "pick"]
    assert len(picks) == 5
    page.locator("#cull-filters select[name=pick]").select_option("pick")
    expect(page.locator("#shown-count")).to_have_text("5 shown")
    page.locator("#cull-filters select[name=pick]").select_option("")
    expect(grid).to_have_count(30)

    # the article editor's picker shows only the picks
    page.goto(f"{url}/staff/articles/story/edit")
    page.locator("#picker-only").select_option("pick=pick")
    expect(page.locator("#picker .pick")).to_have_count(5)
    shown = page.locator("#picker .pick .filename").all_inner_texts()
    assert sorted(shown) == sorted(picks)


def test_caption_shortcuts_expand_as_typed(site, page):
    url, _data = site
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/staff/shortcuts")
    page.get_by_label("Code").fill("=dt=")
    page.get_by_label("Text").fill("Daugavpils tehnikums")
    page.get_by_role("button", name="Save shortcut").click()
    expect(page.locator(".shortcuts-table")).to_contain_text("Daugavpils tehnikums")
    page.goto(f"{url}/staff/albums/{SLUG}")
    expect(page.locator("#album-page")).to_have_attribute("data-ready", "true")
    field = page.locator("#bulk-value")
    field.press_sequentially("Sporta diena =dt=")
    expect(field).to_have_value("Sporta diena Daugavpils tehnikums")
    field.press("Control+z")  # the field's own undo brings the code back
    expect(field).to_have_value("Sporta diena =dt=")
    field.press_sequentially(" =xx=")  # no such code: it stays as typed
    expect(field).to_have_value("Sporta diena =dt= =xx=")
