"""An article's body: paragraphs and rows of photo labels; crops; the problems an editor sees.

Pure functions over text and plain values (no Flask, no database). The body format is the
one of `seed/article-lv.txt`: blank lines separate paragraphs; a line whose tokens are all
labels (`7`, `8a`) is one row of the photo grid; lines of only whitespace (spaces, and the
non-breaking spaces that text copied from web pages is full of) are nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gallery.core.errors import InvalidInput
from gallery.core.messages import N_, Message

# At most three digits: a line reading "2019" is a year in the text, not photo 2019.
LABEL = re.compile(r"[0-9]{1,3}[a-z]?", re.IGNORECASE)
# Zero-width characters that pasted web text carries; they are as blank as a space.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), " ")
_MIN_CROP = 0.01  # a crop smaller than 1 % of the photo's side is a slip of the mouse


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Row:
    labels: tuple[str, ...]


Block = Paragraph | Row


@dataclass(frozen=True)
class Problem:
    """Something the editor must see: a code for programs, words for people."""

    code: str
    words: Message
    label: str | None = None

    @property
    def message(self) -> str:
        """The words in English (the command line, the API)."""
        return str(self.words)

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "label": self.label}


@dataclass(frozen=True)
class PhotoFacts:
    """What the problem check needs to know about the photo behind a label."""

    photo_id: int
    number: int
    alt_text: str
    visible: bool  # a visitor may see it (public photo in a public or unlisted album)
    crop: Crop | None = None


def normalize_label(token: str) -> str | None:
    """The label a token spells (`8A` -> `8a`), or None if it is not one."""
    token = token.strip()
    return token.lower() if LABEL.fullmatch(token) else None


def label_number(label: str) -> int:
    """The photo number a label names by default: `8b` -> 8."""
    return int(label.rstrip("abcdefghijklmnopqrstuvwxyz"))


def _row_labels(line: str) -> tuple[str, ...] | None:
    """The labels of a photo row line, or None if the line is text."""
    labels = []
    for token in line.split():
        label = normalize_label(token)
        if label is None:
            return None
        labels.append(label)
    return tuple(labels) or None


def parse_body(text: str) -> list[Block]:
    """Paragraphs and rows in their written order."""
    blocks: list[Block] = []
    lines: list[str] = []

    def end_paragraph() -> None:
        if lines:
            blocks.append(Paragraph("\n".join(lines)))
            lines.clear()

    for raw in clean_newlines(text).split("\n"):
        line = raw.translate(_INVISIBLE)
        if not line.strip():  # str.strip() also removes U+00A0
            end_paragraph()
        elif (labels := _row_labels(line)) is not None:
            end_paragraph()
            blocks.append(Row(labels))
        else:
            lines.append(line.strip())
    end_paragraph()
    return blocks


def clean_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_title(text: str) -> tuple[str, str]:
    """The first non-blank line (the title) and the rest (the body)."""
    lines = clean_newlines(text).translate(_INVISIBLE).split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            return line.strip(), "\n".join(lines[i + 1 :]).strip("\n")
    return "", ""


def rows(blocks: Sequence[Block]) -> list[Row]:
    return [block for block in blocks if isinstance(block, Row)]


def placed_labels(blocks: Sequence[Block]) -> list[str]:
    """Every label in the rows, in reading order, repeats included."""
    return [label for row in rows(blocks) for label in row.labels]


@dataclass(frozen=True)
class Crop:
    """A rectangle in fractions of the photo (x, y, w, h), or an aspect ratio w/h kept
    around a focal point (fx, fy); fractions keep a crop valid for every rendition size."""

    x: float = 0.0
    y: float = 0.0
    w: float = 1.0
    h: float = 1.0
    aspect: float | None = None
    fx: float = 0.5
    fy: float = 0.5

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Crop | None:
        """A checked crop from its JSON form; ValueError says what is wrong."""
        if not data:
            return None
        unknown = set(data) - {"x", "y", "w", "h", "aspect", "fx", "fy"}
        if unknown:
            names = ", ".join(sorted(unknown))
            raise InvalidInput(N_("unknown crop fields: %(names)s"), names=names)
        crop = cls(**{key: float(value) for key, value in data.items()})
        crop.check()
        return crop

    def check(self) -> None:
        if self.aspect is not None:
            if not 0.1 <= self.aspect <= 10 or not (0 <= self.fx <= 1 and 0 <= self.fy <= 1):
                raise InvalidInput(N_("a crop's aspect must be 0.1-10 and its focal point 0-1"))
            return
        inside = self.x >= 0 and self.y >= 0 and self.x + self.w <= 1 + 1e-9
        if not (inside and self.y + self.h <= 1 + 1e-9 and min(self.w, self.h) >= _MIN_CROP):
            raise InvalidInput(N_("a crop rectangle must lie inside the photo (fractions 0-1)"))

    def to_dict(self) -> dict:
        if self.aspect is not None:
            return {"aspect": self.aspect, "fx": self.fx, "fy": self.fy}
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}

    def rect(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The crop as (x, y, w, h) fractions of a width x height photo."""
        if self.aspect is None:
            return self.x, self.y, self.w, self.h
        photo_aspect = width / height
        if self.aspect < photo_aspect:  # narrower than the photo: cut the sides
            w = self.aspect / photo_aspect
            return _clamp(self.fx - w / 2, 1 - w), 0.0, w, 1.0
        h = photo_aspect / self.aspect  # wider: cut top and bottom
        return 0.0, _clamp(self.fy - h / 2, 1 - h), 1.0, h


