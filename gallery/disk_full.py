"""A full disk answers 507 Insufficient Storage in plain words, never a bare 500.

Uploads and imports report it themselves (ingest turns it into a `disk_full` outcome and
takes back what it had stored); this catches the rest: an edit whose commit SQLite cannot
write, a form that cannot be saved. Visitors keep reading meanwhile: no read path writes.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from gallery.ingest.errors import is_disk_full

MESSAGE = (
    "the server's disk is full, so this change was not saved; "
    "tell the gallery's administrator, and try again once there is room"
)


def init_app(app: Flask) -> None:
    app.register_error_handler(OSError, _disk_full_or_raise)
    app.register_error_handler(SQLAlchemyError, _disk_full_or_raise)


def _disk_full_or_raise(exc: Exception) -> Response:
    if not is_disk_full(exc):
        raise exc  # any other error goes on to the usual 500 handling and its log
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"code": "disk_full", "message": MESSAGE}})
    else:
        response = Response(MESSAGE, mimetype="text/plain")
    response.status_code = 507
    return response
