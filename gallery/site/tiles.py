"""An album page's photos as the template draws them: justified boxes, `srcset`, `sizes`.

The server lays the rows out at the column's widest (`REFERENCE_WIDTH`) and writes each
box into the `<img>`'s width and height attributes. site.css lets every row shrink with
the column; flex items shrink in proportion to their basis (their width attribute), so
the photos of a row keep one height at any narrower width with no per-photo CSS at all:
no `style` attribute, nothing for a Content-Security-Policy to forbid. static/justified.js
then lays the rows out again for the real width (so a phone gets rows of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from markupsafe import Markup

from gallery.core.layout import Box, Item
from gallery.site.cards import Image, PhotoCard, card_from_row
from gallery.site.justify import justify

REFERENCE_WIDTH = 1152  # px: the content column at its widest (site.css: main 72rem; .justified)
PAGE_PADDING = 32  # px: main's padding, left and right together
GAP = 4  # px between photos (site.css: .justified)


@dataclass(frozen=True)
class TileTexts:
    """What a tile says in the interface language, and where its link goes."""

    language: str
    photo_url: str  # the album's URL + "/photos/": the photo's id follows
    key_query: str  # "?key=..." on the secret link, else ""
    untitled: str  # alt text of a photo without alt text or caption, with %(number)s
    not_public: str  # the badge staff see on photos kept from visitors


def srcset(images: tuple[Image, ...]) -> str:
    return ", ".join(f"{image.url} {image.width}w" for image in images)


def fitting(images: tuple[Image, ...], width: int) -> Image | None:
    """The smallest rendition at least `width` px wide, else the largest."""
    return next((i for i in images if i.width >= width), images[-1] if images else None)


def sizes_for(box_width: int) -> str:
    """How wide the box is drawn: a share of the column below the widest layout."""
    share = box_width / REFERENCE_WIDTH
    widest = REFERENCE_WIDTH + PAGE_PADDING
    return f"(max-width: {widest}px) calc((100vw - {PAGE_PADDING}px) * {share:.4f}), {box_width}px"


@lru_cache(maxsize=64)
def _rows(aspects: tuple[float, ...], target: int) -> tuple[tuple[Box, ...], ...]:
    # Albums change seldom and are viewed often: the same aspects give the same rows.
    items = [Item(str(n), n, aspect) for n, aspect in enumerate(aspects)]
    return tuple(tuple(row) for row in justify(items, REFERENCE_WIDTH, target, GAP))


@lru_cache(maxsize=16)
def album_grid(
    rows: tuple[tuple, ...], target_height: int, texts: TileTexts
) -> tuple[tuple[Markup, ...], ...]:
    """The album's photos (`site.album_card_rows`) in justified rows, as tile markup.

    Memoised on the rows themselves, which hold every value a tile shows: a popular album
    is built once until something on it changes, and a change can never be missed.
    """
    cards = [card_from_row(row) for row in rows]
    laid = _rows(tuple(round(card.aspect, 4) for card in cards), target_height)
    return tuple(
        tuple(tile_html(cards[_position(box)], box, texts, eager=number < 2) for box in row)
        for number, row in enumerate(laid)
    )


def _position(box: Box) -> int:
    """The card a box of `_rows` places: its items carry their position as the photo id."""
    assert box.photo_id is not None
    return box.photo_id


def tile_html(card: PhotoCard, box: Box, texts: TileTexts, *, eager: bool) -> Markup:
    """One photo of the grid: a link to its page around the image, number and caption.

    Markup made here rather than in album.html: Jinja escapes every value it prints, and
    for 500 photos that costs more than all the rest of the page (see bench/site.py).
    """
    image = fitting(card.images, box.width)
    caption = card.caption_in(texts.language)
    alt = card.alt_text or caption or texts.untitled % {"number": card.number}
    credit = f' data-credit="{escape(card.credit)}"' if card.credit else ""
    lazy = "" if eager else ' loading="lazy"'
    badge = "" if card.public else f'<span class="badge">{escape(texts.not_public)}</span>'
    below = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    href = escape(f"{texts.photo_url}{card.id}{texts.key_query}")
    return Markup(  # every value above is escaped (html.escape: plain str, quotes too)
        f'<figure class="tile" id="photo-{card.number}">'
        f'<a class="lightbox-link" href="{href}" data-label="{card.number}"{credit}>'
        f'<img src="{escape(image.url if image else "")}" srcset="{escape(srcset(card.images))}"'
        f' sizes="{sizes_for(box.width)}" width="{box.width}" height="{box.height}"'
        f' alt="{escape(alt)}"{lazy} decoding="async"></a>'
        f'<span class="number" aria-hidden="true">{card.number}</span>{badge}{below}</figure>'
    )


def largest(images: tuple[Image, ...]) -> Image | None:
    return images[-1] if images else None
