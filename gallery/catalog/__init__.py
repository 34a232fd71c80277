"""The catalog: albums and their photos, imports into them, curation, order and the trash;
with their API (/api/v1/albums, /photos, /trash), staff pages and commands.

`albums`, `photos`, `trash` and `imports` hold the rules; `api`, `views` and `cli` are the
ways in; `representations` is how albums and photos look to the outside.
"""

from __future__ import annotations

from flask import Flask

from gallery.catalog import api, cli, uploads, views


def init_app(app: Flask) -> None:
    app.request_class = uploads.UploadRequest  # uploads hashed as they arrive, written once
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
