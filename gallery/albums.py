"""Album operations shared by the CLI, the staff pages and the API."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gallery.models import VISIBILITIES, Album, Photo

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?$")


class InvalidInput(ValueError):
    """A value a user gave that the gallery cannot take, with the reason."""


def create_album(session: Session, slug: str, title: str | None = None, **fields) -> Album:
    """A new album; the slug must be unused and URL-safe."""
    if not SLUG.match(slug):
        raise InvalidInput(
            f"album slug {slug!r} must use lowercase letters, digits and hyphens, e.g. open-day"
        )
    if Album.by_slug(session, slug):
        raise InvalidInput(f"an album with the slug {slug!r} already exists")
    album = Album(slug=slug, title=title or slug)
    session.add(album)
    update_album(album, **fields)
    return album


def update_album(
    album: Album,
    *,
    title: str | None = None,
    event_date: str | None = None,
    place: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
    allow_original_download: bool | None = None,
) -> Album:
    """Change the given fields only; each value is checked first."""
    if title is not None:
        album.title = _required_text(title, "title")
    if event_date is not None:
        album.event_date = parse_date(event_date) if event_date else None
    if place is not None:
        album.place = place.strip()
    if description is not None:
        album.description = description.strip()
    if visibility is not None:
        if visibility not in VISIBILITIES:
            raise InvalidInput(f"visibility must be one of {', '.join(VISIBILITIES)}")
        album.visibility = visibility
    if allow_original_download is not None:
        if not isinstance(allow_original_download, bool):
            raise InvalidInput("allow_original_download must be true or false")
        album.allow_original_download = allow_original_download
    return album


def get_or_create(session: Session, slug: str, title: str | None = None) -> Album:
    """The album with this slug, created (as a draft) if it does not exist yet."""
    return Album.by_slug(session, slug) or create_album(session, slug, title)


def photo_counts(session: Session, *, visitor: bool = False) -> dict[int, int]:
    """Active photos per album id; for visitors only those they may see (consented)."""
    query = select(Photo.album_id, func.count()).where(Photo.status == "active")
    if visitor:
        query = query.where(Photo.consent == "ok")
    query = query.group_by(Photo.album_id)
    return {album_id: count for album_id, count in session.execute(query)}


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"date {text!r} is not a date like 2026-05-31") from None


def _required_text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput(f"the {what} must not be empty")
    return text
