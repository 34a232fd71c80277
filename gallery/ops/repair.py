"""`gallery check --repair`: make the files and the index follow the database.

The database is the source of truth, so rows are never changed or removed here. For each
problem a check found:
- a rendition missing or damaged, or a photo without renditions: rendered again from the
  original, when the original is sound;
- the search index out of step: those photos are indexed again;
- a photo culling has not measured and placed: measured from its smallest rendition (after
  the renditions are made again, if they had to be), marked from its original's XMP when
  it has no marks, stacked with its moment and compared for near-duplicates;
- the album lists' kept counts out of step with the rows (written around the app):
  counted afresh (derived data, like the index);
- a rendition no row names: deleted (derived data, rebuilt at will);
- an original no row names: moved to uploads/quarantine/<date>/orphan/<its path>, with a
  line saying why in uploads/quarantine/<date>/why.txt. Such a file is most often what an
  import left when it was killed before its commit (a re-run stores the bytes again) or
  what emptying the trash left when it was killed before deleting; kept aside, it can be
  imported again from there, and nothing is lost if the judgement was wrong;
- a file the gallery does not know (a name or place it never writes): quarantine/<date>/
  unknown/;
- an original whose bytes no longer match its hash: quarantine/<date>/damaged/ (a damaged
  file is still worth keeping, and apart from the orphans it cannot be re-imported by
  mistake). Its photo stays: it keeps showing its renditions, its original download
  answers 404, and check reports it until the original is back;
- an original missing: reported, with the remedy: restore the file from a backup, or
  import the same file again (into any album), which puts the original back.
Nothing is ever deleted but renditions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gallery.core import counts
from gallery.core.models import Photo
from gallery.core.states import Result
from gallery.core.storage import Storage
from gallery.culling import upkeep
from gallery.ingest.pipeline import Outcome
from gallery.ops.check import GRACE, Problem, Report, in_flight, named_by_a_row
from gallery.search.engine import SearchIndex

QUARANTINE = "quarantine"
NOTES = "why.txt"
RESTORE = "restore it from a backup, or import the same file again (into any album)"


@dataclass(frozen=True)
class Fix:
    """What repair did about one problem; `fixed` is False when the problem remains."""

    problem: Problem
    fixed: bool
    note: str


def repair(
    report: Report,
    sessions: sessionmaker[Session],
    storage: Storage,
    index: SearchIndex | None,
    rebuild: Callable[[list[int]], list[Outcome]],
    grace: float = GRACE,
) -> list[Fix]:
    """Act on every problem of `report`; one Fix each, in the report's order.

    `rebuild(photo_ids)` renders photos again (the worker pool lives with the caller).
    """
    fixes: dict[Problem, Fix] = {}
    fixes.update(_set_damaged_originals_aside(report, storage))
    fixes.update(_render_again(report, rebuild))
    fixes.update(_place(report, sessions, storage))
    fixes.update(_clear_orphans(report, sessions, storage, grace))
    fixes.update(_reindex(report, index))
    fixes.update(_recount(report, sessions))
    for problem in report.problems:
        if problem.kind == "original_missing":
            fixes[problem] = Fix(problem, False, f"cannot be rebuilt: {RESTORE}")
    return [fixes[problem] for problem in report.problems]


def _set_damaged_originals_aside(report: Report, storage: Storage) -> dict[Problem, Fix]:
    fixes: dict[Problem, Fix] = {}
    moved: dict[Path, str] = {}
    for problem, path in _about_files(report, "original_damaged"):
        if path not in moved and storage.exists(path):  # albums may share a file
            why = f"{problem.message}; {problem.subject}"
            target = quarantine(storage, path, "damaged", why)
            moved[path] = f"moved to {_name(storage, target)}"
        done = moved.get(path, "gone already")
        note = f"{done}; the photo shows its renditions until the original is back: {RESTORE}"
        fixes[problem] = Fix(problem, False, note)
    return fixes


def _render_again(
    report: Report, rebuild: Callable[[list[int]], list[Outcome]]
) -> dict[Problem, Fix]:
    bad_originals = {p.sha256 for p in _of(report, "original_missing", "original_damaged")}
    wanted = _of(report, "rendition_missing", "rendition_damaged")
    sound = [p for p in wanted if p.sha256 not in bad_originals]
    ids = sorted({p.photo_id for p in sound if p.photo_id is not None})
    outcomes = {outcome.label: outcome for outcome in rebuild(ids)} if ids else {}
    fixes: dict[Problem, Fix] = {}
    for problem in wanted:
        outcome = outcomes.get(problem.sha256)
        if problem.sha256 in bad_originals:
            fixes[problem] = Fix(problem, False, "cannot be rendered: its original is not sound")
        elif outcome is None:  # its photo is gone since the check
            fixes[problem] = Fix(problem, True, "its photo is no longer there")
        elif outcome.status == Result.RENDERED:
            fixes[problem] = Fix(problem, True, "rendered again from the original")
        else:
            fixes[problem] = Fix(problem, False, f"rendering failed: {outcome.error}")
    return fixes


def _place(report: Report, sessions: sessionmaker[Session], storage: Storage) -> dict[Problem, Fix]:
    wanted = _of(report, "culling_missing")
    ids = sorted({p.photo_id for p in wanted if p.photo_id is not None})
    left = set()
    if ids:
        upkeep.repair(sessions, storage, ids)
        with sessions() as session:
            left = set(session.scalars(upkeep.unplaced().where(Photo.id.in_(ids))))
    fixes: dict[Problem, Fix] = {}
    for problem in wanted:
        if problem.photo_id in left:
            fixes[problem] = Fix(problem, False, "not measured: its smallest rendition is unread")
        else:
            fixes[problem] = Fix(problem, True, "measured, marked from XMP, stacked, compared")
    return fixes


def _clear_orphans(
    report: Report, sessions: sessionmaker[Session], storage: Storage, grace: float
) -> dict[Problem, Fix]:
    fixes: dict[Problem, Fix] = {}
    for problem, path in _about_files(report, "orphan_original", "orphan_rendition", "stray_file"):
        judged_again = problem.kind != "stray_file"
        # Judged again now: an import may have started or committed since the check.
        if judged_again and in_flight(storage, path, grace):
            fixes[problem] = Fix(problem, True, "left alone: an import running now stores it")
        elif judged_again and named_by_a_row(sessions, storage, problem.sha256, path):
            fixes[problem] = Fix(problem, True, "left alone: a photo row names it now")
        elif not storage.exists(path):
            fixes[problem] = Fix(problem, True, "gone already")
        elif problem.kind == "orphan_rendition":
            storage.delete(path)
            fixes[problem] = Fix(problem, True, "deleted (renditions are derived)")
        else:
            target = quarantine(storage, path, _folder(problem), problem.message)
            fixes[problem] = Fix(problem, True, f"moved to {_name(storage, target)}")
    return fixes


def _reindex(report: Report, index: SearchIndex | None) -> dict[Problem, Fix]:
    drift = report.drift
    found = _of(report, "index_missing", "index_stale", "index_orphan")
    if not found or drift is None or index is None:
        return {}
    index.submit(upsert=drift.missing + drift.stale, remove=drift.orphans).result()
    return {problem: Fix(problem, True, "indexed again") for problem in found}


def _recount(report: Report, sessions: sessionmaker[Session]) -> dict[Problem, Fix]:
    found = _of(report, "counts")
    if found:
        with sessions() as session, session.begin():
            counts.recount(session)
    return {problem: Fix(problem, True, "counted afresh") for problem in found}


def quarantine(storage: Storage, path: Path, folder: str, why: str) -> Path:
    """Move a file to quarantine/<date>/<folder>/<its path>, never over another; note why."""
    day = storage.root / QUARANTINE / date.today().isoformat()
    target = _unused(storage, day / folder / path.relative_to(storage.root))
    storage.move_aside(path, target)
    when = datetime.now().strftime("%H:%M:%S")
    line = f"{when}  {_name(storage, path)} -> {_name(storage, target)}: {why}\n"
    storage.append_text(day / NOTES, line)
    return target


def _folder(problem: Problem) -> str:
    if problem.kind == "stray_file":
        return "unknown"
    return "damaged" if problem.intact is False else "orphan"


def _unused(storage: Storage, path: Path) -> Path:
    candidate, n = path, 1
    while storage.exists(candidate):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def _of(report: Report, *kinds: str) -> list[Problem]:
    return [problem for problem in report.problems if problem.kind in kinds]


def _about_files(report: Report, *kinds: str) -> list[tuple[Problem, Path]]:
    """Problems of kinds that are about a file, each with its path (check always sets it)."""
    return [(problem, problem.path) for problem in _of(report, *kinds) if problem.path]


def _name(storage: Storage, path: Path) -> str:
    return str(path.relative_to(storage.root))
