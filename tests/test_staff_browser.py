"""The staff album page in a real browser (Debian's Chromium driven by Playwright).

One story, as staff live it: sign in, create an album, drop 20 photos and a drawing, watch
the uploads finish, caption several photos at once, reorder, publish, delete a photo; then
an admin restores it from the trash. Every step is checked on the page and on the server
(through `gallery photos --json` and the JSON API). Server errors fail the test too.
"""

from __future__ import annotations

import base64
import json
import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gallery.config import PROJECT_ROOT, load_config
from tests.helpers.servers import gallery as _gallery
from tests.helpers.servers import serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium and `gallery serve`

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
STAFF = ("staff@school.lv", "staff-password-123")
ADMIN = ("admin@school.lv", "admin-password-123")
SLUG = "open-day"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9"/></svg>'


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
    with serving(data) as url:
        yield url, data


@pytest.fixture(scope="module")
def page(browser):
    # English: the interface follows the browser's language, and this test reads it.
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.set_default_timeout(20_000)
    yield page
    page.close()


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


@pytest.fixture
def errors(page) -> list[str]:
    """Script errors and Content-Security-Policy violations seen during one test."""
    seen: list[str] = []

    def on_error(exc) -> None:
        seen.append(str(exc))

    def on_console(message) -> None:
        print("console:", message.type, message.text)  # pytest shows it on failure
        if "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("pageerror", on_error)
    page.on("console", on_console)
    yield seen
    page.remove_listener("pageerror", on_error)
    page.remove_listener("console", on_console)


def _filenames(page: Page) -> list[str]:
    return page.locator("#photo-grid .tile .filename").all_inner_texts()


def _api(page: Page, path: str) -> dict:
    """GET an API path with the page's session (quicker than the CLI for repeated checks)."""
    origin = page.url.split("/staff")[0]
    response = page.request.get(f"{origin}/api/v1{path}")
    assert response.status == 200, response.text()
    return response.json()


def _api_photos(page: Page) -> list[dict]:
    return _api(page, f"/albums/{SLUG}/photos")["photos"]


def test_staff_curate_an_album_and_admin_restores_from_trash(site, page, upload_files, errors):
    url, data = site
    photos, drawing = upload_files

    _sign_in(page, url, STAFF)
    page.goto(f"{url}/staff/")
    page.locator("input[name=slug]").fill(SLUG)
    page.get_by_label("Title", exact=True).fill("Atvērto durvju diena")
    page.get_by_role("button", name="Create album").click()
    expect(page.locator("h1")).to_have_text("Atvērto durvju diena")
    page.wait_for_selector("#album-page[data-ready]")

    _upload(page, data, photos, drawing)
    _bulk_caption(page)
    _edit_one_cell(page)
    _reorder(page)
    _cover_and_visibility(page)
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
    expect(status).to_contain_text("(19 added, 0 duplicate, 1 rejected, 1 failed)")
    failed = page.locator(".upload-item.failed")
    expect(failed.locator(".upload-state")).to_have_text("failed: the connection was interrupted")
    page.get_by_role("button", name="Retry failed files").click()  # only that file is re-sent
    expect(status).to_contain_text("21 of 21 files finished (20 added, 0 duplicate, 1 rejected).")
    expect(failed).to_have_count(0)

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
    expect(zipped.locator(".upload-state")).to_have_text(
        "unpacked: 0 added, 1 duplicate, 1 rejected"
    )
    expect(zipped.locator(".upload-details .rejected")).to_contain_text("notes.txt: ")
    stored = _active(data)
    assert len(stored) == 20
    assert sorted(p["filename"] for p in stored) == sorted(p.name for p in photos)
    assert [p["number"] for p in stored] == list(range(1, 21))


