"""From the database to the file makers: contact sheet photos and press kit photos.

Kept apart from contactsheet.py and presskit.py so that those stay free of the database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import object_session

from gallery.articles.contactsheet import SheetPhoto
from gallery.articles.presskit import KitPhoto
from gallery.articles.read import placement_rows
from gallery.catalog.photos import album_photos
from gallery.core import visibility as seeing
from gallery.core.models import Album, Article, Photo
from gallery.core.storage import Storage
from gallery.culling.filters import PhotoFilter
from gallery.culling.marks import xmp_marks


def _rendition_path(photo: Photo, storage: Storage, smallest_width: int) -> Path | None:
    """The smallest rendition at least `smallest_width` wide (else the largest), as a file
    on this disk (a lost one: its name, which the file makers fail to open), or None."""
    ladder = sorted(photo.renditions, key=lambda r: r.width)
    if not ladder:
        return None
    chosen = next((r for r in ladder if r.width >= smallest_width), ladder[-1])
    name, fmt = chosen.name, chosen.format
    return storage.local_rendition(photo.sha256, name, fmt) or storage.rendition_path(
        photo.sha256, name, fmt
    )


def album_sheet_photos(
    album: Album, storage: Storage, only: PhotoFilter | None = None
) -> list[SheetPhoto]:
    """The album's active photos in number order: every one (staff pick from all of them),
    or those culling's filter keeps (only the picks, say)."""
    session = object_session(album)
    assert session is not None  # the album was read through a session
    return [
        SheetPhoto(
            photo.number, photo.filename, photo.taken_at, _rendition_path(photo, storage, 300)
        )
        for photo in album_photos(session, album, only=only)
        if seeing.shown_in_album(photo, seeing.STAFF)
    ]


def press_kit_photos(article: Article, storage: Storage) -> list[KitPhoto]:
    """The placed photos a visitor may see, in reading order, from their largest renditions.

    Visitor rules on purpose: a press kit leaves the house, so a photo without consent for
    public use must not travel in it even while the article is a draft.
    """
    kit = []
    for row in placement_rows(article, visitor=True):
        for placed in row:
            source = _rendition_path(placed.photo, storage, 10**9)
            if source is None:
                continue
            photo = placed.photo
            kit.append(
                KitPhoto(
                    placed.label,
                    source,
                    placed.rect,
                    placed.caption,
                    photo.credit,
                    photo.copyright,
                    xmp_marks(photo),
                )
            )
    return kit
