"""A fresh gallery to load: public albums of generated photos, a private album, an unlisted
(secret-link) album, albums the uploaders fill, one staff account and token per uploader.

Accounts and albums go through the real `gallery` commands (in one process, through the
app's CLI runner, to save a second of start-up per command); photos through the real
import, with one worker pool for all albums.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from gallery import create_app
from gallery.catalog.imports import import_paths
from gallery.core import db
from gallery.core.models import Album
from gallery.ingest.workers import WorkerPool
from loadkit.photos import caption, make_photos

PASSWORD = "load-test-password"


@dataclass(frozen=True)
class Scale:
    """How big the seeded gallery and the upload plan are."""

    public_albums: int = 4
    photos_per_album: int = 24
    photo_size: tuple[int, int] = (1600, 1067)
    uploaders: int = 20
    uploads_each: int = 6
    upload_albums: int = 4
    upload_size: tuple[int, int] = (3000, 2000)
    shared_every: int = 3  # every third upload of an uploader is a file its whole group sends


@dataclass
class Site:
    """What the visitors and uploaders need to know about the seeded gallery."""

    data: Path
    public: dict[str, list[int]] = field(default_factory=dict)  # slug -> visible photo ids
    unlisted: tuple[str, str, list[int]] = ("", "", [])  # slug, key, photo ids
    private: str = ""
    years: list[int] = field(default_factory=list)
    upload_albums: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


def seed(data: Path, scale: Scale, rng: random.Random) -> Site:
    """Make the gallery in `data` (which must be empty or missing)."""
    app = create_app({"DATA_DIR": str(data)})
    cli = _cli(app)
    cli("init")
    site = Site(data=data, years=[2025, 2026])
    albums = _make_albums(cli, scale, site)
    site.tokens = [_staff_token(cli, n) for n in range(scale.uploaders)]
    folder = data.parent / f"{data.name}-seed-photos"
    to_make = {
        folder / slug / f"IMG_{n:04d}.jpg": (rng.randrange(1 << 30), caption(rng))
        for slug, count in albums.items()
        for n in range(count)
    }
    make_photos(to_make, scale.photo_size)
    with app.app_context(), WorkerPool.from_config(app.config) as pool:
        for slug in albums:
            with db.session_factory(writes=False)() as session:
                album_id = Album.by_slug(session, slug).id
            import_paths(album_id, sorted((folder / slug).glob("*.jpg")), pool)
    app.extensions["gallery.engine"].dispose()
    _read_back(site)
    return site


def _cli(app):
    runner = app.test_cli_runner()

    def run(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(args=list(args), input=stdin, catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"gallery {' '.join(args)} failed: {result.output}")
        return result.output

    return run


def _make_albums(cli, scale: Scale, site: Site) -> dict[str, int]:
    """Create the albums; returns slug -> how many photos to import into it."""
    albums: dict[str, int] = {}
    for n in range(scale.public_albums):
        slug = f"event-{n + 1}"
        day = f"{site.years[n % 2]}-0{n % 9 + 1}-1{n % 10}"
        cli(
            "albums",
            "create",
            slug,
            "--title",
            f"Pasākums {n + 1}",
            "--date",
            day,
            "--visibility",
            "public",
        )
        albums[slug] = scale.photos_per_album
    cli("albums", "create", "staff-only", "--title", "Iekšējais", "--visibility", "private")
    cli("albums", "create", "for-parents", "--title", "Vecākiem", "--visibility", "unlisted")
    albums["staff-only"] = albums["for-parents"] = max(2, scale.photos_per_album // 2)
    site.private = "staff-only"
    for n in range(scale.upload_albums):
        # Half of them public, so visitors browse albums that change under them.
        slug = f"upload-{n + 1}"
        visibility = "public" if n % 2 == 0 else "draft"
        cli(
            "albums",
            "create",
            slug,
            "--title",
            f"Augšupielāde {n + 1}",
            "--date",
            "2026-06-01",
            "--visibility",
            visibility,
        )
        site.upload_albums.append(slug)
    return albums


def _staff_token(cli, n: int) -> str:
    email = f"staff{n + 1}@school.lv"
    cli("users", "add", email, "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    return cli("users", "token", email, "--name", "load test").strip()


def _read_back(site: Site) -> None:
    """Photo ids and the unlisted album's key, from the database the server will use."""
    with sqlite3.connect(site.data / "gallery.sqlite3") as connection:
        rows = connection.execute(
            "SELECT a.slug, a.visibility, a.secret, p.id FROM photos p "
            "JOIN albums a ON a.id = p.album_id ORDER BY a.slug, p.number"
        ).fetchall()
    for slug, visibility, secret, photo_id in rows:
        if visibility == "public":
            site.public.setdefault(slug, []).append(photo_id)
        elif visibility == "unlisted":
            site.unlisted = (slug, secret, [*site.unlisted[2], photo_id])
