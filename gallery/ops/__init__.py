"""Operations: setting up the data root, checking the store against the database and
repairing it, backups and restores.

`check` (with `media_scan`) finds problems and `repair` mends them; `backup` and `restore`
copy what cannot be rebuilt, the database's part through `snapshots` (SQLite's in
`sqlite_snapshots`, PostgreSQL's in `postgres_snapshots`, picked by `engines`); `cli` and
`backup_cli` are the commands; `views` is the audit log's page.
"""

from __future__ import annotations

from flask import Flask

from gallery.ops import backup_cli, cli, views


def init_app(app: Flask) -> None:
    for command in (*cli.COMMANDS, *backup_cli.COMMANDS):
        app.cli.add_command(command)
    app.register_blueprint(views.bp)
