"""Copy every original and rendition the database names from one store to another: the
move of a gallery's files from its disk into S3 (or back), before STORAGE_URL points there.

Idempotent: what the target already holds (an original of the right size, a rendition by
name) is skipped, so a run cut short is simply run again. Every original copied is
verified by its SHA-256 on the way; the source is never changed. Safe beside a running
gallery for the files its rows named when the move began; stop imports before the last run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gallery.core.models import Photo, Rendition
from gallery.core.storage import Storage
from gallery.ops.backup import Copied, copy_originals
from gallery.ops.snapshots import Original

PAGE = 1000  # originals handled between two reports of progress


@dataclass
class Moved:
    originals: Copied = field(default_factory=Copied)
    renditions_copied: int = 0
    renditions_there: int = 0
    renditions_missing: list[str] = field(default_factory=list)  # "<sha256>/<name>"

    @property
    def ok(self) -> bool:
        return self.originals.ok and not self.renditions_missing


def move_files(
    sessions: sessionmaker[Session],
    source: Storage,
    target: Storage,
    progress: Callable[[int, int], object] = lambda _done, _total: None,
) -> Moved:
    """Copy the files every photo row names from `source` to `target`; `progress` hears
    (originals done, originals in all) after each page."""
    target.ensure()
    moved = Moved()
    with sessions() as session:
        originals = _originals(session)
    for start in range(0, len(originals), PAGE):
        page = originals[start : start + PAGE]
        _add(moved.originals, copy_originals(page, source, target))
        with sessions() as session:
            for sha, name, fmt in _renditions(session, [o.sha256 for o in page]):
                _copy_rendition(source, target, sha, name, fmt, moved)
        progress(start + len(page), len(originals))
    return moved


def _originals(session: Session) -> list[Original]:
    """Each stored original once (albums may share one), in hash order."""
    query = select(Photo.sha256, Photo.format, Photo.byte_size).distinct().order_by(Photo.sha256)
    return [Original(sha, fmt, size) for sha, fmt, size in session.execute(query)]


def _renditions(session: Session, shas: list[str]) -> list[tuple[str, str, str]]:
    query = (
        select(Photo.sha256, Rendition.name, Rendition.format)
        .join(Photo, Rendition.photo_id == Photo.id)
        .where(Photo.sha256.in_(shas))
        .distinct()
    )
    return [(sha, name, fmt) for sha, name, fmt in session.execute(query)]


def _copy_rendition(
    source: Storage, target: Storage, sha: str, name: str, fmt: str, moved: Moved
) -> None:
    # A rendition is written whole or not at all (atomic on both stores): its name suffices.
    if target.exists(target.rendition_path(sha, name, fmt)):
        moved.renditions_there += 1
        return
    found = source.local_rendition(sha, name, fmt)
    if found is None:  # `gallery check --repair` renders it again on the target
        moved.renditions_missing.append(f"{sha}/{name}")
        return
    target.write_rendition(sha, name, fmt, found.read_bytes())
    moved.renditions_copied += 1


def _add(total: Copied, part: Copied) -> None:
    total.copied += part.copied
    total.already_there += part.already_there
    total.bytes_copied += part.bytes_copied
    total.missing += part.missing
    total.damaged += part.damaged
