"""Errors as answers: the API's JSON shape, and pages for people everywhere else.

Every error under /api/ is `{"error": {"code", "message", ...}}` with its status, whichever
capability raised it: an HTTP error (401, 403, 404...), a value the domain refused
(`InvalidInput`: 400), something that is not there or not the asker's to see (`NotFound`:
404), or any error that knows its own status and code (`Refusal`, e.g. a refused upload).
`code` stays the same in every language; `message` is said in the request's language
(the `lang` cookie, else Accept-Language), as the pages are.

Anywhere else the answer is a page of the site (templates/error.html): the site's header,
what happened in the reader's language, and a way back. A failed CSRF check is a 400 that
says the page was open too long (reload it); 413, 429, 500, 503 and 507 say what to do.
A `Refusal`'s own headers go with it (the Retry-After of a 429).

A full disk answers 507 Insufficient Storage, never a bare 500. Uploads and imports report
it themselves (ingest turns it into a `disk_full` outcome and takes back what it had
stored); this catches the rest: an edit whose commit SQLite cannot write, a form that
cannot be saved. Visitors keep reading meanwhile: no read path writes.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import BadRequest, HTTPException

from gallery.core.errors import InvalidInput, NotFound, Refusal, is_disk_full
from gallery.core.messages import N_, Message
from gallery.web.i18n import gettext, translate

log = logging.getLogger(__name__)

MESSAGE = N_(
    "the server's disk is full, so this change was not saved; "
    "tell the gallery's administrator, and try again once there is room"
)


class CsrfFailed(BadRequest):
    """A form or write whose CSRF token is missing or stale: the page was open too long
    (its session ended), or the request did not come from this site."""

    description = "the form has expired or did not come from this site (CSRF check); reload"


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InvalidInput, _invalid_input)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(Refusal, _refusal)
    app.register_error_handler(OSError, _disk_full_or_raise)
    app.register_error_handler(SQLAlchemyError, _disk_full_or_raise)


def error_response(status: int, code: str, message: str | Message, **extra: Any) -> Response:
    """The API's error: {"error": {"code", "message", ...}} with the fitting status."""
    response = jsonify({"error": {"code": code, "message": translate(message), **extra}})
    response.status_code = status
    return response


def is_api() -> bool:
    return request.path.startswith("/api/")


def _http_error(exc: HTTPException) -> Response | HTTPException:
    status = exc.code or 500
    if not is_api():
        if status < 400 or (exc.response is not None):
            return exc  # a redirect, or an answer the raiser made itself
        response = error_page(status, _page_text(exc))
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
    code = (exc.name or "error").lower().replace(" ", "_")
    response = error_response(status, code, gettext(exc.description or exc.name))
    # The exception's own headers: Allow of a 405, WWW-Authenticate of a 401.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _invalid_input(exc: InvalidInput) -> Response:
    if is_api():
        return error_response(400, "invalid_input", exc.words)
    return error_page(400, translate(exc.words))


def _not_found(exc: NotFound) -> Response:
    if is_api():
        return error_response(404, "not_found", exc.words)
    return error_page(404)


def _refusal(exc: Refusal) -> Response:
    if is_api():
        response = error_response(exc.status, exc.code, exc.words)
    else:
        response = error_page(exc.status, translate(exc.words))
    response.headers.update(exc.headers)
    return response


def _disk_full_or_raise(exc: Exception) -> Response:
    if not is_disk_full(exc):
        raise exc  # any other error goes on to the usual 500 handling and its log
    if is_api():
        return error_response(507, "disk_full", MESSAGE)
    return error_page(507)


def _page_text(exc: HTTPException) -> str | None:
    """What a page says beyond its status's own words: a CSRF failure is its own story."""
    if isinstance(exc, CsrfFailed):
        return gettext(
            "The page was open too long, or the form did not come from this site. "
            "Reload the page and try again; what you typed may need typing again."
        )
    return None


def _titles() -> dict[int, tuple[str, str]]:
    """Each status a page explains: a heading and what to do."""
    return {
        400: (
            gettext("The request could not be understood"),
            gettext("Something in the address or the form was not right. Go back and try again."),
        ),
        401: (
            gettext("Please sign in"),
            gettext("This page is for the gallery's staff. Sign in to see it."),
        ),
        403: (
            gettext("Not allowed"),
            gettext("Your account may not open this page. Ask an administrator if you need it."),
        ),
        404: (
            gettext("Page not found"),
            gettext("There is nothing at this address, or it is not public. Check the link."),
        ),
        405: (
            gettext("Not possible here"),
            gettext("This address cannot be used this way. Go back and try again."),
        ),
        413: (
            gettext("Too large"),
            gettext("What was sent is larger than the gallery accepts. Send a smaller file."),
        ),
        429: (
            gettext("Too many attempts"),
            gettext("Wait a little, then try again."),
        ),
        500: (
            gettext("Something went wrong"),
            gettext(
                "The gallery could not answer because of an error on the server. It has "
                "been logged. Try again in a moment; if it happens again, tell the "
                "gallery's administrator."
            ),
        ),
        503: (
            gettext("Not possible just now"),
            gettext("The gallery cannot answer this just now. Try again in a moment."),
        ),
        507: (
            gettext("The server's disk is full"),
            gettext(
                "Your change was not saved: the server has no room left. Tell the "
                "gallery's administrator, and try again once there is room."
            ),
        ),
    }


def error_page(status: int, detail: str | None = None) -> Response:
    """A page of the site saying what went wrong, in the reader's language, with a way back."""
    titles = _titles()
    title, advice = titles.get(status) or titles[500 if status >= 500 else 400]
    back = _same_site_referrer()
    try:
        html = render_template(
            "error.html", status=status, title=title, advice=advice, detail=detail, back=back
        )
    except Exception:  # the page itself failed (a broken database...): plain words then
        log.exception("the error page for %s could not be made", status)
        html = f"{status} {title}\n\n{advice}\n"
        return Response(html, status=status, mimetype="text/plain")
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_site_referrer() -> str:
    """The page the reader came from, when it is a page of this site (else none)."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host or parts.path == request.path:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")
