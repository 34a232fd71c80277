"""The article body format, crops and problems: pure functions, no app."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery.articles.body import (
    Crop,
    Paragraph,
    PhotoFacts,
    Row,
    cropped_aspect,
    find_problems,
    label_number,
    parse_body,
    split_title,
)
from gallery.articles.edit import slugify
from gallery.config import load_config

SEED = Path(load_config()["CORPUS"]).parent / "seed" / "article-lv.txt"
SEED_ROWS = [("1", "2"), ("4", "5", "6"), ("3", "7", "8a"), ("14", "15", "16"), ("8b", "9", "10")]
SEED_ROWS += [("11", "12", "13")]


def test_seed_gives_title_seven_paragraphs_credit_and_rows_in_order():
    title, body = split_title(SEED.read_text(encoding="utf-8"))
    assert title.startswith("Daugavpils tehnikumā pulcējās viesi")
    blocks = parse_body(body)
    paragraphs = [b.text for b in blocks if isinstance(b, Paragraph)]
    assert len(paragraphs) == 8
    assert paragraphs[0].startswith("2019.\u00a0gada 3. un 4. decembrī")  # NBSP in text kept
    assert paragraphs[-1].startswith("Sagatavoja: ")
    assert [b.labels for b in blocks if isinstance(b, Row)] == SEED_ROWS
    kinds = "".join("R" if isinstance(b, Row) else "P" for b in blocks)
    assert kinds == "PRPRPRPRPRPRPP"  # rows stand between the paragraphs, as written


def test_rows_blank_lines_and_text_lines():
    body = (
        "Intro line\nsecond line\n\u00a0 \u00a0\n1\u00a0\u00a0 2\n3 8A\n\n\u200b\n2019\nsee 4 5\n"
    )
    assert parse_body(body) == [
        Paragraph("Intro line\nsecond line"),
        Row(("1", "2")),
        Row(("3", "8a")),
        Paragraph("2019\nsee 4 5"),  # a year is text; so is a line with words
    ]
    assert parse_body("\r\n\u00a0\r\n") == []


def test_title_split_and_labels():
    assert split_title("\n\u00a0\nTitle\n\nBody") == ("Title", "Body")
    assert label_number("8b") == 8 and label_number("12") == 12
    assert slugify("Daugavpils tehnikumā pulcējās viesi uz konferenci!") == (
        "daugavpils-tehnikuma-pulcejas-viesi-uz-konferenci"
    )


def test_crops():
    assert Crop.from_dict(None) is None
    rect = Crop.from_dict({"x": 0.5, "y": 0, "w": 0.5, "h": 1})
    assert cropped_aspect(1200, 800, rect) == pytest.approx(0.75)
    square = Crop.from_dict({"aspect": 1, "fx": 0.95, "fy": 0.5})
    assert square.rect(1200, 800) == pytest.approx((1 / 3, 0, 2 / 3, 1))  # clamped to the edge
    wide = Crop(aspect=3, fy=0.0)
    assert wide.rect(1200, 800) == pytest.approx((0, 0, 1, 0.5))
    for bad in ({"x": 0.8, "w": 0.5}, {"aspect": 0}, {"w": 0.001}, {"zoom": 2}):
        with pytest.raises(ValueError):
            Crop.from_dict(bad)


def _facts(photo_id, alt="alt", visible=True, crop=None):
    return PhotoFacts(photo_id, photo_id, alt, visible, crop)


def test_every_kind_of_problem_is_reported():
    blocks = parse_body("1 2 3 4 5\n\n6 6\n\n8a 8b\n\n9")
    assigned = {
        "1": _facts(1),
        "2": _facts(2, alt=""),
        "3": _facts(3, visible=False),
        "4": _facts(4),
        "5": _facts(5),
        "6": _facts(6),
        "8a": _facts(8),
        "8b": _facts(8),
        "7": _facts(7),
        "9": None,
    }
    found = {(p.code, p.label) for p in find_problems(blocks, assigned, max_row=4)}
    assert found == {
        ("row_too_wide", None),
        ("missing_alt", "2"),
        ("hidden_photo", "3"),
        ("duplicate_label", "6"),
        ("same_photo", "8b"),
        ("unplaced", "7"),
        ("unknown_label", "9"),
    }
    assigned["8b"] = _facts(8, crop=Crop(aspect=1.0))
    assert "same_photo" not in {p.code for p in find_problems(blocks, assigned, max_row=5)}
