"""The JSON API of albums, photos and the trash under /api/v1: thin views over the domain.

Errors take the one shape of gallery.web.errors; who sees what is gallery.core.visibility's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response

from gallery.accounts.auth import actor, current_user, require_role, viewer
from gallery.catalog import albums, imports, photos, trash
from gallery.catalog.representations import album_to_dict, photo_to_dict
from gallery.core import audit
from gallery.core import visibility as seeing
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.core.models import Album, Photo
from gallery.ingest.errors import DISK_FULL, STATUS
from gallery.ingest.pipeline import Outcome
from gallery.web.errors import error_response

ALBUM_FIELDS = (
    *("title", "event_date", "place", "description", "visibility"),
    "allow_original_download",
)

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


@bp.get("/me")
@require_role("staff")
def me() -> dict[str, Any]:
    """Who the session or token belongs to."""
    user = current_user()
    assert user is not None  # require_role let only signed-in users in
    return {"email": user.email, "role": user.role}


# --- albums ------------------------------------------------------------------------------


@bp.get("/albums")
def albums_list() -> dict[str, Any]:
    session, who = get_session(), viewer()
    found = albums.albums_for(session, who)
    counts = albums.photo_counts(session, who)
    return {"albums": [album_to_dict(a, counts.get(a.id, 0), staff=who.staff) for a in found]}


@bp.post("/albums")
@require_role("staff")
def albums_create() -> tuple[dict[str, Any], int]:
    session, body = get_session(), _json()
    fields = {k: v for k, v in body.items() if k in ALBUM_FIELDS}
    album = albums.create_album(session, str(body.get("slug", "")), **fields)
    audit.commit(session, actor(), "album.create", album)
    return {"album": _album_json(album)}, 201


@bp.get("/albums/<slug>")
def albums_get(slug: str) -> dict[str, Any]:
    return {"album": _album_json(_seen_album(slug))}


@bp.patch("/albums/<slug>")
@require_role("staff")
def albums_update(slug: str) -> dict[str, Any]:
    session, album, body = get_session(), _staff_album(slug), _json()
    cover = body.pop("cover_photo_id", "unchanged")
    unknown = set(body) - set(ALBUM_FIELDS)
    if unknown:
        raise InvalidInput(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    albums.update_album(album, **body)
    if cover != "unchanged":
        albums.set_cover(album, None if cover is None else _staff_photo(cover))
        body["cover_photo_id"] = cover
    audit.commit(session, actor(), "album.update", album, **body)
    return {"album": _album_json(album)}


@bp.delete("/albums/<slug>")
@require_role("staff")
def albums_trash(slug: str) -> dict[str, Any]:
    album = _staff_album(slug)
    trash.trash(album)
    audit.commit(get_session(), actor(), "album.trash", album)
    return {"trashed": slug}


@bp.get("/albums/<slug>/photos")
def album_photos(slug: str) -> dict[str, Any]:
    album, who = _seen_album(slug), viewer()
    shown = [p for p in photos.album_photos(get_session(), album) if seeing.shown_in_album(p, who)]
    return {"photos": [photo_to_dict(p, staff=who.staff) for p in shown]}


@bp.post("/albums/<slug>/photos")
@require_role("staff")
def album_upload(slug: str) -> Response | tuple[dict[str, Any], int]:
    album = _staff_album(slug)
    upload = request.files.get("file")
    if upload is None:
        return error_response(400, "no_file", "send the photo in a multipart field named 'file'")
    get_session().commit()  # free the write lock: the import commits in its own sessions
    outcomes = imports.import_upload(album.id, upload, actor())
    if len(outcomes) == 1 and not outcomes[0].label.count("!/"):
        return _single_upload(outcomes[0])
    return _batch_upload(outcomes)


@bp.put("/albums/<slug>/order")
@require_role("staff")
def album_order(slug: str) -> dict[str, Any]:
    session, album = get_session(), _staff_album(slug)
    ids = _json().get("photo_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise InvalidInput("photo_ids must be a list of photo ids")
    photos.reorder(session, album, ids)
    audit.commit(session, actor(), "album.reorder", album)
    return {"photos": [photo_to_dict(p, staff=True) for p in photos.album_photos(session, album)]}


# --- photos ------------------------------------------------------------------------------


@bp.get("/photos/<int:photo_id>")
def photos_get(photo_id: int) -> dict[str, Any]:
    photo, who = get_session().get(Photo, photo_id), viewer()
    if photo is None or not seeing.may_see_photo(photo, who):
        abort(404)
    return {"photo": photo_to_dict(photo, staff=who.staff)}


@bp.patch("/photos/<int:photo_id>")
@require_role("staff")
def photos_update(photo_id: int) -> dict[str, Any]:
    session, photo = get_session(), _staff_photo(photo_id)
    changes = photos.apply_changes([photo], _json())
    audit.commit(session, actor(), "photo.update", photo, **_loggable(changes))
    return {"photo": photo_to_dict(photo, staff=True)}


@bp.patch("/photos")
@require_role("staff")
def photos_bulk_update() -> dict[str, Any]:
    session, body = get_session(), _json()
    ids, changes = body.get("ids"), body.get("set")
    if not isinstance(ids, list) or not ids or not isinstance(changes, dict):
        raise InvalidInput('send {"ids": [photo ids], "set": {field: value}}')
    chosen = [_staff_photo(i) for i in ids]
    clean = photos.apply_changes(chosen, changes)
    for photo in chosen:
        audit.record(session, actor(), "photo.update", photo, **_loggable(clean))
    session.commit()
    return {"photos": [photo_to_dict(p, staff=True) for p in chosen]}


@bp.delete("/photos/<int:photo_id>")
@require_role("staff")
def photos_trash(photo_id: int) -> dict[str, Any]:
    photo = _staff_photo(photo_id)
    trash.trash(photo)
    audit.commit(get_session(), actor(), "photo.trash", photo)
    return {"trashed": photo_id}


# --- trash -------------------------------------------------------------------------------


@bp.get("/trash")
@require_role("admin")
def trash_list() -> dict[str, Any]:
    session = get_session()
    found = trash.trashed(session)
    counts = albums.photo_counts(session)
    return {
        "albums": [album_to_dict(a, counts.get(a.id, 0), staff=True) for a in found.albums],
        "photos": [photo_to_dict(p, staff=True) for p in found.photos],
    }


@bp.post("/trash/restore")
@require_role("admin")
def trash_restore() -> dict[str, Any]:
    body = _json()
    slugs, ids = body.get("albums", []), body.get("photos", [])
    trash.restore_from_trash(get_session(), actor(), slugs, ids)
    return {"restored": {"albums": slugs, "photos": ids}}


@bp.post("/trash/empty")
@require_role("admin")
def trash_empty() -> dict[str, Any]:
    storage = current_app.extensions["gallery.storage"]
    return {"deleted": trash.empty_trash(get_session(), storage, actor())}


# --- helpers -----------------------------------------------------------------------------


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    return body


def _album_json(album: Album) -> dict[str, Any]:
    who = viewer()
    count = albums.photo_counts(get_session(), who, [album.id]).get(album.id, 0)
    return album_to_dict(album, count, staff=who.staff)


def _seen_album(slug: str) -> Album:
    """The album if this request may see it (404, not 403: a visitor learns nothing)."""
    return albums.seen_album(get_session(), slug, viewer()) or abort(404)


def _staff_album(slug: str) -> Album:
    return albums.live_album(get_session(), slug) or abort(404)


def _staff_photo(photo_id: object) -> Photo:
    photo = get_session().get(Photo, photo_id) if isinstance(photo_id, int) else None
    if photo is None or not seeing.may_see_photo(photo, seeing.STAFF):
        abort(404, f"no photo {photo_id}")
    return photo


def _single_upload(outcome: Outcome) -> Response | tuple[dict[str, Any], int]:
    if outcome.status == "imported":
        photo = get_session().get(Photo, outcome.photo_id)
        return {"photo": photo_to_dict(photo, staff=True)}, 201
    if outcome.status == "duplicate":
        message = "this photo is already in the album"
        return error_response(409, "duplicate", message, photo_id=outcome.photo_id)
    return error_response(STATUS[outcome.code], outcome.code, outcome.error)


def _batch_upload(outcomes: list[Outcome]) -> Response | tuple[dict[str, Any], int]:
    """A zip's report: 201 when it added photos, 200 when it added none (all duplicates or
    refused); 507 when the disk filled up, naming the photos stored before it did."""
    session = get_session()
    report = imports.import_report(outcomes)
    if any(o.code == "disk_full" for o in outcomes):
        return error_response(507, "disk_full", DISK_FULL, imported=report["imported"])
    imported = [session.get(Photo, photo_id) for photo_id in report["imported"]]
    body = {
        "photos": [photo_to_dict(p, staff=True) for p in imported],
        "duplicates": report["duplicates"],
        "rejected": report["rejected"],
    }
    return body, 201 if imported else 200


def _loggable(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}


@bp.get("/openapi.json")
def openapi_document() -> dict[str, Any]:
    """This API described for machines (OpenAPI 3.1)."""
    from gallery.web.openapi import document

    return document()
