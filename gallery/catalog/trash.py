"""The trash: albums and photos moved out of every view, restorable by admins until the
trash is emptied, which deletes their rows and then the files no other photo uses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.core import audit
from gallery.core.errors import NotFound
from gallery.core.messages import N_
from gallery.core.models import Album, Photo, utcnow
from gallery.core.states import Status
from gallery.core.storage import Storage
from gallery.culling import stacks
from gallery.ingest.accept import EXTENSIONS


def trash(item: Photo | Album) -> None:
    """Move a photo or album to the trash: invisible everywhere, restorable by admins."""
    item.status, item.deleted_at = Status.TRASHED, utcnow()
    if isinstance(item, Photo):
        stacks.leave_trash(item)  # a stack's top in the trash hands over to another


def restore(item: Photo | Album) -> None:
    item.status, item.deleted_at = Status.ACTIVE, None
    if isinstance(item, Photo):
        stacks.leave_trash(item)


@dataclass(frozen=True)
class Trashed:
    albums: list[Album]
    photos: list[Photo]  # trashed one by one (a trashed album's photos come with it)


def trashed(session: Session) -> Trashed:
    """What is in the trash."""
    albums = session.scalars(select(Album).where(Album.status == Status.TRASHED)).all()
    photos = session.scalars(select(Photo).where(Photo.status == Status.TRASHED)).all()
    return Trashed(list(albums), list(photos))


def restore_from_trash(
    session: Session, actor: str, album_slugs: list[str], photo_ids: list[int]
) -> None:
    """Bring albums and photos back; NotFound names the first that does not exist."""
    for slug in album_slugs:
        album = Album.by_slug(session, slug)
        if album is None:
            raise NotFound(N_("no album %(slug)s"), slug=slug)
        restore(album)
        audit.record(session, actor, "album.restore", album)
    for photo_id in photo_ids:
        photo = session.get(Photo, photo_id)
        if photo is None:
            raise NotFound(N_("no photo %(id)s"), id=photo_id)
        restore(photo)
        audit.record(session, actor, "photo.restore", photo)
    session.commit()


def empty_trash(session: Session, storage: Storage, actor: str) -> dict[str, int]:
    """Delete the trash for good: the rows first (committed with the audit record), then the
    files no remaining photo uses, so a failed commit loses nothing."""
    found = trashed(session)
    doomed = found.photos + [p for album in found.albums for p in album.photos]
    files = {(p.sha256, p.format) for p in doomed}
    for item in [*doomed, *found.albums]:
        session.delete(item)
    session.flush()
    in_use = set(
        session.scalars(select(Photo.sha256).where(Photo.sha256.in_([s for s, _ in files])))
    )
    counts = {"albums": len(found.albums), "photos": len(doomed)}
    audit.record(session, actor, "trash.empty", None, **counts)
    session.commit()
    for sha, fmt in sorted(files):
        if sha not in in_use:
            storage.remove_original(sha, EXTENSIONS[fmt.upper()])
            storage.remove_renditions(sha)
    return counts
