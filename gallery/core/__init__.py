"""The ground every capability stands on: the database and its models, media storage,
temp files, the audit log, shared errors, states and the visibility rule.

Nothing here imports a capability or the web layer. This package is kept light to import
(decode workers import its error helpers), so `init_app` imports what it sets up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from gallery.core.storage import Storage


def init_app(app: Flask) -> None:
    """The database, the media store (temp files of dead processes cleared), the counter
    of visitor withdrawals and the album lists' counts."""
    from gallery.core import counts, db, withdrawals

    db.init_app(app)
    storage = app.extensions["gallery.storage"] = open_storage(app.config)
    storage.clean_abandoned_temp()  # what a killed server or import was receiving
    withdrawals.watch()
    counts.watch()


def open_storage(config: dict[str, Any]) -> Storage:
    """The store the settings name: this disk (STORAGE_URL empty) or an S3 bucket."""
    if not config.get("STORAGE_URL"):
        from gallery.core.storage import LocalStorage

        return LocalStorage(config["UPLOADS_DIR"])
    from gallery.core.objects import ObjectStorage  # boto3 is slow to import: only if used

    return ObjectStorage.from_config(config)
