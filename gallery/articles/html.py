"""What the article page and the HTML export draw for each photo: URLs, srcset, crop CSS.

One place turns placements and layout boxes into image markup values, so the public page,
`gallery article render` and the export button cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from gallery.articles.body import Paragraph, text_language
from gallery.articles.read import Placement, blocks_with_placements
from gallery.core.credit import credit_line
from gallery.core.layout import Box, Item, layout_row
from gallery.core.media import rendition_url
from gallery.core.models import Article, Rendition
from gallery.web.i18n import gettext_in

PHONE_BASIS_REM = 8  # export rows wrap where a photo would get narrower than aspect x 8 rem


@dataclass(frozen=True)
class Cell:
    """One photo of a row, ready for a template."""

    placement: Placement
    box: Box  # at the reference column width
    src: str
    srcset: str
    sizes: str
    large: str  # the biggest rendition, for the lightbox and the no-script link
    alt: str  # the photo's alt text, else its caption, else "Photo 8a" in the article's language

    @property
    def aspect(self) -> str:
        return f"{self.placement.aspect:.5f}"

    @property
    def basis_rem(self) -> str:
        return f"{self.placement.aspect * PHONE_BASIS_REM:.3f}"

    @property
    def crop_data(self) -> str:
        """The crop as "x y w h" fractions, for static/article.js and the lightbox."""
        return " ".join(f"{v:.5f}" for v in self.placement.rect)

    @property
    def img_style(self) -> str:
        """Place the whole image so that only the crop shows through its frame."""
        x, y, w, h = self.placement.rect
        return (
            f"position:absolute;max-width:none;left:{-100 * x / w:.4f}%;top:{-100 * y / h:.4f}%;"
            f"width:{100 / w:.4f}%;height:{100 / h:.4f}%"
        )


def _renditions(placement: Placement) -> list[Rendition]:
    return sorted(placement.photo.renditions, key=lambda r: r.width)


def _cell(placement: Placement, box: Box, base_url: str, untitled: str) -> Cell:
    photo = placement.photo

    def url(rendition: Rendition) -> str:
        return base_url + rendition_url(photo.sha256, rendition.name, rendition.format)

    ladder = _renditions(placement)
    # A crop shows part of the image, so the whole image is drawn wider than its box.
    drawn = round(box.width / placement.rect[2])
    fitting = next((r for r in ladder if r.width >= drawn), ladder[-1] if ladder else None)
    return Cell(
        placement,
        box,
        src=url(fitting) if fitting else "",
        srcset=", ".join(f"{url(r)} {r.width}w" for r in ladder),
        sizes=f"(max-width: 600px) {round(100 / placement.rect[2])}vw, {drawn}px",
        large=url(ladder[-1]) if ladder else "",
        alt=placement.alt or untitled % {"label": placement.label},
    )


def render_blocks(
    article: Article,
    *,
    visitor: bool,
    width: int,
    gap: int,
    base_url: str = "",
    untitled: str = "Photo %(label)s",
) -> list[Paragraph | list[Cell]]:
    """Paragraphs, and rows as cells laid out at the reference width; `untitled` names a
    photo that has neither alt text nor caption (with its label)."""
    out: list[Paragraph | list[Cell]] = []
    for block in blocks_with_placements(article, visitor=visitor):
        if isinstance(block, Paragraph):
            out.append(block)
            continue
        items = [Item(p.label, p.photo.id, p.aspect) for p in block]
        boxes = layout_row(items, width, gap)
        out.append([_cell(p, box, base_url, untitled) for p, box in zip(block, boxes, strict=True)])
    return out


def article_language(article: Article) -> str:
    """The language the article is written in (its title and text), whatever the
    interface speaks: its page and its export mark it with `lang`."""
    return text_language(f"{article.title}\n{article.body}")


def untitled_text(language: str) -> str:
    """What a photo without alt text or caption is called, in the article's language."""
    return gettext_in(language, "Photo %(label)s")


def export_html(
    article: Article, *, width: int, gap: int, base_url: str, fragment: bool = False
) -> str:
    """Clean, self-contained HTML to paste elsewhere: absolute URLs, inline styles, no
    scripts; the whole document, or only its <article> (`fragment`). Only photos visitors
    may see are in it, since the URLs must work for them. The export's own words (a
    photo's fallback alt text, the credit's prefix) are in the article's language."""
    language = article_language(article)
    blocks = render_blocks(
        article,
        visitor=True,
        width=width,
        gap=gap,
        base_url=base_url,
        untitled=untitled_text(language),
    )
    prefix = gettext_in(language, "Photo:")
    return render_template(
        "article_export.html",
        article=article,
        blocks=blocks,
        gap=gap,
        language=language,
        credit_text=lambda text: credit_line(text, prefix),
        fragment=fragment,
    )
