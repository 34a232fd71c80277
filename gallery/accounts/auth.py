"""Who is asking: the signed-in user or API token, role checks, and CSRF protection.

Every view that shows or changes what visitors may not see asks `require_role` or
`is_staff`; the rules themselves (ranks, passwords, tokens) live in `users`.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable

from flask import Flask, abort, g, redirect, request, session, url_for
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from gallery.accounts import users
from gallery.core.db import get_session, session_factory
from gallery.core.errors import is_disk_full
from gallery.core.models import User
from gallery.core.visibility import Viewer

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def init_app(app: Flask) -> None:
    """Cookie flags, the CSRF check before every request, template helpers."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["COOKIE_SECURE"],
    )
    app.before_request(_check_csrf)
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user)


def current_user() -> User | None:
    """The user of this request: by bearer token if one is sent, else by session cookie."""
    if "user" not in g:
        g.user = _token_user() if _bearer() is not None else _session_user()
    return g.user


def actor() -> str:
    """Who the audit log says did it: the signed-in user's email (views behind a role)."""
    user = current_user()
    return user.email if user is not None else "anonymous"


def viewer() -> Viewer:
    """Who is asking, for gallery.core.visibility: staff or not, and an unlisted album's key
    if the request carries one (`?key=`)."""
    return Viewer(staff=is_staff(), key=request.args.get("key"))


def is_staff() -> bool:
    """Whether this request may see what visitors may not (drafts, GPS, no_public photos)."""
    return users.has_role(current_user(), "staff")


def require_role(role: str) -> Callable:
    """A view decorator: anonymous -> 401 (API) or the sign-in page; too low a role -> 403."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                if _is_api():
                    abort(401, "sign in or send an API token")
                return redirect(url_for("accounts.login", next=request.full_path))
            if not users.has_role(user, role):
                abort(403, f"this needs the {role} role")
            return view(*args, **kwargs)

        # lets a test check that no staff route is left open, and the API document say it
        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorate


def sign_in(user: User) -> None:
    """Start a fresh session for the user (a new id and CSRF token: no fixation)."""
    session.clear()
    session["user_id"] = user.id
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True


def sign_out() -> None:
    session.clear()


def csrf_token() -> str:
    """The session's CSRF token, for forms (`csrf_token` field) and scripts (header)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> Response | None:
    # Token-authenticated calls carry no cookie a foreign page could ride on; an API call
    # with no one signed in has no session to forge: its role check answers 401.
    if request.method in SAFE_METHODS or _bearer() is not None:
        return None
    if _is_api() and current_user() is None:
        return None
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "the form has expired or did not come from this site (CSRF check); reload")
    return None


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _token_user() -> User | None:
    found = users.live_token(get_session(), _bearer() or "")
    if found is None:
        abort(401, "the API token is unknown or revoked")
    get_session().commit()  # end the lookup's transaction (a writer's holds the write lock)
    if users.token_use_due(found):
        _note_token_use(found.id)
    return found.user


def _note_token_use(token_id: int) -> None:
    # In a transaction of its own that takes the write lock when it begins: a GET's session
    # reads, and a reader that starts writing fails at once with "database is locked" when
    # another writer committed since it read, where a writer waits its turn.
    try:
        with session_factory(writes=True)() as writer, writer.begin():
            users.note_token_use(writer, token_id)
    except OperationalError as exc:
        if not is_disk_full(exc):
            raise
        # a full disk must not lock API clients out of reading: the note is left unwritten


def _session_user() -> User | None:
    user_id = session.get("user_id")
    user = get_session().get(User, user_id) if user_id else None
    return user if user is not None and user.active else None


def _is_api() -> bool:
    return request.path.startswith("/api/")
