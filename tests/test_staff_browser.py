"""The staff album page in a real browser (Debian's Chromium driven by Playwright).

One story, as staff live it: sign in, create an album, drop 20 photos and a drawing, watch
the uploads finish, caption several photos at once, reorder, publish, delete a photo; then
an admin restores it from the trash. Every step is checked on the page and in the database
(through `gallery photos --json` / `gallery albums list --json`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from gallery.config import PROJECT_ROOT, load_config

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
STAFF = ("staff@school.lv", "staff-password-123")
ADMIN = ("admin@school.lv", "admin-password-123")
SLUG = "open-day"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gallery(data: Path, *args: str, stdin: str | None = None) -> str:
    command = [sys.executable, "-m", "gallery.cli", "--data", str(data), *args]
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


def _photos(data: Path) -> list[dict]:
    """The album's photos (trashed ones too) from the database, in number order."""
    lines = _gallery(data, "photos", "--album", SLUG, "--json").splitlines()
    return sorted((json.loads(line) for line in lines), key=lambda p: p["number"])


def _active(data: Path) -> list[dict]:
    return [p for p in _photos(data) if p["status"] == "active"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A data root with a staff user and an admin, served by `gallery serve` on a free port."""
    data = tmp_path_factory.mktemp("staff-site")
    _gallery(data, "init")
    for (email, password), role in ((STAFF, "staff"), (ADMIN, "admin")):
        _gallery(data, "users", "add", email, "--role", role, "--password-stdin", stdin=password)
    port = _free_port()
    command = [sys.executable, "-m", "gallery.cli", "--data", str(data), "serve", "--port", str(port)]
    log = (data / "serve.log").open("w")  # a file, not a pipe: a full pipe would stall the server
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url, data
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def page():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup test installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


@pytest.fixture
def upload_files(tmp_path) -> tuple[list[Path], Path]:
    """20 corpus photos the gallery accepts, and an SVG drawing it refuses."""
    jpg = Path(load_config()["CORPUS"]) / "photos" / "jpg"
    chosen = [p for p in sorted(jpg.glob("*.jpg")) if p.name != "corrupted.jpg"]
    chosen += sorted((jpg / "gps").glob("*.jpg")) + sorted((jpg / "exif-org").glob("*.jpg"))
    assert len(chosen) >= 20, f"the corpus at {jpg} has too few photos"
    drawing = tmp_path / "logo.svg"
    drawing.write_text(SVG)
    return chosen[:20], drawing


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"staff-{name}.png"), full_page=True)


def _sign_in(page: Page, url: str, who: tuple[str, str]) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _numbers(page: Page) -> list[str]:
    return page.locator("#photo-grid .tile .number").all_inner_texts()


def _filenames(page: Page) -> list[str]:
    return page.locator("#photo-grid .tile .filename").all_inner_texts()


def test_staff_curate_an_album_and_admin_restores_from_trash(site, page, upload_files):
    url, data = site
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: print("console:", msg.type, msg.text))  # shown on failure
    photos, drawing = upload_files

    _sign_in(page, url, STAFF)
    page.goto(f"{url}/staff/")
    page.get_by_label("Slug").fill(SLUG)
    page.get_by_label("Title").fill("Atvērto durvju diena")
    page.get_by_role("button", name="Create album").click()
    expect(page.locator("h1")).to_have_text("Atvērto durvju diena")
    page.wait_for_selector("#album-page[data-ready]")

    _upload(page, data, photos, drawing)
    _bulk_caption(page, data)
    _edit_one_cell(page, data)
    _reorder(page, data)
    _cover_and_visibility(page, data)
    trashed = _delete_photo(page, data)

    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, url, ADMIN)
    _restore(page, url, data, trashed)
    assert errors == []
    log = (data / "serve.log").read_text()
    assert "Traceback" not in log, log[log.index("Traceback") :][:3000]


def _upload(page: Page, data: Path, photos: list[Path], drawing: Path) -> None:
    # The first upload request breaks off, as a flaky connection would: it must be retryable.
    broken: list[str] = []

    def interrupt_once(route):
        if route.request.method == "POST" and not broken:
            broken.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/albums/*/photos", interrupt_once)
    page.set_input_files("#pick-files", [*photos, drawing])
    status = page.locator("#upload-status")
    expect(status).to_contain_text("21 of 21 files finished", timeout=45_000)
    page.unroute("**/api/v1/albums/*/photos")
    failed = page.locator(".upload-item.failed")
    interrupted = failed.filter(has_text="the connection was interrupted")
    expect(interrupted).to_have_count(1)
    # Only the failed files are sent again; the server's own errors (if any) are checked
    # at the end of the test, from its log.
    # (A file the server failed on after storing it comes back as a duplicate.)
    page.get_by_role("button", name="Retry failed files").click()
    expect(status).to_contain_text("All done.")
    expect(failed).to_have_count(0)
    expect(status).to_contain_text("1 rejected")
    added = page.locator(".upload-item.done").count()
    assert added + page.locator(".upload-item.duplicate").count() == 20

    rejected = page.locator(".upload-item.rejected")
    expect(rejected).to_have_count(1)
    expect(rejected.locator(".upload-name")).to_have_text("logo.svg")
    expect(rejected.locator(".upload-state")).to_contain_text("SVG")
    done_bars = page.locator(".upload-item.done progress")
    assert done_bars.evaluate_all("bars => bars.every(b => b.value === 1)")
    assert page.locator("#upload-overall").evaluate("bar => bar.value") == 1
    expect(page.locator("#photo-grid .tile")).to_have_count(20)
    expect(page.locator("#photo-grid .tile .number")).to_have_text([str(n) for n in range(1, 21)])
    _shot(page, "uploaded")

    # The same bytes again, alone and in a zip with a text file: nothing new, reasons shown.
    archive = drawing.parent / "more.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(photos[0], f"event/{photos[0].name}")
        bundle.writestr("event/notes.txt", "not a photo")
    page.locator("#clear-finished").click()
    page.set_input_files("#pick-files", [photos[0], archive])
    expect(status).to_contain_text("2 of 2 files finished")
    expect(page.locator(".upload-item.duplicate .upload-state")).to_contain_text(
        "already in the album as photo"
    )
    zipped = page.locator(".upload-item", has_text="more.zip")
    expect(zipped.locator(".upload-state")).to_have_text("added: 0 added, 1 duplicate, 1 rejected")
    expect(zipped.locator(".upload-details .rejected")).to_contain_text("notes.txt: ")
    stored = _active(data)
    assert len(stored) == 20
    assert sorted(p["filename"] for p in stored) == sorted(p.name for p in photos)
    assert [p["number"] for p in stored] == list(range(1, 21))


def _bulk_caption(page: Page, data: Path) -> None:
    tiles = page.locator("#photo-grid .tile figure")
    tiles.nth(1).click()
    tiles.nth(3).click(modifiers=["Shift"])
    tiles.nth(6).click(modifiers=["ControlOrMeta"])
    expect(page.locator("#selection-count")).to_have_text("4 selected")
    chosen = page.locator("#photo-grid .tile.selected .number").all_inner_texts()
    assert chosen == ["2", "3", "4", "7"]
    page.get_by_label("Field").select_option("caption")
    page.locator("#bulk-value").fill("Skolēni pie ieejas")
    page.get_by_role("button", name="Apply to 4 selected").click()
    expect(page.locator("#announcer")).to_contain_text("caption (LV) of 4 photo(s)")
    captions = {p["number"]: p["caption"] for p in _active(data)}
    assert [n for n, c in captions.items() if c == "Skolēni pie ieejas"] == [2, 3, 4, 7]

    page.get_by_label("Field").select_option("consent")
    page.locator("#bulk-consent").select_option("no_public")
    page.get_by_role("button", name="Apply to 4 selected").click()
    expect(page.locator("#photo-grid .consent-badge:visible")).to_have_count(4)
    assert sum(p["consent"] == "no_public" for p in _active(data)) == 4
    page.get_by_label("Select all").check()
    page.get_by_label("Select all").uncheck()
    expect(page.locator("#selection-count")).to_have_text("none selected")


def _edit_one_cell(page: Page, data: Path) -> None:
    page.get_by_role("button", name="Captions table").click()
    cell = page.get_by_label("caption (EN) of photo 5", exact=True)
    cell.fill("Pupils at the door")
    cell.press("Enter")  # saves and moves down to photo 6
    expect(page.get_by_label("caption (EN) of photo 6", exact=True)).to_be_focused()
    expect(page.locator("#curation td.saved")).to_have_count(1)
    page.get_by_label("keywords of photo 6", exact=True).fill("ieeja, skolēni")
    page.get_by_label("keywords of photo 6", exact=True).press("Tab")
    expect(page.locator("#curation td.saved")).to_have_count(2)
    _shot(page, "table")
    by_number = {p["number"]: p for p in _active(data)}
    assert by_number[5]["caption_en"] == "Pupils at the door"
    assert by_number[6]["keywords"] == ["ieeja", "skolēni"]
    page.get_by_role("button", name="Thumbnails").click()


def _reorder(page: Page, data: Path) -> None:
    before = _filenames(page)
    tiles = page.locator("#photo-grid .tile")
    # Drag photo 1 onto the right half of photo 3: it becomes photo 3.
    target = tiles.nth(2).bounding_box()
    tiles.nth(0).drag_to(tiles.nth(2), target_position={"x": target["width"] * 0.8, "y": 40})
    moved = [before[1], before[2], before[0], *before[3:]]
    expect(page.locator("#photo-grid .tile .filename")).to_have_text(moved)
    expect(page.locator("#photo-grid .tile .number")).to_have_text([str(n) for n in range(1, 21)])
    _wait_for_db(data, moved)

    # Keyboard: focus photo 10 and press Alt+ArrowLeft twice: it becomes photo 8.
    tiles.nth(9).focus()
    page.keyboard.press("Alt+ArrowLeft")
    page.keyboard.press("Alt+ArrowLeft")
    moved = [*moved[:7], moved[9], *moved[7:9], *moved[10:]]
    expect(page.locator("#photo-grid .tile .filename")).to_have_text(moved)
    expect(tiles.nth(7)).to_be_focused()
    # The button alternative: photo 20 one step earlier.
    tiles.nth(19).get_by_role("button", name="earlier").click()
    moved = [*moved[:18], moved[19], moved[18]]
    expect(page.locator("#photo-grid .tile .filename")).to_have_text(moved)
    _wait_for_db(data, moved)
    page.reload()
    page.wait_for_selector("#album-page[data-ready]")
    expect(page.locator("#photo-grid .tile .filename")).to_have_text(moved)
    _shot(page, "reordered")


def _wait_for_db(data: Path, filenames: list[str]) -> None:
    for _ in range(50):
        if [p["filename"] for p in _active(data)] == filenames:
            return
        time.sleep(0.1)
    assert [p["filename"] for p in _active(data)] == filenames


def _cover_and_visibility(page: Page, data: Path) -> None:
    tile = page.locator("#photo-grid .tile").nth(4)
    tile.get_by_role("button", name="cover").click()
    expect(tile.locator(".cover-badge")).to_be_visible()
    cover_id = int(tile.get_attribute("data-id"))
    album = page.request.get(page.url.split("/staff")[0] + f"/api/v1/albums/{SLUG}").json()
    assert album["album"]["cover_photo_id"] == cover_id

    page.locator("summary").click()
    page.get_by_label("Visibility").select_option("unlisted")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.wait_for_selector("#album-page[data-ready]")
    page.locator("summary").click()
    secret = page.locator("#secret-link").input_value()
    assert f"/albums/{SLUG}?key=" in secret
    listed = [json.loads(line) for line in _gallery(data, "albums", "list", "--json").splitlines()]
    assert [a["visibility"] for a in listed if a["slug"] == SLUG] == ["unlisted"]
    _shot(page, "settings")


def _delete_photo(page: Page, data: Path) -> dict:
    victim = _active(data)[2]  # photo 3
    tile = page.locator(f'#photo-grid .tile[data-id="{victim["id"]}"]')
    tile.get_by_role("button", name="Delete").click()
    expect(tile).to_have_count(0)
    expect(page.locator("#photo-grid .tile")).to_have_count(19)
    expect(page.locator("#announcer")).to_contain_text("moved to the trash")
    stored = {p["id"]: p for p in _photos(data)}
    assert stored[victim["id"]]["status"] == "trashed"
    return victim


def _restore(page: Page, url: str, data: Path, victim: dict) -> None:
    page.get_by_role("link", name="Trash").click()
    row = page.locator("#trash-photos tr", has_text=victim["filename"])
    expect(row).to_have_count(1)
    _shot(page, "trash")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Restore selected").click()
    expect(page.locator("#announcer")).to_contain_text("Restored 0 album(s) and 1 photo(s)")
    expect(page.locator("#trash-photos")).to_contain_text("No photos in the trash.")
    assert {p["id"]: p["status"] for p in _photos(data)}[victim["id"]] == "active"
    page.goto(f"{url}/staff/albums/{SLUG}")
    page.wait_for_selector("#album-page[data-ready]")
    expect(page.locator("#photo-grid .tile")).to_have_count(20)
    expect(page.locator(f'#photo-grid .tile[data-id="{victim["id"]}"] .number')).to_have_text(
        str(victim["number"])
    )
    _shot(page, "restored")
