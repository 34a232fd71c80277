"""Who is asking: the signed-in user or API token, role checks, and CSRF protection.

Every view that shows or changes what visitors may not see asks `require_role` or
`is_staff`; the rules themselves (roles, passwords, tokens, sessions) live in `users`,
`passwords` and `sessions`. A session cookie is only as good as its row on the server
(`sessions`): the cookie carries the row's key, and an ended row ends the cookie.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from gallery.accounts import sessions, users
from gallery.core.db import get_session, session_factory
from gallery.core.errors import is_disk_full
from gallery.core.models import User
from gallery.core.states import Role
from gallery.core.visibility import Viewer
from gallery.web.errors import CsrfFailed

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def init_app(app: Flask) -> None:
    """Cookie flags, the CSRF check before every request, template helpers."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["COOKIE_SECURE"],
        PERMANENT_SESSION_LIFETIME=sessions.Lifetimes.from_config(app.config).absolute,
    )
    # Who is asking is settled first, before a view has anything of its own in the
    # request's database session (noting a session's or token's use commits the lookup).
    app.before_request(_settle_user)
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
    """Whether this request may see what visitors may not (drafts, GPS, no_public photos):
    not an admin who must first set up two-factor sign-in."""
    user = current_user()
    return users.has_role(user, Role.STAFF) and not (user and must_set_up_2fa(user))


def require_role(role: Role | str, *, before_2fa: bool = False) -> Callable:
    """A view decorator: anonymous -> 401 (API) or the sign-in page; too low a role -> 403.

    Where the ADMIN_2FA_REQUIRED setting says so, an admin signed in without two-factor
    sign-in set up is sent to set it up (403 from the API) except on the views that do it
    (`before_2fa`)."""
    role = Role(role)

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
            if not before_2fa and must_set_up_2fa(user):
                if _is_api():
                    abort(403, "set up two-factor sign-in first (your account page)")
                return redirect(url_for("account.two_factor"))
            return view(*args, **kwargs)

        # lets a test check that no staff route is left open, and the API document say it
        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorate


def must_set_up_2fa(user: User) -> bool:
    """Whether this signed-in admin must set up two-factor sign-in before going on (API
    tokens are credentials of their own, made by an admin: they pass)."""
    required = current_app.config["ADMIN_2FA_REQUIRED"] and user.role == Role.ADMIN
    return bool(required and user.totp_secret is None and _bearer() is None)


def sign_in(user: User, via: str = "password") -> None:
    """Start a fresh session for the user: a new server-side row and cookie key, a new CSRF
    token (no fixation). The caller commits the row with its audit record."""
    db = get_session()
    previous, signed_in = current_session_id(), current_user()
    if previous is not None and signed_in is not None:  # this browser's last session ends
        sessions.end(db, signed_in.id, previous)
    key = sessions.start(
        db,
        user,
        lifetimes(),
        via=via,
        address=request.remote_addr or "",
        agent=request.user_agent.string,
    )
    session.clear()
    session["sid"] = key
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True
    g.user, g.session_id = user, None


def sign_out() -> None:
    """End this browser's session on the server and forget the cookie (the caller commits)."""
    found = current_session_id()
    user = current_user()
    if found is not None and user is not None:
        sessions.end(get_session(), user.id, found)
    session.clear()


def current_session_id() -> int | None:
    """The id of the server-side session this request came with (None: a token, or none)."""
    current_user()
    return g.get("session_id")


def lifetimes() -> sessions.Lifetimes:
    return sessions.Lifetimes.from_config(current_app.config)


def csrf_token() -> str:
    """The session's CSRF token, for forms (`csrf_token` field) and scripts (header)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _settle_user() -> None:
    current_user()


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
        raise CsrfFailed()
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
    key = session.get("sid")
    if not key:
        return None
    found = sessions.live(get_session(), key, lifetimes())
    if found is None:
        session.pop("sid", None)  # ended or expired: the browser is signed out
        return None
    g.session_id = found.id
    if sessions.seen_due(found):
        get_session().commit()  # end the lookup's transaction (a writer's holds the lock)
        _note_session_use(found.id)
    return found.user


def _note_session_use(session_id: int) -> None:
    # As for a token's use: a transaction of its own, and a full disk only costs the note
    # (the session then ends at its idle time, however busy).
    try:
        with session_factory(writes=True)() as writer, writer.begin():
            sessions.note_seen(writer, session_id)
    except OperationalError as exc:
        if not is_disk_full(exc):
            raise


def _is_api() -> bool:
    return request.path.startswith("/api/")
