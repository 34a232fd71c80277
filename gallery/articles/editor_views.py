"""The article editor of the staff workspace: the article list, "new article", the editor.

The pages are thin: the editor's scripts (static/staff/editor/) write through the article
API (/api/v1/articles...) and redraw from its answers; this module renders the pages, the
contact-sheet picker of an album (as an HTML fragment the editor swaps in) and the texts
the scripts show, translated here so that one catalog holds them all.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
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
from gallery.web.i18n import gettext

bp = Blueprint("editor", __name__, url_prefix="/staff/articles")


@bp.get("/")
@require_role("editor")
def index() -> str:
    articles = articles_by_change(get_session())
    return render_template("staff/articles.html", articles=articles, albums=_albums())


@bp.post("/")
@require_role("editor")
def create() -> Response:
    session, form = get_session(), request.form
    title = form.get("title", "").strip()
    try:
        album = album_named(session, form.get("album") or None)
        slug = form.get("slug", "").strip() or unused_slug(session, slugify(title))
        article = create_article(session, slug, title, album=album)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("editor.index"))
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
        texts=editor_texts(),
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
    except InvalidInput:
        abort(404)
    return render_template("staff/_article_picker.html", **_picker_context(article, album))


def _albums() -> list[Album]:
    return live_albums(get_session())


def _picker_context(article: Article, album: Album | None) -> dict[str, Any]:
    shown = photos.album_photos(get_session(), album) if album else []
    return {"article": article, "album": album, "photos": shown, "thumb": thumb_url}


def thumb_url(photo: Photo) -> str:
    """The smallest rendition (the 320 px one), for contact-sheet thumbnails."""
    ladder = sorted(photo.renditions, key=lambda r: r.width)
    return rendition_url(photo.sha256, ladder[0].name, ladder[0].format) if ladder else ""


def editor_texts() -> dict[str, str]:
    """What the editor's scripts say, in the reader's language (`%(name)s` filled in JS)."""
    return {
        "saved": gettext("Saved."),
        "saving": gettext("Saving…"),
        "unsaved": gettext("Unsaved changes"),
        "failed": gettext("Not done: %(message)s"),
        "draft": gettext("draft"),
        "published": gettext("published"),
        "publish": gettext("Publish"),
        "unpublish": gettext("Unpublish"),
        "nowPublished": gettext("The article is published."),
        "nowDraft": gettext("The article is a draft again."),
        "albumChanged": gettext("The labels now mean the photos of %(album)s."),
        "labelShows": gettext("Label %(label)s shows photo %(number)s of %(album)s."),
        "labelForgotten": gettext("Label %(label)s no longer shows a photo."),
        "cropSaved": gettext("The crop and caption of %(label)s are saved."),
        "rowInserted": gettext("The row %(labels)s is in the text."),
        "rowEmpty": gettext("Click photos to build a row."),
        "noLabel": gettext("Type a label like 7 or 8a."),
        "boxName": gettext("Label %(label)s: crop and caption"),
        "noPhoto": gettext("%(label)s: no photo"),
        "dialogTitle": gettext("Label %(label)s: photo %(number)s of %(album)s"),
        "hereAs": gettext("In this article as %(labels)s"),
        "problemCount": gettext("(%(count)s)"),
        "layoutError": gettext("The rows cannot be drawn: %(message)s"),
        "problem.unknown_label": gettext(
            "%(label)s has no photo: pick one below, or fix the number in the text"
        ),
        "problem.duplicate_label": gettext("%(label)s stands in more than one place"),
        "problem.unplaced": gettext("%(label)s has a photo but stands in no row"),
        "problem.row_too_wide": gettext(
            "The row %(label)s has more than %(max)s photos: they get too small to read"
        ),
        "problem.missing_alt": gettext(
            "%(label)s: the photo has no alt text (add it on the album page)"
        ),
        "problem.hidden_photo": gettext(
            "%(label)s: visitors may not see this photo (album not public, or no consent)"
        ),
        "problem.same_photo": gettext(
            "%(label)s shows the same photo as another label, the same way: crop or reassign one"
        ),
    }
