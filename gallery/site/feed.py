"""An Atom 1.0 feed (RFC 4287) of newly published albums, built with ElementTree so that
every text is escaped and the document is always well-formed.

Its `xml:lang` is the language its words are in. Ids never change with the host a reader
asked through (an entry's id is its album's, a feed's the installation's; `urn:uuid:`
names made from them), so a reader that subscribed through another address does not see
every album again as new."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry at all (EXIF and pasted text sometimes hold them).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Entry:
    """One album in the feed; URLs are absolute."""

    url: str
    id: str  # permanent: urn:uuid:..., see entry_id
    title: str
    published: datetime
    updated: datetime
    summary: str
    image_url: str = ""
    image_alt: str = ""


def utc(moment: datetime) -> datetime:
    """Aware, in UTC; naive datetimes (SQLite gives those back) are UTC already."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def timestamp(moment: datetime) -> str:
    """RFC 3339, in UTC."""
    return utc(moment).isoformat(timespec="seconds")


def _text(text: str) -> str:
    return NOT_XML.sub("", text)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = _text(text)
    return element


def _entry(feed: ET.Element, entry: Entry) -> None:
    element = _add(feed, "entry")
    _add(element, "id", entry.id)
    _add(element, "title", entry.title)
    _add(element, "link", rel="alternate", type="text/html", href=entry.url)
    _add(element, "published", timestamp(entry.published))
    _add(element, "updated", timestamp(entry.updated))
    _add(element, "summary", entry.summary)
    if entry.image_url:
        # HTML as escaped text (type="html"): ElementTree escapes it once more, as Atom wants.
        html = f'<p><img src="{_attr(entry.image_url)}" alt="{_attr(entry.image_alt)}"></p>'
        _add(element, "content", html + f"<p>{_attr(entry.summary)}</p>", type="html")


def _attr(text: str) -> str:
    return (
        _text(text)
        .replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def entry_id(album_id: int, created: datetime) -> str:
    """An album's permanent id in feeds: the same whichever host is asked, never reused."""
    name = f"gallery:album:{album_id}:{timestamp(created)}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def feed_id(installation: str) -> str:
    """The feed's permanent id, from something that names this installation."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'gallery:feed:{installation}')}"


def atom(
    *,
    id: str,
    title: str,
    language: str,
    site_url: str,
    feed_url: str,
    author: str,
    entries: Sequence[Entry],
) -> bytes:
    """The feed document; `updated` is that of the newest entry (or the epoch if none)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    _add(feed, "id", id)
    _add(feed, "title", title)
    newest = max((utc(e.updated) for e in entries), default=datetime(1970, 1, 1, tzinfo=UTC))
    _add(feed, "updated", timestamp(newest))
    _add(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _add(feed, "link", rel="alternate", type="text/html", href=site_url)
    _add(_add(feed, "author"), "name", author)
    for entry in entries:
        _entry(feed, entry)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
