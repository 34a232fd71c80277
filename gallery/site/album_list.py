"""The list of public albums: newest first, by year, a page at a time.

Pages are cut by keyset (the listed date and id of the last album shown), not by offset:
a page costs the same at album 20 and at album 20,000, and publishing an album while a
visitor pages never shows them one album twice or skips one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from gallery.catalog.albums import Cursor, first_photos
from gallery.core import visibility as seeing
from gallery.core.models import Album, ListedYear
from gallery.site.cards import PhotoCard, cards_by_id

__all__ = ["AlbumCard", "Cursor", "ListPage", "covers", "list_page", "newest_published"]


@dataclass(frozen=True)
class AlbumCard:
    album: Album
    day: date
    count: int  # photos a visitor may see
    cover: PhotoCard | None


@dataclass(frozen=True)
class ListPage:
    cards: list[AlbumCard]
    newer: Cursor | None  # for ?before=: the page before this one, if there is one
    older: Cursor | None  # for ?after=: the page after this one


def listed(year: int | None = None) -> Select:
    """Public albums (the only ones ever listed), maybe of one year: a range of the index
    of visibility, state and listed day."""
    query = select(Album).where(seeing.listed_albums())
    if year is not None:
        query = query.where(
            Album.listed_on >= date(year, 1, 1), Album.listed_on < date(year + 1, 1, 1)
        )
    return query


def newest_published(session: Session, count: int) -> list[Album]:
    """The albums made public last (the feed's order: `published_at`), newest first."""
    query = listed().order_by(Album.published_at.desc().nulls_last(), Album.created_at.desc())
    return list(session.scalars(query.limit(count)))


def list_page(
    session: Session,
    per_page: int,
    *,
    year: int | None = None,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> ListPage:
    """One page of the list: the newest albums, or those older than `after` or newer than
    `before` (a page that would come out short that way is the first page instead)."""
    if before is not None:
        newer_first = or_(
            Album.listed_on > before.day,
            and_(Album.listed_on == before.day, Album.id > before.album_id),
        )
        query = listed(year).where(newer_first).order_by(Album.listed_on, Album.id)
        albums = list(session.scalars(query.limit(per_page + 1)))
        if len(albums) <= per_page:
            return list_page(session, per_page, year=year)
        albums = albums[per_page - 1 :: -1]
        return ListPage(_cards(session, albums), Cursor.of(albums[0]), Cursor.of(albums[-1]))
    query = listed(year)
    if after is not None:
        query = query.where(after.older())
    query = query.order_by(Album.listed_on.desc(), Album.id.desc()).limit(per_page + 1)
    albums = list(session.scalars(query))
    shown = albums[:per_page]
    newer = Cursor.of(shown[0]) if after is not None and shown else None
    older = Cursor.of(shown[-1]) if len(albums) > per_page else None
    return ListPage(_cards(session, shown), newer, older)


def _cards(session: Session, albums: list[Album]) -> list[AlbumCard]:
    chosen = covers(session, albums)
    # The counts gallery.core.counts keeps: read with the albums, nothing grouped per page.
    return [AlbumCard(a, a.listed_on, a.public_photos, chosen.get(a.id)) for a in albums]


def year_counts(session: Session) -> list[tuple[int, int]]:
    """(year, public albums) for every year that has some, newest first (kept counts)."""
    query = select(ListedYear.year, ListedYear.albums).where(ListedYear.albums > 0)
    return [
        (year, count) for year, count in session.execute(query.order_by(ListedYear.year.desc()))
    ]


def covers(session: Session, albums: list[Album]) -> dict[int, PhotoCard]:
    """Each album's cover for visitors: the chosen photo if they may see it, else the first."""
    firsts = first_photos(session, [album.id for album in albums], seeing.VISITOR)
    chosen = {a.cover_photo_id for a in albums if a.cover_photo_id}
    cards = cards_by_id(session, chosen | set(firsts.values()))
    out = {}
    for album in albums:
        card = cards.get(album.cover_photo_id or -1)
        if card is None or card.album_id != album.id:
            card = cards.get(firsts.get(album.id, -1))
        if card is not None:
            out[album.id] = card
    return out
