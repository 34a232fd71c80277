"""File names as people sent them: cleaned for display, never used as a path on disk.

Originals are stored under their content hash, so a name only travels to pages, JSON, the
contact sheet and the `Content-Disposition` of a download. The rule (README, "File names"):

- only the last path component counts; `/` and `\\` both separate (names come from Windows);
- bytes that were not UTF-8 become U+FFFD; the text is normalised to Unicode NFC;
- any whitespace (newline, tab, no-break space) becomes one space; control characters (NUL,
  ESC) and invisible format characters (the bidi overrides that turn `gpj.exe` into
  `exe.jpg`) are dropped, except the joiners some scripts and emoji need;
- no leading or trailing spaces; a name of dots alone (`.`, `..`) counts as empty;
- at most 255 characters, the extension kept when the stem is cut;
- a name empty after all that gets the caller's fallback.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from gallery.ingest.accept import EXTENSIONS

MAX_CHARS = 255
MAX_EXTENSION = 16  # longer "extensions" are just part of the name
KEPT_FORMAT_CHARS = {"\u200c", "\u200d"}  # zero-width (non-)joiner: part of words and emoji

# sniffed format -> other extensions a file of that format may carry besides ours
OTHER_EXTENSIONS = {"JPEG": ("jpeg", "jpe", "jfif"), "HEIF": ("heif", "hif"), "TIFF": ("tiff",)}


def clean_filename(name: str, fallback: str = "photo") -> str:
    """The name to store and show for an upload called `name` (see the module's rule)."""
    name = unicodedata.normalize("NFC", _valid_unicode(name))
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join("".join(_visible(ch) for ch in name).split())
    if not name.strip("."):
        return fallback
    return _bounded(name)


def download_name(name: str, fmt: str) -> str:
    """The name to save a download under: the extension always says the real format.

    A GIF sent as `page.html` downloads as `page.html.gif`, so that no browser or desktop
    opens a polyglot file as HTML or script because of the name it was given.
    """
    ours = EXTENSIONS[fmt]
    _stem, dot, ext = name.rpartition(".")
    if dot and ext.lower() in (ours, *OTHER_EXTENSIONS.get(fmt, ())):
        return name
    return _bounded(f"{name}.{ours}")


def content_disposition(name: str) -> str:
    """An attachment header that names the file in every browser (RFC 6266 and RFC 5987).

    `filename` is a plain-ASCII fallback for old clients; `filename*` carries the exact
    name in UTF-8, which every current browser prefers.
    """
    exact = quote(name, safe="")
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{exact}"


def _valid_unicode(name: str) -> str:
    """Bytes that were not UTF-8 (a file name on disk, decoded with surrogateescape) -> U+FFFD."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte at all
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in name)


def _visible(ch: str) -> str:
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs") or (category == "Cf" and ch not in KEPT_FORMAT_CHARS):
        return ""
    return ch


def _bounded(name: str) -> str:
    if len(name) <= MAX_CHARS:
        return name
    stem, dot, ext = name.rpartition(".")
    if stem and dot and len(ext) <= MAX_EXTENSION:
        return f"{stem[: MAX_CHARS - len(ext) - 1].rstrip()}.{ext}"
    return name[:MAX_CHARS].rstrip()


def _ascii_fallback(name: str) -> str:
    """Printable ASCII only, with no quote, backslash or percent sign (RFC 6266, appendix D)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r'[^\x20-\x7e]|["\\%]', "_", plain).strip()
    stem, dot, ext = plain.rpartition(".")
    if not plain.strip("._ ") or (dot and not stem.strip("._ ")):
        return f"photo.{ext}" if dot and ext else "photo"
    return plain
