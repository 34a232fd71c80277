"""Stacks: the photos of one moment (a burst) in an album, shown as one, its top.

Two photos of an album belong together when they were taken at most GAP apart and their
perceptual hashes differ in at most RADIUS of 64 bits; a stack is every photo linked to
another that way (so a burst of twenty frames over six seconds is one stack, each frame
close to the next). A new photo joins the stacks of the photos it links to, which merges
them when it bridges two, so stacks come out the same whatever the order of import.
Photos without a capture time are never stacked: time is half of the rule.

The top stands for the stack in the grid: the photo staff chose, or else the suggestion,
the best-scored photo (sharpest and best exposed, gallery.ingest.analysis) — a hint
shown as such, never a mark. Staff may split, merge and choose the top; photos they
moved are `stack_fixed`, and automatic stacking leaves them where they put them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import Album, Photo, Stack
from gallery.core.states import Status
from gallery.ingest.analysis import distance, score

GAP = timedelta(seconds=3)  # photos further apart in time are other moments
RADIUS = 14  # hash bits two frames of one moment may differ in (a new scene: 24 or more)


@dataclass(frozen=True)
class StackView:
    """A stack as scripts and pages see it: its top, every photo in album order, and
    the suggestion (the best-scored photo), which may or may not be the top."""

    id: int
    top: int
    photos: list[int]
    suggested: int
    chosen: bool  # staff chose the top


def capture_time(taken_at: str | None) -> datetime | None:
    """The camera's local time of a photo (its offset left aside: one camera, one clock)."""
    try:
        return datetime.fromisoformat(taken_at[:19]) if taken_at else None
    except ValueError:
        return None


def place(session: Session, photo: Photo) -> Stack | None:
    """Stack a new (or newly measured) photo with the album's photos of the same moment."""
    taken = capture_time(photo.taken_at)
    if taken is None or photo.phash is None or photo.stack_fixed:
        return None
    linked = [p for p in _neighbours(session, photo, taken) if _linked(photo, p)]
    if not linked:
        return None
    stacks = sorted({p.stack for p in linked if p.stack is not None}, key=lambda s: s.id)
    target = stacks[0] if stacks else Stack(album_id=photo.album_id)
    for other in stacks[1:]:  # the new photo bridges them: one moment after all
        for member in list(other.photos):
            member.stack = target
        session.delete(other)
    for member in [photo, *linked]:
        member.stack = target
    session.flush()
    refresh_top(target)
    return target


def _neighbours(session: Session, photo: Photo, taken: datetime) -> Sequence[Photo]:
    """The album's active, measured photos not placed by hand, taken within GAP."""
    low = (taken - GAP).isoformat()
    high = (taken + GAP).isoformat() + "~"  # "~" sorts after any offset ("+03:00")
    query = select(Photo).where(
        Photo.album_id == photo.album_id,
        Photo.id != photo.id,
        Photo.status == Status.ACTIVE,
        Photo.stack_fixed.is_(False),
        Photo.phash.is_not(None),
        Photo.taken_at >= low,
        Photo.taken_at <= high,
    )
    return session.scalars(query).all()


def _linked(a: Photo, b: Photo) -> bool:
    ta, tb = capture_time(a.taken_at), capture_time(b.taken_at)
    if ta is None or tb is None or a.phash is None or b.phash is None:
        return False
    return abs(ta - tb) <= GAP and distance(a.phash, b.phash) <= RADIUS


def suggestion(photos: Iterable[Photo]) -> Photo:
    """The best-scored photo; the earliest of equals."""
    return max(photos, key=lambda p: (score(p.sharpness, p.exposure), -p.number, -p.id))


def refresh_top(stack: Stack) -> None:
    """Keep the chosen top, if still there and in use; else the suggestion is the top."""
    members = [p for p in stack.photos if p.status == Status.ACTIVE]
    chosen = [p for p in members if p.stack_top] if stack.top_chosen else []
    top = chosen[0] if chosen else (suggestion(members) if members else None)
    stack.top_chosen = bool(chosen)
    for member in stack.photos:
        member.stack_top = member is top


