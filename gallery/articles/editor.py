"""What the article editor draws from one answer: the staff article, each label's crop,
photo size and small renditions, and the layout at the reference column width.

No Flask here: the API views pass the settings in.
"""

from __future__ import annotations

from gallery.articles.read import (
    article_to_dict,
    layout_dict,
    layout_for,
    placement,
)
from gallery.core import visibility as seeing
from gallery.core.media import rendition_url
from gallery.core.models import Article, ArticlePhoto

PREVIEW_EDGE = 640  # px: the editor's boxes use the renditions up to this size (320, 640)


def editor_answer(article: Article, *, width: int, gap: int, max_row: int) -> dict:
    """`{"article": staff article + drawing facts per label, "layout": rows of boxes}`."""
    data = article_to_dict(article, staff=True, max_row=max_row)
    for assigned in article.photos:
        data["labels"][assigned.label].update(label_drawing(assigned))
    try:
        layout = layout_dict(article, layout_for(article, width, gap), width, gap)
    except ValueError as exc:  # a row of a hundred photos cannot be drawn: say so
        layout = {**layout_dict(article, [], width, gap), "error": str(exc)}
    return {"article": data, "layout": layout}


def label_drawing(assigned: ArticlePhoto) -> dict:
    """The crop as (x, y, w, h) fractions, the photo's size, alt text, whether visitors
    may see it, and its renditions up to PREVIEW_EDGE (for srcset); {} without a photo."""
    shown = placement(assigned)
    if shown is None:
        return {}
    photo = shown.photo
    ladder = sorted(photo.renditions, key=lambda r: r.width)
    small = [r for r in ladder if max(r.width, r.height) <= PREVIEW_EDGE] or ladder[:1]
    return {
        "rect": list(shown.rect),
        "aspect": shown.aspect,
        "width": photo.width,
        "height": photo.height,
        "alt_text": photo.alt_text,
        "visible": seeing.is_publishable(photo),
        "renditions": [
            {"url": rendition_url(photo.sha256, r.name, r.format), "width": r.width} for r in small
        ],
    }
