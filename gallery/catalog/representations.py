"""How domain objects look to the outside: the JSON shapes of DESIGN.md, and media URLs."""

from __future__ import annotations

from typing import Any

from gallery.core.media import rendition_url
from gallery.core.models import Album, Photo


def photo_to_dict(photo: Photo, *, staff: bool) -> dict[str, Any]:
    """A photo as the API and `gallery photos --json` show it; GPS only for staff."""
    data: dict[str, Any] = {
        "id": photo.id,
        "album": photo.album.slug,
        "number": photo.number,
        "filename": photo.filename,
        "sha256": photo.sha256,
        "format": photo.format,
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "taken_at": photo.taken_at,
        "camera_make": photo.camera_make,
        "camera_model": photo.camera_model,
        "lens": photo.lens,
        "exposure_time": photo.exposure_time,
        "f_number": photo.f_number,
        "iso": photo.iso,
        "focal_length": photo.focal_length,
        "title": photo.title,
        "title_en": photo.title_en,
        "caption": photo.caption,
        "caption_en": photo.caption_en,
        "alt_text": photo.alt_text,
        "keywords": list(photo.keywords or []),
        "credit": photo.credit,
        "copyright": photo.copyright,
        "renditions": {
            r.name: {
                "url": rendition_url(photo.sha256, r.name, r.format),
                "width": r.width,
                "height": r.height,
                "format": r.format,
            }
            for r in photo.renditions
        },
    }
    if staff:
        data["gps"] = _gps(photo)
        data["consent"] = photo.consent
        data["status"] = photo.status
    return data


def album_to_dict(album: Album, photo_count: int, *, staff: bool = False) -> dict[str, Any]:
    data = {
        "slug": album.slug,
        "title": album.title,
        "event_date": album.event_date.isoformat() if album.event_date else None,
        "place": album.place,
        "visibility": album.visibility,
        "photos": photo_count,
    }
    if staff:
        data["description"] = album.description
        data["cover_photo_id"] = album.cover_photo_id
        data["secret_url"] = secret_url(album)
        data["allow_original_download"] = album.allow_original_download
        data["status"] = album.status
    return data


def secret_url(album: Album) -> str:
    """The unlisted link of an album (a path on this site), as staff share it."""
    return f"/albums/{album.slug}?key={album.secret}"


def _gps(photo: Photo) -> dict[str, float | None] | None:
    if photo.gps_lat is None or photo.gps_lon is None:
        return None
    return {"lat": photo.gps_lat, "lon": photo.gps_lon, "alt": photo.gps_alt}
