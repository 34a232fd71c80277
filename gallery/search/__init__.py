"""Photo search behind a few verbs (`service`): index_photos, remove_photos, search,
reindex, check.

The database is the source of truth; the Whoosh index follows it (`sync` watches commits,
and an import's new photos arrive as one batch) and can be rebuilt from it at any time.
Each machine keeps its own index, which follows the change log in the database (`changes`,
`follow`): an edit made through any machine is found through every other within a second.
Only `engine`, `schema`, `searching`, `segments` and `postings` know Whoosh (`heads` keeps
a large segment's arrays on disk), with the Latvian analysis in `latvian`. Views and the
CLI use the verbs with the current app's index; code without an app (tests, benchmarks)
uses `engine.SearchIndex` and `results.run_search` directly.

The ways in are imported by `init_app`, not here: `gallery import` keeps the index in
step without loading the search page, its API schemas or the web layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The app's index kept in step with the database; the search page, API and commands."""
    from gallery.search import cli, views
    from gallery.search.service import attach_index, follow_changes
    from gallery.web.serve import add_warm_up

    attach_index(app)
    add_warm_up(app, follow_changes)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    add_warm_up(app, views.warm_up_urls)
