"""SQLAlchemy models of the domain and the queries that belong to them."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Select,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, validates

from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.states import (
    ArticleStatus,
    Consent,
    JobState,
    Label,
    Pick,
    Role,
    Status,
    Visibility,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A time read back from the database, aware: SQLite gives naive UTC, PostgreSQL aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class Base(DeclarativeBase):
    pass


def state_column(states: type[StrEnum], default: StrEnum | None = None) -> Mapped[Any]:
    """A column holding one of `states` by its value, as VARCHAR(16) (no database enum type,
    no CHECK: adding a state needs no migration); read back as the enum member."""
    kind = Enum(
        states,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
    return mapped_column(kind, default=default) if default is not None else mapped_column(kind)


def _listed_on(context: Any) -> date:
    """A new album's listed day (an INSERT of rows that do not give it): the event's, else
    the day it is made."""
    row = context.get_current_parameters()
    return row.get("event_date") or (row.get("created_at") or utcnow()).date()


TITLE_LENGTH = 300  # an album's or article's title, an album's place


def fitting(field: str, text: str, length: int = TITLE_LENGTH) -> str:
    """`text`, if its column holds it: PostgreSQL refuses a longer one (SQLite would keep it)."""
    if len(text) > length:
        too_long = N_("%(field)s is longer than %(max_length)s characters")
        raise InvalidInput(too_long, field=field, max_length=length)
    return text


class Album(Base):
    __tablename__ = "albums"
    __table_args__ = (
        # The album lists: visitors' (home, years, the API) and staff's, newest first.
        Index("ix_albums_listed", "visibility", "status", "listed_on", "id"),
        Index("ix_albums_live", "status", "listed_on", "id"),
        Index("ix_albums_published", "visibility", "status", "published_at", "created_at"),
        # The feed's order on PostgreSQL, which goes down an ascending index NULLs first
        # and so read and sorted every public album; SQLite keeps NULLs last going down.
        Index(
            "ix_albums_feed",
            "visibility",
            "status",
            text("published_at DESC NULLS LAST"),
            text("created_at DESC"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    event_date: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(TITLE_LENGTH), default="")
    visibility: Mapped[Visibility] = state_column(Visibility, Visibility.DRAFT)
    secret: Mapped[str] = mapped_column(String(64), default=new_secret)  # the unlisted link
    allow_original_download: Mapped[bool] = mapped_column(default=False)
    custom_order: Mapped[bool] = mapped_column(default=False)  # staff dragged the photos
    status: Mapped[Status] = state_column(Status, Status.ACTIVE)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cover_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", use_alter=True, ondelete="SET NULL", name="fk_albums_cover_photo")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # When the album first became public: the order of the Atom feed of new albums.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The day it is listed under: its event's, else the day it was made (the order of the
    # album lists, indexed with visibility and state below).
    # Always set (nullable only because SQLite adds a NOT NULL column to a table of rows
    # by rebuilding it).
    listed_on: Mapped[date] = mapped_column(Date, nullable=True, default=_listed_on)
    # Its photos a visitor sees and those staff see (all but the trash): kept up to date
    # by gallery.core.counts as photos come, go and change, not counted per page.
    public_photos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    live_photos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    photos: Mapped[list[Photo]] = relationship(
        back_populates="album", foreign_keys="Photo.album_id", order_by="Photo.number"
    )

    @validates("visibility")
    def _stamp_publication(self, _key: str, visibility: str) -> str:
        # Here, not in the callers: every way of making an album public dates it.
        if visibility == "public" and self.published_at is None:
            self.published_at = utcnow()
        return visibility

    @validates("event_date")
    def _list_under(self, _key: str, day: date | None) -> date | None:
        self.listed_on = day or (self.created_at or utcnow()).date()
        return day

    @classmethod
    def by_slug(cls, session: Session, slug: str) -> Album | None:
        return session.scalar(select(cls).where(cls.slug == slug))

    def next_number(self, session: Session) -> int:
        """The album number the next photo gets (1, 2, 3...)."""
        query = select(func.max(Photo.number)).where(Photo.album_id == self.id)
        return (session.scalar(query) or 0) + 1


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("album_id", "sha256", name="uq_photo_album_sha256"),
        UniqueConstraint("album_id", "number", name="uq_photo_album_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(8))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    orientation: Mapped[int] = mapped_column(Integer, default=1)
    taken_at: Mapped[str | None] = mapped_column(String(32))
    camera_make: Mapped[str | None] = mapped_column(String(120))
    camera_model: Mapped[str | None] = mapped_column(String(120))
    lens: Mapped[str | None] = mapped_column(String(200))
    exposure_time: Mapped[str | None] = mapped_column(String(32))
    f_number: Mapped[float | None] = mapped_column(Float)
    iso: Mapped[int | None] = mapped_column(Integer)
    focal_length: Mapped[float | None] = mapped_column(Float)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_alt: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str] = mapped_column(Text, default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    caption_en: Mapped[str] = mapped_column(Text, default="")
    alt_text: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    credit: Mapped[str] = mapped_column(Text, default="")
    copyright: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[Consent] = state_column(Consent, Consent.OK)
    status: Mapped[Status] = state_column(Status, Status.ACTIVE)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    # Culling marks (staff only): a flag, 0-5 stars, a colour label.
    pick: Mapped[Pick | None] = state_column(Pick)
    rating: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[Label | None] = state_column(Label)
    # What ingest measured on the smallest rendition (gallery.ingest.analysis): the
    # perceptual hash as a signed 64-bit number, sharpness and exposure in 0-1. None: not
    # measured yet (photos from before culling; `gallery check --repair` measures them).
    phash: Mapped[int | None] = mapped_column(BigInteger)
    sharpness: Mapped[float | None] = mapped_column(Float)
    exposure: Mapped[float | None] = mapped_column(Float)
    # Its stack (photos of one moment), whether it is the one shown for the stack, and
    # whether staff placed it by hand (automatic stacking then leaves it where it is).
    stack_id: Mapped[int | None] = mapped_column(
        ForeignKey("stacks.id", ondelete="SET NULL"), index=True
    )
    stack_top: Mapped[bool] = mapped_column(Boolean, default=False)
    stack_fixed: Mapped[bool] = mapped_column(Boolean, default=False)

    album: Mapped[Album] = relationship(back_populates="photos", foreign_keys=[album_id])
    stack: Mapped[Stack | None] = relationship(back_populates="photos")
    # The earlier photos this one shows again (gallery.culling.near_duplicates).
    duplicates_of: Mapped[list[NearDuplicate]] = relationship(
        foreign_keys="NearDuplicate.photo_id", viewonly=True, order_by="NearDuplicate.duplicate_of"
    )
    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", order_by="Rendition.width"
    )

    @classmethod
    def in_album_query(cls, album_id: int, sha256: str) -> Select[int]:
        """The id of the album's photo with these exact bytes, if it has one."""
        return select(cls.id).where(cls.album_id == album_id, cls.sha256 == sha256)


