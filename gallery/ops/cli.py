"""`gallery init`, `gallery check [--repair] [--quick] [--json]`: the whole store against
the database, and `gallery move`: the database and the files to other engines."""

from __future__ import annotations

import json
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from gallery.core import db
from gallery.ingest.pipeline import IngestSettings, Outcome, rebuild_renditions
from gallery.ingest.workers import WorkerPool
from gallery.ops import check as maintenance
from gallery.ops.repair import Fix, repair
from gallery.search import service as search


@click.command()
@with_appcontext
def init() -> None:
    """Create or migrate the database and the media stores in the data root."""
    storage = current_app.extensions["gallery.storage"]
    db.migrate(db.get_engine())
    storage.ensure()
    search.get_index().ensure()
    # A live process's temp files stay (an import or upload may still rename them in).
    removed = storage.clean_abandoned_temp(max_age=3600)
    click.echo(
        f"gallery ready in {current_app.config['DATA_DIR']} ({removed} stale temp files removed)"
    )


@click.command()
@click.option(
    "--repair",
    "mend",
    is_flag=True,
    help="Render renditions and index again; quarantine what cannot be rebuilt.",
)
@click.option("--quick", is_flag=True, help="Compare sizes instead of hashing the originals.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--workers", type=click.IntRange(min=1), help="Decode workers for --repair.")
@with_appcontext
def check(mend: bool, quick: bool, as_json: bool, workers: int | None) -> None:
    """Verify originals, renditions, rows and the search index; exit 1 while a problem is left."""
    storage = current_app.extensions["gallery.storage"]
    index = search.get_index()
    report = _run_check(storage, index, verify=not quick, show_progress=not as_json)
    fixes = []
    if mend and report.problems:
        started = time.monotonic()
        fixes = repair(report, db.session_factory(), storage, index, _rebuilder(storage, workers))
        report.stats.seconds += time.monotonic() - started
    left = [f.problem for f in fixes if not f.fixed] if mend else report.problems
    if as_json:
        click.echo(json.dumps(_as_json(report, fixes, left), ensure_ascii=False))
    else:
        _print(report, fixes, left)
    if left:
        sys.exit(1)


def _run_check(storage, index, *, verify: bool, show_progress: bool) -> maintenance.Report:
    from tqdm import tqdm

    sessions = db.session_factory(writes=False)
    with sessions() as session:
        total = maintenance.photo_total(session)
    shown = show_progress and sys.stderr.isatty()
    with tqdm(total=total, unit="photo", disable=not shown, file=sys.stderr) as bar:
        return maintenance.check(sessions, storage, index, verify=verify, progress=bar.update)


def _rebuilder(storage, workers: int | None):
    """Render photos again through a worker pool started only if something needs it."""

    def rebuild(photo_ids: list[int]) -> list[Outcome]:
        config = current_app.config
        settings = IngestSettings.from_config(config)
        with WorkerPool.from_config(config, workers) as pool:
            return rebuild_renditions(db.session_factory(), storage, settings, pool, photo_ids)

    return rebuild


def _print(report: maintenance.Report, fixes: list[Fix], left: list) -> None:
    for fix in fixes or ():
        click.echo(f"{fix.problem}  [{'repaired' if fix.fixed else 'left'}: {fix.note}]")
    if not fixes:
        for problem in report.problems:
            click.echo(str(problem))
    if deferred := len(report.deferred):
        click.echo(
            f"{_count(deferred, 'file')} without a row {'is' if deferred == 1 else 'are'} "
            f"newer than {maintenance.GRACE / 60:.0f} min while an import runs: "
            "left for a later check",
            err=True,
        )
    click.echo(_summary(report, fixes, left))
    if left and not fixes:
        click.echo("run `gallery check --repair` to mend what can be mended", err=True)


