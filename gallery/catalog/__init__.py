"""The catalog: albums and their photos, imports into them, curation, order and the trash;
with their API (/api/v1/albums, /photos, /trash), staff pages and commands.

`albums`, `photos`, `trash` and `imports` hold the rules; `api`, `views` and `cli` are the
ways in; `representations` is how albums and photos look to the outside.

The ways in are imported by `init_app`, not here: `gallery import` uses the rules
without loading pages, API schemas or forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from gallery.catalog import api, cli, uploads, views

    app.request_class = uploads.UploadRequest  # uploads hashed as they arrive, written once
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
