"""The photos of the visitor site's pages as cards, and the queries behind them.

Which photos a page shows is gallery.core.visibility's rule. The pages read plain rows,
one per photo with its renditions packed into one column, rather than ORM objects: for a
500-photo album, building 2,500 ORM objects would cost more than all the rest of the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import ColumnElement, ScalarSelect, String, cast, func, select
from sqlalchemy.orm import Session

from gallery.core import visibility as seeing
from gallery.core.media import MEDIA_PREFIX, RENDITION_EXTENSIONS
from gallery.core.models import Photo, Rendition
from gallery.core.states import Consent


class Image(NamedTuple):
    """One rendition of a photo, ready for `src` and `srcset` (a tuple: made by thousands)."""

    url: str
    width: int
    height: int


@dataclass(frozen=True)
class PhotoCard:
    """The fields of a photo that visitor pages show (never GPS, consent aside)."""

    id: int
    album_id: int
    number: int
    width: int
    height: int
    title: str
    title_en: str
    caption: str
    caption_en: str
    alt_text: str
    credit: str
    sha256: str
    public: bool  # False only for staff, who also see photos kept from visitors
    images: tuple[Image, ...] = ()  # smallest first

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.width > 0 and self.height > 0 else 1.0

    def caption_in(self, language: str) -> str:
        """The caption in the interface language: the English one when there is one."""
        return self.caption_en if language == "en" and self.caption_en else self.caption

    def title_in(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title


class PhotoRef(NamedTuple):
    """A photo by id only (what `article_usage` needs of the photos of a page)."""

    id: int


CARD_COLUMNS = (
    *(Photo.id, Photo.album_id, Photo.number, Photo.width, Photo.height),
    *(Photo.title, Photo.title_en, Photo.caption, Photo.caption_en, Photo.alt_text),
    *(Photo.credit, Photo.sha256, Photo.consent),
)


def _packed_renditions() -> ScalarSelect[str]:
    """A photo's renditions in one text column, `name width height format` joined by commas:
    one row per photo instead of four (the rows, not the SQL, are what a big album costs)."""
    fields = (Rendition.name, cast(Rendition.width, String), cast(Rendition.height, String))
    packed = fields[0] + " " + fields[1] + " " + fields[2] + " " + Rendition.format
    return (
        select(func.aggregate_strings(packed, ","))
        .where(Rendition.photo_id == Photo.id)
        .correlate(Photo)
        .scalar_subquery()
    )


def _card_rows(session: Session, *where: ColumnElement[bool]) -> tuple[tuple, ...]:
    query = select(*CARD_COLUMNS, _packed_renditions()).where(*where).order_by(Photo.number)
    return tuple(tuple(row) for row in session.execute(query))


def _cards(session: Session, *where: ColumnElement[bool]) -> list[PhotoCard]:
    return [card_from_row(row) for row in _card_rows(session, *where)]


def album_card_rows(session: Session, album_id: int, viewer: seeing.Viewer) -> tuple[tuple, ...]:
    """The album's photos the viewer may see, in album order, as plain rows for
    `card_from_row`: hashable, so a page built from them can be memoised on them."""
    return _card_rows(session, Photo.album_id == album_id, seeing.shown_photos(viewer))


def refs(rows: tuple[tuple, ...]) -> list[PhotoRef]:
    """The photos of `album_card_rows` by id only."""
    return [PhotoRef(row[0]) for row in rows]  # CARD_COLUMNS starts with the id


def cards_by_id(
    session: Session, ids: Iterable[int], viewer: seeing.Viewer = seeing.VISITOR
) -> dict[int, PhotoCard]:
    """A few photos by id (covers, one photo page), if the viewer may see them in their
    album (the caller has checked the album)."""
    ids = list(ids)
    cards = _cards(session, Photo.id.in_(ids), seeing.shown_photos(viewer)) if ids else []
    return {card.id: card for card in cards}


def _images(sha256: str, packed: str | None) -> tuple[Image, ...]:
    if not packed:
        return ()
    # rendition_url() written out: it runs for every rendition of every photo of a page.
    base, ext = f"{MEDIA_PREFIX}/{sha256}/", RENDITION_EXTENSIONS
    fields = [part.split(" ") for part in packed.split(",")]
    images = [Image(f"{base}{n}.{ext.get(f, f)}", int(w), int(h)) for n, w, h, f in fields]
    images.sort(key=_width)
    return tuple(images)


def _width(image: Image) -> int:
    return image.width


def card_from_row(row: tuple) -> PhotoCard:
    """A card from a row of CARD_COLUMNS and the packed renditions."""
    # Positional: the keyword way costs more than the query, per row.
    *fields, consent, packed = row
    # mypy cannot count a starred list; the fields are CARD_COLUMNS up to consent, in order.
    return PhotoCard(*fields, consent == Consent.OK, _images(fields[-1], packed))  # type: ignore[call-arg]


@dataclass(frozen=True)
class Neighbours:
    """Where a photo stands among the album's photos this request may see."""

    position: int
    total: int
    previous: int | None  # photo ids
    next: int | None


def neighbours(session: Session, photo: Photo, viewer: seeing.Viewer) -> Neighbours:
    """The photo's place in the album and the photos before and after it."""
    shown = (Photo.album_id == photo.album_id, seeing.shown_photos(viewer))
    before = select(Photo.id).where(*shown, Photo.number < photo.number)
    after = select(Photo.id).where(*shown, Photo.number > photo.number)
    count = select(func.count()).select_from(Photo).where(*shown)
    return Neighbours(
        position=session.scalar(count.where(Photo.number <= photo.number)) or 1,
        total=session.scalar(count) or 1,
        previous=session.scalar(before.order_by(Photo.number.desc()).limit(1)),
        next=session.scalar(after.order_by(Photo.number).limit(1)),
    )
