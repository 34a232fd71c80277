"""Visitor site benchmark: server time and bytes of the album page (500 photos), the home
page (with thousands of albums), a photo page and the feed.

Run: `.venv/bin/python bench/site.py [--photos 500] [--albums 3000] [--requests 300]`.
The data goes straight into a fresh SQLite database with bulk inserts (rows only: pages
read no image files). Server time is the WSGI call measured in-process, from calling the
app to the last byte of the body, with a browser's `Accept-Encoding: br, gzip` (so it
includes rendering, the ETag and compression, but no network or server threads). Each
route is requested `--requests` times after a warm-up; "cold" empties every cache of the
process before every request, as after an edit: the visitor page cache, the compressed
pages, the laid-out tiles and SQLite's page cache (before issue 19 it left the visitor
page cache on, so a "cold" album page was a kept one). Prints a Markdown table.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import tempfile
import time
from argparse import ArgumentParser
from datetime import date, timedelta

from sqlalchemy import insert, select
from werkzeug.test import EnvironBuilder

from gallery import create_app
from gallery.core import db
from gallery.core.models import Album, Photo, Rendition
from gallery.site import tiles
from gallery.web import httpcache

LADDER = (320, 640, 1280, 2048)
SHAPES = ((6000, 4000), (4000, 6000), (4000, 3000), (5000, 5000), (6000, 3375))
HEADERS = {"Accept-Encoding": "br, gzip", "Accept-Language": "lv,en;q=0.8"}


def _photo_rows(album_id: int, count: int, start_id: int) -> tuple[list[dict], list[dict]]:
    photos, renditions = [], []
    for n in range(1, count + 1):
        width, height = SHAPES[n % len(SHAPES)]
        photo_id = start_id + n
        photos.append(
            {
                "id": photo_id,
                "album_id": album_id,
                "number": n,
                "filename": f"IMG_{n:04d}.JPG",
                "sha256": hashlib.sha256(f"{photo_id}".encode()).hexdigest(),
                "format": "JPEG",
                "byte_size": 8_000_000,
                "width": width,
                "height": height,
                "caption": f"Skolēni un skolotāji pasākumā, {n}. attēls",
                "credit": "Foto: Anna Bērziņa",
                "keywords": [],
            }
        )
        for edge in LADDER:
            scale = edge / max(width, height)
            renditions.append(
                {
                    "photo_id": photo_id,
                    "name": str(edge),
                    "width": round(width * scale),
                    "height": round(height * scale),
                    "format": "jpeg",
                    "byte_size": edge * 100,
                }
            )
    return photos, renditions


def build(app, photos: int, albums: int) -> None:
    """One album of `photos` photos and `albums` more public albums of 3 photos each."""
    with app.app_context():
        session = db.session_factory()()
        first = date(2026, 6, 1)
        rows = [
            {
                "slug": f"album-{i}",
                "title": f"Pasākums {i}",
                "visibility": "public",
                "event_date": first - timedelta(days=i),
                "secret": f"s{i}",
            }
            for i in range(albums + 1)
        ]
        session.execute(insert(Album), rows)
        ids = session.scalars(select(Album.id).order_by(Album.id)).all()
        all_photos, all_renditions, next_id = [], [], 0
        for index, album_id in enumerate(ids):
            count = photos if index == 0 else 3
            made, renditions = _photo_rows(album_id, count, next_id)
            all_photos += made
            all_renditions += renditions
            next_id += count
        session.execute(insert(Photo), all_photos)
        session.execute(insert(Rendition), all_renditions)
        session.commit()
        session.close()


def _forget(app) -> None:
    """Empty every cache of the process a page build reads, as the first request after an
    edit finds them: the visitor page cache (kept pages and rendition lookups), the
    compressed pages, the laid-out tiles and SQLite's page cache of the connection (the
    compiled templates and queries stay: they are code, not data)."""
    tiles.album_grid.cache_clear()
    tiles._rows.cache_clear()
    httpcache._pages.items.clear()
    for name in ("gallery.pagecache", "gallery.pagecache.media"):
        app.extensions[name].items.clear()
    with app.extensions["gallery.engine"].connect() as connection:
        connection.exec_driver_sql("PRAGMA shrink_memory")


def measure(app, path: str, requests: int, headers: dict, cold: bool = False) -> dict:
    """Median and p95 server time (ms), status, and bytes sent for one route."""
    environ = EnvironBuilder(path=path, headers=headers).get_environ()
    times, cpu, sent, status = [], [], 0, ""

    def start_response(code, _headers, _exc=None):
        nonlocal status
        status = code

    for round_ in range(requests + 20):
        if cold:
            _forget(app)
        began, began_cpu = time.perf_counter(), time.process_time()
        body = b"".join(app.wsgi_app(dict(environ), start_response))
        if round_ >= 20:  # the first ones warm caches and compile templates
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        sent = len(body)
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "cpu": statistics.median(cpu),
        "status": status.split()[0],
        "bytes": sent,
    }


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--albums", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="gallery-bench-site-")
    try:
        app = create_app({"DATA_DIR": data})
        with app.app_context():
            db.migrate(db.get_engine())
        build(app, args.photos, args.albums)
        _report(app, args)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _report(app, args) -> None:
    client = app.test_client()
    album = client.get("/albums/album-0", headers=HEADERS)
    deep = client.get(f"/?after=2020-01-01_{args.albums}", headers=HEADERS)
    cases = [
        (f"album page, {args.photos} photos", "/albums/album-0", HEADERS),
        (f"album page, {args.photos} photos, cold", "/albums/album-0", HEADERS, True),
        (
            "album page, 304 revalidation",
            "/albums/album-0",
            {**HEADERS, "If-None-Match": album.headers["ETag"]},
        ),
        (f"home page ({args.albums + 1} albums)", "/", HEADERS),
        (f"home page ({args.albums + 1} albums), cold", "/", HEADERS, True),
        ("home page, far back (keyset), cold", "/?after=2019-01-01_1", HEADERS, True),
        ("year page, cold", "/years/2025", HEADERS, True),
        ("photo page", "/albums/album-0/photos/250", HEADERS),
        ("photo page, cold", "/albums/album-0/photos/250", HEADERS, True),
        ("Atom feed, cold", "/feed.atom", HEADERS, True),
    ]
    assert deep.status_code == 200
    columns = ("route", "status", "median ms", "p95 ms", "CPU median ms", "bytes sent (br)")
    print(f"| {' | '.join(columns)} | uncompressed |")
    print("|---|---|---|---|---|---|---|")
    for label, path, headers, *cold in cases:
        result = measure(app, path, args.requests, headers, *cold)
        plain = len(client.get(path, headers={"Accept-Language": "lv"}).data)
        print(
            f"| {label} | {result['status']} | {result['median']:.1f} | {result['p95']:.1f} "
            f"| {result['cpu']:.1f} | {result['bytes']:,} | {plain:,} |"
        )


if __name__ == "__main__":
    main()
