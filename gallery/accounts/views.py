"""Signing in (password, then the second step where the account has one) and out, and the
admin's pages: users, their roles, sessions, reset links and tokens, the audit log."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from gallery.accounts import auth, limits, passwords, sessions, sso, totp, users
from gallery.accounts.auth import actor, current_user, require_role
from gallery.core import audit
from gallery.core.db import get_session, session_factory
from gallery.core.errors import InvalidInput, is_disk_full
from gallery.core.models import User
from gallery.core.states import Role
from gallery.web.i18n import gettext, translate

bp = Blueprint("accounts", __name__)

SECOND_STEP_SECONDS = 300  # how long a right password waits for its second step
Page = Response | str | tuple[str, int]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    if request.method == "GET":
        return render_template("login.html", next=_safe_next(), sso=sso.is_on(get_session()))
    email = request.form.get("email", "").strip().lower()[:254]
    attempt = count_attempt(email)
    if not isinstance(attempt, limits.Attempt):
        return _login_refused(email, attempt)
    # Checked in a reader's session: the scrypt check's tenth of a second must not hold the
    # write lock that every upload and edit waits for.
    with session_factory(writes=False)() as reader:
        user = users.authenticate(reader, email, request.form.get("password", ""))
    if user is None:
        audit.record(get_session(), email, "user.sign_in_failed", None, address=_address())
        return commit_or_refuse(lambda: _login_refused(email, 401), email)
    limits.forget(get_session(), attempt)
    return finish_password_step(user, "password", _safe_next())


def finish_password_step(user: User, via: str, next_url: str) -> Page:
    """The first step passed (password or SSO): sign in, or ask for the second step."""
    if user.totp_secret is None:
        return complete_sign_in(user, via, next_url)
    session["pending"] = {"user": user.id, "at": time.time(), "via": via, "next": next_url}
    return commit_or_refuse(lambda: redirect(url_for("accounts.second_step")), user.email)


def complete_sign_in(user: User, via: str, next_url: str, **details: str) -> Page:
    """Start the user's session and say so in the audit log, together."""
    auth.sign_in(user, via)
    audit.record(
        get_session(), user.email, "user.sign_in", user, via=via, address=_address(), **details
    )
    return commit_or_refuse(lambda: redirect(next_url or url_for("catalog.home")), user.email)


@bp.route("/login/2fa", methods=["GET", "POST"])
def second_step() -> Page:
    """The code from the authenticator app, or a recovery code, after the right password."""
    pending = session.get("pending") or {}
    user = users.user_by_id(get_session(), pending.get("user", 0)) if pending else None
    if user is None or not user.active or time.time() - pending.get("at", 0) > SECOND_STEP_SECONDS:
        session.pop("pending", None)
        return redirect(url_for("accounts.login"))
    if request.method == "GET":
        return render_template("account/second_step.html")
    attempt = count_attempt(user.email)
    if not isinstance(attempt, limits.Attempt):
        return _refused_page("account/second_step.html", attempt, user.email)
    kind = totp.check(get_session(), user, request.form.get("code", ""))
    if kind is None:
        audit.record(get_session(), user.email, "user.2fa_failed", user, address=_address())
        return commit_or_refuse(lambda: _wrong_code(), user.email)
    limits.forget(get_session(), attempt)
    del session["pending"]
    return complete_sign_in(
        user, pending.get("via", "password"), pending.get("next", ""), second=kind
    )


@bp.post("/logout")
def logout() -> Response:
    user = current_user()
    auth.sign_out()
    if user is not None:
        audit.record(get_session(), user.email, "user.sign_out", user)
    get_session().commit()
    return redirect(url_for("site.index"))


def count_attempt(email: str) -> limits.Attempt | int:
    """Write a sign-in attempt down before anything is checked: the attempt, or the status
    of the refusal (429 paused, 503 the attempt cannot be written)."""
    config, address = current_app.config, _address()
    rules = limits.SignInLimits.from_config(config)
    get_session().commit()  # end any lookup's transaction: the count writes in its own
    with session_factory(writes=False)() as reader:
        if limits.is_paused(reader, email, address, rules):
            return 429
    try:
        attempt = limits.count(session_factory(writes=True), email, address, rules)
    except limits.CannotCount:
        return 503
    return attempt if attempt.allowed else 429


def commit_or_refuse(answer, email: str) -> Page:
    """Commit what the step wrote and give its answer; a full disk answers as an attempt
    that cannot be counted does, whatever the password was (no guess learns anything)."""
    try:
        get_session().commit()
    except OperationalError as exc:
        if not is_disk_full(exc):
            raise
        get_session().rollback()
        session.clear()
        return _login_refused(email, 503)
    return answer()


def _wrong_code() -> tuple[str, int]:
    error = gettext("That code is not right. Try the newest one from your app.")
    return render_template("account/second_step.html", error=error), 401


