"""Screenshots of every main page at 390 and 1280 px, in Latvian and English, and in
Latvian once more with the system's dark mode.

Run by `scripts/screenshots [OUT]` (default test-artifacts/screenshots/, git-ignored): a
seeded gallery (tests.helpers.tour) served by `gallery serve`, Debian's Chromium through
Playwright, one full-page PNG per page, width and language, named LANG-WIDTH-PAGE.png
(LANG-WIDTH-dark-PAGE.png in dark mode), and an index.html that shows them all side by
side. It prints any page wider than its window.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from gallery.config import PROJECT_ROOT
from tests.helpers import tour
from tests.helpers.servers import chromium, serving

# (language, width, colour scheme) of each set of screenshots
VARIANTS = [
    *((language, width, "light") for language in tour.LANGUAGES for width in tour.WIDTHS),
    *(("lv", width, "dark") for width in tour.WIDTHS),
]


def _name(language: str, width: int, scheme: str, stop: str) -> str:
    return f"{language}-{width}-{'dark-' if scheme == 'dark' else ''}{stop}.png"


def shoot(out: Path) -> list[str]:
    """Every stop of the tour at every width in every language; the problems seen."""
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as temp:
        data = Path(temp) / "data"
        data.mkdir()
        values = tour.seed(data)
        with serving(data) as base, chromium() as browser:
            for variant in VARIANTS:
                problems += _shoot_all(browser, base, values, *variant, out)
    _index(out)
    return problems


def _shoot_all(browser, base, values, language, width, scheme, out) -> list[str]:
    problems = []
    contexts: dict[str, object] = {}
    for stop in tour.STOPS:
        if stop.who not in contexts:
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                locale=language,
                device_scale_factor=1,
                color_scheme=scheme,
            )
            context.add_cookies([{"name": "lang", "value": language, "url": base}])
            page = context.new_page()
            if stop.who:
                tour.sign_in(page, base, stop.who)
            contexts[stop.who] = page
        page = contexts[stop.who]
        try:
            tour.open_stop(page, base, stop, values)
        except Exception as exc:  # a page that does not draw is a problem to show, not a stop
            problems.append(f"{language} {width} {stop.name}: {exc}".splitlines()[0])
        wide = tour.overflow(page)
        if wide > 0:
            problems.append(f"{language} {width} {stop.name}: {wide} px wider than the window")
        page.screenshot(path=str(out / _name(language, width, scheme, stop.name)), full_page=True)
    for page in contexts.values():
        page.context.close()
    return problems


def _index(out: Path) -> None:
    rows = []
    for stop in tour.STOPS:
        cells = "".join(
            f'<td><a href="{_name(lang, w, scheme, stop.name)}">'
            f'<img src="{_name(lang, w, scheme, stop.name)}" width="{w // 4}" '
            f'alt="{stop.name}, {lang}, {w} px, {scheme}"></a></td>'
            for lang, w, scheme in VARIANTS
        )
        rows.append(f"<tr><th>{stop.name}</th>{cells}</tr>")
    heads = "".join(f"<th>{lang} {w} {scheme}</th>" for lang, w, scheme in VARIANTS)
    (out / "index.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Screenshots</title>'
        f"<table><tr><th></th>{heads}</tr>{''.join(rows)}</table></html>"
    )


def main() -> int:
    out = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / "test-artifacts" / "screenshots"
    )
    problems = shoot(out)
    for problem in problems:
        print(problem)
    print(f"{len(tour.STOPS) * len(VARIANTS)} screenshots in {out} ({out / 'index.html'})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
