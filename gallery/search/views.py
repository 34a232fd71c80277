"""Search on the web: the search page with facets, and GET /api/v1/search."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gallery.accounts.auth import is_staff
from gallery.catalog.albums import albums_for
from gallery.catalog.representations import photo_to_dict
from gallery.core.db import get_session
from gallery.core.visibility import VISITOR
from gallery.search import service as search
from gallery.search.query import MAX_QUERY_CHARS, ParsedQuery
from gallery.search.results import MAX_PER_PAGE, PER_PAGE, Results
from gallery.web.errors import error_response as error
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
        results = search.search(get_session(), text, page=number, staff=is_staff())
    return render_template(
        "search.html", q=text, results=results, facet_names=FACET_NAMES, link=_link
    )


def _link(query: ParsedQuery, page: int = 1) -> str:
    """The search page for a query (a facet clicked, a suggestion, another page)."""
    args = {"q": query.text()}
    if page > 1:
        args["page"] = page
    return url_for("search.page", **args)


@api.get("/search")
def api_search():
    """Photos matching ?q= (words, "phrases", album: year: camera: keyword: filters)."""
    text, album = request.args.get("q", ""), request.args.get("album") or None
    if len(text) > MAX_QUERY_CHARS:
        return error(400, "query_too_long", f"at most {MAX_QUERY_CHARS} characters")
    if not text.strip() and not album:
        return error(400, "missing_query", "send what to look for as ?q=")
    page, per_page = _number("page", 1), _number("per_page", PER_PAGE)
    if page is None or per_page is None or page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        message = f"page must be 1 or more, per_page 1 to {MAX_PER_PAGE}"
        return error(400, "invalid_input", message)
    staff = is_staff()
    results = search.search(
        get_session(), text, album=album, page=page, per_page=per_page, staff=staff
    )
    return results_json(results, staff)


def _number(name: str, default: int) -> int | None:
    """An integer query argument; None when it is there but not a number."""
    text = request.args.get(name)
    if text is None:
        return default
    return int(text) if text.strip().isdigit() else None


def results_json(results: Results, staff: bool) -> dict:
    """The API's shape of a page of results."""
    return {
        "query": results.query.text(),
        "total": results.total,
        "page": results.page,
        "pages": results.pages,
        "per_page": results.per_page,
        "hits": [
            {**photo_to_dict(hit.photo, staff=staff), "score": hit.score, "snippet": hit.snippet}
            for hit in results.hits
        ],
        "facets": {
            name: [vars(value) for value in values] for name, values in results.facets.items()
        },
        "suggestion": results.suggestion.text() if results.suggestion else None,
    }


def warm_up_urls() -> list[str]:
    """A search for the newest public album's title, so the searcher is open before visitors."""
    album = next(iter(albums_for(get_session(), VISITOR)), None)
    return [url_for("search.page", q=album.title)] if album is not None else []