def album_stacks(session: Session, album: Album) -> list[StackView]:
    """Every stack of the album with two or more photos in use, in album order."""
    query = (
        select(Photo)
        .where(
            Photo.album_id == album.id,
            Photo.status == Status.ACTIVE,
            Photo.stack_id.is_not(None),
        )
        .order_by(Photo.number)
    )
    groups: dict[int, list[Photo]] = {}
    for photo in session.scalars(query):
        groups.setdefault(photo.stack_id or 0, []).append(photo)
    return [_view(stack_id, members) for stack_id, members in groups.items() if len(members) > 1]


def view_of(stack: Stack) -> StackView | None:
    members = [p for p in stack.photos if p.status == Status.ACTIVE]
    return _view(stack.id, members) if len(members) > 1 else None


def _view(stack_id: int, members: list[Photo]) -> StackView:
    best = suggestion(members)
    top = next((p for p in members if p.stack_top), best)
    chosen = top.stack is not None and top.stack.top_chosen
    ids = [p.id for p in members]
    return StackView(stack_id, top.id, ids, best.id, chosen)


# --- staff's hand ------------------------------------------------------------------------


def merge(session: Session, photos: Sequence[Photo]) -> Stack:
    """One stack of these photos and of the stacks they are in (their own album's)."""
    _one_album(photos, at_least=2)
    stacks = sorted({p.stack for p in photos if p.stack is not None}, key=lambda s: s.id)
    target = stacks[0] if stacks else Stack(album_id=photos[0].album_id)
    members = {p.id: p for p in photos}
    for stack in stacks:
        members.update({p.id: p for p in stack.photos})
    for member in members.values():
        member.stack, member.stack_fixed = target, True
    for other in stacks[1:]:
        session.delete(other)
    target.top_chosen = False
    session.flush()
    refresh_top(target)
    return target


def split(session: Session, photos: Sequence[Photo]) -> None:
    """Take these photos out of their stacks: from each stack, one alone, or two or more
    in a stack of their own. A stack left with one photo is no stack."""
    _one_album(photos, at_least=1)
    by_stack: dict[int, list[Photo]] = {}
    for photo in photos:
        photo.stack_fixed = True
        if photo.stack is not None:
            by_stack.setdefault(photo.stack.id, []).append(photo)
    for taken in by_stack.values():
        source = taken[0].stack
        assert source is not None
        target = Stack(album_id=source.album_id) if len(taken) > 1 else None
        for photo in taken:
            photo.stack, photo.stack_top = target, False
        session.flush()
        for stack in (source, target):
            if stack is not None:
                _settle(session, stack)


def choose_top(photo: Photo) -> None:
    """Make this photo its stack's top, by staff's choice (not the suggestion)."""
    if photo.stack is None:
        raise InvalidInput(N_("photo %(id)s is in no stack"), id=photo.id)
    for member in photo.stack.photos:
        member.stack_top = member is photo
    photo.stack.top_chosen = True


def leave_trash(photo: Photo) -> None:
    """A photo went to the trash or came back: its stack's top may have to change."""
    if photo.stack is not None:
        refresh_top(photo.stack)


def _settle(session: Session, stack: Stack) -> None:
    """A stack of one photo is none; the others keep or get their top."""
    for member in stack.photos:
        member.stack_fixed = True
    if len(stack.photos) < 2:
        for member in list(stack.photos):
            member.stack, member.stack_top = None, False
        session.delete(stack)
    else:
        refresh_top(stack)


def _one_album(photos: Sequence[Photo], at_least: int) -> None:
    if len({p.album_id for p in photos}) > 1:
        raise InvalidInput(N_("the photos of a stack must all be of one album"))
    if len(photos) < at_least:
        raise InvalidInput(N_("name at least %(count)s photos"), count=at_least)
