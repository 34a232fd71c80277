"""`gallery check [--repair]`: is everything stored, whole, and known to the database?

Checked: every original against its SHA-256 (or, with `verify=False`, its size), every
photo row (trashed ones too: the trash keeps its files) against its original and
renditions, every file under originals/ and renditions/ against the rows, and the search
index against the database. The database is the source of truth; repair (repair.py) makes
the files and the index follow it, and moves aside what it cannot explain, never deleting
an original.

Files without a row may be an import's that has not committed yet. While a process holds
a `writing` marker (storage.py), such files younger than `grace` seconds are left for a
later check ("deferred"); with no live writer every file is judged at once, so a check
right after a crash finds what the crash left.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gallery.core import counts
from gallery.core.models import Album, Photo
from gallery.core.storage import LocalStorage, Storage
from gallery.culling.upkeep import unplaced
from gallery.ingest.accept import EXTENSIONS
from gallery.ops.aside import Aside
from gallery.ops.media_scan import Group, PhotoRow, StoredFile, hash_files, walk
from gallery.search.documents import EVERY_ID
from gallery.search.engine import SearchIndex
from gallery.search.service import Drift, check_index

GRACE = 3600.0  # seconds a file without a row may wait for its import's commit
HASHERS = min(4, os.cpu_count() or 1)  # hashlib hashes outside the GIL: threads overlap reads
WINDOW = 64  # hash groups in flight
Hashes = dict[str, str | OSError]  # an original's name -> its SHA-256, or why it is unread


@dataclass(frozen=True, slots=True)  # slots: a lost folder makes a million of these
class Problem:
    """One thing wrong, in plain words: `photo 12 (album 'x', IMG_1.jpg): original is missing`."""

    kind: str
    subject: str
    message: str
    sha256: str = ""
    photo_id: int | None = None
    path: Path | None = None
    intact: bool | None = None  # a file's bytes match its hash (None: not hashed)

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


@dataclass
class Stats:
    photos: int = 0
    originals: int = 0
    renditions: int = 0
    hashed_bytes: int = 0
    media_seconds: float = 0.0  # the walk over files and rows, hashing included
    seconds: float = 0.0


@dataclass
class Report:
    verified: bool  # originals hashed, not only measured
    problems: list[Problem] = field(default_factory=list)
    deferred: list[Path] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    drift: Drift | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def check(
    sessions: sessionmaker[Session],
    storage: Storage,
    index: SearchIndex | None,
    *,
    verify: bool = True,
    grace: float = GRACE,
    progress: Callable[[int], object] = lambda _photos: None,
) -> Report:
    """Compare the store, the rows and the index; `progress` hears of photos as they pass."""
    started = time.monotonic()
    report = Report(verified=verify)
    with ExitStack() as stack:
        # The index is compared in two halves by id in two child processes while this one
        # walks the files: all three are Python's work per photo (the files' walk, the
        # index's fingerprints), so the two cores share it evenly.
        drifts: list[Aside[Drift]] = []
        if index is not None:
            index.ensure_usable()  # rebuilt here if missing, not by each child
            work = [index_drift(sessions, index, ids) for ids in id_halves(sessions)]
            drifts = [stack.enter_context(Aside(part)) for part in work]
        Judge(sessions, storage, report, grace).run(progress)
        report.stats.media_seconds = time.monotonic() - started
        check_culling(sessions, report)
        check_counts(sessions, report)
        if drifts:
            report_drift(sessions, sum((d.result() for d in drifts), Drift([], [], [])), report)
    report.stats.seconds = time.monotonic() - started
    return report


class Judge:
    """Walks the store and the rows in hash order and writes down what does not add up."""

    def __init__(
        self, sessions: sessionmaker[Session], storage: Storage, report: Report, grace: float
    ) -> None:
        self.sessions, self.storage, self.report, self.grace = sessions, storage, report, grace

    def run(self, progress: Callable[[int], object]) -> None:
        strays: list[StoredFile] = []
        with ThreadPoolExecutor(HASHERS) as hashers:
            window: deque[tuple[Group, Future | None]] = deque()
            for group in walk(self.sessions, self.storage, strays):
                hashing = self.report.verified and group.originals
                window.append(
                    (group, hashers.submit(hash_files, group, self.storage) if hashing else None)
                )
                while len(window) > WINDOW:
                    progress(self.group(*window.popleft()))
            while window:
                progress(self.group(*window.popleft()))
        for stray in strays:
            message = "not a file the gallery stores (unknown name or place)"
            self.add(Problem("stray_file", self.name(stray.path), message, path=stray.path))

    def group(self, group: Group, hashing: Future | None) -> int:
        """Judge one hash's rows and files; return how many photos that was."""
        sha, hashes = group.sha256, hashing.result() if hashing else {}
        stats = self.report.stats
        stats.photos += len(group.photos)
        stats.originals += len(group.originals)
        stats.renditions += len(group.renditions)
        stats.hashed_bytes += sum(f.size for f in group.originals if f.name in hashes)
        # Files by name within the hash's folders: cheap to compare, a million times over.
        originals = {f.name: f for f in group.originals if f.size >= 0}
        renditions = {f.name: f for f in group.renditions if f.size >= 0}
        named: set[str] = set()
        for photo in group.photos:
            named |= self.photo(sha, photo, originals, renditions, hashes)
        for stored in [*originals.values(), *renditions.values()]:
            if stored.name not in named:
                self.orphan(sha, stored, stored in group.originals, hashes.get(stored.name))
        return len(group.photos)

    def photo(
        self,
        sha: str,
        photo: PhotoRow,
        originals: dict[str, StoredFile],
        renditions: dict[str, StoredFile],
        hashes: Hashes,
    ) -> set[str]:
        """Check one row's files; return their names."""
        found = [self.original(sha, photo, originals, hashes)]
        if not photo.renditions:
            found.append(
                Problem("rendition_missing", photo.subject, "has no renditions", sha, photo.id)
            )
        names = {_original_name(sha, photo.format)}
        missing, damaged = [], []
        for rendition in photo.renditions:
            name = _rendition_name(self.storage, rendition.name, rendition.format)
            names.add(name)
            stored = renditions.get(name)
            if stored is None:
                missing.append((rendition, None))
            elif stored.size != rendition.byte_size:
                damaged.append((rendition, stored.size))
        # One problem per photo and kind, not per file: a lost renditions folder is a
        # million problems, not four million.
        if missing:
            found.append(self.renditions_problem(sha, photo, "rendition_missing", missing))
        if damaged:
            found.append(self.renditions_problem(sha, photo, "rendition_damaged", damaged))
        if any(found) and self.photo_exists(photo.id):  # not deleted since its page was read
            for problem in filter(None, found):
                self.add(problem)
        return names

    def renditions_problem(self, sha: str, photo: PhotoRow, kind: str, bad: list) -> Problem:
        """One problem for a photo's renditions of one kind: [(rendition, size found)]."""
        if kind == "rendition_missing":
            names = ", ".join(r.name for r, _size in bad)
            plural = len(bad) > 1
            message = (
                f"rendition{'s' if plural else ''} {names} {'are' if plural else 'is'} missing"
            )
        else:
            sizes = (f"{r.name} is {size:,} bytes, it was {r.byte_size:,}" for r, size in bad)
            message = "rendition " + "; ".join(sizes)
        first = self.storage.rendition_path(sha, bad[0][0].name, bad[0][0].format)
        path = first if len(bad) == 1 else first.parent
        return Problem(kind, photo.subject, message, sha, photo.id, path)

    def original(
        self, sha: str, photo: PhotoRow, originals: dict[str, StoredFile], hashes: Hashes
    ) -> Problem | None:
        name = _original_name(sha, photo.format)
        stored, digest = originals.get(name), hashes.get(name)
        if stored is None:
            kind, message = "original_missing", "original is missing" + self.set_aside(sha)
        elif stored.size != photo.byte_size:
            kind = "original_damaged"
            message = f"original is {stored.size:,} bytes, it was {photo.byte_size:,}"
        elif isinstance(digest, OSError):
            kind, message = "original_damaged", f"original cannot be read ({digest.strerror})"
        elif digest is not None and digest != sha:
            kind, message = "original_damaged", "original's bytes no longer match its SHA-256"
        else:
            return None
        path = self.storage.original_path(sha, _ext(photo.format))
        return Problem(kind, photo.subject, message, sha, photo.id, path)

    def orphan(
        self, sha: str, stored: StoredFile, original: bool, digest: str | OSError | None
    ) -> None:
        """A file no row names: judged now, or deferred while it may be an import's."""
        path = stored.path
        if self.in_flight(path):
            self.report.deferred.append(path)
            return
        if self.named_by_a_row(sha, path) or not self.storage.exists(
            path
        ):  # changed since it was read
            return
        if not original:
            message = "rendition of no photo"
            self.add(Problem("orphan_rendition", self.name(path), message, sha, path=path))
            return
        intact = digest == sha if isinstance(digest, str) else None
        notes: dict[bool | None, str] = {
            True: " (its bytes match its hash)",
            False: " (its bytes do not match its hash)",
        }
        message = f"original of no photo{notes.get(intact, '')}"
        self.add(Problem("orphan_original", self.name(path), message, sha, None, path, intact))

    def in_flight(self, path: Path) -> bool:
        return in_flight(self.storage, path, self.grace)

    def named_by_a_row(self, sha: str, path: Path) -> bool:
        return named_by_a_row(self.sessions, self.storage, sha, path)

    def set_aside(self, sha: str) -> str:
        """Where repair put this original's damaged bytes, if it did."""
        pattern = f"*/damaged/originals/{sha[:2]}/{sha[2:4]}/{sha}*"
        found = self.storage.matching(f"quarantine/{pattern}")
        return f" (its damaged bytes are in {self.name(found[-1])})" if found else ""

    def photo_exists(self, photo_id: int) -> bool:
        with self.sessions() as session:
            return session.get(Photo, photo_id) is not None

    def add(self, problem: Problem) -> None:
        self.report.problems.append(problem)

    def name(self, path: Path) -> str:
        return str(path.relative_to(self.storage.root))


