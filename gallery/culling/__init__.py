"""Culling: from an event's hundreds of photos to the few an article needs.

Marks (pick or reject, 0-5 stars, a colour label) set from the keyboard and read from and
written to XMP; stacks of a burst's frames, shown as one; near-duplicates across the
library; a best-of-stack suggestion from ingest's sharpness and exposure measures; the
filters every staff list of photos takes; caption shortcuts.

`marks`, `filters`, `stacks`, `near_duplicates`, `shortcuts` and `upkeep` hold the rules
(`alike` and `hashes` serve them); `api`, `views` and `cli` are the ways in. It sits below
the catalog, which lists, imports and edits photos with these rules.

The ways in are imported by `init_app`, not here: `gallery import` uses the rules
without loading pages, API schemas or forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from gallery.culling import api, cli, views

    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
