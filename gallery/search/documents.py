"""What the index holds for a photo, read from the database, which stays the source of truth."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import BigInteger, Select, func, literal, select
from sqlalchemy.orm import Session, joinedload, selectinload

from gallery.core import visibility as seeing
from gallery.core.models import Album, Photo

CHUNK = 500  # photos read per query: bounded memory, few round trips
FACTS_CHUNK = 5000  # plain rows are light: bigger pages, fewer queries
# The columns photo_document reads, and no others (the check reads them for every photo).
PHOTO_FACTS = (
    "id", "title", "title_en", "caption", "caption_en", "alt_text", "keywords", "credit",
    "camera_make", "camera_model", "taken_at", "status", "consent", "album_id",
)  # fmt: skip
ALBUM_FACTS = ("slug", "title", "place", "visibility", "status", "event_date")
EVERY_ID = range(2**63 - 1)  # photo ids, as far as SQLite counts


def photo_document(photo: Photo) -> dict[str, Any]:
    """The fields the index keeps for one photo (its album loaded)."""
    album = photo.album
    keywords = [" ".join(k.replace(",", " ").split()) for k in photo.keywords or []]
    keywords = [k for k in dict.fromkeys(keywords) if k]
    camera = camera_name(photo.camera_make, photo.camera_model)
    texts = {
        "title": photo.title or "",
        "title_en": photo.title_en or "",
        "caption": photo.caption or "",
        "caption_en": photo.caption_en or "",
        "alt": photo.alt_text or "",
        "keywords": ", ".join(keywords),
        "credit": photo.credit or "",
        "album_title": album.title or "",
        "place": album.place or "",
    }
    doc: dict[str, Any] = {
        "id": str(photo.id),
        "album": album.slug,
        "visible": "y" if seeing.is_findable(photo, seeing.VISITOR) else "n",
        "trashed": "n" if seeing.is_findable(photo, seeing.STAFF) else "y",
        **texts,
        "keyword": keywords,
        "camera": camera,
        "year": photo_year(photo),
        "taken": parse_taken(photo.taken_at),
        "spell": " ".join(t for t in texts.values() if t),
    }
    doc["digest"] = digest(doc)
    return doc


def digest(doc: dict[str, Any]) -> str:
    """A short fingerprint of a document, to tell whether the index has its latest text."""
    data = {k: v for k, v in doc.items() if k != "digest"}
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def camera_name(make: str | None, model: str | None) -> str:
    """`Canon` + `Canon EOS 40D` -> `Canon EOS 40D`; `NIKON CORPORATION` + `D70` -> both."""
    make, model = (make or "").strip(), (model or "").strip()
    if make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(part for part in (make, model) if part)


def photo_year(photo: Photo) -> str:
    """The year the photo was taken, else the year of its album's event."""
    taken = photo.taken_at or ""
    if len(taken) >= 4 and taken[:4].isdigit():
        return taken[:4]
    event = photo.album.event_date
    return str(event.year) if event else ""


def parse_taken(text: str | None) -> datetime | None:
    """The camera's local time (offset dropped: people search by the clock they saw)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def _with_album(query: Select) -> Select:
    return query.options(joinedload(Photo.album))


def load_photos(session: Session, ids: Iterable[int]) -> Iterator[Photo]:
    """The photos with these ids that exist, their albums loaded, CHUNK at a time."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        yield from session.scalars(_with_album(select(Photo).where(Photo.id.in_(chunk))))


def photo_facts(session: Session, ids: range = EVERY_ID) -> Iterator[Photo]:
    """The photos of `ids` in id order as plain rows with what photo_document reads: a
    million photos as ORM objects take a minute or more, as rows seconds."""
    photo_columns = [getattr(Photo, name) for name in PHOTO_FACTS]
    album_columns = [getattr(Album, name).label(f"album_{name}") for name in ALBUM_FACTS]
    last = ids.start - 1
    while True:
        query = (
            select(*photo_columns, *album_columns)
            .join(Album, Photo.album_id == Album.id)
            .where(Photo.id > last, Photo.id < literal(ids.stop, BigInteger))  # 2^63 on PG too
            .order_by(Photo.id)
            .limit(FACTS_CHUNK)
        )
        rows = session.execute(query).all()
        if not rows:
            return
        albums: dict[int, SimpleNamespace] = {}
        for row in rows:
            album = albums.get(row.album_id)
            if album is None:
                album = albums[row.album_id] = _album_facts(row)
            facts = SimpleNamespace(**{name: row[i] for i, name in enumerate(PHOTO_FACTS)})
            facts.album = album
            yield cast(Photo, facts)  # duck-typed: the attributes photo_document reads
        last = rows[-1].id


def _album_facts(row: Any) -> SimpleNamespace:
    return SimpleNamespace(**{name: getattr(row, f"album_{name}") for name in ALBUM_FACTS})


def photo_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Photo)) or 0


def album_photo_ids(session: Session, album_id: int) -> list[int]:
    return list(session.scalars(select(Photo.id).where(Photo.album_id == album_id)))


def found_photos(session: Session, ids: list[int], *, staff: bool) -> dict[int, Photo]:
    """The hits as the database sees them now, if the asker may still see them."""
    query = (
        select(Photo)
        .join(Album, Photo.album_id == Album.id)
        .where(Photo.id.in_(ids), seeing.findable_photos(seeing.STAFF if staff else seeing.VISITOR))
        .options(joinedload(Photo.album), selectinload(Photo.renditions))
    )
    return {photo.id: photo for photo in session.scalars(query)}


def album_titles(session: Session, slugs: Iterable[str]) -> dict[str, str]:
    slugs = list(slugs)
    query = select(Album.slug, Album.title).where(Album.slug.in_(slugs))
    return {slug: title for slug, title in session.execute(query)} if slugs else {}
