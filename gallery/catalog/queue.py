"""Uploads through a job queue (QUEUE_URL): the web process keeps the file and a job row and
answers 202; a `gallery worker` imports it with its own decode pool.

Dramatiq on Redis. Its Redis broker takes a message off the queue only when its job ends:
a worker killed in the middle of one (SIGKILL, the OOM killer, a machine gone) stops its
heartbeat, and after QUEUE_HEARTBEAT seconds another worker is given the message. RQ
would move such a job to a failed list instead, and procrastinate needs PostgreSQL, which
the embedded default has not. Each file is still decoded in the worker's decode pool, with
its memory cap and time limit per file; the job row counts the attempts, so an upload
whose workers keep dying under it is reported failed, not tried forever.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.datastructures import FileStorage

from gallery.catalog import imports
from gallery.catalog.uploads import intake_of
from gallery.core import db
from gallery.core.messages import N_, Message
from gallery.core.models import Photo, UploadJob, as_utc
from gallery.core.states import JobState, Result
from gallery.ingest.errors import Rejected, disk_full
from gallery.ingest.pipeline import Outcome
from gallery.ingest.sources import ZIP_MAGIC, Source
from gallery.ingest.workers import WorkerPool

log = logging.getLogger(__name__)

QUEUE = "uploads"
ACTOR = "import_upload"
NAMESPACE = "gallery"
# Commands in a million that look for dead workers' jobs: about one poll in ten, so a
# killed worker's job moves within a few seconds of its heartbeat running out.
MAINTENANCE = 100_000
POLL_MS = 100
GAVE_UP = N_("the workers kept failing on this upload (%(attempts)s attempts)")


class QueueDown(Exception):
    """The queue's broker could not be reached: the upload was not taken."""


def queued() -> bool:
    """Whether uploads go to the job queue rather than this process's decode pool."""
    return bool(current_app.config["QUEUE_URL"])


# --- the web side ------------------------------------------------------------------------


def queue_upload(album_id: int, upload: FileStorage, user: str) -> UploadJob | Outcome:
    """Keep an uploaded file for a worker and queue it; a refusal if it can't be kept."""
    intake = intake_of(upload)
    intake.close()
    filename = upload.filename or ""
    if not intake.complete:
        return _refused(filename or "upload", disk_full())
    storage = current_app.extensions["gallery.storage"]
    key = storage.put_incoming(intake.temp)
    with db.session_factory()() as session, session.begin():
        job = UploadJob(album_id=album_id, user=user, filename=filename[:255], incoming=key)
        session.add(job)
    try:
        _broker(current_app).enqueue(_message(job.id))
    except Exception as exc:  # the broker is down: nothing waits for a worker
        log.warning("could not queue upload %s: %s", job.id, exc)
        _settle(job.id, JobState.FAILED, [])
        storage.remove_incoming(key)
        raise QueueDown(str(exc)) from exc
    return job


def upload_outcomes(job: UploadJob) -> list[Outcome]:
    """What a settled job's files became, as the pipeline said it."""
    return [_outcome(record) for record in job.outcomes]


def _broker(app: Flask) -> Any:
    """This app's broker, made on first use (dramatiq is imported only when queueing)."""
    broker = app.extensions.get("gallery.queue")
    if broker is None:
        broker = app.extensions["gallery.queue"] = make_broker(app.config)
    return broker


def make_broker(config: dict) -> Any:
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import Retries, ShutdownNotifications

    # Not Dramatiq's TimeLimit: a file's time limit is the decode pool's, and a zip of
    # hundreds of photos may rightly take long.
    retries = Retries(max_retries=config["QUEUE_ATTEMPTS"], min_backoff=1000, max_backoff=30_000)
    broker = RedisBroker(
        url=config["QUEUE_URL"],
        namespace=NAMESPACE,
        heartbeat_timeout=config["QUEUE_HEARTBEAT"] * 1000,
        maintenance_chance=MAINTENANCE,
        middleware=[ShutdownNotifications(), retries],
    )
    broker.declare_queue(QUEUE)
    return broker


def _message(job_id: int) -> Any:
    from dramatiq import Message as Envelope

    return Envelope(queue_name=QUEUE, actor_name=ACTOR, args=(job_id,), kwargs={}, options={})


# --- the worker side ---------------------------------------------------------------------


def run_worker(app: Flask, threads: int) -> None:
    """Take queued uploads until SIGTERM or SIGINT: `threads` at once, one decode pool."""
    import dramatiq

    broker = make_broker(app.config)
    pool = WorkerPool.from_config(app.config, threads)

    def import_upload(job_id: int) -> None:
        with app.app_context():
            run_job(job_id, pool)

    dramatiq.Actor(
        import_upload, broker=broker, actor_name=ACTOR, queue_name=QUEUE, priority=0, options={}
    )
    # An idle consumer polls Redis at most every POLL_MS: Dramatiq's default second of
    # back-off was most of a photo's wait for a worker (bench/queue_ingest.py).
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=POLL_MS)
    worker.queue_prefetch = threads  # what it can't start yet stays for the other workers
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    worker.start()
    log.info("gallery worker: %s threads on %s", threads, QUEUE)
    try:
        stopping.wait()
    finally:
        worker.stop()
        pool.stop()


