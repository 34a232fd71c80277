"""Where media is served: rendition URLs (named by the original's hash, so they never go
stale) and the image types files are sent as."""

from __future__ import annotations

MEDIA_PREFIX = "/media"
RENDITION_EXTENSIONS = {"jpeg": "jpg"}  # format -> file extension, where they differ
# The type of an original comes from its sniffed format, never from its name.
MIMETYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
    "TIFF": "image/tiff",
}


def rendition_url(sha256: str, name: str, fmt: str) -> str:
    """The URL of a rendition; it changes whenever the original's bytes change."""
    return f"{MEDIA_PREFIX}/{sha256}/{name}.{RENDITION_EXTENSIONS.get(fmt, fmt)}"
