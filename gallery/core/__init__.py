"""The ground every capability stands on: the database and its models, media storage,
temp files, the audit log, shared errors, states and the visibility rule.

Nothing here imports a capability or the web layer. This package is kept light to import
(decode workers import its error helpers), so `init_app` imports what it sets up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The database, the media store (temp files of dead processes cleared), the counter
    of visitor withdrawals and the album lists' counts."""
    from gallery.core import counts, db, withdrawals
    from gallery.core.storage import LocalStorage

    db.init_app(app)
    storage = app.extensions["gallery.storage"] = LocalStorage(app.config["UPLOADS_DIR"])
    storage.clean_abandoned_temp()  # what a killed server or import was receiving
    withdrawals.watch()
    counts.watch()
