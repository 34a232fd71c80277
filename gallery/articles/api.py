"""The article API under /api/v1: reading (visitors see published articles and only their
publishable photos) and writing (editors: create, change, preview, assign labels).

Each write answers with the whole article, its problems and its layout, so the editor
redraws from one answer.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request

from gallery.accounts.auth import actor, is_staff, require_role, viewer
from gallery.articles.body import normalize_label
from gallery.articles.edit import (
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
from gallery.articles.editor import editor_answer
from gallery.articles.read import (
    article_to_dict,
    articles_using,
    layout_dict,
    layout_for,
    visible_article,
)
from gallery.core import audit
from gallery.core import visibility as seeing
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput, NotFound
from gallery.core.models import Article, Photo

api = Blueprint("articles_api", __name__, url_prefix="/api/v1")

MAX_WIDTH = 10_000  # px: anything wider is a typo, and a row 1 px wide is no layout


def _config(name: str) -> Any:
    return current_app.config[name]


def _seen_article(slug: str) -> Article:
    article = visible_article(get_session(), slug, staff=is_staff())
    if article is None:
        raise NotFound(f"no article {slug!r}")
    return article


@api.get("/articles/<slug>")
def api_article(slug: str) -> dict[str, Any]:
    article = _seen_article(slug)
    return article_to_dict(article, staff=is_staff(), max_row=_config("ARTICLE_MAX_ROW"))


@api.get("/articles/<slug>/layout")
def api_layout(slug: str) -> dict[str, Any]:
    """The grid at ?width=W (default ARTICLE_WIDTH) and ?gap=G: rows of boxes."""
    article = _seen_article(slug)
    width = request.args.get("width", _config("ARTICLE_WIDTH"), type=int)
    gap = request.args.get("gap", _config("ARTICLE_GAP"), type=int)
    if width is None or gap is None or not (1 <= width <= MAX_WIDTH and 0 <= gap <= width):
        raise InvalidInput(f"width must be 1-{MAX_WIDTH} and gap 0-width")
    try:
        rows = layout_for(article, width, gap, visitor=not is_staff())
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return layout_dict(article, rows, width, gap)


@api.get("/photos/<int:photo_id>/articles")
def api_photo_usage(photo_id: int) -> dict[str, Any]:
    """The articles a photo is used in (visitors: published ones, of a photo they may see)."""
    session, who = get_session(), viewer()
    if not seeing.may_see_photo(session.get(Photo, photo_id), who):
        raise NotFound(f"no photo {photo_id}")
    used = articles_using(session, [photo_id], published_only=not who.staff).get(photo_id, [])
    return {"photo_id": photo_id, "articles": [{"slug": a.slug, "title": a.title} for a in used]}


# --- writing (editors) -------------------------------------------------------------------


@api.post("/articles")
@require_role("editor")
def api_create() -> tuple[dict[str, Any], int]:
    """A new draft: title, optional slug (else made from the title), body, album."""
    session, body = get_session(), _fields({"slug", "title", "body", "album"})
    title = text_field(body, "title")
    album = album_named(session, body.get("album"))
    slug = text_field(body, "slug") or unused_slug(session, slugify(title))
    article = create_article(session, slug, title, text_field(body, "body"), album=album)
    audit.commit(session, actor(), "article.create", article, album=album and album.slug)
    return _answer(article), 201


@api.patch("/articles/<slug>")
@require_role("editor")
def api_update(slug: str) -> dict[str, Any]:
    """Change the title, body, status (draft, published) or album; absent fields stay."""
    session, article = get_session(), _editable(slug)
    body = _fields(set(ARTICLE_FIELDS))
    edit_article(session, article, body)
    # The audit keeps what changed, not every saved draft of the text.
    details = {k: (True if k == "body" else v) for k, v in body.items()}
    audit.commit(session, actor(), "article.update", article, **details)
    return _answer(article)


@api.post("/articles/<slug>/preview")
@require_role("editor")
def api_preview(slug: str) -> dict[str, Any]:
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
def api_assign(slug: str, label: str) -> dict[str, Any]:
    """Point a label at a photo of any album, with an optional crop and caption."""
    session, article = get_session(), _editable(slug)
    body = _fields({"photo_id", "crop", "caption"})
    photo_id = body.get("photo_id")
    assigned = assign_label(
        session, article, label, photo_id, body.get("crop"), body.get("caption")
    )
    details = {"photo_id": photo_id, "crop": assigned.crop, "caption": assigned.caption}
    audit.commit(session, actor(), "article.label", article, label=assigned.label, **details)
    return _answer(article)


@api.delete("/articles/<slug>/labels/<label>")
@require_role("editor")
def api_unassign(slug: str, label: str) -> dict[str, Any]:
    """Forget what a label shows; a label still in the text is then reported as unknown."""
    session, article = get_session(), _editable(slug)
    clean = normalize_label(label)
    if clean is None:
        raise InvalidInput(f"{label!r} is not a label like 7 or 8a")
    if clean not in article.assignments():
        raise NotFound(f"{clean} is not assigned in {slug!r}")
    unassign_label(session, article, clean)
    audit.commit(session, actor(), "article.unlabel", article, label=clean)
    return _answer(article)


def _answer(article: Article) -> dict[str, Any]:
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


def _fields(allowed: set[str]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    unknown = set(body) - allowed
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    return body
