"""The staff workspace's album pages: the list, a new album, one album's page, the trash.

A form the domain refuses is shown again as it was filled in, with the reason above it,
in the reader's language (a 400), rather than emptied by a redirect.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from gallery.accounts.auth import actor, require_role
from gallery.catalog import albums
from gallery.catalog.representations import secret_url
from gallery.core import audit
from gallery.core import visibility as seeing
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.core.media import rendition_url
from gallery.core.models import Album, Photo
from gallery.web.i18n import gettext, translate

bp = Blueprint("catalog", __name__, url_prefix="/staff")

ALBUM_FIELDS = ("title", "event_date", "place", "description", "visibility")


@bp.get("/")
@require_role("staff")
def home() -> str:
    return _home_page()


def _home_page(form: dict[str, str] | None = None, error: str = "") -> str:
    """A page of the albums, newest first (as the API and visitors list them), by keyset."""
    session = get_session()
    try:
        after = albums.Cursor.parse(request.args.get("after"))
    except ValueError:
        abort(400, "that is not a place in the album list")
    per_page = current_app.config["ALBUMS_PER_PAGE"]
    found, older = albums.album_page(session, seeing.STAFF, per_page, after)
    return render_template(
        "staff/home.html",
        albums=found,
        total=albums.album_total(session, seeing.STAFF),
        counts=albums.photo_counts(session, seeing.STAFF, [album.id for album in found]),
        covers=albums.staff_covers(session, found),
        after=after,
        older=older,
        form=form or {},
        error=error,
    )


@bp.post("/albums")
@require_role("staff")
def album_create() -> Response | tuple[str, int]:
    session = get_session()
    fields = {name: request.form.get(name) for name in ALBUM_FIELDS if request.form.get(name)}
    try:
        album = albums.create_album(session, request.form.get("slug", "").strip(), **fields)
    except InvalidInput as exc:
        session.rollback()
        return _home_page(request.form.to_dict(), translate(exc.words)), 400
    audit.commit(session, actor(), "album.create", album)
    return redirect(url_for("catalog.album", slug=album.slug))


@bp.get("/albums/<slug>")
@require_role("staff")
def album(slug: str) -> str:
    found = _album(slug)
    return render_template("staff/album.html", album=found, secret_url=secret_url(found))


@bp.post("/albums/<slug>")
@require_role("staff")
def album_update(slug: str) -> Response:
    found, session = _album(slug), get_session()
    form = request.form
    fields = {name: form[name] for name in ALBUM_FIELDS if name in form}
    try:
        albums.update_album(
            found,
            title=form.get("title"),
            event_date=form.get("event_date"),
            place=form.get("place"),
            description=form.get("description"),
            visibility=form.get("visibility"),
        )
    except InvalidInput as exc:
        flash(translate(exc.words), "error")
        return redirect(url_for("catalog.album", slug=slug))
    audit.commit(session, actor(), "album.update", found, **fields)
    flash(gettext("Saved."), "ok")
    return redirect(url_for("catalog.album", slug=slug))


@bp.get("/trash")
@require_role("admin")
def trash() -> str:
    """Trashed albums and photos; the page lists, restores and empties them through the API."""
    return render_template("staff/trash.html")


def _album(slug: str) -> Album:
    return albums.live_album(get_session(), slug) or abort(404)


@dataclass(frozen=True)
class Thumb:
    url: str
    width: int
    height: int


def cover_image(photo: Photo, width: int = 400) -> Thumb | None:
    """Template helper: the smallest rendition of a photo at least `width` wide (else its
    largest), for album cards."""
    ladder = sorted(photo.renditions, key=lambda r: r.width)
    if not ladder:
        return None
    chosen = next((r for r in ladder if r.width >= width), ladder[-1])
    return Thumb(
        rendition_url(photo.sha256, chosen.name, chosen.format), chosen.width, chosen.height
    )


bp.add_app_template_global(cover_image)