def in_flight(storage: Storage, path: Path, grace: float) -> bool:
    """Whether a file without a row is young while some process stores files."""
    # The writers first, the rows after (named_by_a_row): a writer gone by now has
    # committed, so its rows are there to be found. A shared store's writers may be on
    # other machines, out of sight: there every young file may be one of theirs.
    try:
        return storage.age(path) < grace and (storage.shared or storage.writers_alive())
    except FileNotFoundError:
        return False  # moved or deleted meanwhile: the caller sees it is gone


def named_by_a_row(sessions: sessionmaker[Session], storage: Storage, sha: str, path: Path) -> bool:
    """A fresh look: does a photo row, or one of its renditions, name this file now?"""
    with sessions() as session:
        for photo in session.scalars(select(Photo).where(Photo.sha256 == sha)):
            if path == storage.original_path(sha, _ext(photo.format)):
                return True
            for rendition in photo.renditions:
                if path == storage.rendition_path(sha, rendition.name, rendition.format):
                    return True
    return False


def id_halves(sessions: sessionmaker[Session]) -> list[range]:
    """Every photo id in two ranges of about as many photos (ids run about evenly)."""
    with sessions() as session:
        low, high = session.execute(select(func.min(Photo.id), func.max(Photo.id))).one()
    middle = ((low or 0) + (high or 0)) // 2 + 1
    return [range(EVERY_ID.start, middle), range(middle, EVERY_ID.stop)]


