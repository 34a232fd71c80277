"""The album and photos a culling request names, as staff may work on them (404 otherwise)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gallery.core import visibility as seeing
from gallery.core.db import get_session
from gallery.core.errors import NotFound
from gallery.core.messages import N_
from gallery.core.models import Album, Photo


def live_album(slug: str) -> Album:
    """The album staff may work on (any but the trash)."""
    album = Album.by_slug(get_session(), slug)
    if not seeing.may_see_album(album, seeing.STAFF):
        raise NotFound(N_("no album %(slug)s"), slug=slug)
    assert album is not None
    return album


def staff_photos(session: Session, ids: Sequence[int], album: Album | None = None) -> list[Photo]:
    """These photos, in use (not in the trash) and of `album` if given, in the order named."""
    found = []
    for photo_id in dict.fromkeys(ids):
        photo = session.get(Photo, photo_id)
        usable = photo is not None and seeing.may_see_photo(photo, seeing.STAFF)
        if not usable or photo is None or (album is not None and photo.album_id != album.id):
            raise NotFound(N_("no photo %(id)s"), id=photo_id)
        found.append(photo)
    return found