class Stack(Base):
    """Photos of one moment (a burst) in one album; one of them, the top, stands for all."""

    __tablename__ = "stacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), index=True)
    # Staff chose the top; otherwise it is the best-scored photo, the suggestion.
    top_chosen: Mapped[bool] = mapped_column(Boolean, default=False)

    photos: Mapped[list[Photo]] = relationship(back_populates="stack", order_by="Photo.number")


class NearDuplicate(Base):
    """A photo that shows what an earlier photo shows (re-exported, resized, recompressed,
    lightly cropped): found at import, listed for review until dismissed."""

    __tablename__ = "near_duplicates"
    __table_args__ = (PrimaryKeyConstraint("photo_id", "duplicate_of"),)

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    duplicate_of: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), index=True
    )
    distance: Mapped[int] = mapped_column(Integer)  # bits of the perceptual hashes that differ
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)  # "not a duplicate"


class CaptionShortcut(Base):
    """A code staff type in a caption (`=dt=`) and the text it expands to."""

    __tablename__ = "caption_shortcuts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    text: Mapped[str] = mapped_column(String(500))


class Rendition(Base):
    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("photo_id", "name", name="uq_rendition_photo_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))
    byte_size: Mapped[int] = mapped_column(Integer)

    photo: Mapped[Photo] = relationship(back_populates="renditions")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = state_column(Role)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Two-factor sign-in: the TOTP secret once enrolled, and the last time step a code was
    # accepted for (a code is good for one sign-in only).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )

    @classmethod
    def by_email(cls, session: Session, email: str) -> User | None:
        return session.scalar(select(cls).where(cls.email == email.strip().lower()))


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginAttempt(Base):
    """A sign-in attempt not known to have succeeded, by (account, address) pair and by
    address, for rate limiting across processes (gallery/accounts/limits.py)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class UserSession(Base):
    """A signed-in browser: its cookie holds the key, the database only the key's SHA-256.

    Ending one sets `ended_at`; nothing brings it back (reactivating a user starts none)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    via: Mapped[str] = mapped_column(String(16), default="password")  # or "sso"
    address: Mapped[str] = mapped_column(String(64), default="")
    agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class PasswordReset(Base):
    """A one-time link an admin made for a user; only its SHA-256 is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use code that stands in for a TOTP code; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SsoProvider(Base):
    """The one OpenID Connect provider staff may sign in with (none until an admin sets it)."""

    __tablename__ = "sso_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # Kept as given: the gallery must send it to the provider. Backups hold it too.
    client_secret: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(default=True)


class SsoDomain(Base):
    """An e-mail domain whose verified addresses may sign in by SSO, and the role a new
    account from it gets."""

    __tablename__ = "sso_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    role: Mapped[Role] = state_column(Role)


class AuditEvent(Base):
    """Who did what to which object, and when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(120))  # a slug or an id
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class VisitorWithdrawals(Base):
    """One row: how many commits may have hidden something from visitors (gallery/withdrawals.py).

    Moved in the committing transaction itself, so whoever reads the database after the
    commit reads the new count with it: every process's kept visitor pages go at once.
    """

    __tablename__ = "visitor_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ListedYear(Base):
    """How many public albums are listed under a year (the year links of the album list),
    kept up to date by gallery.core.counts; a year without any has no row."""

    __tablename__ = "listed_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    albums: Mapped[int] = mapped_column(Integer, default=0)


