"""A tour of the whole interface: a gallery seeded as a school's would be, and every main
page a visitor, a staff member, an editor or an admin sees, for Chromium to open.

`scripts/screenshots` shoots each page at 390 and 1280 px in Latvian and English;
tests/test_interface_browser.py opens the same pages and checks them (no page wider than
the screen, no English left on a Latvian page, axe, the error pages).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gallery.config import load_config
from tests.helpers.images import write_images
from tests.helpers.servers import gallery

USERS = {
    "admin": ("admin@school.lv", "admin-password-123"),
    "editor": ("editor@school.lv", "editor-password-123"),
    "staff": ("staff@school.lv", "staff-password-123"),
}
SEED_ARTICLE = Path(load_config()["CORPUS"]).parent / "seed" / "article-lv.txt"
SIZES = [(1600, 1067), (1067, 1600), (1200, 1200), (1600, 900), (1200, 900), (900, 1350)]
WIDTHS = (390, 1280)
LANGUAGES = ("lv", "en")


@dataclass(frozen=True)
class Stop:
    """One page of the tour: its name, its path, who opens it, and what shows it is ready."""

    name: str
    path: str
    who: str = ""  # "" for a visitor, else a role of USERS
    ready: str = "main"  # a selector that is there once the page's scripts have drawn it
    click: str = ""  # a control to press once it is ready (the captions table)
    status: int = 200


STOPS = [
    Stop("home", "/"),
    Stop("album", "/albums/sporta-diena", ready=".justified.is-laid-out"),
    Stop("photo", "/albums/sporta-diena/photos/{photo}"),
    Stop("articles", "/articles"),
    Stop("article", "/articles/konference", ready=".photo-row.is-laid-out"),
    Stop("search", "/search?q=sporta"),
    Stop("not-found", "/albums/nav-tada", status=404),
    Stop("sign-in", "/login"),
    Stop("staff-albums", "/staff/", who="staff"),
    Stop("staff-album", "/staff/albums/sporta-diena", who="staff", ready="#album-page[data-ready]"),
    Stop(
        "staff-captions",
        "/staff/albums/sporta-diena",
        who="staff",
        ready="#album-page[data-ready]",
        click="[data-view=table]",
    ),
    Stop(
        "staff-empty-album", "/staff/albums/tuksais", who="staff", ready="#album-page[data-ready]"
    ),
    Stop("near-duplicates", "/staff/near-duplicates", who="staff"),
    Stop("shortcuts", "/staff/shortcuts", who="staff"),
    Stop("forbidden", "/staff/users", who="staff", status=403),
    Stop("editor-articles", "/staff/articles/", who="editor"),
    Stop("editor", "/staff/articles/konference/edit", who="editor", ready="#editor[data-ready]"),
    Stop("users", "/staff/users", who="admin"),
    Stop("audit", "/staff/audit", who="admin"),
    Stop("trash", "/staff/trash", who="admin", ready="#trash-photos tr"),
    Stop("account", "/account", who="staff"),
]


def seed(data: Path) -> dict:
    """A gallery as a school's would be: a public album of 17 captioned photos (originals
    offered), an empty draft, the seed article published over it, a photo in the trash,
    three users. Returns what the tour's paths need ({"photo": id})."""
    env = {**os.environ, "GALLERY_CORPUS": str(data / "no-corpus")}
    photos = data / "photos"
    write_images(photos, [SIZES[n % len(SIZES)] for n in range(1, 18)])
    gallery(data, "init", env=env)
    for role, (email, password) in USERS.items():
        gallery(
            data, "users", "add", email, "--role", role, "--password-stdin", stdin=password, env=env
        )
    title = ("--title", "Sporta diena Daugavpils tehnikumā")
    gallery(data, "import", "--album", "sporta-diena", *title, str(photos), env=env)
    public = ("--visibility", "public", "--date", "2026-05-20", "--place", "Daugavpils")
    gallery(data, "albums", "set", "sporta-diena", *public, "--originals", env=env)
    gallery(data, "albums", "create", "tuksais", "--title", "Atvērto durvju diena", env=env)
    _describe(data)
    if SEED_ARTICLE.exists():
        text = SEED_ARTICLE.read_text()
    else:
        text = "Konference tehnikumā\n\nPirmā rindkopa.\n\n1    2\n\n4    5    6\n"
    article = data / "article.txt"
    article.write_text(text)
    add = ("article", "import", str(article), "--album", "sporta-diena", "--slug", "konference")
    gallery(data, *add, env=env)
    gallery(data, "article", "set", "konference", "--status", "published", env=env)
    gallery(data, "reindex", env=env)
    return {"photo": _first_photo(data)}


def _describe(data: Path) -> None:
    """Captions, alt texts and credits as staff would type them; photo 17 in the trash."""
    from gallery import create_app
    from gallery.core.models import Photo
    from gallery.core.states import Status

    app = create_app({"DATA_DIR": str(data)})
    session = app.extensions["gallery.db.writes"]()
    for photo in session.query(Photo):
        if photo.number <= 14:
            photo.caption = f"Skolēni sporta dienā: stafete pie stadiona, {photo.number}. attēls"
            photo.caption_en = (
                f"Pupils on sports day: the relay by the stadium, picture {photo.number}"
            )
            photo.alt_text = "Skolēni skrien stafetē stadionā"
            photo.credit = "Foto: Anna Bērziņa" if photo.number % 2 else "Jānis Ozols"
        if photo.number == 17:
            photo.status = Status.TRASHED
    session.commit()
    session.close()
    app.extensions["gallery.engine"].dispose()


def _first_photo(data: Path) -> int:
    import json

    lines = gallery(data, "photos", "--album", "sporta-diena", "--json").splitlines()
    return min(json.loads(line)["id"] for line in lines)


def sign_in(page, base: str, who: str) -> None:
    """Sign a page's context in as one of USERS."""
    email, password = USERS[who]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form [type=submit]")
    page.wait_for_load_state()


def open_stop(page, base: str, stop: Stop, values: dict) -> int:
    """Open a stop of the tour and wait until its scripts have drawn it; its status."""
    response = page.goto(base + stop.path.format(**values))
    page.wait_for_selector(stop.ready, state="attached", timeout=20_000)
    if stop.click:
        page.click(stop.click)
    page.wait_for_load_state("networkidle")
    return response.status if response else 0


def overflow(page) -> int:
    """How many px the page is wider than the window (0: it fits)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
