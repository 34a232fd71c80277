"""Photo search behind a few verbs: index_photos, remove_photos, search, reindex, check.

The database is the source of truth; the Whoosh index follows it (sync.py watches commits,
and an import's new photos arrive as one batch) and can be rebuilt from it at any time.
Only engine.py, schema.py and searching.py know Whoosh, with the Latvian analysis in
latvian.py. Views and the CLI use the verbs with the current app's index; code without an
app (tests, benchmarks) uses `SearchIndex` and `run_search` directly.
"""

from __future__ import annotations

from flask import Flask

from gallery.search import cli, views
from gallery.search.documents import all_photos
from gallery.search.engine import SearchIndex
from gallery.search.query import FILTERS, MAX_QUERY_CHARS, ParsedQuery, parse_query
from gallery.search.results import MAX_PER_PAGE, PER_PAGE, FacetValue, Hit, Results, run_search
from gallery.search.service import (
    Drift,
    attach_index,
    check,
    check_index,
    get_index,
    index_photos,
    reindex,
    remove_photos,
    search,
)
from gallery.web.serve import add_warm_up

__all__ = [
    "FILTERS",
    "MAX_PER_PAGE",
    "MAX_QUERY_CHARS",
    "PER_PAGE",
    "Drift",
    "FacetValue",
    "Hit",
    "ParsedQuery",
    "Results",
    "SearchIndex",
    "all_photos",
    "check",
    "check_index",
    "get_index",
    "index_photos",
    "init_app",
    "parse_query",
    "reindex",
    "remove_photos",
    "run_search",
    "search",
]


def init_app(app: Flask) -> None:
    """The app's index kept in step with the database; the search page, API and commands."""
    attach_index(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    add_warm_up(app, views.warm_up_urls)