class AlbumTotal(Base):
    """How many albums an album list has: "live" the staff's (every album but the trash),
    "listed" the visitors' (public and not in the trash), kept up to date by
    gallery.core.counts; a list without a row has none."""

    __tablename__ = "album_totals"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    albums: Mapped[int] = mapped_column(Integer, default=0)


class UploadJob(Base):
    """An upload handed to the job queue (QUEUE_URL): the file waits in the media store's
    incoming/ until a `gallery worker` imports it; its outcomes are kept for the status URL.

    The row, not the broker, is the truth: a worker counts its attempts here, so a job
    whose workers keep dying under it is reported failed, not retried forever.
    """

    __tablename__ = "upload_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), index=True)
    user: Mapped[str] = mapped_column(String(254), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    incoming: Mapped[str] = mapped_column(String(80))  # the file's key in incoming/
    state: Mapped[JobState] = state_column(JobState, JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcomes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SearchChange(Base):
    """One photo (or album) whose searchable facts changed: the ordered log that every
    machine's search index follows (gallery/search/changes.py). Appended in the changing
    transaction itself; a row with neither id marks where old rows were pruned."""

    __tablename__ = "search_changes"

    # BIGINT on PostgreSQL; SQLite's rowid (INTEGER PRIMARY KEY) is 64 bits already.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    photo_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: deleted ones too
    album_id: Mapped[int | None] = mapped_column(Integer)


class Article(Base):
    """A news article: text with rows of photo labels, and what each label shows."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ArticleStatus] = state_column(ArticleStatus, ArticleStatus.DRAFT)
    author: Mapped[str] = mapped_column(String(200), default="")  # a user link comes later
    published_on: Mapped[date | None] = mapped_column(Date)
    # The album whose photo numbers new labels mean by default; photos may come from any.
    album_id: Mapped[int | None] = mapped_column(ForeignKey("albums.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    album: Mapped[Album | None] = relationship()
    photos: Mapped[list[ArticlePhoto]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticlePhoto.id"
    )

    @classmethod
    def by_slug(cls, session: Session, slug: str) -> Article | None:
        return session.scalar(select(cls).where(cls.slug == slug))

    def assignments(self) -> dict[str, ArticlePhoto]:
        """Label -> its assignment."""
        return {assigned.label: assigned for assigned in self.photos}


class ArticlePhoto(Base):
    """One label of an article (`7`, `8a`): its photo, optional crop and caption override."""

    __tablename__ = "article_photos"
    __table_args__ = (UniqueConstraint("article_id", "label", name="uq_article_photo_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(16))
    # SET NULL, not CASCADE: a deleted photo leaves its label behind, reported as a problem.
    photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="SET NULL"), index=True
    )
    crop: Mapped[dict | None] = mapped_column(JSON)  # see gallery.articles.Crop
    caption: Mapped[str | None] = mapped_column(Text)  # None: the photo's own caption

    article: Mapped[Article] = relationship(back_populates="photos")
    photo: Mapped[Photo | None] = relationship()
