"""The staff upload page with a job queue: `gallery serve` answers 202, a real `gallery
worker` imports, and the page follows each upload to its end (Chromium, Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from gallery.config import load_config
from tests.helpers.objects import SHARED_SECRET
from tests.helpers.servers import gallery, serving, working

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STAFF = ("staff@school.lv", "staff-password-123")
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9"/></svg>'


def test_the_upload_page_follows_queued_uploads_to_their_end(browser, tmp_path, queue_url):
    data = tmp_path / "data"
    gallery(data, "init")
    gallery(data, "users", "add", STAFF[0], "--role", "staff", "--password-stdin", stdin=STAFF[1])
    gallery(data, "albums", "create", "queued-day")
    jpg = Path(load_config()["CORPUS"]) / "photos" / "jpg"
    photos = [jpg / name for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Kodak_CX7530.jpg")]
    drawing = tmp_path / "logo.svg"
    drawing.write_text(SVG)
    env = {"GALLERY_QUEUE_URL": queue_url, "GALLERY_SECRET_KEY": SHARED_SECRET}
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.set_default_timeout(30_000)
    with serving(data, env) as url, working(data, env):
        page.goto(f"{url}/login")
        page.get_by_label("Email").fill(STAFF[0])
        page.get_by_label("Password").fill(STAFF[1])
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{url}/staff/albums/queued-day")
        page.wait_for_selector("#album-page[data-ready]")
        page.set_input_files("#pick-files", [*photos, drawing])
        status = page.locator("#upload-status")
        expect(status).to_contain_text("4 of 4 files finished (3 added, 0 duplicate, 1 rejected)")
        expect(page.locator(".upload-item.rejected .upload-state")).to_contain_text("SVG")
        expect(page.locator("#photo-grid .tile")).to_have_count(3)
    page.close()
    lines = gallery(data, "photos", "--album", "queued-day", "--json").splitlines()
    assert len(lines) == 3
