"""Search as the API takes and shows it: the query string, and a page of hits (photos as
gallery.catalog.schemas shows them, with a score and a snippet) with its facets."""

from __future__ import annotations

from pydantic import Field

from gallery.catalog.schemas import Photo, StaffPhoto
from gallery.culling.schemas import FilterQuery
from gallery.search.query import MAX_QUERY_CHARS
from gallery.search.results import MAX_PER_PAGE, PER_PAGE
from gallery.web.contract import Output


class Search(FilterQuery):
    """Words, "phrases" and filters (album: year: camera: keyword: taken:); ?q= or ?album=
    must say what to look for. Staff may sift by culling's marks (rating, pick, label,
    tops, unused)."""

    q: str = Field("", max_length=MAX_QUERY_CHARS)
    album: str = Field("", max_length=120, description="only this album's photos")
    page: int = Field(1, ge=1)
    per_page: int = Field(PER_PAGE, ge=1, le=MAX_PER_PAGE)


class Hit(Photo):
    score: float
    snippet: str  # HTML: the caption's matching words in <mark>, the rest escaped


class StaffHit(StaffPhoto):
    score: float
    snippet: str


class FacetValue(Output):
    value: str
    label: str
    count: int
    selected: bool


class Results(Output):
    """A page of hits, the facets of all hits, and a suggestion when nothing matched."""

    query: str
    total: int
    page: int
    pages: int
    per_page: int
    hits: list[StaffHit | Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None