def index_drift(
    sessions: sessionmaker[Session], index: SearchIndex, ids: range
) -> Callable[[], Drift]:
    """How the search index differs from the rows of `ids`, as work for a forked process."""

    parent = os.getpid()

    def work() -> Drift:
        if os.getpid() != parent:  # forked (not run inline, where there is no fork)
            # The parent's pooled connections stay the parent's: the child opens its own.
            sessions.kw["bind"].dispose(close=False)
        with sessions() as session:
            return check_index(index, session, ids=ids)

    return work


def report_drift(sessions: sessionmaker[Session], drift: Drift, report: Report) -> None:
    """Photos missing from the index, indexed with old text, or indexed but gone."""
    report.drift = drift
    with sessions() as session:
        subjects = photo_subjects(session, drift.missing + drift.stale)
    found = (
        ("index_missing", drift.missing, "is not in the search index"),
        ("index_stale", drift.stale, "is in the search index with old text or visibility"),
        ("index_orphan", drift.orphans, "is in the search index but not in the database"),
    )
    for kind, ids, message in found:
        for photo_id in ids:
            subject = subjects.get(photo_id, f"photo {photo_id}")
            report.problems.append(Problem(kind, subject, message, photo_id=photo_id))


def check_culling(sessions: sessionmaker[Session], report: Report) -> None:
    """Photos in use that culling has not measured (hash, sharpness, exposure) and placed
    (stack, near-duplicates): imported before culling, or its step failed at import."""
    with sessions() as session:
        ids = list(session.scalars(unplaced()))
        subjects = photo_subjects(session, ids)
    message = "has no culling measures, stack or near-duplicate check"
    for photo_id in ids:
        subject = subjects.get(photo_id, f"photo {photo_id}")
        report.problems.append(Problem("culling_missing", subject, message, photo_id=photo_id))


