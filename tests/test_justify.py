"""Justified album rows: greedy breaks, full rows to the pixel, a last row left short."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gallery.core.layout import Item
from gallery.site.justify import break_rows, justify, row_height

aspects_lists = st.lists(st.floats(min_value=0.2, max_value=6.0), min_size=1, max_size=60)


def _items(aspects: list[float]) -> list[Item]:
    return [Item(str(n), n, aspect) for n, aspect in enumerate(aspects)]


def test_landscapes_fill_rows_of_the_nearest_height():
    rows = break_rows([1.5] * 10, width=1000, target=200, gap=0)
    # 3 photos: 222 px high; 4 photos: 167 px. 222 is nearer 200 by ratio.
    assert [len(row) for row in rows] == [3, 3, 3, 1]
    laid = justify(_items([1.5] * 10), width=1000, target=200, gap=0)
    assert [box.height for box in laid[0]] == [222, 222, 222]
    assert laid[-1] == [laid[-1][0]] and laid[-1][0].height == 200
    assert laid[-1][0].width == 300  # the last photo is not blown up to the full width


def test_a_panorama_wider_than_the_column_gets_a_row_of_its_own():
    rows = break_rows([1.5, 1.5, 10.0, 1.5], width=1000, target=200, gap=4)
    assert [list(row) for row in rows] == [[0, 1], [2], [3]]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        break_rows([1.0, 0.0], 100, 50, 0)
    with pytest.raises(ValueError):
        break_rows([1.0], 0, 50, 0)


@given(aspects_lists, st.integers(200, 2000), st.integers(60, 400), st.integers(0, 12))
def test_rows_keep_order_and_fill_the_width(aspects, width, target, gap):
    laid = justify(_items(aspects), width, target, gap)
    placed = [box.photo_id for row in laid for box in row]
    assert placed == list(range(len(aspects)))  # every photo once, in album order
    for number, row in enumerate(laid):
        assert len({box.height for box in row}) == 1  # one height per row
        right = row[-1].x + row[-1].width
        if number < len(laid) - 1:
            assert right == width  # full rows end on the last pixel
        else:
            assert right <= width or len(row) == 1
        # Aspect ratios kept: the height is rounded to a whole pixel, widths follow it.
        assert all(
            abs(b.width - b.height * aspects[b.photo_id]) <= 1 + aspects[b.photo_id] for b in row
        )


@given(aspects_lists, st.integers(200, 2000), st.integers(60, 400), st.integers(0, 12))
def test_each_break_is_the_nearer_of_its_two_choices(aspects, width, target, gap):
    rows = break_rows(aspects, width, target, gap)
    for row in rows[:-1]:
        height = row_height(aspects[row.start : row.stop], width, gap)
        shorter = row_height(aspects[row.start : row.stop + 1], width, gap)
        if height > target:  # ended before the photo that would have made it too low
            assert shorter <= target
            assert shorter <= 0 or abs(math.log(height / target)) < abs(math.log(shorter / target))
        elif len(row) > 1:  # ended with the photo that brought it to or below the target
            taller = row_height(aspects[row.start : row.stop - 1], width, gap)
            assert taller > target
            assert abs(math.log(height / target)) <= abs(math.log(taller / target))
