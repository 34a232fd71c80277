"""One file in -> one photo out, or a clear refusal; many files through the worker pool.

Order of work, so a crash at any moment leaves nothing half-done under a final name:
temp file (hashed) -> worker (check, decode, render, metadata) -> original moved into
place -> renditions written atomically -> one database transaction.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gallery.ingest.accept import EXTENSIONS, Received, receive
from gallery.ingest.decode import Limits
from gallery.ingest.errors import Rejected
from gallery.ingest.renditions import Rendered, RenditionSpec
from gallery.ingest.sources import Source
from gallery.ingest.workers import Processed, WorkerPool
from gallery.models import Album, Photo, Rendition
from gallery.storage import LocalStorage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestSettings:
    spec: RenditionSpec
    limits: Limits
    max_bytes: int

    @classmethod
    def from_config(cls, config: dict) -> IngestSettings:
        return cls(
            RenditionSpec(tuple(config["RENDITION_SIZES"]), config["RENDITION_QUALITY"]),
            Limits(config["MAX_PIXELS"], config["MAX_FRAMES"]),
            config["MAX_UPLOAD_BYTES"],
        )


@dataclass(frozen=True)
class Outcome:
    """What became of one source: imported, duplicate (of photo_id), rejected or rendered."""

    label: str
    status: str
    photo_id: int | None = None
    code: str | None = None
    error: str | None = None


@dataclass
class _Pending:
    source: Source
    received: Received | None = None
    future: Future | None = None
    outcome: Outcome | None = None
    same_as: str | None = None  # an earlier file of this batch had the same bytes


@dataclass
class Importer:
    """Imports sources into one album through the worker pool, committing in input order."""

    sessions: sessionmaker[Session]
    storage: LocalStorage
    settings: IngestSettings
    pool: WorkerPool
    user: str = ""
    _batch: dict[str, Outcome | None] = field(default_factory=dict)

    def run(
        self,
        album_id: int,
        sources: Iterable[Source],
        on_done: Callable[[Outcome], None] = lambda _outcome: None,
    ) -> list[Outcome]:
        """Import every source; `on_done` hears of each outcome as it is settled."""
        outcomes: list[Outcome] = []
        window: deque[_Pending] = deque()
        try:
            for source in sources:
                window.append(self._start(album_id, source))
                # Keep the workers busy while bounding the temp files waiting on disk.
                while len(window) > 2 * self.pool.workers:
                    outcomes.append(self._settle(album_id, window.popleft(), on_done))
            while window:
                outcomes.append(self._settle(album_id, window.popleft(), on_done))
        finally:  # interrupted: files still in flight leave no temp behind
            for pending in window:
                if pending.received:
                    pending.received.temp.unlink(missing_ok=True)
        return outcomes

    def _start(self, album_id: int, source: Source) -> _Pending:
        pending = _Pending(source)
        try:
            pending.received = self._receive(source)
        except Rejected as exc:
            pending.outcome = _rejected(source.label, exc)
            return pending
        sha = pending.received.sha256
        with self.sessions() as session:
            existing = session.scalar(Photo.in_album_query(album_id, sha))
        if existing is not None:
            pending.received.temp.unlink(missing_ok=True)
            pending.outcome = Outcome(source.label, "duplicate", photo_id=existing)
        elif sha in self._batch:
            pending.received.temp.unlink(missing_ok=True)
            pending.same_as = sha
        else:
            self._batch[sha] = None
            received = pending.received
            pending.future = self.pool.submit(
                received.temp, received.format, self.settings.spec, self.settings.limits
            )
        return pending

    def _receive(self, source: Source) -> Received:
        try:
            with source.open() as stream:
                return receive(stream, self.storage, self.settings.max_bytes)
        except Rejected:
            raise
        except Exception as exc:  # unreadable file or damaged archive entry
            raise Rejected("corrupt", f"the file could not be read: {exc}") from exc

    def _settle(self, album_id: int, pending: _Pending, on_done) -> Outcome:
        outcome = pending.outcome or self._finish(album_id, pending)
        on_done(outcome)
        return outcome

    def _finish(self, album_id: int, pending: _Pending) -> Outcome:
        label, received = pending.source.label, pending.received
        assert received is not None
        if pending.same_as:
            first = self._batch[pending.same_as]
            if first is None or first.status == "rejected":
                return Outcome(
                    label, "rejected", code=first and first.code, error=first and first.error
                )
            return Outcome(label, "duplicate", photo_id=first.photo_id)
        try:
            processed = self.pool.result(pending.future)
        except Rejected as exc:
            received.temp.unlink(missing_ok=True)
            outcome = _rejected(label, exc)
        else:
            outcome = self._store(album_id, pending, processed)
        self._batch[received.sha256] = outcome
        return outcome

    def _store(self, album_id: int, pending: _Pending, processed: Processed) -> Outcome:
        received = pending.received
        self.storage.put_original(received.temp, received.sha256, received.extension)
        write_renditions(self.storage, received.sha256, processed.rendered)
        photo_id, is_new = self._commit(album_id, pending.source, received, processed)
        return Outcome(pending.source.label, "imported" if is_new else "duplicate", photo_id)

    def _commit(
        self, album_id: int, source: Source, received: Received, processed: Processed
    ) -> tuple[int, bool]:
        """Insert the photo; if another import won the race for these bytes, report theirs."""
        for _attempt in range(5):
            with self.sessions() as session:
                album = session.get(Album, album_id)
                photo = new_photo(album, source.filename, received, processed, self.user)
                photo.number = album.next_number(session)
                session.add(photo)
                try:
                    session.commit()
                    return photo.id, True
                except IntegrityError:
                    session.rollback()
                    existing = session.scalar(Photo.in_album_query(album_id, received.sha256))
                    if existing is not None:
                        return existing, False
        raise RuntimeError("could not number the photo after 5 attempts")


def new_photo(
    album: Album, filename: str, received: Received, processed: Processed, user: str
) -> Photo:
    """A photo row from what the worker learned (number left to the caller)."""
    meta = processed.metadata
    gps = meta.gps
    return Photo(
        album_id=album.id,
        filename=clean_filename(filename),
        sha256=received.sha256,
        format=received.format,
        byte_size=received.size,
        width=processed.rendered.width,
        height=processed.rendered.height,
        orientation=meta.orientation,
        taken_at=meta.taken_at,
        camera_make=meta.camera_make,
        camera_model=meta.camera_model,
        lens=meta.lens,
        exposure_time=meta.exposure_time,
        f_number=meta.f_number,
        iso=meta.iso,
        focal_length=meta.focal_length,
        gps_lat=gps.lat if gps else None,
        gps_lon=gps.lon if gps else None,
        gps_alt=gps.alt if gps else None,
        title=meta.title or "",
        caption=meta.caption or "",
        keywords=list(meta.keywords),
        credit=meta.credit or "",
        copyright=meta.copyright or "",
        created_by=user,
        renditions=rendition_rows(processed.rendered),
    )


def rebuild_renditions(
    sessions: sessionmaker[Session],
    storage: LocalStorage,
    settings: IngestSettings,
    pool: WorkerPool,
    photo_ids: list[int],
) -> list[Outcome]:
    """Render these photos' originals again and replace their rendition files and rows."""
    with sessions() as session:
        photos = session.scalars(select(Photo).where(Photo.id.in_(photo_ids))).all()
        originals = {p.sha256: p.format for p in photos}
    window: deque[tuple[str, Future]] = deque()
    outcomes = []
    for sha, fmt in originals.items():
        path = storage.original_path(sha, EXTENSIONS[fmt])
        window.append((sha, pool.submit(path, fmt, settings.spec, settings.limits)))
        while len(window) > 2 * pool.workers:
            outcomes.append(_replace_renditions(sessions, storage, pool, *window.popleft()))
    while window:
        outcomes.append(_replace_renditions(sessions, storage, pool, *window.popleft()))
    return outcomes