def _bulk_caption(page: Page) -> None:
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
    expect(page.locator("#announcer")).to_have_text("Set the caption (LV) of 4 photos.")
    captions = {p["number"]: p["caption"] for p in _api_photos(page)}
    assert [n for n, c in captions.items() if c == "Skolēni pie ieejas"] == [2, 3, 4, 7]

    page.get_by_label("Field").select_option("consent")
    page.locator("#bulk-consent").select_option("no_public")
    page.get_by_role("button", name="Apply to 4 selected").click()
    expect(page.locator("#photo-grid .consent-badge:visible")).to_have_count(4)
    assert sum(p["consent"] == "no_public" for p in _api_photos(page)) == 4
    page.get_by_label("Select all").check()
    page.get_by_label("Select all").uncheck()
    expect(page.locator("#selection-count")).to_have_text("none selected")


def _edit_one_cell(page: Page) -> None:
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
    by_number = {p["number"]: p for p in _api_photos(page)}
    assert by_number[5]["caption_en"] == "Pupils at the door"
    assert by_number[6]["keywords"] == ["ieeja", "skolēni"]
    page.get_by_role("button", name="Thumbnails").click()


def _reorder(page: Page) -> None:
    before = _filenames(page)
    tiles = page.locator("#photo-grid .tile")
    # Drag photo 1 onto the right half of photo 3: it becomes photo 3.
    target = tiles.nth(2).bounding_box()
    tiles.nth(0).drag_to(tiles.nth(2), target_position={"x": target["width"] * 0.8, "y": 40})
    moved = [before[1], before[2], before[0], *before[3:]]
    expect(page.locator("#photo-grid .tile .filename")).to_have_text(moved)
    expect(page.locator("#photo-grid .tile .number")).to_have_text([str(n) for n in range(1, 21)])
    _wait_for_order(page, moved)

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
    _wait_for_order(page, moved)
    page.reload()
    page.wait_for_selector("#album-page[data-ready]")
    expect(page.locator("#photo-grid .tile .filename")).to_have_text(moved)
    _shot(page, "reordered")


def _wait_for_order(page: Page, filenames: list[str]) -> None:
    """The order saved on the server (the page saves it in the background)."""
    for _ in range(50):
        if [p["filename"] for p in _api_photos(page)] == filenames:
            return
        time.sleep(0.1)
    assert [p["filename"] for p in _api_photos(page)] == filenames


def _cover_and_visibility(page: Page) -> None:
    tile = page.locator("#photo-grid .tile").nth(4)
    tile.get_by_role("button", name="cover").click()
    expect(tile.locator(".cover-badge")).to_be_visible()
    cover_id = int(tile.get_attribute("data-id"))
    assert _api(page, f"/albums/{SLUG}")["album"]["cover_photo_id"] == cover_id

    page.locator("summary", has_text="Album settings").click()
    page.get_by_label("Visibility").select_option("unlisted")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.wait_for_selector("#album-page[data-ready]")
    page.locator("summary", has_text="Album settings").click()
    secret = page.locator("#secret-link").input_value()
    assert f"/albums/{SLUG}?key=" in secret
    assert _api(page, f"/albums/{SLUG}")["album"]["visibility"] == "unlisted"
    _shot(page, "settings")


