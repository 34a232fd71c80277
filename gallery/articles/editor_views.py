"""The article editor of the staff workspace: the article list, "new article", the editor.

The pages are thin: the editor's scripts (static/staff/editor/) write through the article
API (/api/v1/articles...) and redraw from its answers; this module renders the pages, the
contact-sheet picker of an album (as an HTML fragment the editor swaps in). The scripts'
texts come from the one catalog too (gallery.web.i18n.js_texts).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gallery.accounts.auth import actor, require_role
from gallery.articles.edit import album_named, create_article, slugify, unused_slug
from gallery.articles.read import articles_by_change
from gallery.catalog import photos
from gallery.catalog.albums import live_albums
from gallery.core import audit
from gallery.core import visibility as seeing
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.core.media import rendition_url
from gallery.core.models import Album, Article, Photo
from gallery.culling import filters
from gallery.web.i18n import translate

bp = Blueprint("editor", __name__, url_prefix="/staff/articles")


@bp.get("/")
@require_role("editor")
def index() -> str:
    return _index_page()


def _index_page(form: dict[str, str] | None = None, error: str = "") -> str:
    articles = articles_by_change(get_session())
    return render_template(
        "staff/articles.html", articles=articles, albums=_albums(), form=form or {}, error=error
    )


@bp.post("/")
@require_role("editor")
def create() -> Response | tuple[str, int]:
    session, form = get_session(), request.form
    title = form.get("title", "").strip()
    try:
        album = album_named(session, form.get("album") or None)
        slug = form.get("slug", "").strip() or unused_slug(session, slugify(title))
        article = create_article(session, slug, title, album=album)
    except InvalidInput as exc:
        session.rollback()
        return _index_page(form.to_dict(), translate(exc.words)), 400
    audit.commit(session, actor(), "article.create", article, album=album and album.slug)
    return redirect(url_for("editor.edit", slug=article.slug))


@bp.get("/<slug>/edit")
@require_role("editor")
def edit(slug: str) -> str:
    article = Article.by_slug(get_session(), slug) or abort(404)
    album = article.album if seeing.may_see_album(article.album, seeing.STAFF) else None
    return render_template(
        "staff/article_edit.html",
        article=article,
        albums=_albums(),
        picker=_picker_context(article, album),
        max_row=current_app.config["ARTICLE_MAX_ROW"],
    )


@bp.get("/<slug>/picker")
@require_role("editor")
def picker(slug: str) -> str:
    """The contact sheet of ?album=SLUG for the editor to swap in (an HTML fragment)."""
    session = get_session()
    article = Article.by_slug(session, slug) or abort(404)
    try:
        album = album_named(session, request.args.get("album"))
        only = filters.parse(request.args)
    except InvalidInput:
        abort(404)
    context = _picker_context(article, album, only)
    return render_template("staff/_article_picker.html", **context)


def _albums() -> list[Album]:
    return live_albums(get_session())


def _picker_context(
    article: Article, album: Album | None, only: filters.PhotoFilter | None = None
) -> dict[str, Any]:
    """The album's photos for the picker: all, or those culling's filter keeps."""
    only = only or filters.PhotoFilter()
    shown = photos.album_photos(get_session(), album, only=only) if album else []
    return {"article": article, "album": album, "photos": shown, "thumb": thumb_url, "only": only}


def thumb_url(photo: Photo) -> str:
    """The smallest rendition (the 320 px one), for contact-sheet thumbnails."""
    ladder = sorted(photo.renditions, key=lambda r: r.width)
    return rendition_url(photo.sha256, ladder[0].name, ladder[0].format) if ladder else ""