def _replace_renditions(sessions, storage, pool, sha: str, future: Future) -> Outcome:
    try:
        rendered = pool.result(future).rendered
    except Rejected as exc:
        return _rejected(sha, exc)
    storage.remove_renditions(sha)
    write_renditions(storage, sha, rendered)
    with sessions() as session, session.begin():
        photos = session.scalars(select(Photo).where(Photo.sha256 == sha)).all()
        for photo in photos:
            photo.renditions.clear()
        session.flush()  # delete the old rows before the new ones take their names
        for photo in photos:
            photo.renditions.extend(rendition_rows(rendered))
    return Outcome(sha, "rendered")


def write_renditions(storage: LocalStorage, sha256: str, rendered: Rendered) -> None:
    for rendition in rendered.renditions:
        storage.write_rendition(sha256, rendition.name, rendition.format, rendition.data)


def rendition_rows(rendered: Rendered) -> list[Rendition]:
    return [
        Rendition(
            name=r.name, width=r.width, height=r.height, format=r.format, byte_size=len(r.data)
        )
        for r in rendered.renditions
    ]


def clean_filename(name: str) -> str:
    """A file name safe to store and show: its last path part, printable, at most 255 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if ch.isprintable() and ch not in "\u202a\u202b\u202c\u202d\u202e"
    )
    return name.strip()[:255] or "unnamed"


def _rejected(label: str, exc: Rejected) -> Outcome:
    return Outcome(label, "rejected", code=exc.code, error=exc.message)


__all__ = ["EXTENSIONS", "Importer", "IngestSettings", "Outcome"]
