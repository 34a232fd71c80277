"""Counts the album lists show, kept up to date as rows change instead of counted per page.

Per album, the photos a visitor sees in it (`albums.public_photos`) and those staff see
(`albums.live_photos`: all but the trash); per year, the public albums listed under it
(`listed_years`); per album list, how many albums it has (`album_totals`: "live" staff's,
every album but the trash, "listed" visitors'). Counting them per page grouped every photo
of the albums shown, and per API list every photo there is: a million rows for
`/api/v1/albums`; the staff list's total alone cost half its page at 20,000 albums.

Every flush of every session is looked at, as withdrawals.py and search/sync.py do: a photo
added, deleted, or changed in album, state or consent moves its album's counts; an album
added, deleted, or changed in visibility, state or date moves its year's and its lists'
totals. Whether a row
counted before and after is gallery.core.visibility's rule, applied to its old and new
values. The moves go into the same transaction as `n = n + delta`, so writers taking
turns never lose one another's. A bulk UPDATE, DELETE or INSERT of photos or albums
through a session (the events cannot follow it row by row), or raw SQL that writes,
recounts everything before its commit. Rows written outside any session (a bench script,
SQL by hand) are what `gallery check` compares with a fresh count (`drift`), and
`gallery check --repair` recounts (`recount`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    Executable,
    Table,
    TextClause,
    UpdateBase,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session, aliased

from gallery.core import visibility as seeing
from gallery.core.models import Album, AlbumTotal, ListedYear, Photo

PHOTO_FIELDS = ("album_id", "status", "consent")
ALBUM_FIELDS = ("visibility", "status", "listed_on", "event_date")
COUNTED_TABLES = frozenset({"photos", "albums"})
_RECOUNT = "gallery.counts.recount"
LIVE, LISTED = "live", "listed"  # the album lists' totals: staff's, visitors'

_ALBUMS = cast(Table, Album.__table__)
_YEARS = cast(Table, ListedYear.__table__)
_TOTALS = cast(Table, AlbumTotal.__table__)
_MOVE_PHOTOS = (
    update(_ALBUMS)
    .where(_ALBUMS.c.id == bindparam("album"))
    .values(
        public_photos=_ALBUMS.c.public_photos + bindparam("public"),
        live_photos=_ALBUMS.c.live_photos + bindparam("live"),
    )
)


def watch() -> None:
    """Keep the counts in every session from now on (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_statement)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", lambda s: s.info.pop(_RECOUNT, None))


# --- following the session ---------------------------------------------------------------


def _after_flush(session: Session, _context: object) -> None:
    moves = _Moves(Counter(), Counter(), Counter())
    for obj in _counted(session.new):
        _move(obj, moves, _values(obj, new=True), 1)
    for obj in _counted(session.deleted):
        _move(obj, moves, _values(obj, new=False), -1)
    for obj in _counted(session.dirty):
        if _changed(obj, PHOTO_FIELDS if isinstance(obj, Photo) else ALBUM_FIELDS):
            _move(obj, moves, _values(obj, new=False), -1)
            _move(obj, moves, _values(obj, new=True), 1)
    _write(session, moves)


@dataclass(frozen=True)
class _Moves:
    """What one flush moves: (album, "public"/"live") photos, years' and lists' albums."""

    photos: Counter[tuple[int, str]]
    years: Counter[int]
    totals: Counter[str]


def _counted(objects: Iterable[object]) -> list[Photo | Album]:
    return [obj for obj in objects if isinstance(obj, Photo | Album)]


def _values(obj: object, *, new: bool) -> SimpleNamespace:
    """The row's counted fields as they are now, or as they were before this flush."""
    state = inspect(obj)
    fields = PHOTO_FIELDS if isinstance(obj, Photo) else ALBUM_FIELDS
    values = {}
    for name in fields:
        history = state.attrs[name].history
        if new or not history.deleted:
            values[name] = getattr(obj, name)
        else:
            values[name] = history.deleted[0]
    return SimpleNamespace(**values)


def _move(obj: object, moves: _Moves, row: SimpleNamespace, sign: int) -> None:
    # The rule takes rows; the old values stand in for one (the fields it reads).
    if isinstance(obj, Photo):
        photo = cast(Photo, row)
        moves.photos[row.album_id, "public"] += sign * seeing.shown_in_album(photo, seeing.VISITOR)
        moves.photos[row.album_id, "live"] += sign * seeing.shown_in_album(photo, seeing.STAFF)
    elif isinstance(obj, Album):
        album = cast(Album, row)
        moves.totals[LIVE] += sign * seeing.is_live(album)
        if seeing.is_listed(album):
            moves.totals[LISTED] += sign
            if row.listed_on:
                moves.years[row.listed_on.year] += sign


