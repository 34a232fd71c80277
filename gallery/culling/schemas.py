"""Culling as the API takes and shows it: filters, stacks, near-duplicates, shortcuts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gallery.core.states import MAX_RATING
from gallery.culling.filters import PhotoFilter
from gallery.culling.shortcuts import CODE, MAX_TEXT
from gallery.web.contract import Id, Input, Output, Query, documented

FilterPick = Literal["pick", "reject", "none"]
FilterLabel = Literal["red", "yellow", "green", "blue", "purple", "none"]


class FilterQuery(Query):
    """Staff's filter of a list of photos (visitors' lists are never filtered by marks)."""

    rating: int = Field(0, ge=0, le=MAX_RATING, description="at least this many stars")
    pick: FilterPick | None = Field(None, description="picks, rejects, or none (unflagged)")
    label: FilterLabel | None = Field(None, description="a colour label, or none")
    tops: bool = Field(False, description="one photo per stack: its top")
    unused: bool = Field(False, description="only photos no article uses yet")

    def photo_filter(self) -> PhotoFilter:
        return PhotoFilter(self.rating, self.pick or "", self.label or "", self.tops, self.unused)


class DuplicateRef(Output):
    photo_id: int  # the earlier photo this one duplicates
    distance: int  # hash bits apart


class StackOut(Output):
    top: int  # the photo shown for the stack
    photos: list[int]  # every photo of the stack, in album order
    suggested: int  # the best-scored photo (sharp, well exposed): a hint
    chosen: bool  # staff chose the top (else it is the suggestion)


class StackList(Output):
    stacks: list[StackOut]


class StackPhotos(Input):
    """Photos to stack together (merge) or take out of their stacks (split)."""

    photos: Annotated[list[Id], Field(min_length=1)]


class TopChoice(Input):
    photo_id: Id


class NearDuplicateOut(Output):
    photo_id: int  # the later photo
    duplicate_of: int  # the earlier photo it shows again
    distance: int  # perceptual-hash bits apart


class NearDuplicateList(Output):
    near_duplicates: list[NearDuplicateOut]


class NearDuplicatesQuery(Query):
    album: str | None = Field(None, max_length=120, description="only pairs touching it")
    dismissed: bool = Field(False, description="the pairs staff said are not duplicates")


class Dismissal(Input):
    photo_id: Id
    duplicate_of: Id


class Shortcut(Output):
    id: int
    code: str
    text: str


class ShortcutList(Output):
    shortcuts: list[Shortcut]


class NewShortcut(Input):
    code: Annotated[str, documented(pattern=f"^{CODE.pattern}$")]  # =dt=
    text: Annotated[str, Field(max_length=MAX_TEXT), documented(pattern=r"\S")]
