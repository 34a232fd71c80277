"""`gallery backup DEST` and `gallery restore SRC`: copies of what cannot be rebuilt."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from gallery.core import db
from gallery.core.states import Result
from gallery.ingest.pipeline import IngestSettings, rebuild_renditions
from gallery.ingest.workers import WorkerPool
from gallery.ops.backup import BackupDir, Copied, run_backup
from gallery.ops.restore import DataDir, photos_without, restore_files
from gallery.ops.snapshots import BackupError
from gallery.search import service as search


def _or_fail(what: str, action, *args):
    try:
        return action(*args)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # a full or failing disk: finished snapshots are never touched
        raise click.ClickException(f"the {what} failed: {exc}") from None


@click.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    help="Then keep only the newest N snapshots and the originals they use.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the snapshot's manifest as JSON.")
@with_appcontext
def backup(dest: Path, keep: int | None, as_json: bool) -> None:
    """Snapshot the database and copy new originals into DEST (safe while the gallery runs)."""
    storage = current_app.extensions["gallery.storage"]
    manifest = _or_fail(
        "backup", run_backup, current_app.config["DATABASE_URL"], storage, dest, keep
    )
    if as_json:
        click.echo(json.dumps(manifest, ensure_ascii=False))
    else:
        _echo_backup(manifest, BackupDir(dest).root)
    originals = Copied(**manifest["originals"])
    if not originals.ok:
        where = "in the data directory, so it is not in this backup"
        _report(BackupDir(dest), manifest, originals, where)
        click.echo("run `gallery check` on the gallery to see what else is wrong", err=True)
        sys.exit(1)


def _echo_backup(manifest: dict, root: Path) -> None:
    counts, originals = manifest["counts"], manifest["originals"]
    click.echo(
        f"snapshot {manifest['name']} in {root}: {_count(counts['photos'], 'photo')} in "
        f"{_count(counts['albums'], 'album')}, {_count(counts.get('articles', 0), 'article')}, "
        f"{_count(counts.get('users', 0), 'user')}"
    )
    if manifest["attempts"] > 1:
        click.echo("the trash was emptied while the backup ran: the snapshot was taken again")
    click.echo(
        f"originals: {originals['copied']} copied ({originals['bytes_copied'] / 1e6:.1f} MB), "
        f"{originals['already_there']} already in the backup; {manifest['seconds']} s"
    )
    pruned = manifest.get("pruned")
    if pruned:
        click.echo(
            f"pruned {_count(pruned['snapshots'], 'old snapshot')} and "
            f"{_count(pruned['originals'], 'original')} no kept snapshot uses"
        )


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _report(backup: BackupDir, manifest: dict, originals: Copied, where: str) -> None:
    """Name each photo whose original is missing or damaged, so an admin can find it."""
    damaged = "damaged (its bytes differ from its hash)"
    for what, shas in (("missing", originals.missing), (damaged, originals.damaged)):
        for photo in _or_fail("report", backup.photos_using, manifest, shas) if shas else []:
            click.echo(f"original {what} {where}: {photo}", err=True)


@click.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--snapshot", "name", metavar="NAME", help="Which snapshot (default: the newest).")
@click.option("--list", "list_only", is_flag=True, help="List the snapshots in SRC and stop.")
@click.option("--workers", type=click.IntRange(min=1), help="Workers rebuilding the renditions.")
@with_appcontext
def restore(src: Path, name: str | None, list_only: bool, workers: int | None) -> None:
    """Restore a backup into an empty data directory; rebuild renditions and search index."""
    if list_only:
        _list_snapshots(src)
        return
    data = _or_fail("restore", DataDir.from_config, current_app.config)
    restored = _or_fail("restore", restore_files, src, data, name, _known_revisions())
    db.migrate(db.get_engine())
    rendered, failed = _rebuild_renditions(restored.copied, workers)
    search.reindex()
    counts = restored.snapshot.counts
    click.echo(
        f"restored snapshot {restored.manifest['name']} into {data.root}: "
        f"{_count(counts['photos'], 'photo')} in {_count(counts['albums'], 'album')}; "
        f"{_count(restored.copied.copied, 'original')} verified and put back; renditions of "
        f"{_count(rendered, 'original')} and the search index rebuilt"
    )
    _report(BackupDir(src), restored.manifest, restored.copied, "in the backup")
    for label in failed:
        click.echo(f"renditions could not be made from {label}", err=True)
    if not restored.copied.ok or failed:
        click.echo("`gallery check` lists what is still wrong", err=True)
        sys.exit(1)


def _known_revisions() -> set[str]:
    """The schema revisions this version can migrate from (a newer backup's is not one)."""
    from alembic.script import ScriptDirectory  # slow to import; only restore needs it

    return {script.revision for script in ScriptDirectory(str(db.MIGRATIONS)).walk_revisions()}


def _rebuild_renditions(copied: Copied, workers: int | None) -> tuple[int, list[str]]:
    """Render every original that came back whole; the count, and those that failed."""
    unusable = copied.missing + copied.damaged
    with db.session_factory()() as session:
        ids = photos_without(session, unusable)
    config = current_app.config
    storage = current_app.extensions["gallery.storage"]
    with WorkerPool.from_config(config, workers) as pool:
        outcomes = rebuild_renditions(
            db.session_factory(), storage, IngestSettings.from_config(config), pool, ids
        )
    failed = [f"{o.label}: {o.error}" for o in outcomes if o.status == Result.REJECTED]
    return len(outcomes) - len(failed), failed


def _list_snapshots(src: Path) -> None:
    manifests = BackupDir(src).manifests()
    if not manifests:
        raise click.ClickException(f"{src} holds no finished backup")
    for manifest in manifests:
        counts, originals = manifest["counts"], manifest["originals"]
        problems = len(originals["missing"]) + len(originals["damaged"])
        click.echo(
            f"{manifest['name']}  {counts['photos']:>7} photos {counts['albums']:>5} albums "
            f"{counts['originals']:>7} originals  schema {manifest['schema_revision']}  "
            f"gallery {manifest['app_version']}"
            + (f"  {problems} originals were missing or damaged" if problems else "")
        )


COMMANDS = (backup, restore)
