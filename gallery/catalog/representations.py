"""How albums and photos look to the outside: the models of gallery.catalog.schemas filled
from the database, for the API, search hits and `gallery photos --json` alike."""

from __future__ import annotations

from typing import Any, Literal, overload

from gallery.catalog import schemas
from gallery.core.media import rendition_url
from gallery.core.models import Album, Photo
from gallery.culling.schemas import DuplicateRef
from gallery.ingest.analysis import score


@overload
def photo_model(photo: Photo, *, staff: Literal[True]) -> schemas.StaffPhoto: ...
@overload
def photo_model(photo: Photo, *, staff: bool) -> schemas.Photo: ...
def photo_model(photo: Photo, *, staff: bool) -> schemas.Photo:
    """A photo as the API shows it; GPS, consent and state only for staff."""
    if staff:
        return schemas.StaffPhoto(**photo_fields(photo, staff=True))
    return schemas.Photo(**photo_fields(photo, staff=False))


def photo_to_dict(photo: Photo, *, staff: bool) -> dict[str, Any]:
    """The photo model as JSON-ready values (`gallery photos --json`)."""
    return photo_model(photo, staff=staff).model_dump(mode="json")


def photo_fields(photo: Photo, *, staff: bool) -> dict[str, Any]:
    """The values of a photo model (a search hit adds its own to them)."""
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
            r.name: schemas.Rendition(
                url=rendition_url(photo.sha256, r.name, r.format),
                width=r.width,
                height=r.height,
                format=r.format,
            )
            for r in photo.renditions
        },
    }
    if staff:
        data["gps"] = _gps(photo)
        data["consent"] = photo.consent
        data["status"] = photo.status
        data.update(_culling(photo))
    return data


def _culling(photo: Photo) -> dict[str, Any]:
    measured = photo.sharpness is not None and photo.exposure is not None
    return {
        "pick": photo.pick,
        "rating": photo.rating,
        "label": photo.label,
        "quality": score(photo.sharpness, photo.exposure) if measured else None,
        "stack": photo.stack_id,
        "stack_top": photo.stack_top,
        "duplicate_of": [
            DuplicateRef(photo_id=pair.duplicate_of, distance=pair.distance)
            for pair in photo.duplicates_of
            if not pair.dismissed
        ],
    }


@overload
def album_model(album: Album, photo_count: int, *, staff: Literal[True]) -> schemas.StaffAlbum: ...
@overload
def album_model(album: Album, photo_count: int, *, staff: bool = False) -> schemas.Album: ...
def album_model(album: Album, photo_count: int, *, staff: bool = False) -> schemas.Album:
    """An album as the API shows it, with how many photos the asker may see in it."""
    data: dict[str, Any] = {
        "slug": album.slug,
        "title": album.title,
        "event_date": album.event_date,
        "place": album.place,
        "visibility": album.visibility,
        "photos": photo_count,
    }
    if not staff:
        return schemas.Album(**data)
    return schemas.StaffAlbum(
        **data,
        description=album.description,
        cover_photo_id=album.cover_photo_id,
        secret_url=secret_url(album),
        allow_original_download=album.allow_original_download,
        status=album.status,
    )


def album_to_dict(album: Album, photo_count: int, *, staff: bool = False) -> dict[str, Any]:
    return album_model(album, photo_count, staff=staff).model_dump(mode="json")


def secret_url(album: Album) -> str:
    """The unlisted link of an album (a path on this site), as staff share it."""
    return f"/albums/{album.slug}?key={album.secret}"


def _gps(photo: Photo) -> schemas.Gps | None:
    if photo.gps_lat is None or photo.gps_lon is None:
        return None
    return schemas.Gps(lat=photo.gps_lat, lon=photo.gps_lon, alt=photo.gps_alt)
