"""What visitors see: the album list, album pages, photo pages, the feed and media files.

Who may see what is gallery.core.visibility's rule; whatever a request may not see answers
404, never 403, so nothing tells a visitor that a hidden album or photo exists. Staff see
drafts and private albums here too, under a banner saying who else can.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

from gallery.accounts.auth import is_staff, viewer
from gallery.catalog.albums import newest_album, seen_album
from gallery.catalog.photos import album_photos
from gallery.core import visibility as seeing
from gallery.core.db import get_session
from gallery.core.media import MIMETYPES, rendition_url
from gallery.core.models import Album, Photo, Rendition
from gallery.ingest.filenames import content_disposition, download_name
from gallery.site import album_list, cards, feed, media
from gallery.site.photo_facts import camera_facts
from gallery.site.tiles import GAP, TileTexts, album_grid, fitting, largest, srcset
from gallery.web.httpcache import validated
from gallery.web.i18n import current_language, gettext, ngettext
from gallery.web.pagecache import visitor_lookup, visitor_page

bp = Blueprint("site", __name__)

YEAR = 365 * 24 * 3600
STREAM_CHUNK = 256 * 1024  # bytes read at a time from an original streamed to a visitor


def _page(html: str) -> Response:
    return validated(Response(html, mimetype="text/html"), private=is_staff())


def _config(name: str) -> Any:
    return current_app.config[name]


@bp.get("/")
def index() -> Response:
    return _page(visitor_page(lambda: _album_list(year=None), signed_in=is_staff()))


@bp.get("/years/<int:year>")
def year(year: int) -> Response:
    return _page(visitor_page(lambda: _album_list(year=year), signed_in=is_staff()))


def _album_list(year: int | None) -> str:
    try:
        after = album_list.Cursor.parse(request.args.get("after"))
        before = album_list.Cursor.parse(request.args.get("before"))
    except ValueError:
        abort(400, "that is not a place in the album list")
    session = get_session()
    years = album_list.year_counts(session)
    if year is not None and year not in dict(years):
        abort(404)  # also keeps years no date can hold (0, 99999) away from the query
    page = album_list.list_page(
        session, _config("ALBUMS_PER_PAGE"), year=year, after=after, before=before
    )
    return render_template("index.html", page=page, years=years, year=year)


def _album_or_404(slug: str) -> Album:
    # 404, not 403: nothing tells a visitor that a private album exists
    return seen_album(get_session(), slug, viewer()) or abort(404)


def _key(album: Album) -> str | None:
    """The secret to carry in links, when the page was opened through the unlisted link."""
    return album.secret if album.visibility == "unlisted" and request.args.get("key") else None


@bp.get("/albums/<slug>")
def album(slug: str) -> Response:
    return _page(visitor_page(lambda: _album_page(slug), signed_in=is_staff()))


def _album_page(slug: str) -> str:
    found, who = _album_or_404(slug), viewer()
    photos = cards.album_card_rows(get_session(), found.id, who)
    key = _key(found)
    texts = TileTexts(
        language=current_language(),
        photo_url=url_for("site.album", slug=found.slug) + "/photos/",
        key_query="?" + urlencode({"key": key}) if key else "",
        untitled=gettext("Photo %(number)s"),
        not_public=gettext("Not public"),
    )
    rows = album_grid(photos, _config("ALBUM_ROW_HEIGHT"), texts)
    return render_template(
        "album.html",
        album=found,
        rows=rows,
        count=len(photos),
        photos=cards.refs(photos),
        key=key,
        staff=who.staff,
        gap=GAP,
    )


def _photo_or_404(slug: str, photo_id: int) -> tuple[Album, Photo]:
    album = _album_or_404(slug)
    photo = get_session().get(Photo, photo_id)
    if photo is None or photo.album_id != album.id or not seeing.may_see_photo(photo, viewer()):
        abort(404)
    return album, photo


@bp.get("/albums/<slug>/photos/<int:photo_id>")
def photo(slug: str, photo_id: int) -> Response:
    return _page(visitor_page(lambda: _photo_page(slug, photo_id), signed_in=is_staff()))


def _photo_page(slug: str, photo_id: int) -> str:
    found, photo = _photo_or_404(slug, photo_id)
    who, session = viewer(), get_session()
    card = cards.cards_by_id(session, [photo.id], who)[photo.id]
    return render_template(
        "photo.html",
        album=found,
        photo=photo,
        card=card,
        facts=camera_facts(photo),
        around=cards.neighbours(session, photo, who),
        key=_key(found),
        staff=who.staff,
        image=fitting(card.images, 1280),
        share=fitting(card.images, 1200),
        download=largest(card.images),
        srcset=srcset(card.images),
        base_url=_base_url(),
        language=current_language(),
    )


@bp.get("/albums/<slug>/photos/<int:photo_id>/original")
def original(slug: str, photo_id: int) -> Response:
    """The original file, where the album offers it (staff: always); a visitor's copy has
    no GPS or other private metadata (gallery.site.media decides which bytes go out)."""
    _found, photo = _photo_or_404(slug, photo_id)
    who = viewer()
    if not media.may_download_original(photo, who):
        abort(404)
    found = media.original_for(current_app.extensions["gallery.storage"], photo, who)
    if found is None:
        abort(404)
    # The type comes from the sniffed format, never the name; the name only from the
    # cleaned display name, with the real format's extension (a polyglot stays an image).
    mimetype = MIMETYPES[photo.format]
    if found.splices:
        response = _send_cleaned(found, mimetype)
    else:
        response = send_file(found.path, mimetype, conditional=True)
    name = download_name(photo.filename or f"{photo.sha256}", photo.format)
    response.headers["Content-Disposition"] = content_disposition(name)
    # The bytes never change but the permission may: revalidate (cheap: the ETag is stable).
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _send_cleaned(found: media.Original, mimetype: str) -> Response:
    """Stream an original through its splices, as send_file would: length, ETag, ranges."""
    stream = io.BufferedReader(found.open(), STREAM_CHUNK)
    response = Response(
        wrap_file(request.environ, stream, STREAM_CHUNK), mimetype=mimetype, direct_passthrough=True
    )
    response.content_length = found.size
    response.last_modified = datetime.fromtimestamp(found.path.stat().st_mtime, UTC)
    response.set_etag(found.etag)
    try:
        response.make_conditional(request.environ, True, complete_length=found.size)
    except RequestedRangeNotSatisfiable:
        stream.close()
        raise
    return response


@bp.get("/albums/<slug>/download.zip")
def album_zip(slug: str) -> Response:
    """The whole album's originals as one zip, where the album offers its originals (staff:
    always): the photos the asker may see, each as its own download would give it."""
    found, who = _album_or_404(slug), viewer()
    if not (who.staff or found.allow_original_download):
        abort(404)
    photos = [p for p in album_photos(get_session(), found) if seeing.shown_in_album(p, who)]
    if not photos:
        abort(404)
    storage = current_app.extensions["gallery.storage"]
    response = Response(
        media.album_zip(storage, photos, who), mimetype="application/zip", direct_passthrough=True
    )
    response.headers["Content-Disposition"] = content_disposition(f"{found.slug}.zip")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/media/<sha256>/<name>.jpg")
def rendition(sha256: str, name: str) -> Response:
    """A rendition visitors may see (or any, for staff: their pages show drafts too)."""
    staff = is_staff()
    if staff:
        fmt = media.rendition_format(get_session(), sha256, name, seeing.STAFF)
    else:
        fmt = visitor_lookup(
            ("rendition", sha256, name),
            lambda: media.rendition_format(get_session(), sha256, name, seeing.VISITOR),
        )
    if fmt is None:
        abort(404)
    scope = "private" if staff else "public"
    storage = current_app.extensions["gallery.storage"]
    url = storage.rendition_url(sha256, name, fmt, public=not staff)
    if url is not None:
        return _redirect_to_store(url, scope, current_app.config["S3_URL_SECONDS"])
    path = storage.local_rendition(sha256, name, fmt)
    if path is None:  # lost or damaged: missing until `gallery check --repair` renders it
        abort(404)
    # The URL names the content's hash, so the file behind it never changes.
    response = send_file(path, mimetype="image/jpeg", max_age=YEAR, conditional=True)
    response.headers["Cache-Control"] = f"{scope}, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _redirect_to_store(url: str, scope: str, url_seconds: int) -> Response:
    """A rendition in S3: the browser fetches it there (no bytes through this machine).
    Kept half the URL's life, so a browser's kept redirect never leads to an expired one."""
    response = Response(status=302, headers={"Location": url})
    response.headers["Cache-Control"] = f"{scope}, max-age={url_seconds // 2}"
    return response


@bp.get("/feed.atom")
def feed_atom() -> Response:
    """The newest public albums as an Atom feed."""
    document = visitor_page(_feed_document, signed_in=is_staff())
    return validated(Response(document, mimetype="application/atom+xml"), private=False)


def _feed_document() -> bytes:
    session, base = get_session(), _base_url()
    albums = album_list.newest_published(session, _config("FEED_ENTRIES"))
    covers = album_list.covers(session, albums)
    entries = [_entry(a, covers.get(a.id), a.public_photos, base) for a in albums]
    installation = hashlib.sha256(str(_config("SECRET_KEY")).encode()).hexdigest()
    return feed.atom(
        id=feed.feed_id(installation),
        title=gettext("Gallery"),
        language=current_language(),
        site_url=base + "/",
        feed_url=base + "/feed.atom",
        author=gettext("Gallery"),
        entries=entries,
    )


def _entry(album: Album, cover: cards.PhotoCard | None, count: int, base: str) -> feed.Entry:
    image = fitting(cover.images, 640) if cover else None
    summary = album.description or ngettext("%(num)d photo", "%(num)d photos", count)
    return feed.Entry(
        url=f"{base}/albums/{album.slug}",
        id=feed.entry_id(album.id, album.created_at),
        title=album.title,
        published=album.published_at or album.created_at,
        updated=album.updated_at,
        summary=summary,
        image_url=base + image.url if image else "",
        image_alt=(cover.alt_text or cover.caption or album.title) if cover else "",
    )


def _base_url() -> str:
    """The site root for absolute URLs: the PUBLIC_URL setting, else this request's host."""
    return (_config("PUBLIC_URL") or request.host_url).rstrip("/")


