"""Album operations shared by the CLI, the staff pages and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from gallery.core import counts
from gallery.core import visibility as seeing
from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import Album, AlbumTotal, Photo, fitting
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
    album = Album(slug=slug, title=fitting("title", title or slug))
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
        album.place = fitting("place", place.strip())
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
    """Photos per album id that the viewer may see in it (of these albums, or of all): the
    counts gallery.core.counts keeps, read afresh (not from loaded albums, which may be
    older than this transaction's own changes)."""
    count = Album.live_photos if viewer.staff else Album.public_photos
    query = select(Album.id, count)
    if album_ids is not None:
        query = query.where(Album.id.in_(album_ids))
    return {album_id: n for album_id, n in session.execute(query)}


@dataclass(frozen=True)
class Cursor:
    """A place in a list of albums newest first: an album's listed day and id
    (`2024-05-31_17` in URLs)."""

    day: date
    album_id: int

    def __str__(self) -> str:
        return f"{self.day.isoformat()}_{self.album_id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """None for no text; ValueError for text that is not a cursor."""
        if not text:
            return None
        day, _, album_id = text.partition("_")
        return cls(date.fromisoformat(day), int(album_id))

    @classmethod
    def of(cls, album: Album) -> Cursor:
        return cls(album.listed_on, album.id)

    def older(self) -> ColumnElement[bool]:
        """The albums after this place, newest first."""
        return or_(
            Album.listed_on < self.day,
            and_(Album.listed_on == self.day, Album.id < self.album_id),
        )


def album_page(
    session: Session, viewer: seeing.Viewer, per_page: int, after: Cursor | None = None
) -> tuple[list[Album], Cursor | None]:
    """A page of the albums a viewer may list, newest first (by the day they are listed
    under), and where the next page starts (None: this is the last). A keyset page: it
    costs the same at album 20 and 20,000 (the query walks an index of the list)."""
    where = seeing.live_albums() if viewer.staff else seeing.listed_albums()
    query = select(Album).where(where)
    if after is not None:
        query = query.where(after.older())
    query = query.order_by(Album.listed_on.desc(), Album.id.desc()).limit(per_page + 1)
    found = list(session.scalars(query))
    more = len(found) > per_page
    return found[:per_page], Cursor.of(found[per_page - 1]) if more else None


def album_total(session: Session, viewer: seeing.Viewer) -> int:
    """How many albums the viewer's list has: the total gallery.core.counts keeps (counting
    20,000 albums on the list's index took half the staff page)."""
    name = counts.LIVE if viewer.staff else counts.LISTED
    return session.scalar(select(AlbumTotal.albums).where(AlbumTotal.name == name)) or 0


def staff_covers(session: Session, albums: list[Album]) -> dict[int, Photo]:
    """Each album's cover for the staff list: the chosen photo unless it is in the trash,
    else the first photo staff see (renditions loaded with it)."""
    ids = [album.id for album in albums]
    firsts = first_photos(session, ids, seeing.STAFF)
    chosen = {a.cover_photo_id for a in albums if a.cover_photo_id}
    wanted = chosen | set(firsts.values())
    query = (
        select(Photo)
        .where(Photo.id.in_(wanted), seeing.shown_photos(seeing.STAFF))
        .options(selectinload(Photo.renditions))
    )
    found = {photo.id: photo for photo in session.scalars(query)} if wanted else {}
    out = {}
    for album in albums:
        cover = found.get(album.cover_photo_id or -1)
        if cover is None or cover.album_id != album.id:
            cover = found.get(firsts.get(album.id, -1))
        if cover is not None:
            out[album.id] = cover
    return out


def first_photos(session: Session, album_ids: list[int], viewer: seeing.Viewer) -> dict[int, int]:
    """Album id -> the id of its first photo the viewer may see in it (albums with none are
    left out): one probe of the album's photos in number order each."""
    if not album_ids:
        return {}
    first = (
        select(Photo.id)
        .where(Photo.album_id == Album.id, seeing.shown_photos(viewer))
        .order_by(Photo.number)
        .limit(1)
        .correlate(Album)
        .scalar_subquery()
    )
    query = select(Album.id, first).where(Album.id.in_(album_ids))
    return {album_id: photo_id for album_id, photo_id in session.execute(query) if photo_id}


def all_albums(session: Session) -> list[Album]:
    """Every album, the trash included, by slug (the command line's list)."""
    return list(session.scalars(select(Album).order_by(Album.slug)))


def live_albums(session: Session) -> list[Album]:
    """Every album but the trash, newest first (the editor's choice)."""
    query = select(Album).where(seeing.live_albums()).order_by(Album.created_at.desc())
    return list(session.scalars(query))


def newest_album(session: Session, viewer: seeing.Viewer) -> Album | None:
    """The first album of the viewer's list, if there is one."""
    found, _more = album_page(session, viewer, 1)
    return found[0] if found else None


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
    return fitting("title", text)
