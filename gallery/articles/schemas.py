"""Articles as the API takes and shows them: what editors send, and the shapes of an
article, its layout and the editor's answer (gallery.articles.read and .editor fill them).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import MISSING, Field, FiniteFloat

from gallery.articles.body import LABEL
from gallery.catalog.albums import SLUG
from gallery.core.states import ArticleStatus
from gallery.web.contract import WHOLE, Id, Input, Output, Query, documented

ArticleSlug = Annotated[str, documented(pattern=SLUG.pattern)]
Label = Annotated[str, documented(pattern=f"^{LABEL.pattern.replace('[a-z]', '[a-zA-Z]')}$")]
Title = Annotated[str, documented(pattern=r"\S")]  # not blank
MAX_WIDTH = 10_000  # px: anything wider is a typo, and a row 1 px wide is no layout


# --- what the API takes ------------------------------------------------------------------


class NewArticle(Input):
    """A new draft; without a slug, one is made from the title."""

    title: Title
    slug: ArticleSlug | MISSING = MISSING
    body: str | MISSING = MISSING
    album: str | None | MISSING = MISSING  # whose photo numbers the labels mean


class ArticleChanges(Input):
    """An article's fields; those left out stay as they are."""

    title: Title | MISSING = MISSING
    body: str | MISSING = MISSING
    status: ArticleStatus | MISSING = MISSING
    album: str | None | MISSING = MISSING  # null: no album


class Draft(Input):
    """Unsaved text to lay out (nothing is saved)."""

    title: Title | MISSING = MISSING
    body: str | MISSING = MISSING


class Crop(Input):
    """Fractions of the photo: a rectangle {x, y, w, h}, or an aspect ratio w/h kept around
    a focal point {aspect, fx, fy}."""

    x: FiniteFloat | MISSING = MISSING
    y: FiniteFloat | MISSING = MISSING
    w: FiniteFloat | MISSING = MISSING
    h: FiniteFloat | MISSING = MISSING
    aspect: FiniteFloat | MISSING = MISSING
    fx: FiniteFloat | MISSING = MISSING
    fy: FiniteFloat | MISSING = MISSING


class Assignment(Input):
    """The photo a label shows, of any album, with an optional crop and caption."""

    photo_id: Id
    crop: Crop | None | MISSING = MISSING  # null: the whole photo
    caption: str | None | MISSING = MISSING  # null: the photo's own


class Size(Query):
    """The column's width and the gap between photos, in px (else ARTICLE_WIDTH and _GAP)."""

    width: Annotated[int, Field(ge=1, le=MAX_WIDTH), WHOLE] | MISSING = MISSING
    gap: Annotated[int, Field(ge=0, le=MAX_WIDTH), WHOLE] | MISSING = MISSING  # at most the width


# --- what the API shows ------------------------------------------------------------------


class Paragraph(Output):
    paragraph: str


class PhotoRow(Output):
    row: list[str]  # labels


class CropShown(Output):
    x: float | MISSING = MISSING
    y: float | MISSING = MISSING
    w: float | MISSING = MISSING
    h: float | MISSING = MISSING
    aspect: float | MISSING = MISSING
    fx: float | MISSING = MISSING
    fy: float | MISSING = MISSING


class LabelShown(Output):
    """What a label shows (all null while it has no photo)."""

    photo_id: int | None
    album: str | None
    number: int | None
    crop: CropShown | None
    caption: str | None  # null: the photo's own


class SmallRendition(Output):
    url: str
    width: int


class LabelDrawn(LabelShown):
    """A label with what the editor draws it with."""

    rect: list[float]  # the crop as x, y, w, h fractions
    aspect: float
    width: int
    height: int
    alt_text: str
    visible: bool  # whether visitors may see the photo
    renditions: list[SmallRendition]


class Problem(Output):
    code: str
    message: str
    label: str | None


class Article(Output):
    """An article as visitors see it."""

    slug: str
    title: str
    status: ArticleStatus
    author: str
    published_on: date | None
    blocks: list[Paragraph | PhotoRow]


class StaffArticle(Article):
    """An article as staff see it: its album, what each label shows, its problems."""

    album: str | None
    labels: dict[str, LabelShown]
    problems: list[Problem]


class EditorArticle(StaffArticle):
    labels: dict[str, LabelDrawn | LabelShown]


class Box(Output):
    label: str
    photo_id: int | None
    x: int
    y: int
    width: int
    height: int


class Layout(Output):
    """The rows of boxes at a column width: one common height per row."""

    slug: str
    width: int
    gap: int
    height: int
    rows: list[list[Box]]
    error: str | MISSING = MISSING  # the editor's: why the text cannot be laid out


class EditorAnswer(Output):
    """Every write's answer: the editor redraws from it."""

    article: EditorArticle
    layout: Layout


class ArticleUse(Output):
    slug: str
    title: str


class PhotoUsage(Output):
    photo_id: int
    articles: list[ArticleUse]
