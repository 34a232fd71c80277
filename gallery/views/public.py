"""What visitors see: public albums, their thumbnails, and the rendition files."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, send_file

from gallery.albums import photo_counts
from gallery.db import get_session
from gallery.models import Album, Photo, visible_rendition
from gallery.representations import rendition_url

bp = Blueprint("public", __name__)

YEAR = 365 * 24 * 3600


@bp.get("/")
def index():
    session = get_session()
    albums = Album.public(session)
    return render_template(
        "index.html", albums=albums, counts=photo_counts(session), covers=_covers(albums)
    )


@bp.get("/albums/<slug>")
def album(slug: str):
    found = Album.by_slug(get_session(), slug)
    if found is None or found.visibility != "public" or found.status != "active":
        abort(404)  # 404, not 403: nothing tells a visitor that a private album exists
    photos = [p for p in found.photos if p.is_public]
    return render_template("album.html", album=found, photos=photos, url=rendition_url)


@bp.get("/media/<sha256>/<name>.jpg")
def rendition(sha256: str, name: str):
    found = visible_rendition(get_session(), sha256, name)
    if found is None:
        abort(404)
    storage = current_app.extensions["gallery.storage"]
    path = storage.rendition_path(sha256, name, found.format)
    # The URL names the content's hash, so the file behind it never changes.
    response = send_file(path, mimetype="image/jpeg", max_age=YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _covers(albums: list[Album]) -> dict[int, Photo]:
    """Each album's cover: the chosen one, else its first visible photo."""
    covers = {}
    for album in albums:
        photos = [p for p in album.photos if p.is_public]
        chosen = next((p for p in photos if p.id == album.cover_photo_id), None)
        if chosen or photos:
            covers[album.id] = chosen or photos[0]
    return covers


def smallest(photo: Photo):
    return min(photo.renditions, key=lambda r: r.width, default=None)


bp.add_app_template_global(smallest)
bp.add_app_template_global(rendition_url)
