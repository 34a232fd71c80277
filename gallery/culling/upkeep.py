"""Culling's share of an import and of a repair: stack each new photo, look for its
near-duplicates; measure, mark and place the photos that missed it.

A photo's hash is the sign that it was placed: the import writes the hash, the stack and
the near-duplicates in the one transaction that adds the photo (a failure there leaves
the photo in without a hash), so an active photo without a hash is what
`gallery check` reports and `gallery check --repair` mends, from the smallest rendition
already on disk (and the original's XMP for marks the photo has none of).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from PIL import Image
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from gallery.core.models import Photo
from gallery.core.states import Status
from gallery.core.storage import Storage
from gallery.culling import alike, marks, near_duplicates, stacks
from gallery.ingest.accept import EXTENSIONS
from gallery.ingest.analysis import measure
from gallery.ingest.metadata import read_metadata

log = logging.getLogger(__name__)


def placer(storage: Storage) -> Callable[[Session, Photo], None]:
    """The import's hook (gallery.ingest.pipeline.Importer.placed) for this storage."""
    return partial(place, storage=storage)


def place(session: Session, photo: Photo, *, storage: Storage) -> None:
    """Stack a measured photo with its moment and record its near-duplicates."""
    stacks.place(session, photo)
    near_duplicates.find(session, photo, partial(prepared_rendition, storage))


def prepared_rendition(storage: Storage, photo: Photo) -> alike.Prepared | None:
    """The smallest rendition ready to compare; kept a while (a burst's frames are compared
    with each other as each comes in)."""
    if not photo.renditions:
        return None
    rendition = min(photo.renditions, key=lambda r: r.width)
    path = storage.local_rendition(photo.sha256, rendition.name, rendition.format)
    try:
        if path is None:
            raise FileNotFoundError(f"{rendition.name} of {photo.sha256}")
        return _prepared(str(path))
    except OSError as exc:  # not kept: a repair may bring the file back
        log.warning("photo %s: its smallest rendition could not be read: %s", photo.id, exc)
        return None


@functools.lru_cache(maxsize=64)
def _prepared(path: str) -> alike.Prepared:
    # Renditions are named by the original's hash: a path always holds the same picture.
    with Image.open(path) as image:
        return alike.prepare(image)


def smallest_rendition(storage: Storage, photo: Photo) -> Image.Image | None:
    """The photo's smallest rendition, read whole (None when it is missing or unreadable)."""
    if not photo.renditions:
        return None
    rendition = min(photo.renditions, key=lambda r: r.width)
    path = storage.local_rendition(photo.sha256, rendition.name, rendition.format)
    try:
        if path is None:
            raise FileNotFoundError(f"{rendition.name} of {photo.sha256}")
        with Image.open(path) as image:
            image.load()
            return image
    except OSError as exc:
        log.warning("photo %s: its smallest rendition could not be read: %s", photo.id, exc)
        return None


def unplaced() -> Select[Any]:
    """The ids of active photos culling has not measured and placed."""
    return select(Photo.id).where(Photo.status == Status.ACTIVE, Photo.phash.is_(None))


def repair(sessions: sessionmaker[Session], storage: Storage, photo_ids: list[int]) -> int:
    """Measure, mark (from XMP, where the photo has no marks) and place these photos, each
    in a transaction of its own, in the order they were taken; returns how many."""
    with sessions() as session:
        taken = Photo.taken_at.asc().nulls_first()  # as SQLite sorts NULL, on PostgreSQL too
        query = select(Photo.id).where(Photo.id.in_(photo_ids)).order_by(taken, Photo.id)
        ordered = list(session.scalars(query))
    done = 0
    for photo_id in ordered:
        with sessions() as session, session.begin():
            photo = session.get(Photo, photo_id)
            if photo is None or photo.phash is not None:
                continue
            picture = smallest_rendition(storage, photo)
            if picture is None:
                continue  # its renditions are a problem of their own, repaired first
            measures = measure(picture)
            photo.phash, photo.sharpness = measures.phash, measures.sharpness
            photo.exposure = measures.exposure
            if not marks.has_marks(photo):
                _marks_from_original(storage, photo)
            session.flush()
            place(session, photo, storage=storage)
            done += 1
    return done


def _marks_from_original(storage: Storage, photo: Photo) -> None:
    path = storage.local_original(photo.sha256, EXTENSIONS[photo.format])
    if path is None:
        return  # a missing original is a problem of its own
    try:
        meta = read_metadata(path)
    except OSError:
        return  # a missing original is a problem of its own
    photo.rating, photo.pick, photo.label = meta.rating or 0, meta.pick, meta.label
