"""Photos straight into the database for search tests (no image files: search reads text)."""

from __future__ import annotations

import hashlib
from itertools import count

from gallery.core.models import Album, Photo

_serial = count(1)


def add_album(session, slug: str, visibility: str = "public", **fields) -> Album:
    album = Album(slug=slug, title=fields.pop("title", slug), visibility=visibility, **fields)
    session.add(album)
    session.flush()
    return album


def add_photo(session, album: Album, caption: str = "", **fields) -> Photo:
    """A photo row with the given texts; unique bytes, numbered after the album's last."""
    n = next(_serial)
    photo = Photo(
        album_id=album.id,
        number=album.next_number(session),
        filename=f"photo-{n}.jpg",
        sha256=hashlib.sha256(str(n).encode()).hexdigest(),
        format="JPEG",
        byte_size=1000,
        width=640,
        height=480,
        caption=caption,
        **fields,
    )
    session.add(photo)
    session.flush()
    return photo
