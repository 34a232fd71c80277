"""Importing into an album, for the CLI and the web alike: pool, pipeline, then upkeep."""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from gallery.catalog import photos
from gallery.catalog.uploads import intake_of
from gallery.core import audit, db, events
from gallery.core.messages import Message
from gallery.core.models import Album
from gallery.core.states import Result
from gallery.culling import upkeep
from gallery.ingest.accept import Intake
from gallery.ingest.errors import is_disk_full
from gallery.ingest.pipeline import Importer, IngestSettings, Outcome
from gallery.ingest.sources import ZIP_MAGIC, Source, ZipLimits, expand
from gallery.ingest.workers import WorkerPool

log = logging.getLogger(__name__)
_pool_lock = threading.Lock()


def zip_limits(config: dict) -> ZipLimits:
    return ZipLimits(config["ZIP_MAX_ENTRIES"], config["ZIP_MAX_BYTES"], config["ZIP_MAX_RATIO"])


def import_sources(
    album_id: int,
    sources: Iterable[Source],
    pool: WorkerPool,
    user: str = "",
    on_done: Callable[[Outcome], None] = lambda _outcome: None,
) -> list[Outcome]:
    """Run sources through the pipeline into the album, then keep the album in order."""
    config = current_app.config
    storage = current_app.extensions["gallery.storage"]
    storage.ensure()
    settings = IngestSettings.from_config(config)
    importer = Importer(
        db.session_factory(), storage, settings, pool, user=user, placed=upkeep.placer(storage)
    )
    outcomes = importer.run(album_id, sources, on_done=on_done)
    after_import(album_id, outcomes)
    return outcomes


def after_import(album_id: int, outcomes: list[Outcome]) -> None:
    """Upkeep once new photos are in: album order by time, then whoever follows new photos
    (search indexes them in one batch)."""
    if not any(o.status == Result.IMPORTED for o in outcomes):
        return
    try:
        with db.session_factory()() as session, session.begin():
            photos.sort_by_time(session, session.get_one(Album, album_id))
        added = [o.photo_id for o in outcomes if o.status == Result.IMPORTED]
        # The app itself is the sender, not the proxy (typed as a Flask, which has no such method).
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        events.photos_added.send(app, ids=added)
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        # The photos are stored and committed: the album's time order follows at the next
        # import, the index at `gallery check --repair` (or `gallery reindex`).
        log.warning("disk full after an import: order by time and search index left: %s", exc)


def import_paths(
    album_id: int,
    paths: list[Path],
    pool: WorkerPool,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    sources = expand(paths, zip_limits(current_app.config))
    return import_sources(album_id, sources, pool, on_done=on_done or (lambda _o: None))


def import_upload(album_id: int, upload: FileStorage, user: str) -> list[Outcome]:
    """One uploaded file (or zip) from a web request, through this process's worker pool.

    Its bytes are in tmp/ already, hashed as they arrived (gallery/catalog/uploads.py): a
    photo's original is placed by renaming them.
    """
    intake = intake_of(upload)
    intake.close()  # the request is read: a zip is opened by its path
    try:
        sources = _upload_sources(intake, upload.filename or "")
        outcomes = import_sources(album_id, sources, web_pool(), user=user)
    finally:
        intake.discard()
    audit_uploads(album_id, outcomes, user)
    return outcomes


def _upload_sources(intake: Intake, filename: str) -> Iterable[Source]:
    """A zip's entries, or the upload itself (also a zip that met a full disk, to say so)."""
    if intake.head.startswith(ZIP_MAGIC) and intake.complete:
        return zip_entries(intake.temp, filename)
    return [Source(filename or "upload", filename, lambda: intake)]


def zip_entries(path: Path, filename: str) -> Iterable[Source]:
    """An uploaded zip's entries, reported under the name the zip was sent with."""
    sources = expand([path], zip_limits(current_app.config))
    return (_named(source, path, filename) for source in sources)


def audit_uploads(album_id: int, outcomes: list[Outcome], user: str) -> None:
    """One audit event for the photos an upload added, however many (a zip's), with their
    count and ids (the photos are committed already)."""
    imported = [o.photo_id for o in outcomes if o.status == Result.IMPORTED]
    if not imported:
        return
    with db.session_factory()() as session, session.begin():
        album = session.get(Album, album_id)
        audit.record(session, user, "photo.upload", album, count=len(imported), ids=imported)


def _named(source: Source, temp: Path, filename: str) -> Source:
    """Report an upload by the name it was sent with, not by its temp file.

    The name is kept raw here (the pipeline cleans it for display, with a fallback when
    nothing is left of it); reports fall back to "upload" for a nameless one.
    """
    label = source.label.replace(str(temp), filename or "upload", 1)
    name = filename if source.label == str(temp) else source.filename
    return Source(label, name, source.open, source.problem)


def web_pool() -> WorkerPool:
    """The web process's own decode pool, made on the first upload."""
    extensions = current_app.extensions
    with _pool_lock:
        pool = extensions.get("gallery.pool")
        if pool is None:
            pool = extensions["gallery.pool"] = WorkerPool.from_config(
                current_app.config, in_server=True
            )
            atexit.register(pool.stop)
    return pool


def import_report(outcomes: list[Outcome], say: Callable[[Message], str] = str) -> dict:
    """The `--json` shape of DESIGN.md; `say` puts a refusal in words (English by default,
    the request's language for the API)."""
    return {
        "imported": [o.photo_id for o in outcomes if o.status == Result.IMPORTED],
        "duplicates": [
            {"path": o.label, "photo_id": o.photo_id}
            for o in outcomes
            if o.status == Result.DUPLICATE
        ],
        "rejected": [
            {"path": o.label, "code": o.code, "error": say(o.words) if o.words else o.error}
            for o in outcomes
            if o.status == Result.REJECTED
        ],
    }
