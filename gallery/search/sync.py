"""The index follows the database: committed edits to photos and albums are queued for indexing.

Session events watch every flush (the API, the staff pages, the CLI alike) for changes to
what the index holds: a caption, a keyword, consent, trash, an album's title, place or
visibility, a deleted photo. After the commit the photos are queued; the request (or CLI
command) waits for them when it ends, a few seconds at most (SEARCH_WAIT) for a request, so
the next search sees the edit. New photos come only from imports, which index them in one
batch (gallery.imports.after_import); code that makes photos some other way calls
`index_photos`. Bulk UPDATE statements bypass the events: call `index_photos` after them
(the change log has them all the same: every machine's follower applies them).

Every change is also appended to the change log (changes.py) in the changing transaction,
at flush time: the other machines' indexes follow it (follow.py), and a rolled-back edit
logs nothing.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from weakref import WeakValueDictionary

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from gallery.core.models import Album, Photo
from gallery.search import changes
from gallery.search.engine import SearchIndex

log = logging.getLogger(__name__)

PHOTO_FIELDS = (
    "album_id",
    "title",
    "title_en",
    "caption",
    "caption_en",
    "alt_text",
    "keywords",
    "credit",
    "consent",
    "status",
    "taken_at",
    "camera_make",
    "camera_model",
)
ALBUM_FIELDS = ("slug", "title", "place", "visibility", "status", "event_date")
_KEY = "gallery.search.pending"
# Database URL -> the index that follows it; weak, so an app that is gone lets go of its index.
_INDEXES: WeakValueDictionary[str, SearchIndex] = WeakValueDictionary()


@dataclass
class Pending:
    """What a transaction changed that the index must learn once it commits."""

    photos: set[int] = field(default_factory=set)
    albums: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)


def watch(app: Flask, engine: Engine, index: SearchIndex) -> None:
    """Keep `index` in step with commits to `engine`'s database, by any session."""
    # Listening on the Session class, not on one sessionmaker, catches every session the
    # app makes (readers, writers, the importer's); the database tells which index.
    _INDEXES[_database(engine)] = index
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _submit)
        event.listen(Session, "after_rollback", lambda session: session.info.pop(_KEY, None))
        event.listen(Session, "do_orm_execute", _collect_bulk)
    app.before_request(_mark_request)
    app.teardown_appcontext(_settle_pending)


def _database(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _index_of(session: Session) -> SearchIndex | None:
    bind = session.bind
    return _INDEXES.get(_database(bind)) if bind is not None else None


def _collect(session: Session, _context) -> None:
    if _index_of(session) is None:
        return
    pending = session.info.setdefault(_KEY, Pending())
    flushed = Pending()
    for obj in session.dirty:
        if isinstance(obj, Photo) and _changed(obj, PHOTO_FIELDS):
            flushed.photos.add(obj.id)
        elif isinstance(obj, Album) and _changed(obj, ALBUM_FIELDS):
            flushed.albums.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Photo):
            flushed.removed.add(obj.id)
    # New photos are logged for the other machines; this one indexes an import's photos
    # in one batch when it ends (photos_added).
    added = {obj.id for obj in session.new if isinstance(obj, Photo)}
    changes.append(session, flushed.photos | flushed.removed | added, flushed.albums)
    pending.photos |= flushed.photos
    pending.albums |= flushed.albums
    pending.removed |= flushed.removed


def _collect_bulk(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE statement of photos or albums (no objects, so no flush): the
    rows it is about to change, read by its own WHERE in its transaction, are logged for
    every machine's follower. This process's index is left to `index_photos`, as before."""
    if not (state.is_update or state.is_delete) or _index_of(state.session) is None:
        return
    mapper = state.bind_mapper
    kind = mapper.class_ if mapper is not None else None
    if kind not in (Photo, Album):
        return
    where = state.statement.whereclause  # type: ignore[attr-defined]
    ids = set(
        state.session.scalars(select(kind.id) if where is None else select(kind.id).where(where))
    )
    if kind is Album:
        changes.append(state.session, albums=ids)
    else:
        changes.append(state.session, photos=ids)


def _changed(obj, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _submit(session: Session) -> None:
    pending: Pending | None = session.info.pop(_KEY, None)
    index = _index_of(session)
    if index is None or pending is None:
        return
    if not (pending.photos or pending.albums or pending.removed):
        return
    future = index.submit(pending.photos, pending.removed, albums=pending.albums)
    track(future)


def track(future: Future) -> None:
    """Let the current request or command wait for this index update when it ends."""
    if has_app_context():
        g.setdefault("search_pending", []).append(future)


def _mark_request() -> None:
    g.search_in_request = True


def _settle_pending(_exc: BaseException | None) -> None:
    futures = g.pop("search_pending", [])
    # A request waits a few seconds at most; a CLI command until its changes are indexed.
    wait = float(current_app.config["SEARCH_WAIT"]) if g.get("search_in_request") else None
    deadline = None if wait is None else time.monotonic() + wait
    for future in futures:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            future.result(left)
        except TimeoutError:
            log.info("search index update still queued after %s s; it lands shortly", wait)
            return
        except Exception:  # logged by the writer thread; `gallery check` reports it
            return