def _clamp(value: float, most: float) -> float:
    return min(max(value, 0.0), most)


def cropped_aspect(width: int, height: int, crop: Crop | None) -> float:
    """The aspect ratio w/h the photo shows with this crop."""
    if crop is None:
        return width / height
    _x, _y, w, h = crop.rect(width, height)
    return (w * width) / (h * height)


def find_problems(
    blocks: Sequence[Block], assigned: Mapping[str, PhotoFacts | None], max_row: int
) -> list[Problem]:
    """Every problem, in reading order: nothing wrong is ever left out silently."""
    placed = placed_labels(blocks)
    found = [*_row_problems(blocks, max_row), *_label_problems(placed, assigned)]
    found += [
        Problem(
            "unplaced",
            _said(N_("%(label)s is assigned a photo but stands in no row"), label=label),
            label,
        )
        for label in assigned
        if label not in placed
    ]
    return found + _same_photo_problems(placed, assigned)


def _row_problems(blocks: Sequence[Block], max_row: int) -> list[Problem]:
    return [
        Problem(
            "row_too_wide",
            _said(
                N_(
                    "row %(row)s (%(labels)s) has %(count)s photos; "
                    "more than %(max)s are too small to read"
                ),
                row=n,
                labels=" ".join(row.labels),
                count=len(row.labels),
                max=max_row,
            ),
        )
        for n, row in enumerate(rows(blocks), start=1)
        if len(row.labels) > max_row
    ]


def _label_problems(
    placed: Sequence[str], assigned: Mapping[str, PhotoFacts | None]
) -> list[Problem]:
    found = []
    for label, count in Counter(placed).items():
        if count > 1:
            places = _said(N_("%(label)s stands in %(count)s places"), label=label, count=count)
            found.append(Problem("duplicate_label", places, label))
        facts = assigned.get(label)
        if facts is None:
            unknown = _said(N_("%(label)s is not assigned a photo"), label=label)
            found.append(Problem("unknown_label", unknown, label))
            continue
        if not facts.visible:
            text = N_("%(label)s (photo %(number)s) is not public: visitors will not see it")
            found.append(
                Problem("hidden_photo", _said(text, label=label, number=facts.number), label)
            )
        if not facts.alt_text.strip():
            text = N_("%(label)s (photo %(number)s) has no alt text")
            found.append(
                Problem("missing_alt", _said(text, label=label, number=facts.number), label)
            )
    return found


def _same_photo_problems(
    placed: Sequence[str], assigned: Mapping[str, PhotoFacts | None]
) -> list[Problem]:
    """Two labels showing the same photo with the same crop (8a, 8b before any crop)."""
    seen: dict[tuple, str] = {}
    found = []
    for label in dict.fromkeys(placed):
        facts = assigned.get(label)
        if facts is None:
            continue
        key = (facts.photo_id, facts.crop)
        if key in seen:
            text = N_(
                "%(first)s and %(label)s show photo %(number)s the same way: crop or reassign one"
            )
            same = _said(text, first=seen[key], label=label, number=facts.number)
            found.append(Problem("same_photo", same, label))
        else:
            seen[key] = label
    return found


def _said(text: str, **values: object) -> Message:
    return Message(text, values)


# Letters only Latvian writes, and its commonest short words: enough to tell a Latvian
# article from an English one (the only two the interface speaks).
_LATVIAN_LETTERS = set("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")
_LATVIAN_WORDS = {"un", "ar", "uz", "par", "no", "ir", "kā", "arī", "bet", "kas", "tika", "gada"}
_ENGLISH_WORDS = {"the", "and", "of", "to", "in", "is", "was", "with", "for", "on", "at", "by"}


def text_language(text: str) -> str:
    """ "lv" or "en": the language a text is written in, by its letters and commonest words
    (names with Latvian letters in an English text do not outweigh its words)."""
    words = re.findall(r"\w+", text.lower())
    latvian = (
        sum(word in _LATVIAN_WORDS for word in words)
        + sum(any(ch in _LATVIAN_LETTERS for ch in word) for word in words) / 2
    )
    english = sum(word in _ENGLISH_WORDS for word in words)
    return "en" if english > latvian else "lv"
