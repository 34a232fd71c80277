"""Culling's staff pages: the near-duplicates to review and the caption shortcuts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from gallery.accounts.auth import actor, require_role
from gallery.core import audit
from gallery.core.db import get_session
from gallery.core.errors import InvalidInput
from gallery.core.media import rendition_url
from gallery.core.models import Photo
from gallery.culling import near_duplicates, shortcuts
from gallery.web.contract import form_id
from gallery.web.i18n import gettext, translate

bp = Blueprint("culling", __name__, url_prefix="/staff")


@bp.get("/near-duplicates")
@require_role("staff")
def near_duplicates_page() -> str:
    """Each photo that shows an earlier one again, beside it, to keep, trash or dismiss."""
    session = get_session()
    pairs = near_duplicates.pairs(session)
    ids = {i for pair in pairs for i in (pair.photo_id, pair.duplicate_of)}
    query = select(Photo).where(Photo.id.in_(ids)).options(selectinload(Photo.renditions))
    photos = {photo.id: photo for photo in session.scalars(query)} if ids else {}
    return render_template("staff/near_duplicates.html", pairs=pairs, photos=photos, thumb=_thumb)


@bp.post("/near-duplicates/dismiss")
@require_role("staff")
def dismiss() -> Response:
    session = get_session()
    photo_id = request.form.get("photo_id", type=form_id)
    duplicate_of = request.form.get("duplicate_of", type=form_id)
    if photo_id is None or duplicate_of is None:
        abort(400)
    if not near_duplicates.dismiss(session, photo_id, duplicate_of):
        abort(404)
    pair = {"photo_id": photo_id, "duplicate_of": duplicate_of}
    audit.commit(session, actor(), "near_duplicate.dismiss", None, **pair)
    flash(gettext("Kept as two photos: they will not be reported again."))
    return redirect(url_for("culling.near_duplicates_page"))


@bp.get("/shortcuts")
@require_role("staff")
def shortcuts_page(error: str = "", form: dict[str, str] | None = None) -> str:
    found = shortcuts.all_shortcuts(get_session())
    return render_template("staff/shortcuts.html", shortcuts=found, error=error, form=form or {})


@bp.post("/shortcuts")
@require_role("staff")
def shortcut_save() -> Response | tuple[str, int]:
    session = get_session()
    code, text = request.form.get("code", ""), request.form.get("text", "")
    try:
        saved = shortcuts.save(session, code, text)
    except InvalidInput as exc:
        session.rollback()
        return shortcuts_page(translate(exc.words), {"code": code, "text": text}), 400
    audit.commit(session, actor(), "shortcut.save", None, code=saved.code, text=saved.text)
    flash(gettext("Saved: %(code)s becomes “%(text)s”.", code=saved.code, text=saved.text))
    return redirect(url_for("culling.shortcuts_page"))


@bp.post("/shortcuts/<int:shortcut_id>/delete")
@require_role("staff")
def shortcut_delete(shortcut_id: int) -> Response:
    session = get_session()
    code = shortcuts.remove_by_id(session, shortcut_id)
    if code is None:
        abort(404)
    audit.commit(session, actor(), "shortcut.remove", None, code=code)
    flash(gettext("Removed: %(code)s.", code=code))
    return redirect(url_for("culling.shortcuts_page"))


def _thumb(photo: Photo) -> str:
    ladder = sorted(photo.renditions, key=lambda r: r.width)
    chosen = next((r for r in ladder if r.width >= 640), ladder[-1]) if ladder else None
    return rendition_url(photo.sha256, chosen.name, chosen.format) if chosen else ""
