"""The JSON API under /api/v1: thin views, and errors in the one shape of DESIGN.md."""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from gallery import audit, photos
from gallery.albums import InvalidInput, create_album, photo_counts, update_album
from gallery.auth import current_user, is_staff, require_role
from gallery.db import get_session
from gallery.imports import import_report, import_upload
from gallery.ingest.accept import EXTENSIONS
from gallery.ingest.errors import DISK_FULL, STATUS, Rejected
from gallery.models import Album, Photo
from gallery.representations import album_to_dict, photo_to_dict

ALBUM_FIELDS = (
    *("title", "event_date", "place", "description", "visibility"),
    "allow_original_download",
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(status: int, code: str, message: str, **extra):
    """A JSON error response: {"error": {"code", "message", ...}} with the fitting status."""
    response = jsonify({"error": {"code": code, "message": message, **extra}})
    response.status_code = status
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return error(exc.code or 500, code, exc.description or exc.name)


@bp.errorhandler(Rejected)
def _rejected(exc: Rejected):
    return error(exc.status, exc.code, exc.message)


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    return error(400, "invalid_input", str(exc))


@bp.get("/me")
@require_role("staff")
def me():
    """Who the session or token belongs to."""
    user = current_user()
    return {"email": user.email, "role": user.role}


# --- albums ------------------------------------------------------------------------------


@bp.get("/albums")
def albums_list():
    session, staff = get_session(), is_staff()
    query = select(Album).where(Album.status == "active")
    if not staff:
        query = query.where(Album.visibility == "public")
    counts = photo_counts(session, visitor=not staff)
    found = session.scalars(query.order_by(Album.event_date.desc(), Album.id.desc()))
    return {"albums": [album_to_dict(a, counts.get(a.id, 0), staff=staff) for a in found]}


@bp.post("/albums")
@require_role("staff")
def albums_create():
    session, body = get_session(), _json()
    fields = {k: v for k, v in body.items() if k in ALBUM_FIELDS}
    album = create_album(session, str(body.get("slug", "")), **fields)
    audit.record(session, current_user().email, "album.create", album)
    session.commit()
    return {"album": _album_json(album)}, 201


@bp.get("/albums/<slug>")
def albums_get(slug: str):
    return {"album": _album_json(_visible_album(slug))}


@bp.patch("/albums/<slug>")
@require_role("staff")
def albums_update(slug: str):
    session, album, body = get_session(), _staff_album(slug), _json()
    cover = body.pop("cover_photo_id", "unchanged")
    unknown = set(body) - set(ALBUM_FIELDS)
    if unknown:
        raise InvalidInput(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    update_album(album, **body)
    if cover != "unchanged":
        album.cover_photo_id = _cover(album, cover)
        body["cover_photo_id"] = cover
    audit.record(session, current_user().email, "album.update", album, **body)
    session.commit()
    return {"album": _album_json(album)}


@bp.delete("/albums/<slug>")
@require_role("staff")
def albums_trash(slug: str):
    session, album = get_session(), _staff_album(slug)
    photos.trash(album)
    audit.record(session, current_user().email, "album.trash", album)
    session.commit()
    return {"trashed": slug}


@bp.get("/albums/<slug>/photos")
def album_photos(slug: str):
    album, staff = _visible_album(slug), is_staff()
    shown = [p for p in photos.album_photos(get_session(), album) if staff or p.is_public]
    return {"photos": [photo_to_dict(p, staff=staff) for p in shown]}


@bp.post("/albums/<slug>/photos")
@require_role("staff")
def album_upload(slug: str):
    album, user = _staff_album(slug), current_user().email
    upload = request.files.get("file")
    if upload is None:
        return error(400, "no_file", "send the photo in a multipart field named 'file'")
    get_session().commit()  # free the write lock: the import commits in its own sessions
    outcomes = import_upload(album.id, upload, user)
    audit_imports(album, outcomes)
    if len(outcomes) == 1 and not outcomes[0].label.count("!/"):
        return _single_upload(outcomes[0])
    return _batch_upload(outcomes)


@bp.put("/albums/<slug>/order")
@require_role("staff")
def album_order(slug: str):
    session, album = get_session(), _staff_album(slug)
    ids = _json().get("photo_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise InvalidInput("photo_ids must be a list of photo ids")
    photos.reorder(session, album, ids)
    audit.record(session, current_user().email, "album.reorder", album)
    session.commit()
    return {"photos": [photo_to_dict(p, staff=True) for p in photos.album_photos(session, album)]}


# --- photos ------------------------------------------------------------------------------


@bp.get("/photos/<int:photo_id>")
def photos_get(photo_id: int):
    photo = get_session().get(Photo, photo_id)
    if photo is None or photo.status != "active" or photo.album.status != "active":
        abort(404)  # the trash shows trashed photos, to admins
    if not (is_staff() or _visitor_sees(photo)):
        abort(404)
    return {"photo": photo_to_dict(photo, staff=is_staff())}


@bp.patch("/photos/<int:photo_id>")
@require_role("staff")
def photos_update(photo_id: int):
    session, photo = get_session(), _staff_photo(photo_id)
    changes = photos.apply_changes([photo], _json())
    audit.record(session, current_user().email, "photo.update", photo, **_loggable(changes))
    session.commit()
    return {"photo": photo_to_dict(photo, staff=True)}


@bp.patch("/photos")
@require_role("staff")
def photos_bulk_update():
    session, body = get_session(), _json()
    ids, changes = body.get("ids"), body.get("set")
    if not isinstance(ids, list) or not ids or not isinstance(changes, dict):
        raise InvalidInput('send {"ids": [photo ids], "set": {field: value}}')
    chosen = [_staff_photo(i) for i in ids]
    clean = photos.apply_changes(chosen, changes)
    for photo in chosen:
        audit.record(session, current_user().email, "photo.update", photo, **_loggable(clean))
    session.commit()
    return {"photos": [photo_to_dict(p, staff=True) for p in chosen]}


@bp.delete("/photos/<int:photo_id>")
@require_role("staff")
def photos_trash(photo_id: int):
    session, photo = get_session(), _staff_photo(photo_id)
    photos.trash(photo)
    audit.record(session, current_user().email, "photo.trash", photo)
    session.commit()
    return {"trashed": photo_id}


# --- trash -------------------------------------------------------------------------------


@bp.get("/trash")
@require_role("admin")
def trash_list():
    session = get_session()
    albums, loose = photos.trashed(session)
    counts = photo_counts(session)
    return {
        "albums": [album_to_dict(a, counts.get(a.id, 0), staff=True) for a in albums],
        "photos": [photo_to_dict(p, staff=True) for p in loose],
    }


@bp.post("/trash/restore")
@require_role("admin")
def trash_restore():
    session, body = get_session(), _json()
    for slug in body.get("albums", []):
        album = Album.by_slug(session, slug) or abort(404, f"no album {slug}")
        photos.restore(album)
        audit.record(session, current_user().email, "album.restore", album)
    for photo_id in body.get("photos", []):
        photo = session.get(Photo, photo_id) or abort(404, f"no photo {photo_id}")
        photos.restore(photo)
        audit.record(session, current_user().email, "photo.restore", photo)
    session.commit()
    return {"restored": {"albums": body.get("albums", []), "photos": body.get("photos", [])}}


@bp.post("/trash/empty")
@require_role("admin")
def trash_empty():
    session = get_session()
    counts, files = photos.empty_trash(session)
    audit.record(session, current_user().email, "trash.empty", current_user(), **counts)
    session.commit()
    storage = current_app.extensions["gallery.storage"]
    for sha, fmt in files:  # only now: the rows are gone for good
        storage.remove_original(sha, EXTENSIONS[fmt.upper()])
        storage.remove_renditions(sha)
    return {"deleted": counts}


# --- helpers -----------------------------------------------------------------------------


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    return body


def _album_json(album: Album) -> dict:
    count = photo_counts(get_session(), visitor=not is_staff()).get(album.id, 0)
    return album_to_dict(album, count, staff=is_staff())


def _visible_album(slug: str) -> Album:
    """The album if this request may see it: staff, public, or unlisted with its key."""
    album = Album.by_slug(get_session(), slug)
    if album is None or album.status != "active":
        abort(404)
    if is_staff() or album.visibility == "public":
        return album
    key = request.args.get("key", "").encode()
    if album.visibility == "unlisted" and hmac.compare_digest(key, album.secret.encode()):
        return album
    abort(404)  # not 403: a visitor learns nothing of albums they may not see


def _staff_album(slug: str) -> Album:
    album = Album.by_slug(get_session(), slug)
    if album is None or album.status != "active":
        abort(404)
    return album


def _staff_photo(photo_id: object) -> Photo:
    photo = get_session().get(Photo, photo_id) if isinstance(photo_id, int) else None
    if photo is None or photo.status != "active":
        abort(404, f"no photo {photo_id}")
    return photo


def _visitor_sees(photo: Photo) -> bool:
    album = photo.album
    return photo.is_public and album.status == "active" and album.visibility == "public"


def _cover(album: Album, photo_id: object) -> int | None:
    if photo_id is None:
        return None
    photo = _staff_photo(photo_id)
    if photo.album_id != album.id:
        raise InvalidInput("the cover must be a photo of this album")
    return photo.id


def _single_upload(outcome):
    if outcome.status == "imported":
        photo = get_session().get(Photo, outcome.photo_id)
        return {"photo": photo_to_dict(photo, staff=True)}, 201
    if outcome.status == "duplicate":
        message = "this photo is already in the album"
        return error(409, "duplicate", message, photo_id=outcome.photo_id)
    return error(STATUS[outcome.code], outcome.code, outcome.error)


def _batch_upload(outcomes):
    """A zip's report: 201 when it added photos, 200 when it added none (all duplicates or
    refused); 507 when the disk filled up, naming the photos stored before it did."""
    session = get_session()
    report = import_report(outcomes)
    if any(o.code == "disk_full" for o in outcomes):
        return error(507, "disk_full", DISK_FULL, imported=report["imported"])
    imported = [session.get(Photo, photo_id) for photo_id in report["imported"]]
    body = {
        "photos": [photo_to_dict(p, staff=True) for p in imported],
        "duplicates": report["duplicates"],
        "rejected": report["rejected"],
    }
    return body, 201 if imported else 200


def audit_imports(album: Album, outcomes) -> None:
    session = get_session()
    for outcome in outcomes:
        if outcome.status == "imported":
            audit.record(
                session, current_user().email, "photo.upload", album, photo=outcome.photo_id
            )
    session.commit()


def _loggable(changes: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}


@bp.get("/openapi.json")
def openapi_document():
    """This API described for machines (OpenAPI 3.1)."""
    from gallery.openapi import document

    return document()
