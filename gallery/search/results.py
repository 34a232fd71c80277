"""A search as people see it: the index's hits checked against the database, with snippets."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.core.models import Photo
from gallery.culling.filters import PhotoFilter
from gallery.search.documents import album_titles, found_photos
from gallery.search.engine import DAMAGE, RawResults, SearchIndex
from gallery.search.highlight import snippet
from gallery.search.latvian import fold
from gallery.search.limits import UNLIMITED, Budget, bound
from gallery.search.query import ParsedQuery
from gallery.search.schema import analyzed
from gallery.search.searching import FACET_VALUES

log = logging.getLogger(__name__)

PER_PAGE = 24
MAX_PER_PAGE = 100
FILTERED_HITS = 2000  # a staff search filtered by culling's marks sifts this many best hits


@dataclass(frozen=True)
class Hit:
    photo: Photo
    score: float
    snippet: Markup

    @property
    def photo_id(self) -> int:
        return self.photo.id

    @property
    def album(self) -> str:
        return self.photo.album.slug


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Results:
    query: ParsedQuery
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: ParsedQuery | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def run_search(
    index: SearchIndex,
    session: Session,
    parsed: ParsedQuery,
    page: int = 1,
    per_page: int = PER_PAGE,
    *,
    staff: bool = False,
    wait: float | None = 0.0,
    only: PhotoFilter | None = None,
    budget: Budget = UNLIMITED,
) -> Results:
    """One page of photos for a query; visitors see only what the database says they may;
    staff may keep only what culling's filter keeps (`only`). The query is bounded first
    (gallery.search.limits: TooManyWords), and the index's part of the work by `budget`
    (SearchTimeout)."""
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    if parsed.is_empty:
        return Results(parsed, 0, page, per_page)
    schema = index.schema()
    parsed = bound(parsed, lambda field, text: analyzed(schema, field, text))
    if staff and only is not None and only.active:
        raw = _sifted(index, session, parsed, page, per_page, wait, only, budget)
    else:
        raw = _raw(index, parsed, page, per_page, staff, wait, budget)
    photos = found_photos(session, [h.photo_id for h in raw.hits], staff=staff)
    stale = [h.photo_id for h in raw.hits if h.photo_id not in photos]
    if stale:  # the index lags the database (say, a bulk change): hide them, mend it
        log.info("search hits no longer visible or present: %s", stale)
        index.submit(upsert=stale)
    terms = query_terms(index, parsed)
    analyzer = index.schema()["text"].analyzer
    hits = [
        Hit(photos[h.photo_id], h.score, _snippet(photos[h.photo_id], terms, analyzer))
        for h in raw.hits
        if h.photo_id in photos
    ]
    facets = _facets(session, parsed, raw)
    return Results(parsed, raw.total - len(stale), page, per_page, hits, facets, raw.suggestion)


def _sifted(
    index, session, parsed, page, per_page, wait, only: PhotoFilter, budget: Budget
) -> RawResults:
    """One page of the best FILTERED_HITS hits that the filter keeps, in the index's order:
    marks change by the keystroke, so they are the database's to say, not the index's."""
    every = _raw(index, parsed, 1, FILTERED_HITS, True, wait, budget)
    ids = [hit.photo_id for hit in every.hits]
    kept: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(Photo.id).where(Photo.id.in_(chunk), *only.conditions())
        kept.update(session.scalars(query))
    hits = [hit for hit in every.hits if hit.photo_id in kept]
    shown = hits[(page - 1) * per_page : page * per_page]
    return RawResults(len(hits), shown, every.facets, every.suggestion)


def _raw(index, parsed, page, per_page, staff, wait, budget: Budget) -> RawResults:
    options = {"page": page, "per_page": per_page, "staff": staff, "wait": wait, "budget": budget}
    try:
        return index.search(parsed, **options)
    except DAMAGE as exc:
        log.error("search index damaged while searching (%s); rebuilding it", exc)
        index.recover()
        return index.search(parsed, **options)


def query_terms(index: SearchIndex, parsed: ParsedQuery) -> set[str]:
    """The analysed words of the query, to mark in snippets."""
    schema = index.schema()
    texts = (*parsed.words, *parsed.phrases)
    return {term for text in texts for term in analyzed(schema, "text", text)}


def _snippet(photo: Photo, terms: set[str], analyzer) -> Markup:
    texts = [photo.caption, photo.caption_en, photo.title, photo.title_en, photo.alt_text]
    return snippet(texts, terms, analyzer)


def _facets(session: Session, parsed: ParsedQuery, raw: RawResults) -> dict:
    titles = album_titles(session, raw.facets.get("album", {}))
    out: dict[str, list[FacetValue]] = {}
    for name, counts in raw.facets.items():
        chosen = {fold(value.lower()) for value in parsed.values(name)}
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_VALUES]
        if name == "year":
            ranked.sort(reverse=True)
        out[name] = [
            FacetValue(
                value=value,
                label=titles.get(value, value) if name == "album" else value,
                count=count,
                selected=fold(value.lower()) in chosen,
            )
            for value, count in ranked
        ]
    return out
