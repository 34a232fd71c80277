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

from gallery.core.messages import N_, Message
from gallery.core.models import Album, Photo, Rendition
from gallery.core.states import Result
from gallery.core.storage import Storage
from gallery.ingest.accept import EXTENSIONS, Received, receive
from gallery.ingest.decode import Limits
from gallery.ingest.errors import Rejected, disk_full, is_disk_full
from gallery.ingest.filenames import clean_filename
from gallery.ingest.renditions import Rendered, RenditionSpec
from gallery.ingest.sources import Source
from gallery.ingest.workers import Processed, WorkerPool

log = logging.getLogger(__name__)

NOT_TRIED = N_("not imported: the disk filled up earlier in this import; import it again later")


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
    status: Result
    photo_id: int | None = None
    code: str | None = None
    error: str | None = None  # why it was rejected, in English
    words: Message | None = None  # the same, for the web layer to translate


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
    storage: Storage
    settings: IngestSettings
    pool: WorkerPool
    user: str = ""
    # Called in the transaction that adds each photo, after its row is flushed (culling
    # stacks it and looks for its near-duplicates there, so a photo is never in without).
    placed: Callable[[Session, Photo], None] | None = None
    _batch: dict[str, Outcome | None] = field(default_factory=dict)
    _disk_full: bool = False  # once the disk is full, the rest is not even tried

    def run(
        self,
        album_id: int,
        sources: Iterable[Source],
        on_done: Callable[[Outcome], None] = lambda _outcome: None,
    ) -> list[Outcome]:
        """Import every source; `on_done` hears of each outcome as it is settled."""
        # While it runs, files it stores before their rows commit are no orphans to check.
        with self.storage.writing():
            return self._run(album_id, sources, on_done)

    def _run(
        self, album_id: int, sources: Iterable[Source], on_done: Callable[[Outcome], None]
    ) -> list[Outcome]:
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
        if self._disk_full:
            pending.outcome = _rejected(source.label, Rejected("disk_full", NOT_TRIED))
            return pending
        try:
            pending.received = self._receive(source)
        except Rejected as exc:
            pending.outcome = _rejected(source.label, exc)
            return pending
        sha = pending.received.sha256
        with self.sessions() as session:
            existing = session.scalar(Photo.in_album_query(album_id, sha))
        if existing is not None:
            # The same bytes again: they heal the original if it went missing (content
            # addressed, so these are the original), else the temp file just goes.
            self.storage.put_original(pending.received.temp, sha, pending.received.extension)
            pending.outcome = Outcome(source.label, Result.DUPLICATE, photo_id=existing)
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
            unreadable = N_("the file could not be read: %(error)s")
            raise Rejected("corrupt", unreadable, error=str(exc)) from exc

    def _settle(
        self, album_id: int, pending: _Pending, on_done: Callable[[Outcome], None]
    ) -> Outcome:
        outcome = pending.outcome or self._finish(album_id, pending)
        self._disk_full = self._disk_full or outcome.code == "disk_full"
        on_done(outcome)
        return outcome

    def _finish(self, album_id: int, pending: _Pending) -> Outcome:
        label, received = pending.source.label, pending.received
        assert received is not None
        if pending.same_as:
            first = self._batch[pending.same_as]
            if first is None or first.status == Result.REJECTED:
                if first is None:
                    return Outcome(label, Result.REJECTED)
                return Outcome(
                    label, Result.REJECTED, code=first.code, error=first.error, words=first.words
                )
            return Outcome(label, Result.DUPLICATE, photo_id=first.photo_id)
        assert pending.future is not None  # received, no outcome yet, no twin: submitted
        try:
            processed = self.pool.result(pending.future)
        except Rejected as exc:
            received.temp.unlink(missing_ok=True)
            outcome = _rejected(label, exc)
        else:
            outcome = self._store(album_id, pending.source, received, processed)
        self._batch[received.sha256] = outcome
        return outcome

    def _store(
        self, album_id: int, source: Source, received: Received, processed: Processed
    ) -> Outcome:
        label = source.label
        brought = self.storage.original_size(received.sha256, received.extension) is None
        try:
            self.storage.put_original(received.temp, received.sha256, received.extension)
            write_renditions(self.storage, received.sha256, processed.rendered)
            photo_id, is_new = self._commit(album_id, source, received, processed)
        except Exception as exc:  # a full disk, mostly: leave nothing of this file behind
            received.temp.unlink(missing_ok=True)
            if brought:
                self._discard_unused(received)
            if not is_disk_full(exc):
                raise
            log.warning("disk full while storing %s: %s", label, exc)
            return _rejected(label, disk_full())
        return Outcome(label, Result.IMPORTED if is_new else Result.DUPLICATE, photo_id)

    def _discard_unused(self, received: Received) -> None:
        """Remove the original and renditions of a failed store, unless a photo row uses them.

        Only called by the import that brought the original: one that found it in place
        (another album's photo, or a concurrent import of the same bytes) leaves it be.
        """
        with self.sessions() as session:
            used = session.scalar(select(Photo.id).where(Photo.sha256 == received.sha256))
        if used is None:
            self.storage.remove_renditions(received.sha256)
            self.storage.remove_original(received.sha256, received.extension)

    def _commit(
        self, album_id: int, source: Source, received: Received, processed: Processed
    ) -> tuple[int, bool]:
        """Insert the photo; if another import won the race for these bytes, report theirs."""
        for _attempt in range(5):
            with self.sessions() as session:
                album = session.get_one(Album, album_id)  # albums are never deleted
                photo = new_photo(album, source.filename, received, processed, self.user)
                photo.number = album.next_number(session)
                session.add(photo)
                try:
                    session.flush()  # a race for the number or the bytes shows here
                    self._place(session, photo)
                    session.commit()
                    return photo.id, True
                except IntegrityError:
                    session.rollback()
                    existing = session.scalar(Photo.in_album_query(album_id, received.sha256))
                    if existing is not None:
                        return existing, False
        raise RuntimeError("could not number the photo after 5 attempts")

    def _place(self, session: Session, photo: Photo) -> None:
        """Run the `placed` hook in a savepoint; if it fails, the photo goes in unmeasured
        (no hash), which is what `gallery check --repair` looks for to place it later."""
        if self.placed is None or photo.phash is None:
            return
        try:
            with session.begin_nested():
                self.placed(session, photo)
        except Exception:
            log.exception("could not place photo %s among the others", photo.id)
            photo.phash = photo.sharpness = photo.exposure = None


