"""Articles on the web: the public page, the export, press kits, contact sheets, and their API.

Visitors see published articles and in them only photos they may see; staff see every
article with its problems, and may download the export, press kit and contact sheets.
Editors write through the API (create, change, preview, assign labels); each write answers
with the whole article, its problems and its layout, so the editor redraws from one answer.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from gallery import audit
from gallery.albums import InvalidInput
from gallery.article_edit import (
    ARTICLE_FIELDS,
    album_named,
    assign_label,
    create_article,
    edit_article,
    slugify,
    text_field,
    unassign_label,
    unused_slug,
)
from gallery.article_editor import editor_answer
from gallery.article_html import export_html, render_blocks
from gallery.article_read import (
    article_to_dict,
    articles_using,
    layout_dict,
    layout_for,
    problems,
    visible_article,
    visible_to_visitors,
)
from gallery.articles import normalize_label
from gallery.auth import current_user, is_staff, require_role
from gallery.db import get_session
from gallery.exports import album_sheet_photos, press_kit_photos
from gallery.models import Album, Article, Photo
from gallery.views.api import error

bp = Blueprint("articles", __name__)
api = Blueprint("articles_api", __name__, url_prefix="/api/v1")

MAX_WIDTH = 10_000  # px: anything wider is a typo, and a row 1 px wide is no layout


def _config(name: str):
    return current_app.config[name]


def _article_or_404(slug: str) -> Article:
    article = visible_article(get_session(), slug, staff=is_staff())
    if article is None:
        abort(404)  # 404, not 403: a visitor learns nothing about drafts
    return article


@bp.get("/articles")
def index():
    query = select(Article).order_by(Article.published_on.desc(), Article.id.desc())
    if not is_staff():
        query = query.where(Article.status == "published")
    return render_template("articles.html", articles=get_session().scalars(query).all())


@bp.get("/articles/<slug>")
def page(slug: str):
    article = _article_or_404(slug)
    staff = is_staff()
    width, gap = _config("ARTICLE_WIDTH"), _config("ARTICLE_GAP")
    return render_template(
        "article.html",
        article=article,
        blocks=render_blocks(article, visitor=not staff, width=width, gap=gap),
        gap=gap,
        staff=staff,
        problems=problems(article, _config("ARTICLE_MAX_ROW")) if staff else [],
    )


def base_url() -> str:
    """The site root for absolute URLs: the PUBLIC_URL setting, else this request's host."""
    return (_config("PUBLIC_URL") or request.host_url).rstrip("/")


@bp.get("/articles/<slug>/export.html")
@require_role("staff")
def export(slug: str):
    article = _article_or_404(slug)
    html = export_html(
        article, width=_config("ARTICLE_WIDTH"), gap=_config("ARTICLE_GAP"), base_url=base_url()
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Disposition"] = f'attachment; filename="{article.slug}.html"'
    return response


@bp.get("/articles/<slug>/press-kit.zip")
@require_role("staff")
def press_kit(slug: str):
    from gallery.presskit import write_press_kit

    article = _article_or_404(slug)
    out = io.BytesIO()
    write_press_kit(article.title, press_kit_photos(article, _storage()), out)
    out.seek(0)
    return send_file(out, "application/zip", as_attachment=True, download_name=f"{slug}.zip")


@bp.get("/albums/<slug>/contact-sheet.pdf")
@require_role("staff")
def contact_sheet(slug: str):
    from gallery.contactsheet import render_pages, save_pdf

    album = Album.by_slug(get_session(), slug) or abort(404)
    out = io.BytesIO()
    save_pdf(render_pages(album.title, album_sheet_photos(album, _storage())), out)
    out.seek(0)
    name = f"{slug}-contact-sheet.pdf"
    return send_file(out, "application/pdf", as_attachment=True, download_name=name)


def _storage():
    return current_app.extensions["gallery.storage"]


def article_usage(photos: list[Photo]) -> dict[int, list[Article]]:
    """Template helper: photo id -> articles showing it (drafts only for staff)."""
    ids = [photo.id for photo in photos]
    return articles_using(get_session(), ids, published_only=not is_staff()) if ids else {}


bp.add_app_template_global(article_usage)


@api.get("/articles/<slug>")
def api_article(slug: str):
    article = visible_article(get_session(), slug, staff=is_staff())
    if article is None:
        return error(404, "not_found", f"no article {slug!r}")
    return article_to_dict(article, staff=is_staff(), max_row=_config("ARTICLE_MAX_ROW"))


@api.get("/articles/<slug>/layout")
def api_layout(slug: str):
    """The grid at ?width=W (default ARTICLE_WIDTH) and ?gap=G: rows of boxes."""
    article = visible_article(get_session(), slug, staff=is_staff())
    if article is None:
        return error(404, "not_found", f"no article {slug!r}")
    width = request.args.get("width", _config("ARTICLE_WIDTH"), type=int)
    gap = request.args.get("gap", _config("ARTICLE_GAP"), type=int)
    if width is None or gap is None or not (1 <= width <= MAX_WIDTH and 0 <= gap <= width):
        return error(400, "invalid_input", f"width must be 1-{MAX_WIDTH} and gap 0-width")
    try:
        rows = layout_for(article, width, gap, visitor=not is_staff())
    except ValueError as exc:
        return error(400, "invalid_input", str(exc))
    return layout_dict(article, rows, width, gap)


@api.get("/photos/<int:photo_id>/articles")
def api_photo_usage(photo_id: int):
    """The articles a photo is used in (visitors: published ones, of a photo they may see)."""
    photo = get_session().get(Photo, photo_id)
    staff = is_staff()
    if photo is None or not (staff or visible_to_visitors(photo)):
        return error(404, "not_found", f"no photo {photo_id}")
    used = articles_using(get_session(), [photo_id], published_only=not staff).get(photo_id, [])
    return {"photo_id": photo_id, "articles": [{"slug": a.slug, "title": a.title} for a in used]}


# --- writing (editors) -------------------------------------------------------------------


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    # require_role's 401/403 and the CSRF check answer in the API's JSON shape here too.
    return error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description)


