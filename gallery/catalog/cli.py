"""`gallery import`, `photos`, `albums`, `renditions`, `demo`: the catalog from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

from gallery.catalog import photos as curation
from gallery.catalog.albums import (
    all_albums,
    create_album,
    get_or_create,
    photo_counts,
    update_album,
)
from gallery.catalog.imports import import_paths, import_report
from gallery.core import audit, db
from gallery.core.errors import InvalidInput
from gallery.core.models import Album
from gallery.core.states import Result, Visibility
from gallery.ingest.pipeline import IngestSettings, Outcome, rebuild_renditions
from gallery.ingest.workers import WorkerPool


def _storage():
    return current_app.extensions["gallery.storage"]


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


@click.command("import")
@click.option("--album", "slug", required=True, help="Album slug; created as a draft if new.")
@click.option("--title", help="Title for a new album.")
@click.option(
    "--workers", type=click.IntRange(min=1), help="Decode workers (default: one per core)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_appcontext
def import_(slug: str, title: str | None, workers: int | None, as_json: bool, paths) -> None:
    """Import photo files, folders and zip archives into an album."""
    album_id = _album_for_import(slug, title)
    outcomes = run_import(album_id, list(paths), workers)
    report = import_report(outcomes)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        for rejected in report["rejected"]:
            click.echo(f"rejected {rejected['path']}: {rejected['error']}", err=True)
        click.echo(
            f"{len(report['imported'])} imported, {len(report['duplicates'])} duplicates, "
            f"{len(report['rejected'])} rejected"
        )
    if any(r["code"] == "disk_full" for r in report["rejected"]):
        _fail(
            "the disk is full: the import stopped and kept nothing of the files it could not "
            "store. Free some space, then run the same command again (it skips what is in)."
        )


def _album_for_import(slug: str, title: str | None) -> int:
    session = db.get_session()
    try:
        album = get_or_create(session, slug, title)
    except InvalidInput as exc:
        _fail(str(exc))
    session.commit()
    return album.id


def run_import(album_id: int, paths: list[Path], workers: int | None) -> list[Outcome]:
    """Import through a worker pool with a progress bar on a terminal."""
    from tqdm import tqdm

    with (
        WorkerPool.from_config(current_app.config, workers) as pool,
        tqdm(unit="file", disable=not sys.stderr.isatty(), file=sys.stderr) as bar,
    ):
        return import_paths(album_id, paths, pool, on_done=lambda _o: bar.update())


@click.command()
@click.option("--album", "slug", required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def photos(slug: str, as_json: bool) -> None:
    """List an album's photos (staff view: includes GPS)."""
    from gallery.catalog.representations import photo_to_dict  # see albums_list

    album = _album(slug)
    for photo in album.photos:
        if as_json:
            click.echo(json.dumps(photo_to_dict(photo, staff=True), ensure_ascii=False))
        else:
            click.echo(
                f"{photo.number:>4}  {photo.id:>6}  {photo.taken_at or '-':<25} {photo.filename}"
            )


def _album(slug: str) -> Album:
    album = Album.by_slug(db.get_session(), slug)
    if album is None:
        _fail(f"no album with the slug {slug!r}")
    return album


@click.group()
def albums() -> None:
    """List, create and change albums."""


@albums.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def albums_list(as_json: bool) -> None:
    """Every album with its visibility and photo count."""
    # Here, not at the top: the output shapes (pydantic) cost `gallery import` 0.1 s.
    from gallery.catalog.representations import album_to_dict

    session = db.get_session()
    counts = photo_counts(session)
    for album in all_albums(session):
        data = album_to_dict(album, counts.get(album.id, 0))
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            click.echo(f"{album.slug:<30} {album.visibility:<9} {data['photos']:>5}  {album.title}")


def _album_options(command):
    for option in (
        click.option("--title"),
        click.option("--date", "event_date", help="Event date, YYYY-MM-DD."),
        click.option("--place"),
        click.option("--description"),
        click.option("--visibility", type=click.Choice([v.value for v in Visibility])),
        click.option(
            "--originals/--no-originals",
            "allow_original_download",
            default=None,
            help="Whether visitors may download the original files.",
        ),
    ):
        command = option(command)
    return command


@albums.command("create")
@click.argument("slug")
@_album_options
@with_appcontext
def albums_create(slug: str, **fields) -> None:
    """Create an album (a draft unless --visibility says otherwise)."""
    session = db.get_session()
    try:
        album = create_album(session, slug, **fields)
    except InvalidInput as exc:
        _fail(str(exc))
    audit.commit(session, "cli", "album.create", album)
    click.echo(slug)


@albums.command("set")
@click.argument("slug")
@_album_options
@with_appcontext
def albums_set(slug: str, **fields) -> None:
    """Change an album's title, date, place, description or visibility."""
    album = _album(slug)
    try:
        update_album(album, **fields)
    except InvalidInput as exc:
        _fail(str(exc))
    changed = {name: value for name, value in fields.items() if value is not None}
    audit.commit(db.get_session(), "cli", "album.update", album, **changed)


@click.command()
@click.option("--rebuild", is_flag=True, required=True, help="Render every original again.")
@click.option("--album", "slug", help="Only this album's photos.")
@click.option("--workers", type=click.IntRange(min=1))
@with_appcontext
def renditions(rebuild: bool, slug: str | None, workers: int | None) -> None:
    """Rebuild renditions from the originals (they are derived, never precious)."""
    session = db.get_session()
    ids = curation.photo_ids(session, _album(slug) if slug else None)
    session.commit()  # release the database before the long work, which commits on its own
    config = current_app.config
    with WorkerPool.from_config(config, workers) as pool:
        outcomes = rebuild_renditions(
            db.session_factory(), _storage(), IngestSettings.from_config(config), pool, ids
        )
    failed = [o for o in outcomes if o.status == Result.REJECTED]
    for outcome in failed:
        click.echo(f"failed {outcome.label}: {outcome.error}", err=True)
    click.echo(f"{len(outcomes) - len(failed)} originals rendered, {len(failed)} failed")
    if failed:
        sys.exit(1)


@click.command()
@with_appcontext
def demo() -> None:
    """Make a public demo album (shared sample photos if present, else generated ones)."""
    from gallery.catalog.demo import demo_photos

    session = db.get_session()
    album = get_or_create(session, "demo", "Demo album")
    update_album(album, visibility="public", description="Sample photos to look around with.")
    session.commit()
    with demo_photos(Path(current_app.config["CORPUS"])) as paths:
        report = import_report(run_import(album.id, paths, None))
    click.echo(
        f"demo album: {len(report['imported'])} imported, {len(report['duplicates'])} already there"
    )


@click.command()
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="Uploads worked on at once, each with a decode process (default: one per core).",
)
@with_appcontext
def worker(threads: int | None) -> None:
    """Import the uploads the job queue holds (QUEUE_URL) until stopped (SIGTERM)."""
    from gallery.catalog.queue import run_worker
    from gallery.config import worker_count

    if not current_app.config["QUEUE_URL"]:
        _fail("no job queue is set: set GALLERY_QUEUE_URL (e.g. redis://127.0.0.1:6379/0)")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_worker(app, threads or worker_count(current_app.config))


COMMANDS = (import_, photos, albums, renditions, demo, worker)
