"""Signing in and out, and the admin's pages: users, their roles and tokens, the audit log."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from gallery.accounts import auth, users
from gallery.accounts.auth import actor, current_user, require_role
from gallery.core import audit
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.web.i18n import gettext

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("login.html", next=_safe_next())
    email = request.form.get("email", "").strip().lower()
    config = current_app.config
    limits = users.SignInLimits(
        config["LOGIN_MAX_FAILURES"], timedelta(minutes=config["LOGIN_PAUSE_MINUTES"])
    )
    attempt = users.attempt_sign_in(
        get_session(), email, request.form.get("password", ""), request.remote_addr or "", limits
    )
    if attempt.paused:
        minutes = config["LOGIN_PAUSE_MINUTES"]
        message = gettext("Too many failed sign-ins. Wait %(minutes)s minutes.", minutes=minutes)
        return render_template("login.html", error=message, email=email), 429
    if attempt.user is None:
        message = gettext("Wrong email or password.")
        return render_template("login.html", error=message, email=email, next=_safe_next()), 401
    auth.sign_in(attempt.user)
    return redirect(_safe_next() or url_for("catalog.home"))


@bp.post("/logout")
def logout() -> Response:
    auth.sign_out()
    return redirect(url_for("site.index"))


def _safe_next() -> str:
    """Only a path on this site: an absolute URL here would be an open redirect."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


@bp.get("/staff/users")
@require_role("admin")
def users_page() -> str:
    people = users.all_users(get_session())
    return render_template("staff/users.html", users=people, roles=users.ROLES)


@bp.post("/staff/users")
@require_role("admin")
def user_add() -> Response:
    session, form = get_session(), request.form
    try:
        user = users.create_user(
            session, form.get("email", ""), form.get("role", ""), form.get("password", "")
        )
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.users_page"))
    audit.commit(session, actor(), "user.add", user, role=user.role)
    return redirect(url_for("accounts.users_page"))


@bp.post("/staff/users/<int:user_id>")
@require_role("admin")
def user_update(user_id: int) -> Response:
    session = get_session()
    user = users.user_by_id(session, user_id) or abort(404)
    role, active = request.form.get("role", user.role), request.form.get("active") == "on"
    if role not in users.ROLES:
        abort(400, "unknown role")
    try:
        users.change_user(user, role=role, active=active, by=_admin())
    except InvalidInput:
        flash(gettext("You cannot take away your own admin rights."), "error")
        return redirect(url_for("accounts.users_page"))
    audit.commit(session, actor(), "user.update", user, role=role, active=active)
    return redirect(url_for("accounts.users_page"))


@bp.post("/staff/tokens/<int:token_id>/revoke")
@require_role("admin")
def token_revoke(token_id: int) -> Response:
    session = get_session()
    try:
        token = users.revoke_token(session, token_id)
    except InvalidInput:
        abort(404)
    audit.commit(session, actor(), "token.revoke", token.user, token_id=token_id)
    return redirect(url_for("accounts.users_page"))


@bp.get("/staff/audit")
@require_role("admin")
def audit_log() -> str:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    events = audit.recent(get_session(), limit=100, offset=(page - 1) * 100)
    return render_template("staff/audit.html", events=events, page=page)


def _admin() -> users.User:
    user = current_user()
    assert user is not None  # require_role let only signed-in admins in
    return user
