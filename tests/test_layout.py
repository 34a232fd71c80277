"""The row geometry: every row fills the width to the pixel at one common height."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gallery.core.layout import (
    Item,
    exact_height,
    layout_row,
    layout_rows,
    split_width,
    total_height,
)

aspects = st.floats(min_value=0.25, max_value=4.0, allow_nan=False, allow_infinity=False)
rows_strategy = st.lists(st.lists(aspects, min_size=1, max_size=6), min_size=1, max_size=6)


def _items(row: list[float], prefix: str = "") -> list[Item]:
    return [Item(f"{prefix}{n}", n, aspect) for n, aspect in enumerate(row, start=1)]


@settings(max_examples=300, deadline=None)
@given(rows=rows_strategy, width=st.integers(200, 3000), gap=st.integers(0, 24))
def test_rows_fill_the_width_at_one_height_in_order(rows, width, gap):
    laid = layout_rows([_items(row, f"r{i}-") for i, row in enumerate(rows)], width, gap)
    assert len(laid) == len(rows)
    y = 0
    for i, (row, boxes) in enumerate(zip(rows, laid, strict=True)):
        assert [b.label for b in boxes] == [f"r{i}-{n}" for n in range(1, len(row) + 1)]
        assert len({b.height for b in boxes}) == 1  # one common height
        assert sum(b.width for b in boxes) + gap * (len(boxes) - 1) == width  # to the pixel
        assert boxes[0].x == 0 and boxes[-1].x + boxes[-1].width == width
        for left, right in zip(boxes, boxes[1:], strict=False):
            assert right.x == left.x + left.width + gap  # in the written order, gap apart
        assert all(b.y == y for b in boxes)
        y += boxes[0].height + gap
        exact = exact_height(row, width, gap)
        for box, aspect in zip(boxes, row, strict=True):
            # The aspect ratio holds up to rounding: the exact box is within 1 px each way.
            assert abs(box.width - aspect * exact) < 1
            assert abs(box.height - exact) <= 0.5
    assert total_height(laid) == y - gap


@given(parts=st.lists(st.floats(0.01, 100), min_size=1, max_size=20), total=st.integers(20, 5000))
def test_split_width_is_exact_and_within_one_pixel(parts, total):
    widths = split_width(parts, total)
    assert sum(widths) == total
    scale = total / sum(parts)
    assert all(abs(w - p * scale) < 1 for w, p in zip(widths, parts, strict=True))


def test_a_known_row():
    boxes = layout_row(_items([1.5, 1.5, 0.75]), 808, 8)
    # 792 px of photos over aspect 3.75: height 211.2, widths 316.8, 316.8, 158.4
    assert [(b.x, b.width, b.height) for b in boxes] == [
        (0, 317, 211),
        (325, 317, 211),
        (650, 158, 211),
    ]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        layout_row(_items([1.0, 0.0]), 800, 8)
    with pytest.raises(ValueError):
        layout_row(_items([1.0] * 5), 36, 8)  # 32 px of gaps leave 4 px for 5 photos
    with pytest.raises(ValueError):
        layout_rows([_items([1.0])], 0, 8)
    assert layout_rows([[], _items([2.0])], 100, 4)[0][0].height == 50