def _delete_photo(page: Page, data: Path) -> dict:
    victim = _api_photos(page)[2]  # photo 3
    tile = page.locator(f'#photo-grid .tile[data-id="{victim["id"]}"]')
    # Deleting asks first (only an admin can restore from the trash).
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    tile.get_by_role("button", name="Delete").click()
    expect(tile).to_have_count(0)
    assert asked == [
        f"Move photo 3 ({victim['filename']}) to the trash? Only an admin can restore it."
    ]
    expect(page.locator("#photo-grid .tile")).to_have_count(19)
    expect(page.locator("#announcer")).to_have_text(
        "1 photo moved to the trash; an admin can restore it."
    )
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
    expect(page.locator("#announcer")).to_have_text("Restored 0 albums and 1 photo.")
    expect(page.locator("#trash-photos")).to_contain_text("No photos in the trash.")
    assert {p["id"]: p["status"] for p in _photos(data)}[victim["id"]] == "active"
    page.goto(f"{url}/staff/albums/{SLUG}")
    page.wait_for_selector("#album-page[data-ready]")
    expect(page.locator("#photo-grid .tile")).to_have_count(20)
    expect(page.locator(f'#photo-grid .tile[data-id="{victim["id"]}"] .number')).to_have_text(
        str(victim["number"])
    )
    _shot(page, "restored")

    # Who did what, when: the audit log names the staff member and the admin, in words;
    # a bulk edit is one row with its count.
    page.get_by_role("link", name="Audit log").click()
    log = page.locator("table.list tbody")
    for who, action in (
        (STAFF[0], "uploaded 1 photo"),
        (STAFF[0], "reordered the album's photos"),
        (STAFF[0], "moved the photo to the trash"),
        (STAFF[0], "edited 4 photos at once"),
        (ADMIN[0], "restored the photo from the trash"),
    ):
        expect(log.locator("tr", has_text=who).filter(has_text=action).first).to_be_visible()
    assert log.locator("tr", has_text="edited 4 photos at once").count() == 2  # caption, consent
    bulk = log.locator("tr", has_text="edited 4 photos at once").first
    expect(bulk.locator(".details")).to_contain_text("consent: no_public")
    page.get_by_label("What").select_option("photos.update")
    page.get_by_role("button", name="Show").click()
    expect(log.locator("tr")).to_have_count(2)
    _shot(page, "audit")


def test_folder_and_dropped_files_upload(site, page, tmp_path, errors):
    """A chosen folder (system clutter skipped) and files dropped on the page."""
    url, data = site
    corpus = Path(load_config()["CORPUS"]) / "photos" / "jpg" / "orientation"
    folder = tmp_path / "camera"
    (folder / "DCIM").mkdir(parents=True)
    for name in ("landscape_1.jpg", "landscape_2.jpg"):
        (folder / "DCIM" / name).write_bytes((corpus / name).read_bytes())
    (folder / "DCIM" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    _gallery(data, "albums", "create", "folder-day")

    _sign_in(page, url, STAFF)
    page.goto(f"{url}/staff/albums/folder-day")
    page.wait_for_selector("#album-page[data-ready]")
    page.set_input_files("#pick-folder", folder)
    status = page.locator("#upload-status")
    expect(status).to_contain_text("2 of 2 files finished (2 added, 0 duplicate, 0 rejected)")
    expect(page.locator(".upload-name")).to_have_text(
        ["camera/DCIM/landscape_1.jpg", "camera/DCIM/landscape_2.jpg"]
    )

    # A drop of files from the desktop (a synthetic one: Playwright cannot drag from the OS).
    dropped = base64.b64encode((corpus / "landscape_3.jpg").read_bytes()).decode()
    page.evaluate(
        """data => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.jpg", {type: "image/jpeg"}));
            const zone = document.getElementById("dropzone");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        dropped,
    )
    expect(status).to_contain_text("3 of 3 files finished (3 added, 0 duplicate, 0 rejected)")
    expect(page.locator("#photo-grid .tile")).to_have_count(3)

    # Two photos to the trash at once (after a confirmation), then an admin empties it.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Select all").check()
    page.locator("#photo-grid .tile figure").nth(0).click(modifiers=["ControlOrMeta"])
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("#photo-grid .tile")).to_have_count(1)
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, url, ADMIN)
    page.goto(f"{url}/staff/trash")
    expect(page.locator("#trash-photos tr")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Empty the trash…").click()
    expect(page.locator("#announcer")).to_have_text("Deleted 0 albums and 2 photos for good.")
    expect(page.locator("#trash-photos")).to_have_text("No photos in the trash.")
    lines = _gallery(data, "photos", "--album", "folder-day", "--json").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["status"] == "active"
    assert errors == []
