"""`gallery search`, `gallery reindex`: the photo index from the command line.

`gallery check` (cli_maintenance.py) also compares the index with the database.
"""

from __future__ import annotations

import json
import time

import click
from flask.cli import with_appcontext

from gallery.core import db
from gallery.core.errors import InvalidInput
from gallery.culling import filters
from gallery.search import service as search
from gallery.search.results import PER_PAGE, Hit


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--album", "slug", help="Only this album's photos.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--per-page", default=PER_PAGE, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit and line.")
@click.option("--rating", type=click.IntRange(0, 5), default=0, help="At least this many stars.")
@click.option("--pick", type=click.Choice(["pick", "reject", "none"]), help="Picks or rejects.")
@click.option("--label", help="Colour label (red, yellow, green, blue, purple, none).")
@click.option("--tops", is_flag=True, help="One photo per stack, its top.")
@click.option("--unused", is_flag=True, help="Only photos no article uses yet.")
@with_appcontext
def search_command(
    query: tuple[str, ...], slug: str | None, page: int, per_page: int, as_json, **marks
):
    """Search photos (staff view: every photo, whatever its visibility)."""
    try:
        only = filters.parse(marks)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    results = search.search(
        db.get_session(),
        " ".join(query),
        album=slug,
        page=page,
        per_page=per_page,
        staff=True,
        only=only,
    )
    for hit in results.hits:
        if as_json:
            line = {
                "id": hit.photo_id,
                "album": hit.album,
                "number": hit.photo.number,
                "score": round(hit.score, 4),
                "snippet": str(hit.snippet),
            }
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            click.echo(f"{hit.photo_id:>7}  {hit.album:<24} {hit.score:7.2f}  {_plain(hit)}")
    if results.suggestion is not None:
        click.echo(f"nothing found; did you mean: {results.suggestion.text()}", err=True)
    elif not as_json:
        click.echo(f"{results.total} found (page {results.page} of {results.pages})", err=True)


def _plain(hit: Hit) -> str:
    return hit.snippet.replace("<mark>", "[").replace("</mark>", "]").unescape()


@click.command()
@with_appcontext
def reindex() -> None:
    """Rebuild the search index from the database."""
    started = time.monotonic()
    search.reindex()
    click.echo(f"search index rebuilt in {time.monotonic() - started:.1f} s")


COMMANDS = (search_command, reindex)
