"""Which files a request may fetch: renditions by the original's hash, and originals.

Rendition URLs name the original's hash, not a photo: a visitor may fetch one while any
photo with those bytes is publishable (gallery.core.visibility); staff may fetch any,
since their pages show drafts and the trash page shows trashed photos.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gallery.core import visibility as seeing
from gallery.core.models import Album, Photo, Rendition
from gallery.core.storage import LocalStorage
from gallery.ingest.accept import EXTENSIONS

# Built once: making the statement costs more than running it (an indexed lookup), and it
# runs for every image of every page a visitor opens.
_ANY_RENDITION = (
    select(Rendition.format)
    .join(Photo)
    .where(Photo.sha256 == bindparam("sha256"), Rendition.name == bindparam("name"))
    .limit(1)
)
_PUBLISHED_RENDITION = _ANY_RENDITION.join(Album, Photo.album_id == Album.id).where(
    seeing.publishable_photos()
)


def rendition_format(session: Session, sha256: str, name: str, viewer: seeing.Viewer) -> str | None:
    """The format of the rendition if the viewer may fetch it, else None."""
    query = _ANY_RENDITION if viewer.staff else _PUBLISHED_RENDITION
    return session.scalar(query, {"sha256": sha256, "name": name})


def original_file(storage: LocalStorage, photo: Photo) -> Path | None:
    """The photo's original on disk, if it is there (a lost one answers 404 until restored)."""
    path = storage.original_path(photo.sha256, EXTENSIONS[photo.format])
    return path if path.exists() else None


def may_download_original(photo: Photo, viewer: seeing.Viewer) -> bool:
    """Staff always; visitors where the album offers its originals."""
    return viewer.staff or photo.album.allow_original_download
