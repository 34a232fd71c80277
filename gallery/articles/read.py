"""Reading an article: which photo each placed label shows, its layout, problems and usage.

The editor UI, the public page, the API, the CLI, the export and the press kit all go
through `placement_rows`, so they agree on what a label shows and who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.articles.body import (
    Crop,
    Paragraph,
    PhotoFacts,
    Problem,
    Row,
    cropped_aspect,
    find_problems,
    parse_body,
)
from gallery.core import visibility as seeing
from gallery.core.layout import Box, Item, layout_rows, total_height
from gallery.core.models import Article, ArticlePhoto, Photo
from gallery.core.states import ArticleStatus


@dataclass(frozen=True)
class Placement:
    """One placed label: the photo it shows, the crop (x, y, w, h fractions), its texts."""

    label: str
    photo: Photo
    rect: tuple[float, float, float, float]
    aspect: float
    caption: str

    @property
    def alt(self) -> str:
        return self.photo.alt_text or self.caption

    @property
    def credit(self) -> str:
        return self.photo.credit


def placement(assigned: ArticlePhoto) -> Placement | None:
    """What a label shows, or None while it has no photo."""
    photo = assigned.photo
    if photo is None:
        return None
    crop = Crop.from_dict(assigned.crop)
    rect = crop.rect(photo.width, photo.height) if crop else (0.0, 0.0, 1.0, 1.0)
    caption = assigned.caption if assigned.caption is not None else photo.caption
    aspect = cropped_aspect(photo.width, photo.height, crop)
    return Placement(assigned.label, photo, rect, aspect, caption)


def _row_placements(
    labels: tuple[str, ...], assigned: dict[str, ArticlePhoto], visitor: bool
) -> list[Placement]:
    found = (placement(assigned[label]) for label in labels if label in assigned)
    viewer = seeing.VISITOR if visitor else seeing.STAFF
    return [p for p in found if p and seeing.shown_in_article(p.photo, viewer)]


def placement_rows(article: Article, *, visitor: bool) -> list[list[Placement]]:
    """The grid's rows as written; unknown labels and photos the reader may not see (for
    visitors all but publishable ones, for staff the trash) are left out here and reported
    by `problems` instead. Rows left empty are dropped."""
    assigned = article.assignments()
    blocks = parse_body(article.body)
    laid = (_row_placements(b.labels, assigned, visitor) for b in blocks if isinstance(b, Row))
    return [row for row in laid if row]


def blocks_with_placements(article: Article, *, visitor: bool) -> list[Paragraph | list]:
    """The body for rendering: paragraphs, and rows as lists of placements."""
    assigned = article.assignments()
    out: list[Paragraph | list] = []
    for block in parse_body(article.body):
        if isinstance(block, Paragraph):
            out.append(block)
        elif shown := _row_placements(block.labels, assigned, visitor):
            out.append(shown)
    return out


def layout_for(article: Article, width: int, gap: int, *, visitor: bool = False) -> list[list[Box]]:
    """The grid at a column width: one common height per row, each row exactly `width`."""
    items = [
        [Item(p.label, p.photo.id, p.aspect) for p in row]
        for row in placement_rows(article, visitor=visitor)
    ]
    return layout_rows(items, width, gap)


def layout_dict(article: Article, rows: list[list[Box]], width: int, gap: int) -> dict:
    """The layout JSON of the API and `gallery article layout --json`."""
    return {
        "slug": article.slug,
        "width": width,
        "gap": gap,
        "height": total_height(rows),
        "rows": [[box.to_dict() for box in row] for row in rows],
    }


def problems(article: Article, max_row: int) -> list[Problem]:
    """Everything the editor should fix, in reading order."""
    facts: dict[str, PhotoFacts | None] = {}
    for assigned in article.photos:
        photo = assigned.photo
        facts[assigned.label] = None
        if photo is not None:
            crop = Crop.from_dict(assigned.crop)
            visible = seeing.is_publishable(photo)
            facts[assigned.label] = PhotoFacts(
                photo.id, photo.number, photo.alt_text, visible, crop
            )
    return find_problems(parse_body(article.body), facts, max_row)


def visible_article(session: Session, slug: str, *, staff: bool) -> Article | None:
    """The article as a visitor (published only) or staff (any status) may see it."""
    article = Article.by_slug(session, slug)
    if article is None or (article.status != ArticleStatus.PUBLISHED and not staff):
        return None
    return article


def articles_by_change(session: Session) -> list[Article]:
    """Every article, the one changed last first (the editor's list)."""
    return list(session.scalars(select(Article).order_by(Article.updated_at.desc())))


def listed_articles(session: Session, *, staff: bool) -> list[Article]:
    """Visitors: published articles, newest first; staff: every article."""
    # Drafts (no day) last on either engine: PostgreSQL sorts NULL first when descending.
    newest_first = Article.published_on.desc().nulls_last()
    query = select(Article).order_by(newest_first, Article.id.desc())
    if not staff:
        query = query.where(Article.status == ArticleStatus.PUBLISHED)
    return list(session.scalars(query))


def articles_using(
    session: Session, photo_ids: list[int], *, published_only: bool
) -> dict[int, list[Article]]:
    """Photo id -> the articles that show it (for "used in" on photos)."""
    query = (
        select(ArticlePhoto.photo_id, Article)
        .join(Article, ArticlePhoto.article_id == Article.id)
        .where(ArticlePhoto.photo_id.in_(photo_ids))
        .order_by(Article.published_on.desc().nulls_last(), Article.id.desc())
    )
    if published_only:
        query = query.where(Article.status == ArticleStatus.PUBLISHED)
    used: dict[int, list[Article]] = {}
    for photo_id, article in session.execute(query):
        if photo_id is None:  # never: in_() matches no NULL, but the column may hold one
            continue
        if article not in used.setdefault(photo_id, []):
            used[photo_id].append(article)
    return used


def article_to_dict(article: Article, *, staff: bool, max_row: int) -> dict:
    """The API's article: text blocks and, for staff, labels and problems."""
    data: dict[str, object] = {
        "slug": article.slug,
        "title": article.title,
        "status": article.status,
        "author": article.author,
        "published_on": article.published_on.isoformat() if article.published_on else None,
        "blocks": [
            {"paragraph": b.text} if isinstance(b, Paragraph) else {"row": list(b.labels)}
            for b in parse_body(article.body)
        ],
    }
    if staff:
        data["album"] = article.album.slug if article.album else None
        data["labels"] = {a.label: _label_dict(a) for a in article.photos}
        data["problems"] = [p.to_dict() for p in problems(article, max_row)]
    return data


def _label_dict(assigned: ArticlePhoto) -> dict:
    photo = assigned.photo
    return {
        "photo_id": photo.id if photo else None,
        "album": photo.album.slug if photo else None,
        "number": photo.number if photo else None,
        "crop": assigned.crop,
        "caption": assigned.caption,
    }
