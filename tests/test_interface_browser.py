"""The whole interface in Debian's Chromium, in Latvian and English, at 390 and 1280 px.

Every main page of the tour (tests/helpers/tour.py: visitor pages, the staff workspace, the
editor, the admin's pages, error pages) is opened as its user would: none may be wider
than the window, a Latvian page may hold none of a list of English words, axe-core may find
no serious or critical problem, and no page may break the Content-Security-Policy or throw.
The error pages are pages of the site: its header, the reader's language, a way back.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.helpers import tour
from tests.helpers.servers import serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium and `gallery serve`

# Words of the English interface that a Latvian page must not show (the examples
# and the names of the workspace's controls), none of them also Latvian ("Albums" is: an
# album); matched as whole words, case included.
ENGLISH = [
    "files finished",
    "processing",
    "waiting",
    "All done",
    "none selected",
    "Apply to",
    "photo(s)",
    "rejected",
    "duplicate",
    "already in the album",
    "must use lowercase",
    "Articles",
    "Search photos",
    "Sign out",
    "Sign in",
    "Photos",
    "Caption",
    "Captions table",
    "Thumbnails",
    "Delete",
    "Cover",
    "Select all",
    "Trash",
    "Save",
    "Export HTML",
    "Slideshow",
    "Close",
    "Previous",
    "Next",
    "Page not found",
    "View on site",
    "Workspace",
    "Menu",
    "Settings",
    "Visibility",
    "Audit log",
    "Users",
    "Restore",
    "Download",
    "Keywords",
    "Credit",
    "Consent",
    "Alt text",
    "Skip to the content",
    "Add photos",
    "Choose files",
    "Event date",
    "Create album",
    "New article",
    "Problems",
    "Preview",
    "Label",
    "No photos",
    "Status",
    "published",
    "draft",
    "Who",
    "Details",
    "Older",
]
ENGLISH_WORDS = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ENGLISH)) + r")(?![\w-])")
# Visible text and the names of controls, leaving out what is marked as another language
# (an English caption, the language switch's "EN").
TEXTS = """() => {
  const out = [];
  const foreign = (el) => el.closest('[lang]:not([lang="lv"])');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || foreign(el) || el.closest('script, style, template, [hidden], textarea')) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    out.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')) {
    if (foreign(el)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      if (el.hasAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  return out.join('\\n');
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("tour")
    values = tour.seed(data)
    with serving(data) as base:
        yield base, values, data
    log = (data / "serve.log").read_text()
    assert "Traceback" not in log, log[log.index("Traceback") :][:3000]


def _pages(browser, base, language, width):
    """One page (its own browser context) per user of the tour, signed in, in `language`."""
    pages, seen = {}, []
    for who in dict.fromkeys(stop.who for stop in tour.STOPS):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
        context.add_cookies([{"name": "lang", "value": language, "url": base}])
        page = context.new_page()
        page.on("pageerror", lambda exc: seen.append(str(exc)))
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and seen.append(m.text),
        )
        if who:
            tour.sign_in(page, base, who)
        pages[who] = page
    return pages, seen


@pytest.mark.parametrize("width", tour.WIDTHS)
@pytest.mark.parametrize("language", tour.LANGUAGES)
def test_every_page_fits_speaks_the_language_and_passes_axe(site, browser, language, width):
    base, values, _data = site
    pages, errors = _pages(browser, base, language, width)
    problems = []
    try:
        for stop in tour.STOPS:
            page = pages[stop.who]
            status = tour.open_stop(page, base, stop, values)
            name = f"{stop.name} ({language}, {width} px)"
            if status != stop.status:
                problems.append(f"{name}: answered {status}, not {stop.status}")
            if (wide := tour.overflow(page)) > 0:
                problems.append(f"{name}: {wide} px wider than the window")
            if page.evaluate("document.documentElement.lang") != language:
                problems.append(f"{name}: <html lang> is not {language}")
            if language == "lv":
                found = sorted(set(ENGLISH_WORDS.findall(page.evaluate(TEXTS))))
                if found:
                    problems.append(f"{name}: English words {found}")
            if width == 1280:  # axe looks at the markup, the same at both widths
                results = Axe().run(page)
                serious = [
                    (v["id"], [n["target"] for n in v["nodes"]][:3])
                    for v in results.response["violations"]
                    if v["impact"] in ("serious", "critical")
                ]
                if serious:
                    problems.append(f"{name}: axe {serious}")
    finally:
        for page in pages.values():
            page.context.close()
    assert not problems, "\n".join(problems)
    assert errors == []


@pytest.mark.parametrize("language", tour.LANGUAGES)
def test_error_pages_are_pages_of_the_site(site, browser, language):
    base, _values, _data = site
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale=language)
    context.add_cookies([{"name": "lang", "value": language, "url": base}])
    page = context.new_page()
    words = {
        "lv": ("Lapa nav atrasta", "Uz sākumlapu", "Lapa bija atvērta pārāk ilgi", "Nav atļauts"),
        "en": ("Page not found", "To the home page", "The page was open too long", "Not allowed"),
    }[language]
    try:
        answer = page.goto(f"{base}/albums/nav-tada")
        assert answer.status == 404
        expect(page.locator(".site-header")).to_be_visible()
        expect(page.locator("h1")).to_have_text(words[0])
        page.get_by_role("link", name=words[1]).click()
        expect(page).to_have_url(f"{base}/")

        # A form sent after its session's token changed (the page was open too long).
        tour.sign_in(page, base, "staff")
        page.goto(f"{base}/staff/")
        # The short name is made from the title (Latvian letters folded), and its pattern is
        # one Chromium compiles (under the `v` flag) and checks.
        page.fill("input[name=title]", "Ēnu teātris Šķūnī")
        slug = page.locator("input[name=slug]")
        expect(slug).to_have_value("enu-teatris-skuni")
        slug.fill("Bad Slug")
        assert slug.evaluate("input => input.validity.patternMismatch") is True
        slug.fill("")
        page.evaluate(
            "document.querySelector('form[data-slug-form] input[name=csrf_token]').value = 'stale'"
        )
        page.fill("input[name=title]", f"Vecs albums {language}")
        with page.expect_response(lambda r: r.url.endswith("/staff/albums")) as sent:
            page.locator("form[data-slug-form] [type=submit]").click()
        assert sent.value.status == 400
        expect(page.locator(".error-page")).to_contain_text(words[2])
        expect(page.locator(".site-header")).to_be_visible()
        # The way back is the page the form was on.
        assert page.locator(".error-page a.primary").get_attribute("href") == "/staff/"

        answer = page.goto(f"{base}/staff/users")  # staff, not admin
        assert answer.status == 403
        expect(page.locator("h1")).to_have_text(words[3])
        assert tour.overflow(page) == 0

        # The API answers JSON as before, its message in the asker's language.
        api = page.request.get(
            f"{base}/api/v1/photos/999999", headers={"Accept-Language": language}
        )
        assert api.status == 404 and api.json()["error"]["code"] == "not_found"
    finally:
        context.close()
