"""Albums and photos for the visitor-site tests, written straight into the database.

No image processing: a photo row gets rendition rows (and, with `storage`, tiny files
behind them), which is all the pages, the media routes and the benchmark read.
"""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy.orm import Session

from gallery.core.models import Album, Photo, Rendition
from gallery.core.storage import LocalStorage

LADDER = (320, 640, 1280, 2048)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"  # enough for the media routes


def add_album(session: Session, slug: str, visibility: str = "public", **fields) -> Album:
    fields.setdefault("event_date", date(2026, 5, 1))
    title = fields.pop("title", slug.title())
    album = Album(slug=slug, title=title, visibility=visibility, **fields)
    session.add(album)
    session.flush()
    return album


def add_photo(
    session: Session,
    album: Album,
    number: int,
    *,
    size: tuple[int, int] = (6000, 4000),
    storage: LocalStorage | None = None,
    sha256: str | None = None,
    **fields,
) -> Photo:
    """A photo with the full rendition ladder (files too when `storage` is given)."""
    sha = sha256 or hashlib.sha256(f"{album.slug}/{number}".encode()).hexdigest()
    width, height = size
    photo = Photo(
        album_id=album.id,
        number=number,
        filename=f"IMG_{number:04d}.JPG",
        sha256=sha,
        format="JPEG",
        byte_size=len(JPEG),
        width=width,
        height=height,
        **fields,
    )
    for edge in LADDER:
        scale = edge / max(width, height)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        photo.renditions.append(
            Rendition(name=str(edge), width=w, height=h, format="jpeg", byte_size=len(JPEG))
        )
        if storage is not None:
            storage.write_rendition(sha, str(edge), "jpeg", JPEG)
    if storage is not None:
        path = storage.original_path(sha, "jpg")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(JPEG)
    session.add(photo)
    session.flush()
    return photo