def run_job(job_id: int, pool: WorkerPool) -> None:
    """Import one queued upload and keep its outcomes; a settled job is left alone (the
    broker may deliver a message again, after a worker died having done its work)."""
    job = _claim(job_id)
    if job is None:
        return
    storage = current_app.extensions["gallery.storage"]
    try:
        with storage.incoming(job.incoming) as path:
            sources = _file_sources(path, job.filename)
            outcomes = imports.import_sources(job.album_id, sources, pool, user=job.user)
    except Exception:
        if job.attempts < current_app.config["QUEUE_ATTEMPTS"]:
            raise  # Dramatiq tries it again after a pause
        log.exception("upload %s failed %s times; giving up", job_id, job.attempts)
        outcomes = [gave_up(job)]
    imports.audit_uploads(job.album_id, outcomes, job.user)
    _settle(job_id, JobState.DONE, [_record(o) for o in _as_first_attempt(job, outcomes)])
    storage.remove_incoming(job.incoming)


def _claim(job_id: int) -> UploadJob | None:
    """Count an attempt at the job; None when it is settled already or has had its tries.
    (Its row stays readable after the session: sessions here don't expire on commit.)"""
    with db.session_factory()() as session, session.begin():
        job = session.get(UploadJob, job_id, with_for_update=True)
        if job is None or job.state in (JobState.DONE, JobState.FAILED):
            return None
        job.attempts += 1
        job.state = JobState.WORKING
        job.updated_at = datetime.now(UTC)
    limit = current_app.config["QUEUE_ATTEMPTS"]
    if job.attempts > limit:  # its workers died under it every time: say so, and stop
        log.warning("upload %s: workers died under it %s times; giving up", job_id, limit)
        _settle(job_id, JobState.FAILED, [_record(gave_up(job))])
        current_app.extensions["gallery.storage"].remove_incoming(job.incoming)
        return None
    return job


def _as_first_attempt(job: UploadJob, outcomes: list[Outcome]) -> list[Outcome]:
    """An attempt after one that died may find the photos that one committed: they are
    this upload's own, not duplicates (made by the same user since the job began)."""
    if job.attempts == 1:
        return outcomes
    with db.session_factory()() as session:
        ours = {
            photo.id
            for o in outcomes
            if o.status == Result.DUPLICATE
            and (photo := session.get(Photo, o.photo_id)) is not None
            and photo.created_by == job.user
            and as_utc(photo.created_at) >= as_utc(job.created_at)
        }
    return [
        Outcome(o.label, Result.IMPORTED, o.photo_id) if o.photo_id in ours else o for o in outcomes
    ]


def _file_sources(path: Path, filename: str) -> Iterable[Source]:
    """A kept zip's entries, or the kept file itself, under the name it was sent with."""
    with open(path, "rb") as head:
        is_zip = head.read(len(ZIP_MAGIC)) == ZIP_MAGIC
    if is_zip:
        return imports.zip_entries(path, filename)
    return [Source(filename or "upload", filename, lambda: open(path, "rb"))]


def _settle(job_id: int, state: JobState, outcomes: list[dict]) -> None:
    with db.session_factory()() as session, session.begin():
        job = session.get_one(UploadJob, job_id)
        job.state, job.outcomes, job.updated_at = state, outcomes, datetime.now(UTC)


def gave_up(job: UploadJob) -> Outcome:
    """The outcome of an upload the workers failed on too often (or never got)."""
    return _refused(
        job.filename or "upload",
        Rejected("decoder_failed", GAVE_UP, attempts=job.attempts),
    )


def _refused(label: str, exc: Rejected) -> Outcome:
    return Outcome(label, Result.REJECTED, code=exc.code, error=exc.message, words=exc.words)


# --- outcomes kept as JSON ---------------------------------------------------------------


def _record(outcome: Outcome) -> dict:
    return {
        "label": outcome.label,
        "status": outcome.status.value,
        "photo_id": outcome.photo_id,
        "code": outcome.code,
        "error": outcome.error,
        "words": _words(outcome.words) if outcome.words else None,
    }


def _outcome(record: dict) -> Outcome:
    words = record.get("words")
    return Outcome(
        record["label"],
        Result(record["status"]),
        record.get("photo_id"),
        record.get("code"),
        record.get("error"),
        _message_of(words) if words else None,
    )


def _words(message: Message) -> dict:
    values = {
        name: {"message": _words(value)} if isinstance(value, Message) else value
        for name, value in message.values.items()
    }
    return {"text": message.text, "values": values, "count": message.count}


def _message_of(words: dict) -> Message:
    text = words["text"]
    values = {
        name: _message_of(value["message"]) if isinstance(value, dict) else value
        for name, value in words["values"].items()
    }
    return Message(tuple(text) if isinstance(text, list) else text, values, words["count"])
