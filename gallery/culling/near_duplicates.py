"""Near-duplicates: the same picture again, anywhere in the library, which the SHA-256
check cannot see (re-exported, resized, recompressed, lightly cropped).

A new photo's candidates are the photos whose perceptual hash is within CANDIDATE_RADIUS
bits of its own (gallery.culling.hashes); two that both say when they were taken, at
different seconds, are two exposures and go no further; the rest are compared on the
pixels of their smallest renditions (gallery.culling.alike), which tells a light crop of
the same exposure from the next frame of a burst. A pair names the later photo (the higher id) as
the duplicate of the earlier one; the same bytes in two albums are a deliberate reuse,
not reported. Staff see the pairs at upload and on the review page, and may dismiss one
("not a duplicate"), which keeps it from being reported again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from gallery.core.models import Album, NearDuplicate, Photo
from gallery.core.states import Status
from gallery.culling import alike, hashes

log = logging.getLogger(__name__)

CANDIDATE_RADIUS = 16  # hash bits apart: a 5 % crop moves up to ~16, other pictures ~24+

# A photo's smallest rendition, prepared for comparing (None if the file is not there).
Reader = Callable[[Photo], alike.Prepared | None]


@dataclass(frozen=True)
class Pair:
    photo_id: int
    duplicate_of: int
    distance: int


def find(session: Session, photo: Photo, read: Reader) -> list[NearDuplicate]:
    """Record the near-duplicates of `photo` among every other photo; returns the new pairs."""
    if photo.phash is None:
        return []
    apart = {i: bits for i, bits in hashes.near(session, photo.phash, CANDIDATE_RADIUS)}
    apart.pop(photo.id, None)
    if not apart:
        return []
    query = (
        select(Photo)
        .where(Photo.id.in_(apart), Photo.status == Status.ACTIVE, Photo.sha256 != photo.sha256)
        .options(selectinload(Photo.renditions))
        .order_by(Photo.id)
    )
    others = [other for other in session.scalars(query) if not _taken_apart(photo, other)]
    found = []
    picture = read(photo) if others else None
    for other in others:
        theirs = read(other)
        if picture is None or theirs is None or not alike.same_picture(picture, theirs):
            continue
        later, earlier = max(photo.id, other.id), min(photo.id, other.id)
        if session.get(NearDuplicate, (later, earlier)) is None:
            pair = NearDuplicate(photo_id=later, duplicate_of=earlier, distance=apart[other.id])
            session.add(pair)
            found.append(pair)
    return found


def _taken_apart(a: Photo, b: Photo) -> bool:
    """Both say when they were taken, and not the same second: two exposures (a burst's
    frames), whatever their pixels say. A re-export keeps the capture time or loses it."""
    return bool(a.taken_at and b.taken_at and a.taken_at[:19] != b.taken_at[:19])


def pairs(session: Session, album: Album | None = None, *, dismissed: bool = False) -> list[Pair]:
    """Every pair of active photos, of one album (either photo in it) or of all, in order
    of the duplicate."""
    dup, orig = aliased(Photo), aliased(Photo)
    query = (
        select(NearDuplicate)
        .join(dup, dup.id == NearDuplicate.photo_id)
        .join(orig, orig.id == NearDuplicate.duplicate_of)
        .where(dup.status == Status.ACTIVE, orig.status == Status.ACTIVE)
        .where(NearDuplicate.dismissed.is_(dismissed))
        .order_by(NearDuplicate.photo_id, NearDuplicate.duplicate_of)
    )
    if album is not None:
        query = query.where((dup.album_id == album.id) | (orig.album_id == album.id))
    return [Pair(row.photo_id, row.duplicate_of, row.distance) for row in session.scalars(query)]


def of_photos(session: Session, photo_ids: Sequence[int]) -> dict[int, list[Pair]]:
    """Photo id -> the undismissed pairs naming it as the duplicate (the upload report)."""
    if not photo_ids:
        return {}
    query = select(NearDuplicate).where(
        NearDuplicate.photo_id.in_(photo_ids), NearDuplicate.dismissed.is_(False)
    )
    found: dict[int, list[Pair]] = {}
    for row in session.scalars(query):
        found.setdefault(row.photo_id, []).append(
            Pair(row.photo_id, row.duplicate_of, row.distance)
        )
    return found


def dismiss(session: Session, photo_id: int, duplicate_of: int) -> bool:
    """Mark a pair "not a duplicate"; False if there is no such pair."""
    pair = session.get(NearDuplicate, (photo_id, duplicate_of))
    if pair is None:
        return False
    pair.dismissed = True
    return True
