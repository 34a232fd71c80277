"""Album operations shared by the CLI, the staff pages and the API."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from gallery.core import visibility as seeing
from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import Album, Photo
from gallery.core.states import Visibility, choices

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?$")


def create_album(session: Session, slug: str, title: str | None = None, **fields) -> Album:
    """A new album; the slug must be unused and URL-safe."""
    if not SLUG.match(slug):
        text = N_(
            "album slug '%(slug)s' must use lowercase letters, digits and hyphens, e.g. open-day"
        )
        raise InvalidInput(text, slug=slug)
    if Album.by_slug(session, slug):
        raise InvalidInput(N_("an album with the slug '%(slug)s' already exists"), slug=slug)
    album = Album(slug=slug, title=title or slug)
    session.add(album)
    update_album(album, **fields)
    return album


def update_album(
    album: Album,
    *,
    title: str | None = None,
    event_date: str | None = None,
    place: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
    allow_original_download: bool | None = None,
) -> Album:
    """Change the given fields only; each value is checked first."""
    if title is not None:
        album.title = _required_text(title)
    if event_date is not None:
        album.event_date = parse_date(event_date) if event_date else None
    if place is not None:
        album.place = place.strip()
    if description is not None:
        album.description = description.strip()
    if visibility is not None:
        if visibility not in set(Visibility):
            raise InvalidInput(
                N_("visibility must be one of %(choices)s"), choices=choices(Visibility)
            )
        album.visibility = Visibility(visibility)
    if allow_original_download is not None:
        if not isinstance(allow_original_download, bool):
            raise InvalidInput(N_("allow_original_download must be true or false"))
        album.allow_original_download = allow_original_download
    return album


def get_or_create(session: Session, slug: str, title: str | None = None) -> Album:
    """The album with this slug, created (as a draft) if it does not exist yet."""
    return Album.by_slug(session, slug) or create_album(session, slug, title)


def photo_counts(
    session: Session, viewer: seeing.Viewer = seeing.STAFF, album_ids: list[int] | None = None
) -> dict[int, int]:
    """Photos per album id that the viewer may see in it (of these albums, or of all)."""
    query = select(Photo.album_id, func.count()).where(seeing.shown_photos(viewer))
    if album_ids is not None:
        query = query.where(Photo.album_id.in_(album_ids))
    return {album_id: count for album_id, count in session.execute(query.group_by(Photo.album_id))}


def staff_covers(session: Session, albums: list[Album]) -> dict[int, Photo]:
    """Each album's cover for the staff list: the chosen photo unless it is in the trash,
    else the first photo staff see (renditions loaded with it)."""
    other = aliased(Photo)
    first_number = (
        select(func.min(other.number))
        .where(other.album_id == Photo.album_id, seeing.shown_photos(seeing.STAFF, other))
        .scalar_subquery()
    )
    chosen_ids = [a.cover_photo_id for a in albums if a.cover_photo_id]
    query = (
        select(Photo)
        .where(
            Photo.album_id.in_([a.id for a in albums]),
            seeing.shown_photos(seeing.STAFF),
            (Photo.number == first_number) | Photo.id.in_(chosen_ids),
        )
        .options(selectinload(Photo.renditions))
    )
    found = list(session.scalars(query))
    by_id = {photo.id: photo for photo in found}
    firsts = {photo.album_id: photo for photo in found if photo.id not in chosen_ids}
    out = {}
    for album in albums:
        chosen = by_id.get(album.cover_photo_id or -1)
        cover = chosen if chosen is not None and chosen.album_id == album.id else None
        cover = cover or firsts.get(album.id)
        if cover is None:  # the chosen cover may also be the first photo
            cover = next((p for p in found if p.album_id == album.id), None)
        if cover is not None:
            out[album.id] = cover
    return out


def all_albums(session: Session) -> list[Album]:
    """Every album, the trash included, by slug (the command line's list)."""
    return list(session.scalars(select(Album).order_by(Album.slug)))


def live_albums(session: Session) -> list[Album]:
    """Every album but the trash, newest first (the staff workspace, the editor's choice)."""
    query = select(Album).where(seeing.live_albums()).order_by(Album.created_at.desc())
    return list(session.scalars(query))


def albums_for(session: Session, viewer: seeing.Viewer) -> list[Album]:
    """The albums a viewer may list, newest event first: staff all but the trash, visitors
    the listed ones."""
    where = seeing.live_albums() if viewer.staff else seeing.listed_albums()
    query = select(Album).where(where).order_by(Album.event_date.desc(), Album.id.desc())
    return list(session.scalars(query))


def live_album(session: Session, slug: str) -> Album | None:
    """The album staff may work on: any but the trash."""
    album = Album.by_slug(session, slug)
    return album if seeing.may_see_album(album, seeing.STAFF) else None


def seen_album(session: Session, slug: str, viewer: seeing.Viewer) -> Album | None:
    """The album with this slug if the viewer may see it."""
    album = Album.by_slug(session, slug)
    return album if seeing.may_see_album(album, viewer) else None


def set_cover(album: Album, photo: Photo | None) -> None:
    """Make a photo of the album its cover (None: the first photo visitors may see)."""
    if photo is not None and photo.album_id != album.id:
        raise InvalidInput(N_("the cover must be a photo of this album"))
    album.cover_photo_id = photo.id if photo is not None else None


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(N_("date '%(date)s' is not a date like 2026-05-31"), date=text) from None


def _required_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput(N_("the title must not be empty"))
    return text
