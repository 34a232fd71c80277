"""The data of bench/scale.py: a gallery of N photos in N/50 albums, rows inserted directly.

Albums: event dates spread over twenty years; most public, some unlisted, private, drafts
or in the trash. Photos: 10-90 an album (50 on average), captions, keywords, cameras and
years as bench/search.py makes them (its queries find them), 2% without consent, 0.5% in
the trash, four renditions each, culling's measures set. Files are shared: photo n uses
original n mod `--files` (1 KB of random bytes, four renditions of 100 bytes), as the same
bytes in several albums share one set of files, so a million rows need no million files.
Counters the app keeps (photos per album, albums per year) are counted once at the end,
as `gallery check --repair` does: rows inserted directly bypass the app's sessions.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import search as synthetic  # bench/search.py: captions, keywords, cameras
from sqlalchemy import insert, text

from gallery import create_app
from gallery.core import db
from gallery.core.models import Album, Photo, Rendition

LADDER = (320, 640, 1280, 2048)
FIRST_DAY = date(2006, 1, 1)
DAYS = 20 * 365
BATCH = 20_000
VISIBILITY = [("public", 90), ("unlisted", 4), ("private", 3), ("draft", 3)]


def build(data: Path, photos: int, files: int, seed: int = 1) -> None:
    """A fresh gallery in `data` (which must not hold one) of `photos` photos."""
    rng = random.Random(seed)
    synthetic.rng.seed(seed)
    app = create_app({"DATA_DIR": str(data), "SEARCH_WAIT": 0})
    with app.app_context():
        db.migrate(db.get_engine())
        shas = _files(app.extensions["gallery.storage"], files, rng)
        engine = db.get_engine()
        sizes = _album_sizes(photos, rng)
        _albums(engine, sizes, rng)
        _photos(engine, sizes, shas, rng)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    app.extensions["gallery.engine"].dispose()
    try:
        from gallery.core.counts import recount
    except ImportError:  # the code before issue 19 keeps no counters
        return
    with app.app_context(), db.session_factory()() as session, session.begin():
        recount(session)
    app.extensions["gallery.engine"].dispose()


def _album_sizes(photos: int, rng: random.Random) -> list[int]:
    sizes: list[int] = []
    left = photos
    while left > 0:
        size = min(left, rng.randint(10, 90))
        sizes.append(size)
        left -= size
    return sizes


def _files(storage, count: int, rng: random.Random) -> list[str]:
    storage.ensure()
    shas = []
    for _ in range(count):
        data = rng.randbytes(1024)
        sha = hashlib.sha256(data).hexdigest()
        original = storage.original_path(sha, "jpg")
        original.parent.mkdir(parents=True, exist_ok=True)
        original.write_bytes(data)
        for edge in LADDER:
            path = storage.rendition_path(sha, str(edge), "jpeg")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"r" * 100)
        shas.append(sha)
    return shas


def _albums(engine, sizes: list[int], rng: random.Random) -> None:
    states, weights = zip(*VISIBILITY, strict=True)
    rows = []
    for n in range(len(sizes)):
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        made = datetime(day.year, day.month, day.day, 18, tzinfo=UTC) + timedelta(days=2)
        visibility = rng.choices(states, weights)[0]
        rows.append(
            {
                "id": n + 1,
                "slug": f"album-{n + 1}",
                "title": f"Pasākums {n + 1}",
                "description": "",
                "event_date": day if rng.random() > 0.05 else None,
                "place": rng.choice(["Rīga", "Daugavpils", "Liepāja", "Cēsis", ""]),
                "visibility": visibility,
                "secret": f"secret-{n + 1}",
                "status": "trashed" if rng.random() < 0.01 else "active",
                "created_at": made,
                "updated_at": made,
                "published_at": made if visibility == "public" else None,
            }
        )
    with engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(Album), rows[start : start + BATCH])


def _photos(engine, sizes: list[int], shas: list[str], rng: random.Random) -> None:
    seed, lemmas = synthetic.vocabulary()
    photos, renditions, photo_id = [], [], 0
    for album, size in enumerate(sizes, start=1):
        year = 2006 + (album * 20) // len(sizes)
        for number in range(1, size + 1):
            photo_id += 1
            photos.append(_photo(photo_id, album, number, year, shas, seed, lemmas, rng))
            renditions += _renditions(photo_id)
        if len(photos) >= BATCH:
            _insert(engine, photos, renditions)
            print(f"  {photo_id:,} photos", file=sys.stderr, end="\r")
            photos, renditions = [], []
    _insert(engine, photos, renditions)
    print(file=sys.stderr)


def _photo(photo_id, album, number, year, shas, seed, lemmas, rng) -> dict:
    make, model = rng.choice(synthetic.CAMERAS)
    roll = rng.random()
    return {
        "id": photo_id,
        "album_id": album,
        "number": number,
        "filename": f"IMG_{number:04d}.JPG",
        "sha256": shas[photo_id % len(shas)],
        "format": "JPEG",
        "byte_size": 1024,
        "width": 6000,
        "height": 4000,
        "caption": synthetic.caption(seed, lemmas),
        "keywords": [seed[synthetic.zipf_index(len(seed))] for _ in range(rng.randint(0, 3))],
        "camera_make": make,
        "camera_model": model,
        "taken_at": f"{rng.randint(2005, 2025)}-05-0{rng.randint(1, 9)}T10:00:00",
        "credit": "Foto: Anna Bērziņa",
        "consent": "no_public" if roll < 0.02 else "ok",
        "status": "trashed" if 0.02 <= roll < 0.025 else "active",
        "phash": photo_id * 7919,
        "sharpness": 0.5,
        "exposure": 0.5,
        "created_at": datetime(year, 6, 1, tzinfo=UTC),
    }


def _renditions(photo_id: int) -> list[dict]:
    return [
        {
            "photo_id": photo_id,
            "name": str(edge),
            "width": edge,
            "height": edge * 2 // 3,
            "format": "jpeg",
            "byte_size": 100,
        }
        for edge in LADDER
    ]


def _insert(engine, photos: list[dict], renditions: list[dict]) -> None:
    if not photos:
        return
    with engine.begin() as connection:
        connection.execute(insert(Photo), photos)
        connection.execute(insert(Rendition), renditions)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if target.exists() and any(target.iterdir()):
        raise SystemExit(f"{target} is not empty")
    build(target, int(sys.argv[2]), int(sys.argv[3]))
    print(os.path.getsize(target / "gallery.sqlite3") // 2**20, "MB")
