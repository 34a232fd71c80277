"""Marks: a pick or reject flag, 0-5 stars and a colour label, set by staff one keystroke
at a time or for many photos at once, and read from the files' XMP at import.

The one place that says what a mark may be: the API's models, the bulk edit and the
import all check values here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import Photo
from gallery.core.states import MAX_RATING, Label, Pick, choices
from gallery.ingest.xmp_marks import XmpMarks

MARKS = ("pick", "rating", "label")
RATING_RANGE = N_("rating must be a whole number from 0 to %(max)s")


def clean_marks(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The marks among `changes`, checked: pick and label a state or None (cleared),
    rating a whole number 0-5."""
    clean: dict[str, Any] = {}
    if "pick" in changes:
        clean["pick"] = _state(Pick, "pick", changes["pick"])
    if "label" in changes:
        clean["label"] = _state(Label, "label", changes["label"])
    if "rating" in changes:
        rating = changes["rating"]
        whole = isinstance(rating, int) and not isinstance(rating, bool)
        if not whole or not 0 <= rating <= MAX_RATING:
            raise InvalidInput(
                N_("rating must be a whole number from 0 to %(max)s"), max=MAX_RATING
            )
        clean["rating"] = rating
    return clean


def _state(states: type[Pick] | type[Label], name: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return states(value)
    except ValueError:
        raise InvalidInput(
            N_("%(field)s must be one of: %(choices)s, or null"),
            field=name,
            choices=choices(states),
        ) from None


def has_marks(photo: Photo) -> bool:
    return photo.pick is not None or bool(photo.rating) or photo.label is not None


def xmp_marks(photo: Photo) -> XmpMarks:
    """The photo's marks as XMP says them: a rejected photo is -1 stars (Bridge's and
    Lightroom's way: its stars are not written), a label by its English name."""
    rating = -1 if photo.pick == Pick.REJECT else photo.rating
    return XmpMarks(rating, photo.label.value.capitalize() if photo.label else None)
