"""Single sign-on: the way out to the provider and back, and the admin's settings page."""

from __future__ import annotations

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
from werkzeug.wrappers import Response

from gallery.accounts import sso
from gallery.accounts.auth import actor, require_role
from gallery.accounts.views import Page, finish_password_step, safe_next
from gallery.core import audit, db
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.core.states import Role
from gallery.web.i18n import translate

bp = Blueprint("sso", __name__)


@bp.get("/login/sso")
def start() -> Response:
    """Send the browser to the provider, keeping state, nonce and PKCE verifier here."""
    found = sso.provider(get_session())
    if found is None or not found.enabled:
        abort(404)
    try:
        url, kept = sso.authorization_url(found, _callback_url())
    except sso.SsoRefused as exc:
        return _refused(exc, "")  # type: ignore[return-value]
    session["sso"] = {**kept, "next": _next()}
    return redirect(url)


@bp.get("/login/sso/callback")
def callback() -> Page:
    """The provider sent the browser back: check its answer, then sign in (or ask for the
    second step where the account has one)."""
    kept = session.pop("sso", None) or {}
    found = sso.provider(get_session())
    if found is None or not found.enabled:
        abort(404)
    who = None
    try:
        who = sso.identity(found, _callback_url(), kept, request.args)
        db.writes_after_all()  # a GET that signs someone in, perhaps makes an account
        user, new = sso.account_for(get_session(), who)
    except sso.SsoRefused as exc:
        return _refused(exc, who.email if who else "")
    if new:
        audit.record(get_session(), "sso", "user.add", user, role=user.role, via="sso")
    return finish_password_step(user, "sso", kept.get("next", ""))


def _refused(exc: sso.SsoRefused, email: str) -> tuple[str, int]:
    db.writes_after_all()
    session_ = get_session()
    audit.commit(session_, email or "anonymous", "user.sso_refused", None, reason=exc.reason)
    error = translate(exc.words)
    return render_template("login.html", error=error, sso=True, next=""), 403


def _callback_url() -> str:
    root = str(current_app.config["PUBLIC_URL"] or request.host_url).rstrip("/")
    return f"{root}{url_for('sso.callback')}"


def _next() -> str:
    return safe_next(request.args.get("next", ""))


# --- the admin's settings ----------------------------------------------------------------


@bp.get("/staff/sso")
@require_role("admin")
def settings() -> str:
    session_ = get_session()
    return render_template(
        "account/sso.html",
        provider=sso.provider(session_),
        domains=sso.domains(session_),
        roles=list(Role),
        callback=_callback_url(),
    )


@bp.post("/staff/sso")
@require_role("admin")
def settings_save() -> Response:
    session_, form = get_session(), request.form
    try:
        found = sso.configure(
            session_,
            form.get("issuer", ""),
            form.get("client_id", ""),
            form.get("client_secret") or None,
            enabled=form.get("enabled") == "on",
        )
    except InvalidInput as exc:
        flash(translate(exc.words), "error")
        return redirect(url_for("sso.settings"))
    audit.commit(session_, actor(), "sso.configure", found, issuer=found.issuer, on=found.enabled)
    return redirect(url_for("sso.settings"))


@bp.post("/staff/sso/domains")
@require_role("admin")
def domain_allow() -> Response:
    session_, form = get_session(), request.form
    try:
        found = sso.allow_domain(session_, form.get("domain", ""), form.get("role", ""))
    except InvalidInput as exc:
        flash(translate(exc.words), "error")
        return redirect(url_for("sso.settings"))
    audit.commit(session_, actor(), "sso.allow", found, domain=found.domain, role=found.role)
    return redirect(url_for("sso.settings"))


@bp.post("/staff/sso/domains/remove")
@require_role("admin")
def domain_disallow() -> Response:
    session_, domain = get_session(), request.form.get("domain", "")
    if not sso.disallow_domain(session_, domain):
        abort(404)
    audit.commit(session_, actor(), "sso.disallow", None, domain=domain)
    return redirect(url_for("sso.settings"))
