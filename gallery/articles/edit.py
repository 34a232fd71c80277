"""Article changes shared by the CLI, the web and the editor UI: create, import, edit, assign.

Every verb checks its input (InvalidInput says what is wrong) and leaves the commit to
the caller, like gallery.albums.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date

from sqlalchemy.orm import Session

from gallery.articles.body import (
    Crop,
    label_number,
    normalize_label,
    parse_body,
    placed_labels,
    split_title,
)
from gallery.catalog.albums import SLUG
from gallery.core import visibility as seeing
from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import Album, Article, ArticlePhoto, Photo, fitting, utcnow
from gallery.core.states import ArticleStatus, choices

ARTICLE_FIELDS = ("title", "body", "status", "album")  # what edit_article may change
NOT_A_LABEL = N_("'%(label)s' is not a label like 7 or 8a")
_SLUG_WORDS = 8  # a slug made from a title keeps its first words, not the whole sentence


def slugify(text: str) -> str:
    """A URL-safe slug from a title: `Daugavpils tehnikumā...` -> `daugavpils-tehnikuma-...`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:_SLUG_WORDS]
    return "-".join(words)[:100].strip("-") or "article"


def unused_slug(session: Session, base: str) -> str:
    """`base`, or `base-2`, `base-3`... whichever no article has yet."""
    slug, n = base, 1
    while Article.by_slug(session, slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_article(
    session: Session,
    slug: str,
    title: str,
    body: str = "",
    *,
    album: Album | None = None,
    author: str = "",
) -> Article:
    """A new draft; labels in the body get the album's photos of the same number."""
    if not SLUG.match(slug):
        text = N_("article slug '%(slug)s' must use lowercase letters, digits and hyphens")
        raise InvalidInput(text, slug=slug)
    if Article.by_slug(session, slug):
        raise InvalidInput(N_("an article with the slug '%(slug)s' already exists"), slug=slug)
    if not title.strip():
        raise InvalidInput(N_("the title must not be empty"))
    title = fitting("title", title.strip())
    article = Article(slug=slug, title=title, author=author.strip(), album=album)
    session.add(article)
    update_body(session, article, body)
    return article


def import_article(
    session: Session,
    text: str,
    album: Album,
    *,
    title: str | None = None,
    slug: str | None = None,
    author: str = "",
) -> Article:
    """An article from a text like the seed: its first line is the title unless one is given.

    With `title`, the whole text is the body: the file then has no title line to take.
    """
    body = text
    if title is None:
        title, body = split_title(text)
    slug = slug or unused_slug(session, slugify(title))
    return create_article(session, slug, title, body, album=album, author=author)


def update_body(session: Session, article: Article, body: str) -> Article:
    """New text; labels new to the article get its album's photos by number (8a -> 8)."""
    article.body = body.strip("\n")
    if article.album is None:
        return article
    assigned = article.assignments()
    numbers = {photo.number: photo for photo in article.album.photos}
    for label in dict.fromkeys(placed_labels(parse_body(article.body))):
        photo = numbers.get(label_number(label))
        if label not in assigned and photo is not None:
            article.photos.append(ArticlePhoto(label=label, photo=photo))
    return article


def assign_label(
    session: Session,
    article: Article,
    label: str,
    photo_id: int,
    crop: Mapping[str, float] | None = None,
    caption: str | None = None,
) -> ArticlePhoto:
    """Point a label at a photo of any album, with an optional crop and caption override."""
    clean = normalize_label(label)
    if clean is None:
        raise InvalidInput(NOT_A_LABEL, label=label)
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise InvalidInput(N_("there is no photo %(id)s"), id=photo_id)
    try:
        checked = Crop.from_dict(crop)
    except (TypeError, ValueError) as exc:
        why = exc.words if isinstance(exc, InvalidInput) else str(exc)
        raise InvalidInput(N_("crop of %(label)s: %(why)s"), label=clean, why=why) from None
    assigned = article.assignments().get(clean)
    if assigned is None:
        assigned = ArticlePhoto(label=clean)
        article.photos.append(assigned)
    assigned.photo = photo
    assigned.crop = checked.to_dict() if checked else None
    assigned.caption = caption.strip() if caption and caption.strip() else None
    article.updated_at = utcnow()
    return assigned


def edit_article(session: Session, article: Article, changes: Mapping[str, str | None]) -> Article:
    """Apply changes of `title`, `body`, `status` (texts) and `album` (a slug or None); the
    album first, so that labels new in the body mean its photos."""
    unknown = set(changes) - set(ARTICLE_FIELDS)
    if unknown:
        raise InvalidInput(N_("unknown fields: %(names)s"), names=", ".join(sorted(unknown)))
    if "album" in changes:
        change_album(session, article, album_named(session, changes["album"]))
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title:
            raise InvalidInput(N_("the title must not be empty"))
        article.title = fitting("title", title)
    if "body" in changes:
        update_body(session, article, changes["body"] or "")
    if "status" in changes:
        set_status(article, changes["status"] or "")
    return article


def album_named(session: Session, slug: str | None) -> Album | None:
    """The active album a slug names, None for no slug; InvalidInput for an unknown one."""
    if not slug:
        return None
    album = Album.by_slug(session, slug)
    if not seeing.may_see_album(album, seeing.STAFF):
        raise InvalidInput(N_("there is no album '%(slug)s'"), slug=slug)
    return album


def change_album(session: Session, article: Article, album: Album | None) -> Article:
    """Let the labels mean another album's photos: labels still showing the old album's
    photo of their own number (the defaults) follow to the new album's photo of that
    number; labels the editor pointed elsewhere keep their photo, and their crops stay."""
    old = article.album
    article.album = album
    if old is None or album is None or old.id == album.id:
        return article
    numbers = {p.number: p for p in album.photos if seeing.shown_in_album(p, seeing.STAFF)}
    for assigned in article.photos:
        photo = assigned.photo
        if photo is None or photo.album_id != old.id:
            continue  # not a default
        if photo.number == label_number(assigned.label):
            assigned.photo = numbers.get(photo.number, photo)
    article.updated_at = utcnow()
    return article


def unassign_label(session: Session, article: Article, label: str) -> None:
    """Forget what a label shows (the label stays in the text, reported as unknown)."""
    assigned = article.assignments().get(normalize_label(label) or label)
    if assigned is not None:
        article.photos.remove(assigned)


def set_status(article: Article, status: str) -> Article:
    """Draft or published; publishing dates an undated article today."""
    if status not in set(ArticleStatus):
        raise InvalidInput(N_("status must be one of %(choices)s"), choices=choices(ArticleStatus))
    article.status = ArticleStatus(status)
    if article.status == ArticleStatus.PUBLISHED and article.published_on is None:
        article.published_on = date.today()
    return article
