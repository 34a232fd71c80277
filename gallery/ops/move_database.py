"""Moving a gallery's database to another engine (the embedded SQLite to PostgreSQL): the
target is migrated to the same schema, then every table is copied in order of its foreign
keys, in batches, and counted on both sides.

The target must be empty: a move never merges two galleries. Counters the app keeps
(album totals, listed years, the withdrawals count) are rows like any other and move as
they are; PostgreSQL's id sequences are set past the ids moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, Table, func, insert, select, text

from gallery.core import db
from gallery.core.models import Base

HELD = ("albums", "photos", "users", "articles")  # what makes a database a gallery
BATCH = 5000  # rows read and written at a time: bounded memory at a million photos


class TargetNotEmpty(Exception):
    """The target database holds a gallery already."""


@dataclass(frozen=True)
class Moved:
    table: str
    rows: int


def move_database(
    source: Engine, target: Engine, progress: Callable[[Moved], None] = lambda _m: None
) -> list[Moved]:
    """Copy every row of `source` into the empty, freshly migrated `target`."""
    db.migrate(source)  # both at the same revision
    db.migrate(target)
    tables = Base.metadata.sorted_tables  # parents before children
    _refuse_unless_empty(target)
    moved = []
    with source.connect() as reading, target.begin() as writing:
        for table in reversed(tables):  # the counters the migrations start at zero
            writing.execute(table.delete())
        for table in tables:
            count = _copy(table, reading, writing)
            _set_sequence(writing, table)
            moved.append(Moved(table.name, count))
            progress(moved[-1])
    _check_counts(target, moved)
    if target.dialect.name == "postgresql":
        with target.begin() as writing:  # the planner's statistics, before the first visitor
            writing.exec_driver_sql("ANALYZE")
    return moved


def _refuse_unless_empty(target: Engine) -> None:
    """No album, photo, user or article: a new database (its counters aside)."""
    with target.connect() as connection:
        for name in HELD:
            if connection.scalar(select(func.count()).select_from(Base.metadata.tables[name])):
                raise TargetNotEmpty(f"the target database has {name} already")


def _copy(table: Table, reading, writing) -> int:
    rows = reading.execution_options(yield_per=BATCH).execute(select(table))
    count = 0
    for batch in rows.partitions():
        writing.execute(insert(table), [row._asdict() for row in batch])
        count += len(batch)
    return count


def _set_sequence(writing, table: Table) -> None:
    """On PostgreSQL, the next id a serial column hands out comes after the moved ones."""
    if writing.dialect.name != "postgresql":
        return
    for column in table.primary_key.columns:
        if column.autoincrement is True or (
            column.autoincrement == "auto" and column.type.python_type is int
        ):
            writing.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f"coalesce(max({column.name}), 1), max({column.name}) IS NOT NULL) "
                    f"FROM {table.name}"
                ),
                {"table": table.name, "column": column.name},
            )


def _check_counts(target: Engine, moved: list[Moved]) -> None:
    """Every table holds as many rows as were read: a move that lost some is no move."""
    with target.connect() as connection:
        for item in moved:
            table = Base.metadata.tables[item.table]
            found = connection.scalar(select(func.count()).select_from(table))
            if found != item.rows:
                raise RuntimeError(f"{item.table}: {found} rows, {item.rows} moved")
