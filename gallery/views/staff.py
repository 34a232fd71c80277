"""The staff workspace: albums, their settings and photos, users, the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from gallery import accounts, audit
from gallery.albums import InvalidInput, create_album, photo_counts, update_album
from gallery.auth import current_user, require_role
from gallery.db import get_session
from gallery.i18n import gettext
from gallery.models import Album, User
from gallery.representations import album_to_dict

bp = Blueprint("staff", __name__, url_prefix="/staff")

ALBUM_FIELDS = ("title", "event_date", "place", "description", "visibility")


@bp.get("/")
@require_role("staff")
def home():
    session = get_session()
    albums = session.scalars(
        select(Album).where(Album.status == "active").order_by(Album.created_at.desc())
    ).all()
    return render_template("staff/home.html", albums=albums, counts=photo_counts(session))


@bp.post("/albums")
@require_role("staff")
def album_create():
    session = get_session()
    fields = {name: request.form.get(name) for name in ALBUM_FIELDS if request.form.get(name)}
    try:
        album = create_album(session, request.form.get("slug", "").strip(), **fields)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.home"))
    audit.record(session, _actor(), "album.create", album)
    session.commit()
    return redirect(url_for("staff.album", slug=album.slug))


@bp.get("/albums/<slug>")
@require_role("staff")
def album(slug: str):
    found = _album(slug)
    # The unlisted link exactly as the API gives it to staff.
    secret_url = album_to_dict(found, 0, staff=True)["secret_url"]
    return render_template("staff/album.html", album=found, secret_url=secret_url)


@bp.post("/albums/<slug>")
@require_role("staff")
def album_update(slug: str):
    found = _album(slug)
    session = get_session()
    fields = {name: request.form[name] for name in ALBUM_FIELDS if name in request.form}
    try:
        update_album(found, **fields)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.album", slug=slug))
    audit.record(session, _actor(), "album.update", found, **fields)
    session.commit()
    flash(gettext("Saved."), "ok")
    return redirect(url_for("staff.album", slug=slug))


@bp.get("/users")
@require_role("admin")
def users():
    people = get_session().scalars(select(User).order_by(User.email)).all()
    return render_template("staff/users.html", users=people, roles=accounts.ROLES)


@bp.post("/users")
@require_role("admin")
def user_add():
    session = get_session()
    form = request.form
    try:
        user = accounts.create_user(session, form["email"], form["role"], form["password"])
    except (InvalidInput, KeyError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.users"))
    audit.record(session, _actor(), "user.add", user, role=user.role)
    session.commit()
    return redirect(url_for("staff.users"))


@bp.post("/users/<int:user_id>")
@require_role("admin")
def user_update(user_id: int):
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    role, active = request.form.get("role", user.role), request.form.get("active") == "on"
    if role not in accounts.ROLES:
        abort(400, "unknown role")
    if user.id == current_user().id and (role != "admin" or not active):
        flash(gettext("You cannot take away your own admin rights."), "error")
        return redirect(url_for("staff.users"))
    user.role, user.active = role, active
    audit.record(session, _actor(), "user.update", user, role=role, active=active)
    session.commit()
    return redirect(url_for("staff.users"))


@bp.post("/tokens/<int:token_id>/revoke")
@require_role("admin")
def token_revoke(token_id: int):
    session = get_session()
    try:
        token = accounts.revoke_token(session, token_id)
    except InvalidInput:
        abort(404)
    audit.record(session, _actor(), "token.revoke", token.user, token_id=token_id)
    session.commit()
    return redirect(url_for("staff.users"))


@bp.get("/trash")
@require_role("admin")
def trash():
    """Trashed albums and photos; the page lists, restores and empties them through the API."""
    return render_template("staff/trash.html")


@bp.get("/audit")
@require_role("admin")
def audit_log():
    page = max(1, request.args.get("page", 1, type=int))
    events = audit.recent(get_session(), limit=100, offset=(page - 1) * 100)
    return render_template("staff/audit.html", events=events, page=page)


def _album(slug: str) -> Album:
    found = Album.by_slug(get_session(), slug)
    if found is None or found.status != "active":
        abort(404)
    return found


def _actor() -> str:
    return current_user().email
