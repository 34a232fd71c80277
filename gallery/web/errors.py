"""Errors as answers: the API's JSON shape, and a full disk as 507 in plain words.

Every error under /api/ is `{"error": {"code", "message", ...}}` with its status, whichever
capability raised it: an HTTP error (401, 403, 404...), a value the domain refused
(`InvalidInput`: 400), something that is not there or not the asker's to see (`NotFound`:
404), or any error that knows its own status and code (`Refusal`, e.g. a refused upload).

A full disk answers 507 Insufficient Storage, never a bare 500. Uploads and imports report
it themselves (ingest turns it into a `disk_full` outcome and takes back what it had
stored); this catches the rest: an edit whose commit SQLite cannot write, a form that
cannot be saved. Visitors keep reading meanwhile: no read path writes.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from gallery.core.errors import InvalidInput, NotFound, Refusal, is_disk_full

MESSAGE = (
    "the server's disk is full, so this change was not saved; "
    "tell the gallery's administrator, and try again once there is room"
)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InvalidInput, _invalid_input)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(Refusal, _refusal)
    app.register_error_handler(OSError, _disk_full_or_raise)
    app.register_error_handler(SQLAlchemyError, _disk_full_or_raise)


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    """The API's error: {"error": {"code", "message", ...}} with the fitting status."""
    response = jsonify({"error": {"code": code, "message": message, **extra}})
    response.status_code = status
    return response


def is_api() -> bool:
    return request.path.startswith("/api/")


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if not is_api():
        return exc  # the page's own HTML answer
    code = (exc.name or "error").lower().replace(" ", "_")
    response = error_response(exc.code or 500, code, exc.description or exc.name)
    # The exception's own headers: Allow of a 405, WWW-Authenticate of a 401.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _invalid_input(exc: InvalidInput) -> Response:
    if is_api():
        return error_response(400, "invalid_input", str(exc))
    return Response(str(exc), status=400, mimetype="text/plain")


def _not_found(exc: NotFound) -> Response:
    if is_api():
        return error_response(404, "not_found", str(exc))
    return Response(str(exc), status=404, mimetype="text/plain")


def _refusal(exc: Refusal) -> Response:
    return error_response(exc.status, exc.code, exc.message)


def _disk_full_or_raise(exc: Exception) -> Response:
    if not is_disk_full(exc):
        raise exc  # any other error goes on to the usual 500 handling and its log
    if is_api():
        return error_response(507, "disk_full", MESSAGE)
    return Response(MESSAGE, status=507, mimetype="text/plain")
