"""The article API under /api/v1: reading (visitors see published articles and only their
publishable photos) and writing (editors: create, change, preview, assign labels).

Each write answers with the whole article, its problems and its layout, so the editor
redraws from one answer. What each call takes and answers: gallery.articles.schemas.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from gallery.accounts.auth import actor, is_staff, require_role, viewer
from gallery.articles import schemas
from gallery.articles.body import normalize_label
from gallery.articles.edit import (
    NOT_A_LABEL,
    album_named,
    assign_label,
    create_article,
    edit_article,
    slugify,
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
from gallery.core.messages import N_
from gallery.core.models import Article, Photo
from gallery.web.contract import Id, operation

api = Blueprint("articles_api", __name__, url_prefix="/api/v1")

# Rules of the domain the schema cannot say: a named album or photo must exist, a crop must
# lie inside the photo, a slug must be free, a label must be one.
SEMANTIC = {400: "Invalid input: a bad value, or one the article cannot take (the message says)"}


def _config(name: str) -> Any:
    return current_app.config[name]


def _seen_article(slug: str) -> Article:
    article = visible_article(get_session(), slug, staff=is_staff())
    if article is None:
        raise NotFound(N_("no article '%(slug)s'"), slug=slug)
    return article


@api.get("/articles/<slug>")
@operation(
    "An article: its text; for staff its labels and problems too",
    answer=schemas.StaffArticle | schemas.Article,
)
def api_article(slug: schemas.ArticleSlug) -> dict[str, Any]:
    article = _seen_article(slug)
    return article_to_dict(article, staff=is_staff(), max_row=_config("ARTICLE_MAX_ROW"))


@api.get("/articles/<slug>/layout")
@operation(
    "The article's rows laid out at a width",
    answer=schemas.Layout,
    errors={400: "Invalid input, or a gap wider than the column"},
)
def api_layout(slug: schemas.ArticleSlug, query: schemas.Size) -> dict[str, Any]:
    """The grid at ?width=W (default ARTICLE_WIDTH) and ?gap=G: rows of boxes."""
    article, size = _seen_article(slug), query.model_dump()
    width = size.get("width", _config("ARTICLE_WIDTH"))
    gap = size.get("gap", _config("ARTICLE_GAP"))
    if gap > width:
        raise InvalidInput(N_("the gap must not be wider than the column"))
    try:
        rows = layout_for(article, width, gap, visitor=not is_staff())
    except ValueError as exc:
        raise InvalidInput(N_("the rows cannot be laid out: %(why)s"), why=str(exc)) from None
    return layout_dict(article, rows, width, gap)


@api.get("/photos/<int:photo_id>/articles")
@operation("The articles that use a photo", answer=schemas.PhotoUsage)
def api_photo_usage(photo_id: Id) -> schemas.PhotoUsage:
    """The articles a photo is used in (visitors: published ones, of a photo they may see)."""
    session, who = get_session(), viewer()
    if not seeing.may_see_photo(session.get(Photo, photo_id), who):
        raise NotFound(N_("no photo %(id)s"), id=photo_id)
    used = articles_using(session, [photo_id], published_only=not who.staff).get(photo_id, [])
    articles = [{"slug": a.slug, "title": a.title} for a in used]
    return schemas.PhotoUsage.model_validate({"photo_id": photo_id, "articles": articles})


# --- writing (editors) -------------------------------------------------------------------


@api.post("/articles")
@require_role("editor")
@operation("Create an article", answer=schemas.EditorAnswer, status=201, errors=SEMANTIC)
def api_create(body: schemas.NewArticle) -> tuple[dict[str, Any], int]:
    """A new draft: title, optional slug (else made from the title), body, album."""
    session, given = get_session(), body.model_dump()
    album = album_named(session, given.get("album"))
    slug = given["slug"] if "slug" in given else unused_slug(session, slugify(body.title))
    article = create_article(session, slug, body.title, given.get("body", ""), album=album)
    audit.commit(session, actor(), "article.create", article, album=album and album.slug)
    return _answer(article), 201


@api.patch("/articles/<slug>")
@require_role("editor")
@operation("Change an article", answer=schemas.EditorAnswer, errors=SEMANTIC)
def api_update(slug: schemas.ArticleSlug, body: schemas.ArticleChanges) -> dict[str, Any]:
    """Change the title, body, status (draft, published) or album; absent fields stay."""
    session, article = get_session(), _editable(slug)
    changes = body.model_dump(mode="json")
    edit_article(session, article, changes)
    # The audit keeps what changed, not every saved draft of the text.
    details = {k: (True if k == "body" else v) for k, v in changes.items()}
    audit.commit(session, actor(), "article.update", article, **details)
    return _answer(article)


@api.post("/articles/<slug>/preview")
@require_role("editor")
@operation("Lay out unsaved text (nothing is saved)", answer=schemas.EditorAnswer, errors=SEMANTIC)
def api_preview(slug: schemas.ArticleSlug, body: schemas.Draft) -> dict[str, Any]:
    """The answer PATCH would give for this title and body, with nothing saved."""
    session, article = get_session(), _editable(slug)
    with session.no_autoflush:
        edit_article(session, article, body.model_dump())
        answer = _answer(article)
    session.rollback()
    return answer


@api.put("/articles/<slug>/labels/<label>")
@require_role("editor")
@operation("Point a label at a photo", answer=schemas.EditorAnswer, errors=SEMANTIC)
def api_assign(
    slug: schemas.ArticleSlug, label: schemas.Label, body: schemas.Assignment
) -> dict[str, Any]:
    """Point a label at a photo of any album, with an optional crop and caption."""
    session, article = get_session(), _editable(slug)
    given = body.model_dump()
    assigned = assign_label(
        session, article, label, body.photo_id, given.get("crop"), given.get("caption")
    )
    details = {"photo_id": body.photo_id, "crop": assigned.crop, "caption": assigned.caption}
    audit.commit(session, actor(), "article.label", article, label=assigned.label, **details)
    return _answer(article)


@api.delete("/articles/<slug>/labels/<label>")
@require_role("editor")
@operation("Forget a label's photo", answer=schemas.EditorAnswer, errors={400: "Not a label"})
def api_unassign(slug: schemas.ArticleSlug, label: schemas.Label) -> dict[str, Any]:
    """Forget what a label shows; a label still in the text is then reported as unknown."""
    session, article = get_session(), _editable(slug)
    clean = normalize_label(label)
    if clean is None:
        raise InvalidInput(NOT_A_LABEL, label=label)
    if clean not in article.assignments():
        raise NotFound(N_("%(label)s is not assigned in '%(slug)s'"), label=clean, slug=slug)
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
        raise NotFound(N_("no article '%(slug)s'"), slug=slug)
    return article
