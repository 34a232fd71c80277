"""The culling API under /api/v1: stacks, near-duplicates and caption shortcuts (staff).

Marks are fields of the photo (PATCH /api/v1/photos/ID and the bulk PATCH /api/v1/photos,
gallery.catalog.api); the lists of photos take culling's filters there.
"""

from __future__ import annotations

from flask import Blueprint

from gallery.accounts.auth import actor, require_role
from gallery.core import audit
from gallery.core.db import get_session
from gallery.core.errors import NotFound
from gallery.core.messages import N_
from gallery.core.models import Album
from gallery.culling import near_duplicates, shortcuts, stacks
from gallery.culling.lookup import live_album, staff_photos
from gallery.culling.schemas import (
    Dismissal,
    NearDuplicateList,
    NearDuplicateOut,
    NearDuplicatesQuery,
    NewShortcut,
    Shortcut,
    ShortcutList,
    StackList,
    StackOut,
    StackPhotos,
    TopChoice,
)
from gallery.web.contract import Id, operation

bp = Blueprint("culling_api", __name__, url_prefix="/api/v1")
NAMED = {404: "An album or photo named is not there"}


@bp.get("/albums/<slug>/stacks")
@require_role("staff")
@operation("The album's stacks of two or more photos", answer=StackList)
def album_stacks(slug: str) -> StackList:
    return _stacks(slug)


@bp.post("/albums/<slug>/stacks/merge")
@require_role("staff")
@operation("Stack these photos (and their stacks) together", answer=StackList, errors=NAMED)
def stacks_merge(slug: str, body: StackPhotos) -> StackList:
    session, album = get_session(), live_album(slug)
    stacks.merge(session, staff_photos(session, body.photos, album))
    audit.commit(session, actor(), "stack.merge", album, photos=body.photos)
    return _stacks(slug)


@bp.post("/albums/<slug>/stacks/split")
@require_role("staff")
@operation("Take these photos out of their stacks", answer=StackList, errors=NAMED)
def stacks_split(slug: str, body: StackPhotos) -> StackList:
    session, album = get_session(), live_album(slug)
    stacks.split(session, staff_photos(session, body.photos, album))
    audit.commit(session, actor(), "stack.split", album, photos=body.photos)
    return _stacks(slug)


@bp.put("/albums/<slug>/stacks/top")
@require_role("staff")
@operation("Choose the photo shown for its stack", answer=StackList, errors=NAMED)
def stacks_top(slug: str, body: TopChoice) -> StackList:
    session, album = get_session(), live_album(slug)
    (photo,) = staff_photos(session, [body.photo_id], album)
    stacks.choose_top(photo)
    audit.commit(session, actor(), "stack.top", photo)
    return _stacks(slug)


@bp.get("/near-duplicates")
@require_role("staff")
@operation("Photos that show an earlier photo again", answer=NearDuplicateList, errors=NAMED)
def near_duplicate_list(query: NearDuplicatesQuery) -> NearDuplicateList:
    album = live_album(query.album) if query.album else None
    return _pairs(album, query.dismissed)


@bp.post("/near-duplicates/dismiss")
@require_role("staff")
@operation("Say a pair is not a duplicate", answer=NearDuplicateList, errors=NAMED)
def near_duplicate_dismiss(body: Dismissal) -> NearDuplicateList:
    session = get_session()
    if not near_duplicates.dismiss(session, body.photo_id, body.duplicate_of):
        raise NotFound(
            N_("photo %(id)s is not a near-duplicate of photo %(of)s"),
            id=body.photo_id,
            of=body.duplicate_of,
        )
    audit.record(session, actor(), "near_duplicate.dismiss", None, **body.model_dump())
    session.commit()
    return _pairs(None, dismissed=False)


@bp.get("/shortcuts")
@require_role("staff")
@operation("The caption shortcuts", answer=ShortcutList)
def shortcut_list() -> ShortcutList:
    return _shortcuts()


@bp.post("/shortcuts")
@require_role("staff")
@operation("Add a caption shortcut, or change its text", answer=ShortcutList)
def shortcut_save(body: NewShortcut) -> ShortcutList:
    session = get_session()
    saved = shortcuts.save(session, body.code, body.text)
    audit.record(session, actor(), "shortcut.save", None, code=saved.code, text=saved.text)
    session.commit()
    return _shortcuts()


@bp.delete("/shortcuts/<int:shortcut_id>")
@require_role("staff")
@operation("Remove a caption shortcut", answer=ShortcutList, errors={404: "No such shortcut"})
def shortcut_delete(shortcut_id: Id) -> ShortcutList:
    session = get_session()
    code = shortcuts.remove_by_id(session, shortcut_id)
    if code is None:
        raise NotFound(N_("no shortcut %(id)s"), id=shortcut_id)
    audit.record(session, actor(), "shortcut.remove", None, code=code)
    session.commit()
    return _shortcuts()


def _pairs(album: Album | None, dismissed: bool) -> NearDuplicateList:
    found = near_duplicates.pairs(get_session(), album, dismissed=dismissed)
    return NearDuplicateList(
        near_duplicates=[
            NearDuplicateOut(photo_id=p.photo_id, duplicate_of=p.duplicate_of, distance=p.distance)
            for p in found
        ]
    )


def _shortcuts() -> ShortcutList:
    found = shortcuts.all_shortcuts(get_session())
    return ShortcutList(shortcuts=[Shortcut(id=s.id, code=s.code, text=s.text) for s in found])


def _stacks(slug: str) -> StackList:
    session, album = get_session(), live_album(slug)
    return StackList(
        stacks=[
            StackOut(top=s.top, photos=s.photos, suggested=s.suggested, chosen=s.chosen)
            for s in stacks.album_stacks(session, album)
        ]
    )
