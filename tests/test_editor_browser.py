"""The article editor in a real browser (Debian's Chromium under Playwright, `gallery serve`).

One story, as an editor lives it: sign in, create an article over a six-photo album, type
two paragraphs and the rows `1 2` and `3 4 5`, watch the preview lay them out, type an
unknown label and fix it from the contact sheet, crop photo 1 square, publish, export.
Script errors, CSP violations and server tracebacks fail the test.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from gallery.config import PROJECT_ROOT
from tests.helpers.images import write_images
from tests.helpers.servers import gallery as _gallery
from tests.helpers.servers import server_errors, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium and `gallery serve`

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
EDITOR = ("editor@school.lv", "editor-password-123")
# Landscape, portrait, square, panorama, 4:3, 3:4: large enough for 320 and 640 renditions.
SIZES = [(900, 600), (600, 900), (800, 800), (1200, 450), (800, 600), (600, 800)]
BODY = "Pirmā rindkopa par konferenci.\n\n1    2\n\nOtrā rindkopa.\n\n3 4 5"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A public album `fest` of six generated photos and an editor, served by `gallery serve`."""
    data = tmp_path_factory.mktemp("editor-site")
    env = {**os.environ, "GALLERY_CORPUS": str(data / "no-corpus")}
    folder = data / "photos"
    write_images(folder, SIZES)
    _gallery(data, "init", env=env)
    _gallery(data, "import", "--album", "fest", str(folder), env=env)
    _gallery(data, "albums", "set", "fest", "--title", "Fest", "--visibility", "public", env=env)
    add = ["users", "add", EDITOR[0], "--role", "editor", "--password-stdin"]
    _gallery(data, *add, stdin=EDITOR[1], env=env)
    ids = [
        json.loads(line)["id"]
        for line in _gallery(data, "photos", "--album", "fest", "--json", env=env).splitlines()
    ]
    with serving(data, env=env) as url:
        yield url, data, ids


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page.set_default_timeout(10_000)
    yield page
    page.close()


@pytest.fixture
def errors(page) -> list[str]:
    """Script errors, console errors and Content-Security-Policy violations."""
    seen: list[str] = []
    page.on("pageerror", lambda exc: seen.append(str(exc)))

    def on_console(message) -> None:
        print("console:", message.type, message.text, message.location.get("url"))
        # Chromium asks every site for /favicon.ico; this one has none, which is no error.
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("console", on_console)
    return seen


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"editor-{name}.png"), full_page=True)


def _rows(page: Page) -> list[list[dict]]:
    """The preview's rows as the bounding boxes of their photo boxes."""
    rows = page.locator("#preview .preview-row")
    return [
        [b.bounding_box() for b in rows.nth(i).locator(".preview-box").all()]
        for i in range(rows.count())
    ]


def _assert_rows_fill_the_column(page: Page) -> None:
    column = page.locator("#preview .preview-row").first.bounding_box()
    for boxes in _rows(page):
        assert max(b["height"] for b in boxes) - min(b["height"] for b in boxes) < 1.5
        assert len({round(b["y"]) for b in boxes}) == 1
        assert abs(boxes[0]["x"] - column["x"]) < 1.5
        right = boxes[-1]["x"] + boxes[-1]["width"]
        assert abs(right - (column["x"] + column["width"])) < 1.5


def test_build_preview_crop_publish_and_export(site, page, errors):
    url, data, ids = site
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Articles").click()

    page.get_by_label("Title").fill("Konference tehnikumā")
    page.get_by_label("Album (the labels are its photo numbers)").select_option("fest")
    page.get_by_role("button", name="New article").click()
    expect(page).to_have_url(re.compile(r"/staff/articles/konference-tehnikuma/edit$"))
    page.wait_for_selector("#editor[data-ready]")
    _give_alt_texts(page, url, ids)

    # Type the text: the preview lays the rows out as one types.
    page.get_by_role("textbox", name="Text", exact=True).fill(BODY)
    expect(page.locator("#preview .preview-row")).to_have_count(2)
    expect(page.locator("#preview .preview-text")).to_have_count(2)
    labels = page.locator("#preview .preview-row").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('.box-label')].map(l => l.textContent))"
    )
    assert labels == [["1", "2"], ["3", "4", "5"]]
    _assert_rows_fill_the_column(page)
    expect(page.locator("#no-problems")).to_be_visible()
    expect(page.locator(".pick[data-number='1'] .here")).to_have_text("In this article as 1")
    _shot(page, "rows")
    _assert_accessible(page)

    # A label without a photo is a problem naming it; assign it photo 6 from the contact sheet.
    area = page.get_by_role("textbox", name="Text", exact=True)
    area.press("Control+End")
    area.type("\n\n9")
    problem = page.locator("#problems li[data-code='unknown_label']")
    expect(problem.locator(".problem-label")).to_have_text("9")
    expect(problem).to_contain_text("9 has no photo")
    expect(page.locator("#preview .preview-missing")).to_contain_text("9")
    _shot(page, "problem")
    page.get_by_label("Label", exact=True).fill("9")
    page.get_by_role("button", name="Photo 6", exact=True).click()
    expect(page.locator("#problems li")).to_have_count(0)
    expect(page.locator("#preview .preview-row")).to_have_count(3)
    expect(page.locator(".pick[data-number='6'] .here")).to_have_text("In this article as 9")

    # Crop photo 1 square: its box becomes square, the row still fills the column.
    page.get_by_role("button", name="Label 1: crop and caption").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("1:1").check()
    _shot(page, "crop")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    page.wait_for_function(
        "() => { const b = document.querySelector('.preview-box[data-label=\"1\"]')"
        ".getBoundingClientRect(); return Math.abs(b.width - b.height) < 1.5; }"
    )
    _assert_rows_fill_the_column(page)

    # Publish (saving the text), then export the clean HTML.
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#article-status")).to_have_text("published")
    expect(page.get_by_role("button", name="Unpublish")).to_be_visible()
    saved = page.request.get(f"{url}/api/v1/articles/konference-tehnikuma").json()
    assert saved["status"] == "published"
    assert [b["row"] for b in saved["blocks"] if "row" in b] == [["1", "2"], ["3", "4", "5"], ["9"]]
    _shot(page, "published")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export HTML", exact=True).click()
    _check_export(Path(download.value.path()).read_text(), url)

    assert errors == []
    assert server_errors(data) == []


