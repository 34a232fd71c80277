"""The JSON API of albums, photos and the trash under /api/v1: thin views over the domain.

What each call takes and answers is its models' (gallery.catalog.schemas, checked by
gallery.web.contract); errors take the one shape of gallery.web.errors; who sees what is
gallery.core.visibility's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, after_this_request, current_app, request, url_for
from werkzeug.wrappers import Response

from gallery.accounts.auth import actor, current_user, is_staff, require_role, viewer
from gallery.catalog import albums, imports, photos, queue, trash
from gallery.catalog.representations import album_model, photo_model
from gallery.catalog.schemas import (
    AlbumAnswer,
    AlbumChanges,
    AlbumList,
    AlbumListQuery,
    AlbumPhotosQuery,
    AlbumSlug,
    AlbumTrashed,
    BulkEdit,
    Deleted,
    Me,
    NewAlbum,
    Order,
    PhotoAnswer,
    PhotoChanges,
    PhotoList,
    PhotoTrashed,
    Restore,
    Restored,
    Trash,
    Unlisted,
    Upload,
    UploadQueued,
    UploadReport,
    UploadStatus,
)
from gallery.core import audit
from gallery.core import visibility as seeing
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput, NotFound
from gallery.core.messages import N_, Message
from gallery.core.models import Album, Photo, UploadJob
from gallery.core.states import JobState, Result
from gallery.ingest.errors import DISK_FULL, STATUS
from gallery.ingest.pipeline import Outcome
from gallery.web.contract import Id, operation
from gallery.web.errors import error_response
from gallery.web.i18n import translate

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")

SLUG_TAKEN = {400: "Invalid input, or the slug is taken"}


@bp.get("/me")
@require_role("staff")
@operation("The signed-in user or token owner", answer=Me)
def me() -> Me:
    """Who the session or token belongs to."""
    user = current_user()
    assert user is not None  # require_role let only signed-in users in
    return Me(email=user.email, role=user.role)


# --- albums ------------------------------------------------------------------------------


@bp.get("/albums")
@operation("Albums, a page at a time: public ones for visitors, all for staff", answer=AlbumList)
def albums_list(query: AlbumListQuery) -> AlbumList:
    session, who = get_session(), viewer()
    try:
        after = albums.Cursor.parse(query.after)
    except ValueError:
        raise InvalidInput(N_("after must be the next of a page of albums")) from None
    found, more = albums.album_page(session, who, query.per_page, after)
    counts = albums.photo_counts(session, who, [album.id for album in found])
    models = [album_model(a, counts.get(a.id, 0), staff=who.staff) for a in found]
    return AlbumList(albums=models, next=str(more) if more else None)


@bp.post("/albums")
@require_role("staff")
@operation("Create an album", answer=AlbumAnswer, status=201, errors=SLUG_TAKEN)
def albums_create(body: NewAlbum) -> tuple[AlbumAnswer, int]:
    session = get_session()
    album = albums.create_album(session, body.slug, **_album_fields(body))
    audit.commit(session, actor(), "album.create", album)
    return _album_answer(album), 201


@bp.get("/albums/<slug>")
@operation("One album (unlisted: with ?key=)", answer=AlbumAnswer)
def albums_get(slug: AlbumSlug, query: Unlisted) -> AlbumAnswer:
    return _album_answer(_seen_album(slug, query.key))


@bp.patch("/albums/<slug>")
@require_role("staff")
@operation("Change an album, its cover", answer=AlbumAnswer)
def albums_update(slug: AlbumSlug, body: AlbumChanges) -> AlbumAnswer:
    session, album = get_session(), _staff_album(slug)
    albums.update_album(album, **_album_fields(body))
    changes = body.model_dump(mode="json")
    if "cover_photo_id" in changes:
        cover = changes["cover_photo_id"]
        albums.set_cover(album, None if cover is None else _staff_photo(cover))
    audit.commit(session, actor(), "album.update", album, **changes)
    return _album_answer(album)


@bp.delete("/albums/<slug>")
@require_role("staff")
@operation("Move an album to the trash", answer=AlbumTrashed)
def albums_trash(slug: AlbumSlug) -> AlbumTrashed:
    album = _staff_album(slug)
    trash.trash(album)
    audit.commit(get_session(), actor(), "album.trash", album)
    return AlbumTrashed(trashed=slug)


@bp.get("/albums/<slug>/photos")
@operation("The album's photos in order (staff: filtered by marks and stacks)", answer=PhotoList)
def album_photos(slug: AlbumSlug, query: AlbumPhotosQuery) -> PhotoList:
    album, staff = _seen_album(slug, query.key), is_staff()
    who = seeing.Viewer(staff=staff, key=query.key)
    only = query.photo_filter() if staff else None  # marks are not for visitors to sift by
    listed = photos.album_photos(get_session(), album, only=only)
    shown = [p for p in listed if seeing.shown_in_album(p, who)]
    return PhotoList(photos=[photo_model(p, staff=staff) for p in shown])


@bp.post("/albums/<slug>/photos")
@require_role("staff")
@operation(
    "Upload a photo (201: the photo) or a zip (its report: 201 when it added photos); with "
    "a job queue (QUEUE_URL), 202 and the upload's status URL",
    answer=PhotoAnswer | UploadReport,
    status=201,
    also={200: UploadReport, 202: UploadQueued},
    errors={
        400: "No file in the field `file`",
        409: "A duplicate: `photo_id` names the photo already there",
        415: "Not a supported image format",
        422: "Corrupt or undecodable",
        503: "The job queue could not be reached: the upload was not taken",
    },
    upload=True,
)
def album_upload(slug: AlbumSlug) -> Response | tuple[Any, int]:
    album = _staff_album(slug)
    upload = request.files.get("file")
    if upload is None:
        no_file = Message(N_("send the photo in a multipart field named 'file'"))
        return error_response(400, "no_file", no_file)
    get_session().commit()  # free the write lock: the import commits in its own sessions
    if queue.queued():
        return _queue_upload(album.id, upload)
    return _upload_answer(imports.import_upload(album.id, upload, actor()))


def _upload_answer(outcomes: list[Outcome]) -> Response | tuple[Any, int]:
    if len(outcomes) == 1 and not outcomes[0].label.count("!/"):
        return _single_upload(outcomes[0])
    return _batch_upload(outcomes)


def _queue_upload(album_id: int, upload: Any) -> Response | tuple[Any, int]:
    try:
        job = queue.queue_upload(album_id, upload, actor())
    except queue.QueueDown:
        down = Message(N_("the upload queue is not reachable; try again in a minute"))
        return error_response(503, "queue_down", down)
    if isinstance(job, Outcome):  # refused before it was queued (a full disk)
        return _single_upload(job)
    answer = _upload_model(job)

    @after_this_request
    def locate(response: Response) -> Response:
        response.headers["Location"] = answer.url
        return response

    return UploadQueued(upload=answer), 202


@bp.get("/uploads/<int:job_id>")
@require_role("staff")
@operation("A queued upload: its state, and once done what it answered", answer=UploadStatus)
def upload_status(job_id: Id) -> UploadStatus:
    job = get_session().get(UploadJob, job_id)
    if job is None:
        raise NotFound(N_("no upload %(id)s"), id=job_id)
    status = UploadStatus(upload=_upload_model(job))
    if job.state in (JobState.DONE, JobState.FAILED):
        answer = _upload_answer(queue.upload_outcomes(job) or [queue.gave_up(job)])
        if isinstance(answer, Response):  # an error, as the upload would have answered it
            status.result, status.result_status = answer.get_json(), answer.status_code
        else:
            model, code = answer
            status.result, status.result_status = model.model_dump(mode="json"), code
    return status


def _upload_model(job: UploadJob) -> Upload:
    url = url_for("catalog_api.upload_status", job_id=job.id)
    return Upload(id=job.id, state=job.state, url=url, attempts=job.attempts)


@bp.put("/albums/<slug>/order")
@require_role("staff")
@operation(
    "Reorder and renumber",
    answer=PhotoList,
    errors={400: "Invalid input, or not every photo of the album once"},
)
def album_order(slug: AlbumSlug, body: Order) -> PhotoList:
    session, album = get_session(), _staff_album(slug)
    photos.reorder(session, album, body.photo_ids)
    audit.commit(session, actor(), "album.reorder", album)
    ordered = photos.album_photos(session, album)
    return PhotoList(photos=[photo_model(p, staff=True) for p in ordered])


# --- photos ------------------------------------------------------------------------------


@bp.get("/photos/<int:photo_id>")
@operation("One photo", answer=PhotoAnswer)
def photos_get(photo_id: Id) -> PhotoAnswer:
    photo, who = get_session().get(Photo, photo_id), viewer()
    if photo is None or not seeing.may_see_photo(photo, who):
        abort(404)
    return PhotoAnswer(photo=photo_model(photo, staff=who.staff))


@bp.patch("/photos/<int:photo_id>")
@require_role("staff")
@operation("Edit a photo's texts, keywords, consent and marks", answer=PhotoAnswer)
def photos_update(photo_id: Id, body: PhotoChanges) -> PhotoAnswer:
    session, photo = get_session(), _staff_photo(photo_id)
    changes = photos.apply_changes([photo], body.model_dump())
    audit.commit(session, actor(), "photo.update", photo, **_loggable(changes))
    return PhotoAnswer(photo=photo_model(photo, staff=True))


@bp.patch("/photos")
@require_role("staff")
@operation(
    "Set the same values on many photos",
    answer=PhotoList,
    errors={404: "A photo named is not there"},
)
def photos_bulk_update(body: BulkEdit) -> PhotoList:
    session = get_session()
    chosen = [_staff_photo(i) for i in body.ids]
    clean = photos.apply_changes(chosen, body.set.model_dump())
    # One event for the one action, however many photos it touched.
    ids = [photo.id for photo in chosen]
    audit.record(
        session, actor(), "photos.update", None, count=len(ids), ids=ids, **_loggable(clean)
    )
    session.commit()
    return PhotoList(photos=[photo_model(p, staff=True) for p in chosen])


@bp.delete("/photos/<int:photo_id>")
@require_role("staff")
@operation("Move a photo to the trash", answer=PhotoTrashed)
def photos_trash(photo_id: Id) -> PhotoTrashed:
    photo = _staff_photo(photo_id)
    trash.trash(photo)
    audit.commit(get_session(), actor(), "photo.trash", photo)
    return PhotoTrashed(trashed=photo_id)


# --- trash -------------------------------------------------------------------------------


@bp.get("/trash")
@require_role("admin")
@operation("What is in the trash", answer=Trash)
def trash_list() -> Trash:
    session = get_session()
    found = trash.trashed(session)
    counts = albums.photo_counts(session, seeing.STAFF, [a.id for a in found.albums])
    return Trash(
        albums=[album_model(a, counts.get(a.id, 0), staff=True) for a in found.albums],
        photos=[photo_model(p, staff=True) for p in found.photos],
    )


@bp.post("/trash/restore")
@require_role("admin")
@operation(
    "Restore albums and photos",
    answer=Restored,
    errors={404: "An album or photo named is not there"},
)
def trash_restore(body: Restore) -> Restored:
    trash.restore_from_trash(get_session(), actor(), body.albums, body.photos)
    return Restored(restored=body)


@bp.post("/trash/empty")
@require_role("admin")
@operation("Delete the trash for good", answer=Deleted)
def trash_empty() -> dict[str, Any]:
    storage = current_app.extensions["gallery.storage"]
    return {"deleted": trash.empty_trash(get_session(), storage, actor())}


# --- helpers -----------------------------------------------------------------------------


def _album_fields(body: NewAlbum | AlbumChanges) -> dict[str, Any]:
    """The album's fields as albums.update_album takes them (the date as text, "": none)."""
    fields = body.model_dump(exclude={"slug", "cover_photo_id"})
    if "event_date" in fields:
        fields["event_date"] = fields["event_date"].isoformat() if fields["event_date"] else ""
    return fields