def _summary(report: maintenance.Report, fixes: list[Fix], left: list) -> str:
    stats = report.stats
    hashed = ""
    if report.verified:
        rate = stats.hashed_bytes / max(stats.media_seconds, 1e-6) / 1e6
        hashed = f", {stats.hashed_bytes / 1e6:,.1f} MB hashed at {rate:,.0f} MB/s"
    checked = (
        f"checked {stats.photos:,} photos, {stats.originals:,} originals{hashed}, "
        f"{stats.renditions:,} renditions and the search index in {stats.seconds:.1f} s"
    )
    if not report.problems:
        return f"{checked}: no problems"
    found = _count(len(report.problems), "problem")
    if fixes:
        return f"{checked}: {found}, {sum(f.fixed for f in fixes)} repaired, {len(left)} left"
    return f"{checked}: {found}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _as_json(report: maintenance.Report, fixes: list[Fix], left: list) -> dict:
    repairs = dict(zip(map(id, report.problems), fixes, strict=False))
    problems = []
    for problem in report.problems:
        item: dict[str, object] = {
            "kind": problem.kind,
            "subject": problem.subject,
            "message": problem.message,
            "photo_id": problem.photo_id,
            "path": str(problem.path) if problem.path else None,
        }
        if id(problem) in repairs:
            fix = repairs[id(problem)]
            item["repair"] = {"fixed": fix.fixed, "note": fix.note}
        problems.append(item)
    stats = report.stats
    return {
        "ok": not left,
        "problems": problems,
        "left": len(left),
        "deferred": [str(path) for path in report.deferred],
        "verified": report.verified,
        "stats": {
            "photos": stats.photos,
            "originals": stats.originals,
            "renditions": stats.renditions,
            "hashed_bytes": stats.hashed_bytes,
            "media_seconds": round(stats.media_seconds, 3),
            "seconds": round(stats.seconds, 3),
        },
    }


@click.command()
@click.option(
    "--to-database",
    "database",
    metavar="URL",
    help="SQLAlchemy URL of an empty database, e.g. postgresql+psycopg://gallery@db/gallery.",
)
@click.option(
    "--to-storage",
    "storage",
    metavar="URL",
    help="s3://bucket/prefix (with the S3_* settings), or a folder for a store on disk.",
)
@with_appcontext
def move(database: str | None, storage: str | None) -> None:
    """Move this gallery to other engines: its database into an empty one (SQLite to
    PostgreSQL), its originals and renditions into another store (object storage).

    Stop the servers first; afterwards set GALLERY_DATABASE_URL and GALLERY_STORAGE_URL on
    every machine and run `gallery check`. Run it again to finish or verify a move of files:
    it copies only what is missing.
    """
    if not (database or storage):
        raise click.UsageError("say where to: --to-database URL, --to-storage URL, or both")
    if database:
        _move_database(database)
    if storage:
        _move_files(storage)


def _move_database(url: str) -> None:
    from gallery.ops.move_database import TargetNotEmpty, move_database

    target = db.make_engine(url)
    try:
        moved = move_database(
            db.get_engine(), target, lambda m: click.echo(f"{m.table}: {m.rows:,}")
        )
    except TargetNotEmpty as exc:
        raise click.ClickException(f"{exc}: a move goes into an empty database only") from None
    finally:
        target.dispose()
    total = sum(m.rows for m in moved)
    click.echo(f"moved {total:,} rows in {len(moved)} tables to {_shown(url)}")


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _move_files(to: str) -> None:
    """Copy every original and rendition the database names into another store."""
    from gallery.core.storage import LocalStorage, Storage
    from gallery.ops.move_files import move_files

    target: Storage = LocalStorage(to)
    if to.startswith("s3://"):
        from gallery.core.objects import ObjectStorage

        target = ObjectStorage.from_config({**current_app.config, "STORAGE_URL": to})
        target.keep_copies = False  # this disk holds the originals already: no second copy

    def report(done: int, total: int) -> None:
        click.echo(f"{done:,} of {total:,} originals", err=True)

    source = current_app.extensions["gallery.storage"]
    moved = move_files(db.session_factory(writes=False), source, target, report)
    originals = moved.originals
    click.echo(
        f"originals: {originals.copied:,} copied ({originals.bytes_copied / 1e6:,.1f} MB), "
        f"{originals.already_there:,} already there, {len(originals.missing)} missing, "
        f"{len(originals.damaged)} damaged; renditions: {moved.renditions_copied:,} copied, "
        f"{moved.renditions_there:,} already there, {len(moved.renditions_missing)} missing"
    )
    for sha in originals.missing + originals.damaged:
        click.echo(f"original {sha} not copied: missing or damaged in the source", err=True)
    if not moved.ok:
        sys.exit(1)


COMMANDS = (init, check, move)
