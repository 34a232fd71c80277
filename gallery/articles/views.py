"""Articles on the web: the public pages, the HTML export, press kits and contact sheets.

Visitors see published articles and in them only photos that are publishable
(gallery.core.visibility); staff see every article with its problems, and may download
the export, press kit and contact sheets.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from werkzeug.wrappers import Response as BaseResponse

from gallery.accounts.auth import is_staff, require_role
from gallery.articles.contactsheet import render_pages, save_pdf
from gallery.articles.exports import album_sheet_photos, press_kit_photos
from gallery.articles.html import (
    article_language,
    export_html,
    render_blocks,
    untitled_text,
)
from gallery.articles.presskit import write_press_kit
from gallery.articles.read import articles_using, listed_articles, problems, visible_article
from gallery.catalog.albums import live_album
from gallery.core.credit import credit_line
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.core.models import Article, Photo
from gallery.culling import filters
from gallery.web.i18n import gettext, gettext_in, translate

bp = Blueprint("articles", __name__)


def _config(name: str) -> Any:
    return current_app.config[name]


def _article_or_404(slug: str) -> Article:
    article = visible_article(get_session(), slug, staff=is_staff())
    if article is None:
        abort(404)  # 404, not 403: a visitor learns nothing about drafts
    return article


@bp.get("/articles")
def index() -> str:
    articles = listed_articles(get_session(), staff=is_staff())
    return render_template("articles.html", articles=articles)


@bp.get("/articles/<slug>")
def page(slug: str) -> str:
    article = _article_or_404(slug)
    staff = is_staff()
    width, gap = _config("ARTICLE_WIDTH"), _config("ARTICLE_GAP")
    language = article_language(article)
    untitled = untitled_text(language)
    return render_template(
        "article.html",
        article=article,
        language=language,
        blocks=render_blocks(article, visitor=not staff, width=width, gap=gap, untitled=untitled),
        gap=gap,
        staff=staff,
        problems=problems(article, _config("ARTICLE_MAX_ROW")) if staff else [],
    )


def base_url() -> str:
    """The site root for absolute URLs: the PUBLIC_URL setting, else this request's host."""
    return str(_config("PUBLIC_URL") or request.host_url).rstrip("/")


@bp.get("/articles/<slug>/export.html")
@require_role("staff")
def export(slug: str) -> Response:
    """The article's HTML to paste into another site: the document, or with ?fragment=1
    only its <article> element."""
    article = _article_or_404(slug)
    fragment = request.args.get("fragment") in ("1", "true", "yes")
    html = export_html(
        article,
        width=_config("ARTICLE_WIDTH"),
        gap=_config("ARTICLE_GAP"),
        base_url=base_url(),
        fragment=fragment,
    )
    response = Response(html, mimetype="text/html")
    name = f"{article.slug}-article.html" if fragment else f"{article.slug}.html"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/articles/<slug>/press-kit.zip")
@require_role("staff")
def press_kit(slug: str) -> BaseResponse:
    article = _article_or_404(slug)
    out = io.BytesIO()
    credit = gettext_in(article_language(article), "Photo:")
    write_press_kit(article.title, press_kit_photos(article, _storage()), out, credit=credit)
    out.seek(0)
    return send_file(out, "application/zip", as_attachment=True, download_name=f"{slug}.zip")


@bp.get("/albums/<slug>/contact-sheet.pdf")
@require_role("staff")
def contact_sheet(slug: str) -> BaseResponse:
    """The album's contact sheet: every photo, or those culling's filter in the query keeps
    (`?pick=pick`: the picks only)."""
    album = live_album(get_session(), slug) or abort(404)  # never the trash
    try:
        only = filters.parse(request.args)
    except InvalidInput as exc:
        abort(400, translate(exc.words))
    sheet = album_sheet_photos(album, _storage(), only if only.active else None)
    out = io.BytesIO()
    save_pdf(render_pages(album.title, sheet), out)
    out.seek(0)
    name = f"{slug}-contact-sheet.pdf"
    return send_file(out, "application/pdf", as_attachment=True, download_name=name)


def _storage() -> Any:
    return current_app.extensions["gallery.storage"]


def article_usage(photos: list[Photo]) -> dict[int, list[Article]]:
    """Template helper: photo id -> articles showing it (drafts only for staff)."""
    ids = [photo.id for photo in photos]
    return articles_using(get_session(), ids, published_only=not is_staff()) if ids else {}


def credit_text(credit: str) -> str:
    """Template helper: a credit as shown under a photo ("Photo: A. Ozola"), in the
    interface's language, unless it carries its own prefix."""
    return credit_line(credit, gettext("Photo:"))


bp.add_app_template_global(article_usage)
bp.add_app_template_global(credit_text)
