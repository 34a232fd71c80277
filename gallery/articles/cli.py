"""`gallery article ...` and `gallery contact-sheet`: articles and printouts from the shell.

The CLI acts as staff: layouts and problems include photos visitors may not see; the
HTML export and press kit do not, because they leave the house.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from gallery.articles.edit import import_article, set_status
from gallery.articles.read import layout_dict, layout_for, problems
from gallery.core import db
from gallery.core.errors import InvalidInput
from gallery.core.models import Album, Article
from gallery.core.states import ArticleStatus
from gallery.culling import filters


def _config(name: str):
    return current_app.config[name]


def _storage():
    return current_app.extensions["gallery.storage"]


def _article(slug: str) -> Article:
    article = Article.by_slug(db.get_session(), slug)
    if article is None:
        raise click.ClickException(f"no article with the slug {slug!r}")
    return article


def _album(slug: str) -> Album:
    album = Album.by_slug(db.get_session(), slug)
    if album is None:
        raise click.ClickException(f"no album with the slug {slug!r}")
    return album


@click.group()
def article() -> None:
    """Import, publish, lay out and render news articles."""


@article.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--album", "album_slug", required=True, help="The album whose numbers labels mean.")
@click.option("--title", help="The title; without it the file's first line is the title.")
@click.option("--slug", help="The article's slug; made from the title by default.")
@click.option("--author", default="", help="Who wrote it.")
@with_appcontext
def import_(file: Path, album_slug: str, title: str | None, slug: str | None, author: str):
    """Import a text file like seed/article-lv.txt as a draft; print its slug."""
    session = db.get_session()
    try:
        text = file.read_text(encoding="utf-8-sig")  # a BOM from Windows editors is not text
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{file} is not UTF-8 text (byte {exc.start} is not): save it as UTF-8 and import "
            "it again"
        ) from None
    try:
        made = import_article(
            session, text, _album(album_slug), title=title, slug=slug, author=author
        )
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    for problem in problems(made, _config("ARTICLE_MAX_ROW")):
        click.echo(f"problem: {problem.message}", err=True)
    click.echo(made.slug)


@article.command("set")
@click.argument("slug")
@click.option("--status", type=click.Choice([s.value for s in ArticleStatus]))
@click.option("--title")
@with_appcontext
def set_(slug: str, status: str | None, title: str | None) -> None:
    """Publish an article (or take it back to draft), or change its title."""
    found = _article(slug)
    if status:
        set_status(found, status)
    if title is not None:
        if not title.strip():
            raise click.ClickException("the title must not be empty")
        found.title = title.strip()
    db.get_session().commit()


@article.command("problems")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def problems_(slug: str, as_json: bool) -> None:
    """What the editor should fix: unknown or repeated labels, unplaced photos, wide rows..."""
    for problem in problems(_article(slug), _config("ARTICLE_MAX_ROW")):
        click.echo(
            json.dumps(problem.to_dict(), ensure_ascii=False) if as_json else problem.message
        )


@article.command("layout")
@click.argument("slug")
@click.option("--width", type=click.IntRange(1, 10_000), help="Column width in px.")
@click.option("--gap", type=click.IntRange(0), help="Gap between photos in px.")
@click.option("--json", "as_json", is_flag=True, help="The API's JSON.")
@with_appcontext
def layout(slug: str, width: int | None, gap: int | None, as_json: bool) -> None:
    """The photo rows laid out at a width: label, photo id, x, y, width, height per photo."""
    found = _article(slug)
    width = width or _config("ARTICLE_WIDTH")
    gap = _config("ARTICLE_GAP") if gap is None else gap
    try:
        rows = layout_for(found, width, gap)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(layout_dict(found, rows, width, gap)))
        return
    for row in rows:
        click.echo("  ".join(f"{b.label}:{b.width}x{b.height}@{b.x},{b.y}" for b in row))


@article.command("render")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url", help="Site root for the image URLs (default: GALLERY_PUBLIC_URL).")
@click.option("--width", type=click.IntRange(100, 10_000), help="Reference column width.")
@click.option("--fragment", is_flag=True, help="Only the <article> element, not a document.")
@with_appcontext
def render(
    slug: str, output: Path | None, base_url: str | None, width: int | None, fragment: bool
) -> None:
    """Clean, self-contained HTML to paste into another site's editor (stdout without -o)."""
    from gallery.articles.html import export_html

    base = (base_url or _config("PUBLIC_URL")).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise click.ClickException("give --base-url https://... or set GALLERY_PUBLIC_URL")
    width = width or _config("ARTICLE_WIDTH")
    gap = _config("ARTICLE_GAP")
    html = export_html(_article(slug), width=width, gap=gap, base_url=base, fragment=fragment)
    if output is None:
        click.echo(html)
    else:
        output.write_text(html, encoding="utf-8")


@article.command("press-kit")
@click.argument("slug")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def press_kit(slug: str, output: Path) -> None:
    """A zip of web-size JPEGs named by label, with captions and credits inside and beside."""
    from gallery.articles.exports import press_kit_photos
    from gallery.articles.html import article_language
    from gallery.articles.presskit import write_press_kit
    from gallery.web.i18n import gettext_in

    found = _article(slug)
    prefix = gettext_in(article_language(found), "Photo:")
    names = write_press_kit(found.title, press_kit_photos(found, _storage()), output, prefix)
    click.echo(f"{output}: {len(names) - 1} photos")


@click.command("contact-sheet")
@click.option("--album", "album_slug", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--picks", is_flag=True, help="Only the photos marked as picks.")
@click.option("--rating", type=click.IntRange(0, 5), default=0, help="At least this many stars.")
@click.option("--label", help="Only this colour label (red, yellow, green, blue, purple, none).")
@click.option("--tops", is_flag=True, help="One photo per stack, its top.")
@click.option("--unused", is_flag=True, help="Only photos no article uses yet.")
@with_appcontext
def contact_sheet(album_slug: str, output: Path, picks: bool, **only: Any) -> None:
    """A4 pages of numbered thumbnails (PDF, and a PNG per page beside it) to print and pick."""
    from gallery.articles.contactsheet import write_contact_sheet
    from gallery.articles.exports import album_sheet_photos

    album = _album(album_slug)
    try:
        kept = filters.parse({**only, "pick": "pick" if picks else ""})
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    sheet = album_sheet_photos(album, _storage(), kept if kept.active else None)
    written = write_contact_sheet(album.title, sheet, output)
    for path in written:
        click.echo(str(path))
