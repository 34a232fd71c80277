"""`gallery stacks` and `gallery near-duplicates`: culling from the shell (staff view)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from gallery.core.db import get_session
from gallery.core.errors import NotFound
from gallery.culling import near_duplicates, stacks
from gallery.culling.lookup import live_album


@click.command("stacks")
@click.option("--album", "slug", required=True, help="The album's slug.")
@click.option("--json", "as_json", is_flag=True, help='One {"top", "photos"} per line.')
@with_appcontext
def stacks_command(slug: str, as_json: bool) -> None:
    """The album's stacks of two or more photos: the top, then every photo, by id."""
    album = _album(slug)
    for stack in stacks.album_stacks(get_session(), album):
        if as_json:
            click.echo(json.dumps({"top": stack.top, "photos": stack.photos}))
        else:
            hint = "" if stack.chosen or stack.top == stack.suggested else " (suggested)"
            others = " ".join(str(i) for i in stack.photos if i != stack.top)
            click.echo(f"{stack.top}{hint}: {others}")


@click.command("near-duplicates")
@click.option("--album", "slug", help="Only pairs with a photo in this album.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def near_duplicates_command(slug: str | None, as_json: bool) -> None:
    """Photos that show an earlier photo again (re-exported, resized, recompressed, cropped)."""
    album = _album(slug) if slug else None
    for pair in near_duplicates.pairs(get_session(), album):
        if as_json:
            line = {"photo_id": pair.photo_id, "duplicate_of": pair.duplicate_of}
            click.echo(json.dumps({**line, "distance": pair.distance}))
        else:
            click.echo(f"{pair.photo_id} duplicates {pair.duplicate_of} ({pair.distance} bits)")


def _album(slug: str):
    try:
        return live_album(slug)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None


COMMANDS = (stacks_command, near_duplicates_command)
