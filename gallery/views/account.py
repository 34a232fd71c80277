"""Signing in and out."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from gallery import accounts, auth
from gallery.db import get_session
from gallery.i18n import gettext

bp = Blueprint("account", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=_safe_next())
    email = request.form.get("email", "").strip().lower()
    keys = [f"email:{email}", f"addr:{request.remote_addr}"]
    session, config = get_session(), current_app.config
    pause = timedelta(minutes=config["LOGIN_PAUSE_MINUTES"])
    if accounts.too_many_failures(session, keys, config["LOGIN_MAX_FAILURES"], pause):
        minutes = config["LOGIN_PAUSE_MINUTES"]
        message = gettext("Too many failed sign-ins. Wait %(minutes)s minutes.", minutes=minutes)
        return render_template("login.html", error=message, email=email), 429
    user = accounts.authenticate(session, email, request.form.get("password", ""))
    if user is None:
        accounts.record_failure(session, keys)
        session.commit()
        return render_template(
            "login.html", error=gettext("Wrong email or password."), email=email, next=_safe_next()
        ), 401
    accounts.forget_failures(session, keys, older_than=pause)
    session.commit()
    auth.sign_in(user)
    return redirect(_safe_next() or url_for("staff.home"))


@bp.post("/logout")
def logout():
    auth.sign_out()
    return redirect(url_for("public.index"))


def _safe_next() -> str:
    """Only a path on this site: an absolute URL here would be an open redirect."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target
