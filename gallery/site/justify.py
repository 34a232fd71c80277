"""Justified rows for an album page: where each row breaks, and the boxes of every photo.

Pure functions, no Flask and no database. The rows are filled greedily in album order:
photos join a row while the row, scaled to fill the width, would still be taller than
the target height; at the first photo that brings it to or below the target, the row
ends with or without that photo, whichever height is nearer the target (by ratio). Every
row but the last fills the width to the pixel at one common height (`layout.layout_row`);
the last row keeps the target height and is left short rather than blown up.
static/justified.js runs the same rule in the browser at the page's real width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gallery.core.layout import Box, Item, layout_row


def row_height(aspects: Sequence[float], width: int, gap: int) -> float:
    """The height at which these photos and the gaps between them fill `width` (0: no fit)."""
    inner = width - gap * (len(aspects) - 1)
    return inner / sum(aspects) if inner >= len(aspects) else 0.0


def _nearer(candidate: float, other: float, target: float) -> bool:
    """Whether `candidate` is at least as near the target height as `other`, by ratio."""
    if candidate <= 0:
        return False
    return abs(math.log(candidate / target)) <= abs(math.log(other / target))


def break_rows(aspects: Sequence[float], width: int, target: float, gap: int) -> list[range]:
    """The photos of each row as index ranges, greedily (see the module's docstring)."""
    if width <= 0 or gap < 0 or target <= 0:
        raise ValueError("width and target must be positive, the gap not negative")
    if any(not math.isfinite(a) or a <= 0 for a in aspects):
        raise ValueError("aspect ratios must be positive numbers")
    rows: list[range] = []
    start = 0
    for end in range(1, len(aspects) + 1):
        with_it = row_height(aspects[start:end], width, gap)
        if with_it > target:
            continue  # still too tall: the row takes more photos
        without = row_height(aspects[start : end - 1], width, gap) if end - 1 > start else 0.0
        if without and not _nearer(with_it, without, target):
            rows.append(range(start, end - 1))
            start = end - 1
            # The photo left over starts the next row, which may already be full.
            if row_height(aspects[start:end], width, gap) <= target:
                rows.append(range(start, end))
                start = end
        else:
            rows.append(range(start, end))
            start = end
    if start < len(aspects):
        rows.append(range(start, len(aspects)))
    return rows


def _short_row(items: Sequence[Item], height: int, gap: int, y: int) -> list[Box]:
    """A row left at `height`, not stretched to the width: each photo at its own aspect."""
    boxes, x = [], 0
    for item in items:
        box_width = max(1, round(item.aspect * height))
        boxes.append(Box(item.label, item.photo_id, x, y, box_width, height))
        x += box_width + gap
    return boxes


def justify(items: Sequence[Item], width: int, target: float, gap: int) -> list[list[Box]]:
    """Every photo's box, row by row, from the top left corner of a grid `width` wide."""
    aspects = [item.aspect for item in items]
    laid: list[list[Box]] = []
    y = 0
    for row in break_rows(aspects, width, target, gap):
        chosen = [items[i] for i in row]
        last = row.stop == len(aspects)
        if last and row_height(aspects[row.start : row.stop], width, gap) > target:
            boxes = _short_row(chosen, max(1, round(target)), gap, y)
        else:
            boxes = layout_row(chosen, width, gap, y)
        laid.append(boxes)
        y += boxes[0].height + gap
    return laid