def _changed(obj: object, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _write(session: Session, moves: _Moves) -> None:
    photos, years, totals = moves.photos, moves.years, moves.totals
    albums = {album for album, _kind in photos}
    rows = [
        {"album": album, "public": photos[album, "public"], "live": photos[album, "live"]}
        for album in sorted(albums)
        if photos[album, "public"] or photos[album, "live"]
    ]
    connection = session.connection()
    if rows:
        connection.execute(_MOVE_PHOTOS, rows)
    dialect = connection.dialect.name
    for year, delta in sorted(years.items()):
        if delta:
            connection.execute(_add_albums(dialect, _YEARS, "year", year, delta))
    for name, delta in sorted(totals.items()):
        if delta:
            connection.execute(_add_albums(dialect, _TOTALS, "name", name, delta))


def _add_albums(dialect: str, table: Table, key: str, value: object, delta: int) -> Executable:
    """`table[value].albums += delta` (`listed_years` by year, `album_totals` by list), the
    row made if it has none yet."""
    upsert = _insert_of(dialect)(table)
    return upsert.values({key: value, "albums": delta}).on_conflict_do_update(
        index_elements=[table.c[key]], set_={"albums": table.c.albums + delta}
    )


def _insert_of(dialect: str) -> Any:
    """The dialect's INSERT with ON CONFLICT; imported when first needed, as importing the
    PostgreSQL dialect costs a command that runs on SQLite some 30 ms."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def _on_statement(state: ORMExecuteState) -> None:
    if _may_move_counts(state.statement):
        state.session.info[_RECOUNT] = True


def _may_move_counts(statement: Executable) -> bool:
    if isinstance(statement, UpdateBase):  # INSERT, UPDATE, DELETE
        name = getattr(statement.table, "name", None)  # a join names no table: it counts
        return name is None or name in COUNTED_TABLES
    if isinstance(statement, TextClause):
        return not statement.text.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH"))
    return False


def _before_commit(session: Session) -> None:
    if session.info.pop(_RECOUNT, False):
        recount(session)


# --- counting afresh ---------------------------------------------------------------------


def _fresh_counts() -> tuple[Any, Any]:
    """Each album's photos as visitors and as staff see them, counted from the photos."""
    photo = aliased(Photo)
    count = select(func.count()).where(photo.album_id == _ALBUMS.c.id)
    public = count.where(seeing.shown_photos(seeing.VISITOR, photo)).scalar_subquery()
    live = count.where(seeing.shown_photos(seeing.STAFF, photo)).scalar_subquery()
    return public, live


def _listed_day() -> Any:
    """The day an album should be listed under, from the fields it is made of."""
    return func.coalesce(Album.event_date, func.date(Album.created_at))


def _fresh_years() -> Any:
    year = func.extract("year", func.date(_listed_day()))
    return (
        select(year.label("year"), func.count().label("albums"))
        .where(seeing.listed_albums())
        .group_by(year)
    )


def _fresh_totals() -> Any:
    """Each album list's albums: (name, albums) rows, staff's and visitors'."""
    lists = ((LIVE, seeing.live_albums()), (LISTED, seeing.listed_albums()))
    return union_all(
        *(
            select(literal_column(f"'{name}'").label("name"), func.count().label("albums"))
            .select_from(Album)
            .where(where)
            for name, where in lists
        )
    )


def recount(session: Session) -> None:
    """Count every album's photos, every year's albums and every list's albums afresh (and
    every album's listed day), in the session's transaction."""
    public, live = _fresh_counts()
    connection = session.connection()
    connection.execute(
        update(_ALBUMS).values(public_photos=public, live_photos=live, listed_on=_listed_day())
    )
    connection.execute(delete(_YEARS))
    connection.execute(insert(_YEARS).from_select(["year", "albums"], _fresh_years()))
    connection.execute(delete(_TOTALS))
    connection.execute(insert(_TOTALS).from_select(["name", "albums"], _fresh_totals()))


@dataclass(frozen=True)
class Drift:
    """Where the kept counts differ from a fresh count."""

    albums: list[int]  # ids of albums whose photo counts or listed day are wrong
    years: list[int]  # years whose album count is wrong
    totals: list[str]  # album lists ("live", "listed") whose total is wrong

    @property
    def ok(self) -> bool:
        return not (self.albums or self.years or self.totals)


def drift(session: Session) -> Drift:
    """Compare the kept counts with the rows: one pass over the photos, grouped by album."""
    visitor = seeing.shown_photos(seeing.VISITOR)
    staff = seeing.shown_photos(seeing.STAFF)
    query = select(
        Photo.album_id,
        func.sum(case((visitor, 1), else_=0)),
        func.sum(case((staff, 1), else_=0)),
    ).group_by(Photo.album_id)
    fresh = {album: (public, live) for album, public, live in session.execute(query)}
    wrong = []
    kept = select(Album.id, Album.public_photos, Album.live_photos, Album.listed_on, _listed_day())
    for album, public, live, day, should in session.execute(kept):
        if (public, live) != fresh.get(album, (0, 0)) or str(day) != str(should):
            wrong.append(album)
    years = {year: albums for year, albums in session.execute(_fresh_years())}
    stored = {row.year: row.albums for row in session.scalars(select(ListedYear))}
    bad_years = [y for y in sorted(set(years) | set(stored)) if years.get(y, 0) != stored.get(y, 0)]
    totals = {name: albums for name, albums in session.execute(_fresh_totals())}
    kept_totals = {row.name: row.albums for row in session.scalars(select(AlbumTotal))}
    names = sorted(set(totals) | set(kept_totals))
    bad_totals = [n for n in names if totals.get(n, 0) != kept_totals.get(n, 0)]
    return Drift(wrong, bad_years, bad_totals)
