"""Upload benchmark: what a 7 MB photo costs the request thread before its decode starts.

Run: `.venv/bin/python bench/upload.py [--count N]`. Takes N (default 8) of bench/ingest.py's
24 MP JPEGs (made once into bench/out/photos-24mp/) and, for each, reads one multipart
request two ways into a data dir's uploads/tmp, fsync included, as the import does before it
renames the original into place:

- spooled, then copied: Werkzeug's own temp file, `FileStorage.save` into tmp/, then read
  back, hashed and written again by `receive` (what uploads did before);
- hashed as it arrives: the app's `UploadRequest` streams the file into an `Intake` in tmp/,
  hashed on the way, and `received` only checks it (what they do now).

Prints the median milliseconds of each per photo.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Request
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import make_photos  # noqa: E402
from gallery import create_app  # noqa: E402
from gallery.catalog.uploads import UploadRequest, intake_of  # noqa: E402
from gallery.ingest.accept import receive  # noqa: E402

MAX_BYTES = 200 * 1024 * 1024


def _environ(photo: bytes) -> dict:
    builder = EnvironBuilder(method="POST", data={"file": (io.BytesIO(photo), "photo.jpg")})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def spooled_then_copied(app: Flask, environ: dict) -> None:
    storage = app.extensions["gallery.storage"]
    with Request(environ) as request:
        temp = storage.temp_path(".upload")
        request.files["file"].save(temp)
    with open(temp, "rb") as stream:
        _placed(receive(stream, storage, MAX_BYTES).temp)
    temp.unlink()


def hashed_as_it_arrives(app: Flask, environ: dict) -> None:
    with UploadRequest(environ) as request:
        intake = intake_of(request.files["file"])
        _placed(receive(intake, app.extensions["gallery.storage"], MAX_BYTES).temp)


def _placed(temp: Path) -> None:
    """What put_original does to the file before its rename (fsync), then it goes."""
    fd = os.open(temp, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    temp.unlink()


def timed(app: Flask, way: Callable[[Flask, dict], None], photos: list[bytes]) -> float:
    """Median milliseconds per photo (the request's environ is made outside the timing)."""
    times = []
    for photo in photos:
        environ = _environ(photo)
        start = time.perf_counter()
        way(app, environ)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=8)
    args = parser.parse_args()
    app = create_app({"DATA_DIR": tempfile.mkdtemp(prefix="bench-upload-")})
    sources = sorted((Path(app.config["CORPUS"]) / "photos" / "jpg").glob("*.jpg"))
    photos = [path.read_bytes() for path in make_photos(args.count, sources)]
    mb = statistics.mean(len(p) for p in photos) / 1e6
    with app.app_context():
        for name, way in (
            ("spooled, then copied", spooled_then_copied),
            ("hashed as it arrives", hashed_as_it_arrives),
        ):
            print(f"{name}: {timed(app, way, photos):.1f} ms per photo of {mb:.1f} MB")


if __name__ == "__main__":
    main()
