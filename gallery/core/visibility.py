"""Who may see what: the one rule behind every page, API answer, search, list, feed,
article, export, press kit, contact sheet and file download.

Albums. Staff see every album but the trash. Visitors see a public album, and an unlisted
one through its secret link (`?key=`); never a draft or private one. Only public albums
are *listed*: on the home and year pages, in the feed, in search and in album counts.

Photos. Within an album the viewer may see, staff see every photo but the trash, visitors
the active photos whose people consented (`ok`).

Published elsewhere. An article, its export and press kit, and the rendition files show a
visitor only photos that are *publishable*: active, consented, in an active public or
unlisted album (the editor chose to publish them; an unlisted album's photos are reached
by a link, as they are through its secret link).

The trash is seen by no one but an admin on the trash page. Everything a viewer may not
see answers 404, never 403, so nothing tells a visitor it exists. Each rule has a Python
form for rows already loaded and an SQL form for queries; the tests hold them together.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_

from gallery.core.models import Album, Photo
from gallery.core.states import Consent, Status, Visibility

REACHABLE = (Visibility.PUBLIC, Visibility.UNLISTED)


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as far as seeing goes."""

    staff: bool = False  # signed in with any role, or an API token
    key: str | None = None  # the secret of an unlisted album's link, if the request has one


VISITOR = Viewer()
STAFF = Viewer(staff=True)


# --- albums ------------------------------------------------------------------------------


def may_see_album(album: Album | None, viewer: Viewer) -> bool:
    """Staff: all but the trash. Visitors: public, or unlisted with its secret."""
    if album is None or album.status != Status.ACTIVE:
        return False
    if viewer.staff or album.visibility == Visibility.PUBLIC:
        return True
    given = (viewer.key or "").encode()  # bytes: compare_digest refuses non-ASCII text
    return album.visibility == Visibility.UNLISTED and hmac.compare_digest(
        given, album.secret.encode()
    )


def is_listed(album: Album) -> bool:
    """Listed for visitors (home, years, feed, search): public and not in the trash."""
    return album.visibility == Visibility.PUBLIC and album.status == Status.ACTIVE


def listed_albums() -> ColumnElement[bool]:
    """`is_listed` as SQL."""
    return and_(Album.visibility == Visibility.PUBLIC, Album.status == Status.ACTIVE)


def is_live(album: Album) -> bool:
    """Listed for staff (the staff album list): every album but the trash."""
    return album.status == Status.ACTIVE


def live_albums() -> ColumnElement[bool]:
    """`is_live` as SQL: albums staff see, every one but the trash."""
    return Album.status == Status.ACTIVE


# --- photos ------------------------------------------------------------------------------


def shown_in_album(photo: Photo, viewer: Viewer) -> bool:
    """Within an album the viewer may see: staff see all but the trash, visitors the
    consented ones."""
    return photo.status == Status.ACTIVE and (viewer.staff or photo.consent == Consent.OK)


def shown_photos(viewer: Viewer, photo: Any = Photo) -> ColumnElement[bool]:
    """`shown_in_album` as SQL (of `photo`: Photo, or an alias of it)."""
    active = photo.status == Status.ACTIVE
    return active if viewer.staff else and_(active, photo.consent == Consent.OK)


def may_see_photo(photo: Photo | None, viewer: Viewer) -> bool:
    """The photo and its album (the album's own key counts for an unlisted one)."""
    return (
        photo is not None and may_see_album(photo.album, viewer) and shown_in_album(photo, viewer)
    )


def is_publishable(photo: Photo) -> bool:
    """Whether articles, exports, press kits and rendition files may show it to visitors."""
    album = photo.album
    return (
        photo.status == Status.ACTIVE
        and photo.consent == Consent.OK
        and album.status == Status.ACTIVE
        and album.visibility in REACHABLE
    )


def publishable_photos() -> ColumnElement[bool]:
    """`is_publishable` as SQL (the query joins Album)."""
    return and_(
        shown_photos(VISITOR),
        Album.status == Status.ACTIVE,
        Album.visibility.in_(REACHABLE),
    )


def shown_in_article(photo: Photo, viewer: Viewer) -> bool:
    """An article shows visitors its publishable photos, and staff all but the trash."""
    if viewer.staff:
        return photo.status == Status.ACTIVE and photo.album.status == Status.ACTIVE
    return is_publishable(photo)


def is_findable(photo: Photo, viewer: Viewer) -> bool:
    """Whether search may find it: visitors only in listed albums, staff all but the trash."""
    album = photo.album
    if viewer.staff:
        return photo.status == Status.ACTIVE and album.status == Status.ACTIVE
    return is_listed(album) and shown_in_album(photo, VISITOR)


def findable_photos(viewer: Viewer) -> ColumnElement[bool]:
    """`is_findable` as SQL (the query joins Album)."""
    if viewer.staff:
        return and_(Photo.status == Status.ACTIVE, live_albums())
    return and_(listed_albums(), shown_photos(VISITOR))