def smallest(photo: Photo) -> Rendition | None:
    """Template helper (search results): a photo's smallest rendition."""
    return min(photo.renditions, key=lambda r: r.width, default=None)


def cover_alt(cover: cards.PhotoCard, title: str) -> str:
    """Template helper: an album card's cover describes the photo when it says more than
    the album's title beside it; else it is decorative (alt="", no name said twice)."""
    text = cover.alt_text or cover.caption_in(current_language())
    return "" if not text or text.strip() == title.strip() else text


def long_date(day: date | None) -> str:
    """Template filter: a date as people write it in the interface language."""
    return format_date(day, format="long", locale=current_language()) if day else ""


bp.add_app_template_global(smallest)
bp.add_app_template_global(rendition_url)
bp.add_app_template_global(srcset)
bp.add_app_template_global(fitting)
bp.add_app_template_global(cover_alt)
bp.add_app_template_filter(long_date)


def warm_up_urls() -> list[str]:
    """The home page, the feed, and the newest public album with one of its photos."""
    urls = ["/", "/feed.atom"]
    session = get_session()
    album = newest_album(session, seeing.VISITOR)
    if album is not None:
        urls.append(url_for("site.album", slug=album.slug))
        first = cards.album_card_rows(session, album.id, seeing.VISITOR)[:1]
        urls += [url_for("site.photo", slug=album.slug, photo_id=row[0]) for row in first]
    return urls
