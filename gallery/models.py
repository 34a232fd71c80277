"""SQLAlchemy models of the domain and the queries that belong to them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

VISIBILITIES = ("draft", "private", "unlisted", "public")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Album(Base):
    __tablename__ = "albums"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    event_date: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(300), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="draft")
    cover_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", use_alter=True, ondelete="SET NULL", name="fk_albums_cover_photo")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    photos: Mapped[list[Photo]] = relationship(
        back_populates="album", foreign_keys="Photo.album_id", order_by="Photo.number"
    )

    @classmethod
    def by_slug(cls, session: Session, slug: str) -> Album | None:
        return session.scalar(select(cls).where(cls.slug == slug))

    @classmethod
    def public(cls, session: Session) -> list[Album]:
        """Listed albums, newest event first."""
        query = select(cls).where(cls.visibility == "public")
        return list(session.scalars(query.order_by(cls.event_date.desc(), cls.id.desc())))

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
    alt_text: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    credit: Mapped[str] = mapped_column(Text, default="")
    copyright: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[str] = mapped_column(String(16), default="ok")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")

    album: Mapped[Album] = relationship(back_populates="photos", foreign_keys=[album_id])
    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", order_by="Rendition.width"
    )

    @classmethod
    def in_album_query(cls, album_id: int, sha256: str):
        """The id of the album's photo with these exact bytes, if it has one."""
        return select(cls.id).where(cls.album_id == album_id, cls.sha256 == sha256)

    @property
    def is_public(self) -> bool:
        """Whether a visitor may see this photo where its album is reachable."""
        return self.status == "active" and self.consent == "ok"


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


def visible_rendition(session: Session, sha256: str, name: str) -> Rendition | None:
    """A rendition a visitor may fetch: its photo is public in a public or unlisted album."""
    query = (
        select(Rendition)
        .join(Photo)
        .join(Album, Photo.album_id == Album.id)
        .where(
            Photo.sha256 == sha256,
            Rendition.name == name,
            Photo.status == "active",
            Photo.consent == "ok",
            Album.visibility.in_(("public", "unlisted")),
        )
    )
    return session.scalars(query).first()
