"""Which database part of a backup (gallery/ops/snapshots.py) a database or a snapshot gets."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from gallery.ops.postgres_snapshots import PostgresPart
from gallery.ops.snapshots import BackupError, DatabasePart
from gallery.ops.sqlite_snapshots import SqlitePart

PARTS: dict[str, type[DatabasePart]] = {part.engine: part for part in (SqlitePart, PostgresPart)}
SNAPSHOT_SUFFIXES = {part.suffix for part in PARTS.values()}


def part_class(engine: str) -> type[DatabasePart]:
    """The part for an engine's name (a manifest's, or a URL's dialect)."""
    try:
        return PARTS[engine]
    except KeyError:
        raise BackupError(
            f"gallery backup and restore handle SQLite and PostgreSQL, not {engine}"
        ) from None


def database_part(database_url: str) -> DatabasePart:
    """The live database's part, chosen from its URL's dialect."""
    return part_class(make_url(database_url).get_backend_name())(database_url)


def snapshot_engine(manifest: dict) -> str:
    """The engine a snapshot came from (manifests before PostgreSQL's name none: SQLite)."""
    return manifest["database"].get("engine", SqlitePart.engine)