def refusal_text(status: int) -> str:
    if status == 429:
        minutes = current_app.config["LOGIN_PAUSE_MINUTES"]
        return gettext("Too many failed sign-ins. Wait %(minutes)s minutes.", minutes=minutes)
    if status == 503:
        return gettext(
            "Signing in is not possible just now: the server cannot write anything down "
            "(its disk is full). Tell the gallery's administrator."
        )
    return gettext("Wrong email or password.")


def _login_refused(email: str, status: int) -> tuple[str, int]:
    page = render_template("login.html", error=refusal_text(status), email=email, next=_safe_next())
    return page, status


def _refused_page(template: str, status: int, email: str) -> tuple[str, int]:
    return render_template(template, error=refusal_text(status), email=email), status


def _address() -> str:
    return request.remote_addr or ""


def _safe_next() -> str:
    return safe_next(request.values.get("next", ""))


def safe_next(target: str) -> str:
    """Only a path on this site: an absolute URL here would be an open redirect. Browsers
    read a backslash as a slash (`/\\host` is `//host`) and drop tabs and newlines, so a
    target with any of them is refused too."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return ""
    return target


# --- the admin's pages -------------------------------------------------------------------


@bp.get("/staff/users")
@require_role("admin")
def users_page() -> str:
    db = get_session()
    people = users.all_users(db)
    live = {person.id: len(sessions.of_user(db, person.id, auth.lifetimes())) for person in people}
    return render_template("staff/users.html", users=people, roles=list(Role), live=live)


@bp.post("/staff/users")
@require_role("admin")
def user_add() -> Response:
    db, form = get_session(), request.form
    try:
        user = users.create_user(
            db, form.get("email", ""), form.get("role", ""), form.get("password", "")
        )
    except InvalidInput as exc:
        flash(translate(exc.words), "error")
        return redirect(url_for("accounts.users_page"))
    audit.commit(db, actor(), "user.add", user, role=user.role)
    return redirect(url_for("accounts.users_page"))


@bp.post("/staff/users/<int:user_id>")
@require_role("admin")
def user_update(user_id: int) -> Response:
    db = get_session()
    user = users.user_by_id(db, user_id) or abort(404)
    role, active = request.form.get("role", user.role), request.form.get("active") == "on"
    if role not in set(Role):
        abort(400, "unknown role")
    try:
        ended = users.change_user(db, user, role=role, active=active, by=_admin())
    except InvalidInput:
        flash(gettext("You cannot take away your own admin rights."), "error")
        return redirect(url_for("accounts.users_page"))
    audit.commit(db, actor(), "user.update", user, role=role, active=active, sessions_ended=ended)
    return redirect(url_for("accounts.users_page"))


@bp.post("/staff/users/<int:user_id>/sessions/end")
@require_role("admin")
def user_sessions_end(user_id: int) -> Response:
    db = get_session()
    user = users.user_by_id(db, user_id) or abort(404)
    ended = sessions.end_all(db, user.id, keep=auth.current_session_id())
    audit.commit(db, actor(), "user.sessions_end", user, sessions_ended=ended)
    flash(gettext("Sessions ended: %(count)s.", count=ended), "status")
    return redirect(url_for("accounts.users_page"))


@bp.post("/staff/users/<int:user_id>/reset-link")
@require_role("admin")
def user_reset_link(user_id: int) -> str:
    """A one-time link for the user to set a new password, shown this once."""
    db = get_session()
    user = users.user_by_id(db, user_id) or abort(404)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = passwords.new_reset(db, user, actor(), hours)
    audit.commit(db, actor(), "user.reset_link", user, hours=hours)
    link = f"{_site_root()}{url_for('account.reset', token=token)}"
    return render_template("account/reset_link.html", user=user, link=link, hours=hours)


@bp.post("/staff/users/<int:user_id>/2fa/off")
@require_role("admin")
def user_2fa_off(user_id: int) -> Response:
    """For a user who lost both their phone and their recovery codes."""
    db = get_session()
    user = users.user_by_id(db, user_id) or abort(404)
    totp.disable(db, user)
    audit.commit(db, actor(), "user.2fa_off", user)
    return redirect(url_for("accounts.users_page"))


@bp.post("/staff/tokens/<int:token_id>/revoke")
@require_role("admin")
def token_revoke(token_id: int) -> Response:
    db = get_session()
    try:
        token = users.revoke_token(db, token_id)
    except InvalidInput:
        abort(404)
    audit.commit(db, actor(), "token.revoke", token.user, token_id=token_id)
    return redirect(url_for("accounts.users_page"))


def _site_root() -> str:
    """The site root for a link sent to someone: the PUBLIC_URL setting, else this host."""
    return str(current_app.config["PUBLIC_URL"] or request.host_url).rstrip("/")


def _admin() -> User:
    user = current_user()
    assert user is not None  # require_role let only signed-in admins in
    return user


def role_names() -> dict[str, str]:
    """Template helper: each role in the reader's language."""
    return {
        Role.STAFF: gettext("staff"),
        Role.EDITOR: gettext("editor"),
        Role.ADMIN: gettext("admin"),
    }
