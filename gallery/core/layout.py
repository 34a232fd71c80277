"""Row geometry of an article's photo grid: aspect ratios in, integer pixel boxes out.

Pure functions, no Flask and no database. Every row gets one common integer height and
widths that, with the gaps, add up to the column width exactly: the fractions lost to
rounding are handed out by the largest-remainder method, so no photo is off by more than
one pixel from its exact width and the row never ends a pixel short or long.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Item:
    """One photo to place: its label, its photo's id and its (cropped) aspect ratio w/h."""

    label: str
    photo_id: int | None
    aspect: float


@dataclass(frozen=True)
class Box:
    """Where one photo goes, in integer pixels from the grid's top left corner."""

    label: str
    photo_id: int | None
    x: int
    y: int
    width: int
    height: int

    def to_dict(self) -> dict:
        return asdict(self)


def exact_height(aspects: Sequence[float], width: int, gap: int) -> float:
    """The one height at which these aspect ratios plus the gaps fill `width` exactly."""
    return (width - gap * (len(aspects) - 1)) / sum(aspects)


def split_width(parts: Sequence[float], total: int) -> list[int]:
    """Integers proportional to `parts` that add up to `total` (largest remainder first)."""
    scale = total / sum(parts)
    exact = [part * scale for part in parts]
    widths = [math.floor(value) for value in exact]
    short = total - sum(widths)
    # Ties go to the earlier photo, so the result is deterministic.
    by_remainder = sorted(range(len(exact)), key=lambda i: (widths[i] - exact[i], i))
    for i in by_remainder[:short]:
        widths[i] += 1
    return widths


def layout_row(items: Sequence[Item], width: int, gap: int, y: int = 0) -> list[Box]:
    """One row at one common height, filling `width` to the pixel."""
    if not items:
        return []
    aspects = [item.aspect for item in items]
    if any(not math.isfinite(a) or a <= 0 for a in aspects):
        raise ValueError(f"aspect ratios must be positive numbers, not {aspects}")
    inner = width - gap * (len(items) - 1)
    if inner < len(items):
        raise ValueError(f"a row of {len(items)} photos does not fit in {width} px")
    height = max(1, math.floor(exact_height(aspects, width, gap) + 0.5))
    boxes, x = [], 0
    for item, box_width in zip(items, split_width(aspects, inner), strict=True):
        boxes.append(Box(item.label, item.photo_id, x, y, box_width, height))
        x += box_width + gap
    return boxes


def layout_rows(rows: Sequence[Sequence[Item]], width: int, gap: int) -> list[list[Box]]:
    """Rows in their written order, stacked with `gap` between them; empty rows are skipped."""
    if width <= 0 or gap < 0:
        raise ValueError("the width must be positive and the gap not negative")
    laid: list[list[Box]] = []
    y = 0
    for items in rows:
        boxes = layout_row(items, width, gap, y)
        if boxes:
            laid.append(boxes)
            y += boxes[0].height + gap
    return laid


def total_height(rows: Sequence[Sequence[Box]]) -> int:
    """The grid's height: the last row's bottom edge (0 without rows)."""
    return rows[-1][0].y + rows[-1][0].height if rows else 0
