"""Which photos staff want to see while culling: by stars, flag, label, stack and use.

One filter for every list of photos staff see (the album grid, the article editor's
picker, the contact sheet, the API's lists and search): a set of SQL conditions on
photos, parsed from the same query arguments everywhere (`rating=3&pick=pick&label=red&
tops=1&unused=1`). Visitors' lists never filter by marks: that would tell them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import ArticlePhoto, Photo
from gallery.core.states import MAX_RATING, Label, Pick, choices
from gallery.culling.marks import RATING_RANGE

NONE = "none"  # pick=none: unflagged; label=none: no label
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class PhotoFilter:
    rating: int = 0  # at least this many stars (0: any)
    pick: str = ""  # "pick", "reject", "none" (unflagged), "" (any)
    label: str = ""  # a colour, "none", "" (any)
    tops: bool = False  # only one photo per stack (its top) and the photos in none
    unused: bool = False  # only photos no article shows yet

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on `Photo` that keep what this filter keeps."""
        found: list[ColumnElement[bool]] = []
        if self.rating:
            found.append(Photo.rating >= self.rating)
        if self.pick:
            found.append(Photo.pick.is_(None) if self.pick == NONE else Photo.pick == self.pick)
        if self.label:
            found.append(Photo.label.is_(None) if self.label == NONE else Photo.label == self.label)
        if self.tops:
            found.append(Photo.stack_id.is_(None) | Photo.stack_top.is_(True))
        if self.unused:
            found.append(~exists(select(ArticlePhoto.id).where(ArticlePhoto.photo_id == Photo.id)))
        return found

    def keeps(self, photo: Photo, used: bool) -> bool:
        """The same rule for a photo in hand (`used`: an article shows it)."""
        return (
            photo.rating >= self.rating
            and (not self.pick or (photo.pick or NONE) == self.pick)
            and (not self.label or (photo.label or NONE) == self.label)
            and (not self.tops or photo.stack_id is None or photo.stack_top)
            and (not self.unused or not used)
        )

    def arguments(self) -> dict[str, str]:
        """The query arguments that make this filter again (for links and forms)."""
        found = {"rating": str(self.rating) if self.rating else ""}
        found.update(pick=self.pick, label=self.label)
        found.update(tops="1" if self.tops else "", unused="1" if self.unused else "")
        return {name: value for name, value in found.items() if value}


def parse(args: Mapping[str, Any]) -> PhotoFilter:
    """A filter from query arguments (missing or empty ones keep everything)."""
    rating = str(args.get("rating") or "0")
    if not rating.isdigit() or int(rating) > MAX_RATING:
        raise InvalidInput(RATING_RANGE, max=MAX_RATING)
    pick = str(args.get("pick") or "")
    if pick and pick not in (*Pick, NONE):
        raise InvalidInput(
            N_("%(field)s must be one of: %(choices)s"), field="pick", choices=_with_none(Pick)
        )
    label = str(args.get("label") or "")
    if label and label not in (*Label, NONE):
        raise InvalidInput(
            N_("%(field)s must be one of: %(choices)s"), field="label", choices=_with_none(Label)
        )
    return PhotoFilter(int(rating), pick, label, _flag(args, "tops"), _flag(args, "unused"))


def _flag(args: Mapping[str, Any], name: str) -> bool:
    value = args.get(name)
    return value is True or str(value or "").lower() in _TRUE


def _with_none(states: type[Pick] | type[Label]) -> str:
    return f"{choices(states)}, {NONE}"
