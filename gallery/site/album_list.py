"""The list of public albums: newest first, by year, a page at a time.

Pages are cut by keyset (the listed date and id of the last album shown), not by offset:
a page costs the same at album 20 and at album 20,000, and publishing an album while a
visitor pages never shows them one album twice or skips one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Date, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from gallery.core import visibility as seeing
from gallery.core.models import Album, Photo
from gallery.site.cards import PhotoCard, cards_by_id


@dataclass(frozen=True)
class Cursor:
    """A place in the list: an album's listed date and id (`2024-05-31_17` in URLs)."""

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


def listed_date() -> ColumnElement[date]:
    """The date an album is listed under: its event's, else the day it was made."""
    return func.coalesce(Album.event_date, func.date(Album.created_at), type_=Date)


def listed(year: int | None = None) -> Select:
    """Public albums (the only ones ever listed) with their listed date, maybe of one year."""
    day = listed_date()
    query = select(Album, day.label("day")).where(seeing.listed_albums())
    if year is not None:
        query = query.where(day >= date(year, 1, 1), day < date(year + 1, 1, 1))
    return query


def newest_published(session: Session, count: int) -> list[Album]:
    """The albums made public last (the feed's order: `published_at`), newest first."""
    query = listed().order_by(Album.published_at.desc().nulls_last(), Album.created_at.desc())
    return [row.Album for row in session.execute(query.limit(count))]


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
    day = listed_date()
    if before is not None:
        newer_first = or_(day > before.day, and_(day == before.day, Album.id > before.album_id))
        query = listed(year).where(newer_first).order_by(day, Album.id).limit(per_page + 1)
        rows = session.execute(query).all()
        if len(rows) <= per_page:
            return list_page(session, per_page, year=year)
        rows = rows[per_page - 1 :: -1]
        return ListPage(_cards(session, rows), _cursor(rows[0]), _cursor(rows[-1]))
    query = listed(year)
    if after is not None:
        query = query.where(or_(day < after.day, and_(day == after.day, Album.id < after.album_id)))
    query = query.order_by(day.desc(), Album.id.desc()).limit(per_page + 1)
    rows = session.execute(query).all()
    shown = rows[:per_page]
    newer = _cursor(shown[0]) if after is not None and shown else None
    older = _cursor(shown[-1]) if len(rows) > per_page else None
    return ListPage(_cards(session, shown), newer, older)


def _cursor(row) -> Cursor:
    return Cursor(row.day, row.Album.id)


def _cards(session: Session, rows) -> list[AlbumCard]:
    albums = [row.Album for row in rows]
    counts = visible_counts(session, [album.id for album in albums])
    chosen = covers(session, albums)
    return [
        AlbumCard(row.Album, row.day, counts.get(row.Album.id, 0), chosen.get(row.Album.id))
        for row in rows
    ]


def year_counts(session: Session) -> list[tuple[int, int]]:
    """(year, public albums) for every year that has some, newest first."""
    year = func.extract("year", listed_date())
    query = listed().with_only_columns(year, func.count()).group_by(year).order_by(year.desc())
    return [(int(y), n) for y, n in session.execute(query) if y is not None]


def visible_counts(session: Session, album_ids: list[int]) -> dict[int, int]:
    """Photos a visitor may see, per album (hidden ones are not even counted)."""
    query = (
        select(Photo.album_id, func.count())
        .where(Photo.album_id.in_(album_ids), seeing.shown_photos(seeing.VISITOR))
        .group_by(Photo.album_id)
    )
    return {album_id: count for album_id, count in session.execute(query)}


def covers(session: Session, albums: list[Album]) -> dict[int, PhotoCard]:
    """Each album's cover for visitors: the chosen photo if they may see it, else the first."""
    firsts = _first_cards(session, [album.id for album in albums])
    chosen = cards_by_id(session, {a.cover_photo_id for a in albums if a.cover_photo_id})
    out = {}
    for album in albums:
        card = chosen.get(album.cover_photo_id or -1)
        if card is None or card.album_id != album.id:
            card = firsts.get(album.id)
        if card is not None:
            out[album.id] = card
    return out


def _first_cards(session: Session, album_ids: list[int]) -> dict[int, PhotoCard]:
    """Each album's first photo a visitor may see."""
    other = aliased(Photo)
    first_number = (
        select(func.min(other.number))
        .where(other.album_id == Photo.album_id, seeing.shown_photos(seeing.VISITOR, other))
        .scalar_subquery()
    )
    query = select(Photo.id).where(
        Photo.album_id.in_(album_ids),
        seeing.shown_photos(seeing.VISITOR),
        Photo.number == first_number,
    )
    cards = cards_by_id(session, session.scalars(query))
    return {card.album_id: card for card in cards.values()}
