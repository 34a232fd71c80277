"""The JSON API under /api/v1: thin views, and errors in the one shape of DESIGN.md."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from gallery.albums import InvalidInput
from gallery.auth import current_user, require_role
from gallery.ingest.errors import Rejected

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(status: int, code: str, message: str):
    """A JSON error response: {"error": {"code", "message"}} with the fitting status."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return error(exc.code or 500, code, exc.description or exc.name)


@bp.errorhandler(Rejected)
def _rejected(exc: Rejected):
    return error(exc.status, exc.code, exc.message)


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    return error(400, "invalid_input", str(exc))


@bp.get("/me")
@require_role("staff")
def me():
    """Who the session or token belongs to."""
    user = current_user()
    return {"email": user.email, "role": user.role}
