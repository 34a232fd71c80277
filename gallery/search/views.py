"""Search on the web: the search page with facets, and GET /api/v1/search."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, render_template, request, url_for

from gallery.accounts.auth import is_staff
from gallery.catalog.albums import newest_album
from gallery.catalog.representations import photo_fields
from gallery.core.db import get_session
from gallery.core.errors import Refusal
from gallery.core.messages import N_
from gallery.core.visibility import VISITOR
from gallery.search import schemas
from gallery.search import service as search
from gallery.search.query import MAX_QUERY_CHARS, ParsedQuery
from gallery.search.results import Results
from gallery.web.contract import operation
from gallery.web.pagecache import visitor_page

bp = Blueprint("search", __name__)
api = Blueprint("search_api", __name__, url_prefix="/api/v1")

FACET_NAMES = ("album", "year", "keyword", "camera")  # in the order the page shows them


@bp.get("/search")
def page():
    # Kept for visitors like the other pages, and per state of the index, which takes in
    # each commit a moment after the database.
    return visitor_page(_page, signed_in=is_staff(), also=search.get_index().generation())


def _page() -> str:
    text = request.args.get("q", "")[:MAX_QUERY_CHARS]
    number = request.args.get("page", 1, type=int) or 1
    results = None
    if text.strip():
        with _charged():
            results = search.search(get_session(), text, page=number, staff=is_staff())
    return render_template(
        "search.html", q=text, results=results, facet_names=FACET_NAMES, link=_link
    )


def _link(query: ParsedQuery, page: int = 1) -> str:
    """The search page for a query (a facet clicked, a suggestion, another page)."""
    return url_for("search.page", q=query.text(), page=page if page > 1 else None)


@contextmanager
def _charged() -> Iterator[None]:
    """A search within its asker's share of search time (429 beyond it), charged after."""
    rates, address = search.client_rates(), request.remote_addr or ""
    rates.admit(address)
    started = time.thread_time()
    try:
        yield
    finally:
        rates.charge(address, time.thread_time() - started)


@api.get("/search")
@operation(
    "Search photos",
    answer=schemas.Results,
    errors={
        400: "Invalid input, no ?q=, or more words, phrases or filters than a search may have",
        429: "Too many searches from this address lately (see Retry-After)",
        503: "The search ran out of time: try fewer or more specific words",
    },
)
def api_search(query: schemas.Search) -> schemas.Results:
    """Photos matching ?q= (words, "phrases", album: year: camera: keyword: filters)."""
    if not query.q.strip() and not query.album:
        raise Refusal("missing_query", N_("send what to look for as ?q="))
    staff = is_staff()
    with _charged():
        results = search.search(
            get_session(),
            query.q,
            album=query.album or None,
            page=query.page,
            per_page=query.per_page,
            staff=staff,
            only=query.photo_filter() if staff else None,  # marks are not for visitors
        )
        return results_model(results, staff)


def results_model(results: Results, staff: bool) -> schemas.Results:
    """The API's shape of a page of results."""
    hit = schemas.StaffHit if staff else schemas.Hit
    return schemas.Results(
        query=results.query.text(),
        total=results.total,
        page=results.page,
        pages=results.pages,
        per_page=results.per_page,
        hits=[
            hit(**photo_fields(h.photo, staff=staff), score=h.score, snippet=h.snippet)
            for h in results.hits
        ],
        facets={
            name: [schemas.FacetValue(**vars(value)) for value in values]
            for name, values in results.facets.items()
        },
        suggestion=results.suggestion.text() if results.suggestion else None,
    )


def warm_up_urls() -> list[str]:
    """A search for the newest public album's title, so the searcher is open before visitors."""
    album = newest_album(get_session(), VISITOR)
    return [url_for("search.page", q=album.title)] if album is not None else []
