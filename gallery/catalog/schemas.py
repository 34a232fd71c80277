"""Albums and photos as the API takes and shows them (DESIGN.md's photo object): the one
definition of their outside shapes, used by the API, its OpenAPI document, search hits and
`gallery photos --json`. What staff see besides (GPS, consent, state, the unlisted link)
is a subclass, so a visitor's answer cannot carry it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import MISSING, BeforeValidator, Field

from gallery.catalog.albums import SLUG
from gallery.catalog.photos import MAX_TEXT
from gallery.core.states import (
    MAX_RATING,
    Consent,
    JobState,
    Label,
    Pick,
    Role,
    Status,
    Visibility,
)
from gallery.culling.schemas import DuplicateRef, FilterQuery
from gallery.web.contract import WHOLE, Id, Input, Output, Query, documented

AlbumSlug = Annotated[str, documented(pattern=SLUG.pattern)]
Title = Annotated[str, documented(pattern=r"\S")]  # not blank
Text = Annotated[str, documented(maxLength=MAX_TEXT)]  # a photo's text


def _split_words(value: object) -> object:
    return value.split(",") if isinstance(value, str) else value


# A list of words, or one comma-separated string of them.
Keywords = Annotated[
    list[str], BeforeValidator(_split_words, json_schema_input_type=list[str] | str)
]


# --- what the API takes ------------------------------------------------------------------


class AlbumFields(Input):
    """An album's fields; those left out stay as they are."""

    event_date: date | None | MISSING = MISSING  # null: no date
    place: str | MISSING = MISSING
    description: str | MISSING = MISSING
    visibility: Visibility | MISSING = MISSING
    allow_original_download: bool | MISSING = MISSING


class NewAlbum(AlbumFields):
    slug: AlbumSlug
    title: str | MISSING = MISSING  # empty or left out: the slug


class AlbumChanges(AlbumFields):
    title: Title | MISSING = MISSING
    cover_photo_id: Id | None | MISSING = MISSING  # null: the first photo visitors may see


class PhotoChanges(Input):
    """A photo's texts, keywords, consent and marks; those left out stay as they are."""

    title: Text | MISSING = MISSING
    title_en: Text | MISSING = MISSING
    caption: Text | MISSING = MISSING
    caption_en: Text | MISSING = MISSING
    alt_text: Text | MISSING = MISSING
    credit: Text | MISSING = MISSING
    copyright: Text | MISSING = MISSING
    keywords: Keywords | MISSING = MISSING
    consent: Consent | MISSING = MISSING
    # culling's marks; null clears a flag or a label
    pick: Pick | None | MISSING = MISSING
    rating: Annotated[int, Field(ge=0, le=MAX_RATING), WHOLE] | MISSING = MISSING
    label: Label | None | MISSING = MISSING


class BulkEdit(Input):
    """The same changes for many photos."""

    ids: Annotated[list[Id], Field(min_length=1)]
    set: PhotoChanges


class Order(Input):
    """Every photo of the album, once each, in the new order."""

    photo_ids: list[Id]


class Restore(Input):
    albums: list[str] = Field(default_factory=list)
    photos: list[Id] = Field(default_factory=list)


class Unlisted(Query):
    key: str = Field("", max_length=64, description="an unlisted album's key")


class AlbumPhotosQuery(Unlisted, FilterQuery):
    """An unlisted album's key; for staff, culling's filter."""


# --- what the API shows ------------------------------------------------------------------


class Rendition(Output):
    url: str
    width: int
    height: int
    format: str


class Gps(Output):
    lat: float
    lon: float
    alt: float | None


class Photo(Output):
    """A photo as visitors see it."""

    id: int
    album: str
    number: int
    filename: str
    sha256: str
    format: str
    width: int
    height: int
    orientation: int
    taken_at: str | None
    camera_make: str | None
    camera_model: str | None
    lens: str | None
    exposure_time: str | None
    f_number: float | None
    iso: int | None
    focal_length: float | None
    title: str
    title_en: str
    caption: str
    caption_en: str
    alt_text: str
    keywords: list[str]
    credit: str
    copyright: str
    renditions: dict[str, Rendition]


class StaffPhoto(Photo):
    """A photo as staff see it: where it was taken, consent, in use or in the trash, and
    culling's marks, stack and measures."""

    gps: Gps | None
    consent: Consent
    status: Status
    pick: Pick | None
    rating: int
    label: Label | None
    quality: float | None  # 0-1, sharp and well exposed: the best of a stack is suggested
    stack: int | None  # the same number for every photo of one stack
    stack_top: bool  # the photo shown for its stack
    duplicate_of: list[DuplicateRef]  # earlier photos it shows again (near-duplicates)


class Album(Output):
    """An album as visitors see it."""

    slug: str
    title: str
    event_date: date | None
    place: str
    visibility: Visibility
    photos: int  # how many the asker may see


class StaffAlbum(Album):
    description: str
    cover_photo_id: int | None
    secret_url: str  # the unlisted link, a path on this site
    allow_original_download: bool
    status: Status


class Me(Output):
    email: str
    role: Role


class AlbumAnswer(Output):
    album: StaffAlbum | Album


class AlbumList(Output):
    albums: list[StaffAlbum | Album]  # newest first (the day they are listed under)
    next: str | None  # `after` for the next page; None on the last


class AlbumListQuery(Query):
    """A page of the album list: the first, or the one after a page's `next`."""

    after: Annotated[str, documented(pattern=r"^(\d{4}-\d{2}-\d{2}_\d{1,18})?$")] = Field(
        "", description="the `next` of the page before"
    )
    per_page: int = Field(100, ge=1, le=500)


class PhotoAnswer(Output):
    photo: StaffPhoto | Photo


class PhotoList(Output):
    photos: list[StaffPhoto | Photo]


class AlbumTrashed(Output):
    trashed: str  # the album's slug


class PhotoTrashed(Output):
    trashed: int  # the photo's id


class Duplicate(Output):
    path: str  # the zip's name, !/, the entry's path
    photo_id: int | None


class Rejected(Output):
    path: str
    code: str
    error: str


class UploadReport(Output):
    """A zip's report: what it added, what was already there, what was refused."""

    photos: list[StaffPhoto]
    duplicates: list[Duplicate]
    rejected: list[Rejected]


class Upload(Output):
    """An upload the job queue holds (QUEUE_URL): poll `url` until `state` is done."""

    id: int
    state: JobState
    url: str
    attempts: int


class UploadQueued(Output):
    upload: Upload


class UploadStatus(Output):
    """A queued upload; once done, `result` is the body the upload would have answered at
    once (a photo, a zip's report or an error) and `result_status` its status."""

    upload: Upload
    result_status: int | None = None
    result: dict[str, Any] | None = None


class Trash(Output):
    albums: list[StaffAlbum]
    photos: list[StaffPhoto]


class Restored(Output):
    restored: Restore


class Counts(Output):
    albums: int
    photos: int


class Deleted(Output):
    deleted: Counts
