"""`gallery check` benchmark: how long a check of N photos takes, quick and hashing.

Run: `.venv/bin/python bench/check.py [--count 20000] [--kb 100]`.
N photo rows go straight into SQLite, each with an original of `--kb` KB of random bytes
(named by its SHA-256, as an import stores it) and four small rendition files with their
rows; the search index is built once beforehand (`gallery reindex`, not timed). Then, as
the real command in a fresh process each: `gallery check --quick` (no hashing) and
`gallery check` (every original hashed). Prints a Markdown table: the walk over files and
rows (photos per second, hashing speed) and what is left after it (the search index is
compared by two child processes beside the walk; then culling and counts). The files
were just written, so they are in the page cache: hashing a cold disk is bound by its read
speed instead (see the README).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path

from sqlalchemy import insert

from gallery import create_app
from gallery.core import db
from gallery.core.counts import recount
from gallery.core.models import Album, Photo, Rendition

GALLERY = [sys.executable, "-m", "gallery"]
SIZES = ("320", "640", "1280", "2048")


def stock(app, count: int, kb: int) -> None:
    """`count` photos with originals and renditions, the rows inserted in batches."""
    storage = app.extensions["gallery.storage"]
    storage.ensure()
    with db.session_factory()() as session, session.begin():
        session.add(Album(slug="bench", title="Bench"))
    for first in range(0, count, 1000):
        photos, renditions = [], []
        for n in range(first, min(first + 1000, count)):
            data = os.urandom(kb * 1024)
            sha = hashlib.sha256(data).hexdigest()
            original = storage.original_path(sha, "jpg")
            original.parent.mkdir(parents=True, exist_ok=True)
            original.write_bytes(data)
            photos.append(_photo_row(n, sha, len(data)))
            for name in SIZES:
                storage.rendition_path(sha, name, "jpeg").parent.mkdir(parents=True, exist_ok=True)
                storage.rendition_path(sha, name, "jpeg").write_bytes(b"r" * 100)
                renditions.append({"photo_id": n + 1, "name": name, "width": 1, "height": 1})
        with db.get_engine().begin() as connection:
            connection.execute(insert(Photo), photos)
            for row in renditions:
                row.update(format="jpeg", byte_size=100)
            connection.execute(insert(Rendition), renditions)
    with db.session_factory()() as session, session.begin():
        recount(session)  # the rows went in around the app: its kept counts follow them


def _photo_row(n: int, sha: str, size: int) -> dict:
    return {
        "id": n + 1,
        "album_id": 1,
        "number": n + 1,
        "filename": f"IMG_{n:06d}.JPG",
        "sha256": sha,
        "format": "JPEG",
        "byte_size": size,
        "width": 6000,
        "height": 4000,
        "caption": f"bench photo {n}",
        "keywords": [],
        "phash": n * 7919,  # measured by culling, as an import does (else check reports it)
        "sharpness": 0.5,
        "exposure": 0.5,
    }


def timed(data: Path, *args: str) -> tuple[float, dict]:
    started = time.monotonic()
    done = subprocess.run(
        [*GALLERY, "--data", str(data), *args], capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    report = json.loads(done.stdout) if "--json" in args else {}
    if done.returncode != 0:
        raise SystemExit(f"{args} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, report


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--kb", type=int, default=100, help="size of each original in KB")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as folder:
        data = Path(folder)
        app = create_app({"DATA_DIR": str(data)})
        with app.app_context():
            db.migrate(db.get_engine())
            stock(app, options.count, options.kb)
        app.extensions["gallery.engine"].dispose()
        timed(data, "reindex")
        print(f"{options.count:,} photos, originals of {options.kb} KB, 4 renditions each\n")
        print("| run | wall s | in-command s | files and rows s | after them s | photos/s | MB/s |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, args in (("check --quick", ["--quick"]), ("check (hashing)", [])):
            wall, report = timed(data, "check", "--json", *args)
            stats = report["stats"]
            media, inside = stats["media_seconds"], stats["seconds"]
            hashed = stats["hashed_bytes"] / 1e6 / media if stats["hashed_bytes"] else 0
            print(
                f"| {label} | {wall:.1f} | {inside:.1f} | {media:.1f} | {inside - media:.1f} "
                f"| {options.count / media:,.0f} | {hashed:,.0f} |"
            )


if __name__ == "__main__":
    main()
