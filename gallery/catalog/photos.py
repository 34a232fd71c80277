"""Curating photos: edits, bulk edits, album order and numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gallery.core.errors import InvalidInput
from gallery.core.messages import N_, N_plural
from gallery.core.models import Album, Photo
from gallery.core.states import Consent, Status
from gallery.culling.filters import PhotoFilter
from gallery.culling.marks import MARKS, clean_marks

TEXT_FIELDS = ("title", "title_en", "caption", "caption_en", "alt_text", "credit", "copyright")
EDITABLE = (*TEXT_FIELDS, "keywords", "consent", *MARKS)
MAX_TEXT = 5000
MAX_KEYWORDS = 100


def clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, normalised edits (texts, a list of keywords, a consent, culling's
    marks); a field that may not be edited or a bad value is refused whole. The API's model
    checks the types."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise InvalidInput(N_("these fields cannot be edited: %(names)s"), names=names)
    clean: dict[str, Any] = clean_marks(changes)
    for name, value in changes.items():
        if name in MARKS:
            continue
        if name == "keywords":
            clean[name] = _keywords(value)
        elif name == "consent":
            clean[name] = Consent(value)
        else:
            clean[name] = _text(name, value)
    return clean


def apply_changes(photos: list[Photo], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set the same checked values on every photo; returns what was set."""
    clean = clean_changes(changes)
    for photo in photos:
        for name, value in clean.items():
            setattr(photo, name, list(value) if name == "keywords" else value)
    return clean


def album_photos(
    session: Session,
    album: Album,
    status: Status = Status.ACTIVE,
    only: PhotoFilter | None = None,
) -> list[Photo]:
    """The album's photos in order; `only` those a culling filter keeps (staff's lists)."""
    query = select(Photo).where(Photo.album_id == album.id, Photo.status == status)
    if only is not None:
        query = query.where(*only.conditions())
    # Renditions in one query for all: the API lists each photo's (one query per photo
    # made a 60-photo list cost 34 ms); near-duplicates likewise, for staff.
    query = query.options(selectinload(Photo.renditions), selectinload(Photo.duplicates_of))
    return list(session.scalars(query.order_by(Photo.number)))


def photo_ids(session: Session, album: Album | None = None) -> list[int]:
    """Every photo's id (of one album, or of all), the trash included."""
    query = select(Photo.id)
    if album is not None:
        query = query.where(Photo.album_id == album.id)
    return list(session.scalars(query))


def reorder(session: Session, album: Album, photo_ids: list[int]) -> None:
    """Number the album's active photos 1..n in the given order (all of them, once each)."""
    photos = {p.id: p for p in album_photos(session, album)}
    if sorted(photo_ids) != sorted(photos):
        raise InvalidInput(N_("the new order must list every photo of the album exactly once"))
    trashed = album_photos(session, album, status=Status.TRASHED)
    album.custom_order = True
    _renumber(session, [photos[i] for i in photo_ids] + trashed)


def sort_by_time(session: Session, album: Album) -> None:
    """Number photos by taken-at time (then file name), unless staff ordered them by hand."""
    if album.custom_order:
        return
    photos = session.scalars(select(Photo).where(Photo.album_id == album.id)).all()
    _renumber(session, sorted(photos, key=_time_key))


def _time_key(photo: Photo) -> tuple:
    # Undated photos go last; the camera's own file order breaks ties.
    return (photo.taken_at is None, (photo.taken_at or "")[:19], photo.filename, photo.id)


def _renumber(session: Session, ordered: list[Photo]) -> None:
    if all(photo.number == n for n, photo in enumerate(ordered, start=1)):
        return
    for n, photo in enumerate(ordered, start=1):
        photo.number = -n  # step aside first: (album, number) is unique at every flush
    session.flush()
    for photo in ordered:
        photo.number = -photo.number
    session.flush()


def _text(name: str, value: str) -> str:
    value = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    if len(value) > MAX_TEXT:
        too_long = N_plural(
            "%(field)s is longer than %(num)d character",
            "%(field)s is longer than %(num)d characters",
        )
        raise InvalidInput(too_long, MAX_TEXT, field=name)
    return value


def _keywords(words: Sequence[str]) -> tuple[str, ...]:
    """Trimmed, without repeats."""
    unique = tuple(dict.fromkeys(k.strip() for k in words if k.strip()))
    if len(unique) > MAX_KEYWORDS:
        raise InvalidInput(
            N_plural("at most %(num)d keyword", "at most %(num)d keywords"), MAX_KEYWORDS
        )
    return unique
