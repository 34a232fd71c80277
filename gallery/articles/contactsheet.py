"""Contact sheets: A4 pages of numbered thumbnails with file name and time, to print and pick.

Pure Pillow, no Flask: photos in (number, file name, time, a rendition's path), pages out.
Each page is drawn once as a bitmap at 150 DPI (sharp enough for print, small enough to
mail) and saved twice: into one multi-page PDF and as a PNG per page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageDraw, ImageFont, ImageOps

logger = logging.getLogger(__name__)

DPI = 150
A4_MM = (210, 297)
PAGE = (round(A4_MM[0] / 25.4 * DPI), round(A4_MM[1] / 25.4 * DPI))  # (1240, 1754) px
MARGIN = 70  # px, about 12 mm: inside what every office printer can print
HEADER = 60
COLUMNS, ROWS = 4, 5
PER_PAGE = COLUMNS * ROWS
TEXT_LINES = 2
# Pillow's built-in font has no Latvian letters (ā, š...); DejaVu has, and Debian has it.
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)


@dataclass(frozen=True)
class SheetPhoto:
    number: int
    filename: str
    taken_at: str | None
    image: Path | None  # a rendition to draw; None draws an empty frame


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans at a pixel size, or Pillow's own font where DejaVu is missing."""
    for path in FONT_PATHS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    logger.warning("DejaVu Sans not found: contact sheets may lack Latvian letters")
    return ImageFont.load_default(size)


def page_count(photos: int) -> int:
    return max(1, math.ceil(photos / PER_PAGE))


def render_pages(title: str, photos: Sequence[SheetPhoto]) -> list[Image.Image]:
    """The sheets as RGB A4 bitmaps, PER_PAGE photos each, in the given order."""
    total = page_count(len(photos))
    pages = []
    for index in range(total):
        chunk = photos[index * PER_PAGE : (index + 1) * PER_PAGE]
        pages.append(_page(title, chunk, index + 1, total))
    return pages


def _page(title: str, photos: Sequence[SheetPhoto], number: int, total: int) -> Image.Image:
    page = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(page)
    draw.text((MARGIN, MARGIN), title, fill="black", font=font(30))
    draw.text(
        (PAGE[0] - MARGIN, MARGIN), f"{number} / {total}", fill="black", font=font(24), anchor="ra"
    )
    cell_w = (PAGE[0] - 2 * MARGIN) // COLUMNS
    cell_h = (PAGE[1] - 2 * MARGIN - HEADER) // ROWS
    for i, photo in enumerate(photos):
        left = MARGIN + (i % COLUMNS) * cell_w
        top = MARGIN + HEADER + (i // COLUMNS) * cell_h
        _cell(page, draw, photo, (left, top, cell_w, cell_h))
    return page


def _cell(
    page: Image.Image, draw: ImageDraw.ImageDraw, photo: SheetPhoto, box: tuple[int, ...]
) -> None:
    """One thumbnail, fitted into its cell, with the number above and the texts below."""
    left, top, width, height = box
    pad, line = 12, 22
    number_h = 40
    thumb_box = (width - 2 * pad, height - number_h - TEXT_LINES * line - 2 * pad)
    draw.text((left + pad, top + pad), str(photo.number), fill="black", font=font(32))
    frame = (left + pad, top + pad + number_h)
    thumb = _thumbnail(photo.image, thumb_box)
    if thumb is None:
        right, bottom = frame[0] + thumb_box[0], frame[1] + thumb_box[1]
        draw.rectangle((*frame, right, bottom), outline="#999")
    else:
        page.paste(thumb, frame)
    text_top = frame[1] + thumb_box[1] + 4
    for n, text in enumerate((photo.filename, _time(photo.taken_at))):
        fitted = _fit(draw, text, width - 2 * pad, font(18))
        draw.text((left + pad, text_top + n * line), fitted, fill="#333", font=font(18))


def _thumbnail(path: Path | None, size: tuple[int, int]) -> Image.Image | None:
    """The image scaled to fit `size` (kept proportions), or None if it cannot be read."""
    if path is None:
        return None
    try:
        with Image.open(path) as image:
            return ImageOps.contain(image.convert("RGB"), size)
    except OSError as exc:  # a missing rendition must not cost the whole sheet
        logger.warning("contact sheet: cannot read %s (%s)", path, exc)
        return None


def _time(taken_at: str | None) -> str:
    """`2019-12-03T14:03:09+02:00` -> `2019-12-03 14:03:09`."""
    return (taken_at or "").replace("T", " ")[:19] or "-"


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, face) -> str:
    """The text, cut with an ellipsis in the middle when it is wider than `width`."""
    if draw.textlength(text, font=face) <= width:
        return text
    keep = len(text)
    while keep > 4:
        keep -= 1
        cut = text[: keep // 2] + "…" + text[len(text) - keep // 2 :]
        if draw.textlength(cut, font=face) <= width:
            return cut
    return text[:4]


def save_pdf(pages: Sequence[Image.Image], out: Path | BinaryIO) -> None:
    """One multi-page PDF whose pages are A4 (the bitmap's size at DPI)."""
    first, *rest = pages
    first.save(out, "PDF", save_all=True, append_images=rest, resolution=DPI, quality=90)


def save_pngs(pages: Sequence[Image.Image], pdf_path: Path) -> list[Path]:
    """A PNG per page beside the PDF: `sheet.pdf` -> `sheet-1.png`, `sheet-2.png`..."""
    paths = []
    for number, page in enumerate(pages, start=1):
        path = pdf_path.with_name(f"{pdf_path.stem}-{number}.png")
        page.save(path, "PNG", dpi=(DPI, DPI), optimize=True)
        paths.append(path)
    return paths


def write_contact_sheet(title: str, photos: Sequence[SheetPhoto], pdf_path: Path) -> list[Path]:
    """The PDF and its PNG pages; returns every file written, the PDF first."""
    pages = render_pages(title, photos)
    save_pdf(pages, pdf_path)
    return [pdf_path, *save_pngs(pages, pdf_path)]