def _album_answer(album: Album) -> AlbumAnswer:
    who = viewer()
    count = albums.photo_counts(get_session(), who, [album.id]).get(album.id, 0)
    return AlbumAnswer(album=album_model(album, count, staff=who.staff))


def _seen_album(slug: str, key: str | None) -> Album:
    """The album if this request may see it (404, not 403: a visitor learns nothing)."""
    who = seeing.Viewer(staff=is_staff(), key=key)
    return albums.seen_album(get_session(), slug, who) or abort(404)


def _staff_album(slug: str) -> Album:
    return albums.live_album(get_session(), slug) or abort(404)


def _staff_photo(photo_id: int) -> Photo:
    photo = get_session().get(Photo, photo_id)
    if photo is None or not seeing.may_see_photo(photo, seeing.STAFF):
        raise NotFound(N_("no photo %(id)s"), id=photo_id)
    return photo


def _single_upload(outcome: Outcome) -> Response | tuple[PhotoAnswer, int]:
    if outcome.status == Result.IMPORTED:
        photo = get_session().get(Photo, outcome.photo_id)
        assert photo is not None  # the import has just committed it
        return PhotoAnswer(photo=photo_model(photo, staff=True)), 201
    if outcome.status == Result.DUPLICATE:
        message = Message(N_("this photo is already in the album"))
        return error_response(409, "duplicate", message, photo_id=outcome.photo_id)
    assert outcome.code is not None and outcome.error is not None  # a refusal says why
    return error_response(STATUS[outcome.code], outcome.code, outcome.words or outcome.error)


def _batch_upload(outcomes: list[Outcome]) -> Response | tuple[UploadReport, int]:
    """A zip's report: 201 when it added photos, 200 when it added none (all duplicates or
    refused); 507 when the disk filled up, naming the photos stored before it did."""
    session = get_session()
    report = imports.import_report(outcomes, say=translate)
    if any(o.code == "disk_full" for o in outcomes):
        full = Message(DISK_FULL)
        return error_response(507, "disk_full", full, imported=report["imported"])
    imported = [session.get(Photo, photo_id) for photo_id in report["imported"]]
    answer = UploadReport(
        photos=[photo_model(p, staff=True) for p in imported if p is not None],
        duplicates=report["duplicates"],
        rejected=report["rejected"],
    )
    return answer, 201 if imported else 200


def _loggable(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
