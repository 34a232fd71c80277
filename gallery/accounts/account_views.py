"""A user's own account: password, two-factor sign-in, signed-in sessions; and the page a
one-time reset link opens."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from gallery.accounts import auth, limits, passwords, sessions, totp
from gallery.accounts.auth import current_user, require_role
from gallery.accounts.views import count_attempt, refusal_text
from gallery.core import audit
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.core.models import User
from gallery.web.contract import form_id
from gallery.web.i18n import gettext, translate

bp = Blueprint("account", __name__)

Page = Response | str | tuple[str, int]


@bp.get("/account")
@require_role("staff", before_2fa=True)
def page() -> str:
    return _page()


def _page(status: int = 200, **errors: str):
    user, db = _me(), get_session()
    live = sessions.of_user(db, user.id, auth.lifetimes())
    return render_template(
        "account/index.html",
        user=user,
        sessions=live,
        this_session=auth.current_session_id(),
        codes_left=totp.recovery_codes_left(db, user) if user.totp_secret else 0,
        has_password=user.password_hash != passwords.NO_PASSWORD,
        **errors,
    ), status


@bp.post("/account/password")
@require_role("staff", before_2fa=True)
def password() -> Page:
    """Change one's own password: the current one first (counted like a sign-in)."""
    user, form = _me(), request.form
    if form.get("new", "") != form.get("again", ""):
        return _page(400, password_error=gettext("The two new passwords differ."))
    attempt = count_attempt(user.email)
    if not isinstance(attempt, limits.Attempt):
        return _page(attempt, password_error=refusal_text(attempt))
    db = get_session()
    try:
        ended = passwords.change(
            db, user, form.get("current", ""), form.get("new", ""), auth.current_session_id()
        )
    except InvalidInput as exc:
        db.rollback()  # the attempt stays counted (its own transaction)
        return _page(400, password_error=translate(exc.words))
    limits.forget(db, attempt)
    audit.commit(db, user.email, "user.password_change", user, sessions_ended=ended)
    flash(gettext("Your password is changed; your other sessions are signed out."), "status")
    return redirect(url_for("account.page"))


@bp.post("/account/sessions/end")
@require_role("staff", before_2fa=True)
def sessions_end() -> Response:
    """End one session (`session_id`), or all of them: sign out everywhere."""
    user, db = _me(), get_session()
    chosen = request.form.get("session_id", type=form_id)
    if chosen is not None:
        if not sessions.end(db, user.id, chosen):
            abort(404)
        audit.commit(db, user.email, "user.session_end", user, session_id=chosen)
        return redirect(url_for("account.page"))
    ended = sessions.end_all(db, user.id)
    audit.commit(db, user.email, "user.sessions_end", user, sessions_ended=ended)
    session.clear()
    return redirect(url_for("accounts.login"))


# --- two-factor sign-in --------------------------------------------------------------------


@bp.get("/account/2fa")
@require_role("staff", before_2fa=True)
def two_factor() -> str:
    """Set up: a new secret (kept in this browser's session until a code proves it)."""
    user = _me()
    if user.totp_secret is None and "totp_new" not in session:
        session["totp_new"] = totp.new_secret()
    return _two_factor_page(user)


def _two_factor_page(user: User, error: str = "", status: int = 200):
    secret = session.get("totp_new", "") if user.totp_secret is None else ""
    return render_template(
        "account/two_factor.html",
        user=user,
        secret=secret,
        error=error,
        must=auth.must_set_up_2fa(user),
    ), status


@bp.get("/account/2fa/qr.svg")
@require_role("staff", before_2fa=True)
def two_factor_qr() -> Response:
    """The QR code of the secret being set up, drawn here (no outside service sees it)."""
    secret = session.get("totp_new")
    if not secret or _me().totp_secret is not None:
        abort(404)
    image = totp.qr_svg(totp.provisioning_uri(secret, _me().email))
    response = Response(image, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/2fa")
@require_role("staff", before_2fa=True)
def two_factor_on() -> Page:
    user, db = _me(), get_session()
    secret = session.get("totp_new")
    if user.totp_secret is not None or not secret:
        return redirect(url_for("account.two_factor"))
    if totp.accepted_step(secret, request.form.get("code", ""), None) is None:
        error = gettext("That code is not right. Try the newest one from your app.")
        return _two_factor_page(user, error, 400)
    codes = totp.enrol(db, user, secret)
    ended = sessions.end_all(db, user.id, keep=auth.current_session_id())
    audit.commit(db, user.email, "user.2fa_on", user, sessions_ended=ended)
    session.pop("totp_new", None)
    return render_template("account/recovery_codes.html", codes=codes)


@bp.post("/account/2fa/off")
@require_role("staff", before_2fa=True)
def two_factor_off() -> Page:
    """Turn two-factor sign-in off: a current code (or a recovery code) first."""
    return _with_code(lambda user, db: _turned_off(user, db))


@bp.post("/account/2fa/codes")
@require_role("staff", before_2fa=True)
def recovery_codes() -> Page:
    """New recovery codes (the old ones stop working): a current code first."""
    return _with_code(lambda user, db: _new_codes(user, db))


def _with_code(then) -> Page:
    user, db = _me(), get_session()
    if user.totp_secret is None:
        return redirect(url_for("account.two_factor"))
    attempt = count_attempt(user.email)
    if not isinstance(attempt, limits.Attempt):
        return _two_factor_page(user, refusal_text(attempt), attempt)
    if totp.check(db, user, request.form.get("code", "")) is None:
        db.commit()  # nothing was used up; the attempt stays counted
        error = gettext("That code is not right. Try the newest one from your app.")
        return _two_factor_page(user, error, 400)
    limits.forget(db, attempt)
    return then(user, db)


def _turned_off(user: User, db) -> Response:
    totp.disable(db, user)
    audit.commit(db, user.email, "user.2fa_off", user)
    flash(gettext("Two-factor sign-in is off."), "status")
    return redirect(url_for("account.page"))


def _new_codes(user: User, db) -> str:
    codes = totp.new_recovery_codes(db, user)
    audit.commit(db, user.email, "user.2fa_codes", user)
    return render_template("account/recovery_codes.html", codes=codes)


# --- a one-time reset link -----------------------------------------------------------------


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Page:
    """Set a new password through an admin's one-time link (no sign-in needed: the link is
    the proof). Opening it changes nothing; only the form's post uses it up."""
    db = get_session()
    found = passwords.live_reset(db, token)
    if found is None:
        return render_template("account/reset.html", gone=True), 404
    if request.method == "GET":
        return render_template("account/reset.html", email=found.user.email)
    form = request.form
    if form.get("new", "") != form.get("again", ""):
        error = gettext("The two new passwords differ.")
        return render_template("account/reset.html", email=found.user.email, error=error), 400
    try:
        ended = passwords.use_reset(db, found, form.get("new", ""))
    except InvalidInput as exc:
        error = translate(exc.words)
        return render_template("account/reset.html", email=found.user.email, error=error), 400
    audit.commit(db, found.user.email, "user.password_reset", found.user, sessions_ended=ended)
    session.clear()
    flash(gettext("Your new password is set. Sign in with it."), "status")
    return redirect(url_for("accounts.login"))


def _me() -> User:
    user = current_user()
    assert user is not None  # require_role let only signed-in users in
    return user