def new_photo(
    album: Album, filename: str, received: Received, processed: Processed, user: str
) -> Photo:
    """A photo row from what the worker learned (number left to the caller)."""
    meta = processed.metadata
    gps = meta.gps
    measures = processed.rendered.measures
    return Photo(
        album_id=album.id,
        filename=clean_filename(filename, fallback=_fallback_name(received)),
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
        # marks a photographer gave in a desktop tool, and culling's measures
        rating=meta.rating or 0,
        pick=meta.pick,
        label=meta.label,
        phash=measures.phash if measures else None,
        sharpness=measures.sharpness if measures else None,
        exposure=measures.exposure if measures else None,
    )


def rebuild_renditions(
    sessions: sessionmaker[Session],
    storage: Storage,
    settings: IngestSettings,
    pool: WorkerPool,
    photo_ids: list[int],
) -> list[Outcome]:
    """Render these photos' originals again and replace their rendition files and rows."""
    with storage.writing():
        return _rebuild_renditions(sessions, storage, settings, pool, photo_ids)


def _rebuild_renditions(sessions, storage, settings, pool, photo_ids) -> list[Outcome]:
    with sessions() as session:
        photos = session.scalars(select(Photo).where(Photo.id.in_(photo_ids))).all()
        originals = {p.sha256: p.format for p in photos}
    window: deque[tuple[str, Future]] = deque()
    outcomes = []
    for sha, fmt in originals.items():
        ext = EXTENSIONS[fmt]
        # A lost original's name still goes: the worker's failure to read it is the outcome.
        path = storage.local_original(sha, ext) or storage.original_path(sha, ext)
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
    # New files first (atomic renames over the old names), then the rows, then the files no
    # row names any more: a crash at any point leaves every row with its file.
    write_renditions(storage, sha, rendered)
    with sessions() as session, session.begin():
        photos = session.scalars(select(Photo).where(Photo.sha256 == sha)).all()
        for photo in photos:
            photo.renditions.clear()
        session.flush()  # delete the old rows before the new ones take their names
        for photo in photos:
            photo.renditions.extend(rendition_rows(rendered))
    storage.keep_renditions(sha, {(r.name, r.format) for r in rendered.renditions})
    return Outcome(sha, Result.RENDERED)


def write_renditions(storage: Storage, sha256: str, rendered: Rendered) -> None:
    for rendition in rendered.renditions:
        storage.write_rendition(sha256, rendition.name, rendition.format, rendition.data)


def rendition_rows(rendered: Rendered) -> list[Rendition]:
    return [
        Rendition(
            name=r.name, width=r.width, height=r.height, format=r.format, byte_size=len(r.data)
        )
        for r in rendered.renditions
    ]


def _fallback_name(received: Received) -> str:
    """The name of a photo sent without a usable one: short, unique enough, truthful."""
    return f"photo-{received.sha256[:8]}.{received.extension}"


def _rejected(label: str, exc: Rejected) -> Outcome:
    return Outcome(label, Result.REJECTED, code=exc.code, error=exc.message, words=exc.words)


__all__ = ["EXTENSIONS", "Importer", "IngestSettings", "Outcome", "clean_filename"]