def _assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical problem on the editor."""
    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not found, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def _give_alt_texts(page: Page, url: str, ids: list[int]) -> None:
    """Alt text for every photo (through the API, as the album page's captions table does)."""
    token = page.locator("#editor").get_attribute("data-csrf")
    response = page.request.patch(
        f"{url}/api/v1/photos",
        data={"ids": ids, "set": {"alt_text": "Konferences dalībnieki"}},
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 200, response.text()


def _check_export(html: str, url: str) -> None:
    assert "<script" not in html.lower()
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 6  # 1 2 / 3 4 5 / 9
    for tag in images:
        assert re.search(r'\balt="Konferences dalībnieki"', tag), tag
        src = re.search(r'\bsrc="([^"]+)"', tag).group(1)
        assert src.startswith(f"{url}/media/"), src
        srcset = re.search(r'\bsrcset="([^"]+)"', tag).group(1)
        assert all(part.strip().startswith(f"{url}/media/") for part in srcset.split(","))
    assert 'href="/' not in html and 'src="/' not in html  # nothing relative


def test_row_builder_drag_and_keyboard_crop(site, page, errors):
    url, data, _ids = site
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/staff/articles/")
    page.get_by_label("Title").fill("Rindas")
    page.get_by_role("button", name="New article").click()
    page.wait_for_selector("#editor[data-ready]")
    area = page.get_by_role("textbox", name="Text", exact=True)
    area.fill("Ievads.")

    # Row mode: click photos 2 and 3, insert the row after the cursor's line.
    page.get_by_label("adds it to a new row").check()
    page.get_by_role("button", name="Photo 2", exact=True).click()
    page.get_by_role("button", name="Photo 3", exact=True).click()
    expect(page.locator("#row-draft")).to_have_text("2  3")
    page.get_by_role("button", name="Insert the row at the cursor").click()
    expect(area).to_have_value("Ievads.\n\n2    3\n")
    expect(page.locator("#preview .preview-row .preview-box")).to_have_count(2)

    # Drag photo 4 onto the empty last line: its label lands there, as a row of its own.
    # (A tall window: Playwright cannot scroll in the middle of a drag, a person can.)
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.locator(".pick[data-number='4'] .pick-photo").drag_to(
        area, target_position={"x": 40, "y": 90}
    )
    expect(page.locator("#preview .preview-row")).to_have_count(2)
    assert area.input_value().splitlines()[-1].strip() == "4"
    expect(page.locator(".pick[data-number='4'] .here")).to_have_text("In this article as 4")

    # Keyboard only: open label 2, choose the free shape, narrow it with Shift+arrows.
    page.locator(".preview-box[data-label='2']").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Free").check()
    page.locator("#crop-rect").focus()
    for _ in range(10):  # the free shape starts 80 % x 80 %; each press is 2 % narrower
        page.keyboard.press("Shift+ArrowLeft")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    narrowed = 2 / 3 * 0.6 / 0.8  # photo 2 is 2:3; the crop keeps 60 % of its width, 80 % of height
    page.wait_for_function(
        "ratio => { const b = document.querySelector('.preview-box[data-label=\"2\"]')"
        ".getBoundingClientRect(); return Math.abs(b.width / b.height - ratio) < 0.02; }",
        arg=narrowed,
    )
    assert errors == []
    assert server_errors(data) == []
