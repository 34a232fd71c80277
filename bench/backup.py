"""Backup benchmark: `gallery backup` of N photos of 24 MP, then again after a few new ones.

Run: `.venv/bin/python bench/backup.py [--count 200] [--new 10] [--restore]`.
The photos are the 24 MP JPEGs of bench/ingest.py (bench/out/photos-24mp/, made once from
the shared corpus), each made distinct by a JPEG comment, so N photos are N originals of
6-7 MB. Their rows go straight into SQLite (a backup reads rows and original files, never
renditions), the originals through the storage. Then, each as the real command in a fresh
process: a first backup (everything copied), a second after `--new` more photos (only those
copied), a third with nothing new, and with `--restore` a restore into an empty directory
(which renders every original again, so it costs about what importing them did).
Prints a Markdown table. The files were just written, so they are in the page cache: a
backup of a cold disk reads them from the disk (bound by its read speed) instead.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path

from ingest import CACHE, make_photos
from sqlalchemy import insert

from gallery import create_app
from gallery.config import load_config
from gallery.core import db
from gallery.core.models import Album, Photo

GALLERY = Path(sys.executable).parent / "gallery"


def distinct_jpeg(data: bytes, n: int) -> bytes:
    """The same picture with a comment segment (COM) naming `n`: other bytes, other hash."""
    comment = f"bench photo {n}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


def add_photos(app, sources: list[Path], first: int, count: int) -> int:
    """Insert `count` photo rows and store their originals; returns the bytes stored."""
    storage = app.extensions["gallery.storage"]
    storage.ensure()
    rows, stored = [], 0
    for n in range(first, first + count):
        data = distinct_jpeg(sources[n % len(sources)].read_bytes(), n)
        sha = hashlib.sha256(data).hexdigest()
        temp = storage.temp_path()
        temp.write_bytes(data)
        storage.put_original(temp, sha, "jpg")
        stored += len(data)
        rows.append(
            {
                "album_id": 1,
                "number": n + 1,
                "filename": f"IMG_{n:04d}.JPG",
                "sha256": sha,
                "format": "JPEG",
                "byte_size": len(data),
                "width": 6000,
                "height": 4000,
            }
        )
    with app.app_context():
        session = db.get_session()
        session.execute(insert(Photo), rows)
        session.commit()
    return stored


def timed(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([str(GALLERY), *args], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--restore", action="store_true", help="Also time a restore.")
    args = parser.parse_args()
    corpus = sorted((Path(load_config()["CORPUS"]) / "photos" / "jpg").glob("*.jpg"))
    sources = sorted(CACHE.glob("*.jpg")) or make_photos(24, corpus)
    with tempfile.TemporaryDirectory(prefix="gallery-bench-backup-") as temp:
        data, dest = Path(temp) / "data", Path(temp) / "backup"
        app = create_app({"DATA_DIR": str(data)})
        with app.app_context():
            db.migrate(db.get_engine())
            session = db.get_session()
            session.add(Album(slug="event", title="Event"))
            session.commit()
        stored = add_photos(app, sources, 0, args.count)
        print(f"{args.count} originals, {stored / 1e6:.0f} MB", file=sys.stderr)
        table = [backup_row("first backup", data, dest)]
        add_photos(app, sources, args.count, args.new)
        table.append(backup_row(f"second, {args.new} new photos", data, dest))
        table.append(backup_row("third, nothing new", data, dest))
        app.extensions["gallery.engine"].dispose()
        if args.restore:
            seconds, _out = timed("--data", str(Path(temp) / "restored"), "restore", str(dest))
            table.append(f"| restore (renditions and index rebuilt) | {seconds:.2f} | | | |")
    print("| run | wall s | in-command s | originals copied | MB copied |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(table))


def backup_row(label: str, data: Path, dest: Path) -> str:
    seconds, out = timed("--data", str(data), "backup", str(dest), "--json")
    manifest = json.loads(out)
    originals = manifest["originals"]
    return (
        f"| {label} | {seconds:.2f} | {manifest['seconds']:.2f} | {originals['copied']} "
        f"| {originals['bytes_copied'] / 1e6:.0f} |"
    )


if __name__ == "__main__":
    main()