@api.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    return error(400, "invalid_input", str(exc))


@api.post("/articles")
@require_role("editor")
def api_create():
    """A new draft: title, optional slug (else made from the title), body, album."""
    session, body = get_session(), _fields({"slug", "title", "body", "album"})
    title = text_field(body, "title")
    album = album_named(session, body.get("album"))
    slug = text_field(body, "slug") or unused_slug(session, slugify(title))
    article = create_article(session, slug, title, text_field(body, "body"), album=album)
    audit.record(session, _actor(), "article.create", article, album=_slug_of(album))
    session.commit()
    return _answer(article), 201


@api.patch("/articles/<slug>")
@require_role("editor")
def api_update(slug: str):
    """Change the title, body, status (draft, published) or album; absent fields stay."""
    session, article = get_session(), _editable(slug)
    body = _fields(set(ARTICLE_FIELDS))
    edit_article(session, article, body)
    # The audit keeps what changed, not every saved draft of the text.
    details = {k: (True if k == "body" else v) for k, v in body.items()}
    audit.record(session, _actor(), "article.update", article, **details)
    session.commit()
    return _answer(article)


@api.post("/articles/<slug>/preview")
@require_role("editor")
def api_preview(slug: str):
    """The answer PATCH would give for this title and body, with nothing saved."""
    session, article = get_session(), _editable(slug)
    body = _fields({"title", "body"})
    with session.no_autoflush:
        edit_article(session, article, body)
        answer = _answer(article)
    session.rollback()
    return answer


@api.put("/articles/<slug>/labels/<label>")
@require_role("editor")
def api_assign(slug: str, label: str):
    """Point a label at a photo of any album, with an optional crop and caption."""
    session, article = get_session(), _editable(slug)
    body = _fields({"photo_id", "crop", "caption"})
    photo_id = body.get("photo_id")
    assigned = assign_label(
        session, article, label, photo_id, body.get("crop"), body.get("caption")
    )
    details = {"photo_id": photo_id, "crop": assigned.crop, "caption": assigned.caption}
    audit.record(session, _actor(), "article.label", article, label=assigned.label, **details)
    session.commit()
    return _answer(article)


@api.delete("/articles/<slug>/labels/<label>")
@require_role("editor")
def api_unassign(slug: str, label: str):
    """Forget what a label shows; a label still in the text is then reported as unknown."""
    session, article = get_session(), _editable(slug)
    clean = normalize_label(label)
    if clean is None:
        raise InvalidInput(f"{label!r} is not a label like 7 or 8a")
    if clean not in article.assignments():
        return error(404, "not_found", f"{clean} is not assigned in {slug!r}")
    unassign_label(session, article, clean)
    audit.record(session, _actor(), "article.unlabel", article, label=clean)
    session.commit()
    return _answer(article)


def _answer(article: Article) -> dict:
    return editor_answer(
        article,
        width=_config("ARTICLE_WIDTH"),
        gap=_config("ARTICLE_GAP"),
        max_row=_config("ARTICLE_MAX_ROW"),
    )


def _editable(slug: str) -> Article:
    article = Article.by_slug(get_session(), slug)
    if article is None:
        abort(404, f"no article {slug!r}")
    return article


def _fields(allowed: set[str]) -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    unknown = set(body) - allowed
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    return body


def _slug_of(album: Album | None) -> str | None:
    return album.slug if album else None


def _actor() -> str:
    return current_user().email