def check_counts(sessions: sessionmaker[Session], report: Report) -> None:
    """The album lists' kept counts against the rows (gallery.core.counts): they drift only
    when rows are written around the app's sessions (SQL by hand, a script)."""
    with sessions() as session:
        found = counts.drift(session)
        named = session.execute(select(Album.id, Album.slug).where(Album.id.in_(found.albums)))
        slugs = {album_id: slug for album_id, slug in named}
    for album_id in found.albums:
        subject = f"album {slugs.get(album_id, album_id)!r}"
        message = "kept counts of its photos, or its listed day, differ from its rows (counts)"
        report.problems.append(Problem("counts", subject, message))
    for year in found.years:
        message = "kept count of its public albums differs from the albums (counts)"
        report.problems.append(Problem("counts", f"year {year}", message))
    for name in found.totals:
        message = "kept total of its albums differs from the albums (counts)"
        report.problems.append(Problem("counts", f"album list {name!r}", message))


def photo_subjects(session: Session, ids: list[int], chunk: int = 500) -> dict[int, str]:
    subjects = {}
    for start in range(0, len(ids), chunk):
        query = (
            select(Photo.id, Album.slug, Photo.filename)
            .join(Album, Photo.album_id == Album.id)
            .where(Photo.id.in_(ids[start : start + chunk]))
        )
        for photo_id, slug, filename in session.execute(query):
            subjects[photo_id] = f"photo {photo_id} (album {slug!r}, {filename})"
    return subjects


def _ext(fmt: str) -> str:
    return EXTENSIONS.get(fmt, fmt.lower())


def _original_name(sha: str, fmt: str) -> str:
    return f"{sha}.{_ext(fmt)}"  # as Storage.original_path names it


def _rendition_name(storage: Storage, name: str, fmt: str) -> str:
    return _file_name(name, fmt)


@lru_cache(maxsize=256)
def _file_name(name: str, fmt: str) -> str:
    return LocalStorage(".").rendition_path("0" * 64, name, fmt).name  # the same on S3


def photo_total(session: Session) -> int:
    """How many photo rows there are (the trash included), for the progress bar."""
    return session.scalar(select(func.count(Photo.id))) or 0
