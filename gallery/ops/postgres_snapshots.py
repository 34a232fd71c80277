"""PostgreSQL's part of a backup: pg_dump's custom format while the gallery runs, pg_restore back.

pg_dump reads the whole database in one repeatable-read transaction, so the dump is the
database as of one moment while writers go on. It must be the server's major version or
newer: the newest of Debian's /usr/lib/postgresql/*/bin is used (PATH often lacks them),
else the one on PATH. A dump is read without a server, through pg_restore's COPY text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from gallery.core.storage import file_sha256
from gallery.ops.snapshots import (
    COUNTED_TABLES,
    BackupError,
    Original,
    Snapshot,
    damaged,
    described,
    lost,
)

DEBIAN_BINARIES = Path("/usr/lib/postgresql")  # <major>/bin/pg_dump, one per installed version


class PostgresPart:
    """A PostgreSQL database: snapshots are pg_dump archives in its custom format."""

    engine: ClassVar[str] = "postgresql"
    suffix: ClassVar[str] = ".dump"

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        # libpq's own URL without the password, which goes by the environment instead:
        # a command line is visible to every user of the machine.
        self.conninfo = self.url.set(drivername="postgresql", password=None).render_as_string(
            hide_password=False
        )
        self.env = {**os.environ}
        if self.url.password:
            self.env["PGPASSWORD"] = str(self.url.password)

    def snapshot(self, target: Path) -> None:
        command = ["--format=custom", "--no-owner", "--file", str(target), "--dbname"]
        try:
            _run("pg_dump", [*command, self.conninfo], self.env)
        except BackupError:
            target.unlink(missing_ok=True)
            raise

    def still_used(self, shas: list[str]) -> set[str]:
        query = text("SELECT DISTINCT sha256 FROM photos WHERE sha256 = ANY(:shas)")
        return {row[0] for row in self._query(query, shas=shas)}

    def holds(self) -> list[str]:
        query = text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY table_name"
        )
        tables = [row[0] for row in self._query(query)]
        if not tables:
            return []
        return [f"the database {self.url.database} with {len(tables)} tables ({tables[0]}, ...)"]

    @contextmanager
    def restoring(self, source: Path, manifest: dict) -> Iterator[Path]:
        try:
            digest = file_sha256(source)
        except FileNotFoundError:
            raise lost(manifest, source) from None
        if digest != manifest["database"]["sha256"]:
            raise damaged(manifest)
        yield source
        # One transaction, stopped at the first error: the database gets all of it or nothing.
        options = ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
        _run("pg_restore", [*options, "--dbname", self.conninfo, str(source)], self.env)

    @classmethod
    def read(cls, path: Path) -> Snapshot:
        counts: dict[str, int] = {}
        sizes: dict[str, tuple[str, int]] = {}
        revision = ""
        for table, row in dumped_rows(path, (*COUNTED_TABLES, "alembic_version")):
            counts[table] = counts.get(table, 0) + 1
            if table == "photos":
                sha, fmt, size = row["sha256"], row["format"], int(row["byte_size"] or 0)
                known = sizes.get(sha)
                # As SQLite's GROUP BY sha256 with MIN(format), MAX(byte_size).
                sizes[sha] = (min(fmt, known[0]), max(size, known[1])) if known else (fmt, size)
            elif table == "alembic_version":
                revision = row["version_num"]
        if not revision:
            raise BackupError(f"the database snapshot {path} has no schema revision")
        originals = [Original(sha, fmt, size) for sha, (fmt, size) in sorted(sizes.items())]
        counts.pop("alembic_version", None)
        counted = {name: counts.get(name, 0) for name in COUNTED_TABLES}
        return Snapshot(originals, {**counted, "originals": len(originals)}, revision)

    @classmethod
    def photos_using(cls, path: Path, shas: list[str]) -> list[str]:
        wanted, slugs, photos = set(shas), {}, []
        for table, row in dumped_rows(path, ("albums", "photos")):
            if table == "albums":
                slugs[row["id"]] = row["slug"]
            elif row["sha256"] in wanted:
                photos.append(row)
        found = sorted(
            (slugs[p["album_id"]], int(p["number"]), p["filename"], int(p["id"]), p["sha256"])
            for p in photos
        )
        return described(found)

    def _query(self, query, **params) -> list[tuple]:
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(query, params)]
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise BackupError(
                f"the database {self.url.database} cannot be read: {reason}"
            ) from None
        finally:
            engine.dispose()


def tool(name: str) -> str:
    """The newest of Debian's server versions of a client tool, else the one on PATH."""
    versions = sorted(
        (int(path.parent.parent.name), path)
        for path in DEBIAN_BINARIES.glob(f"*/bin/{name}")
        if path.parent.parent.name.isdigit()
    )
    found = str(versions[-1][1]) if versions else shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: backup and restore of a PostgreSQL database need "
            "PostgreSQL's client tools of the server's version or newer "
            "(Debian: apt install postgresql-client)"
        )
    return found


def _run(name: str, args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([tool(name), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        said = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
        raise BackupError(f"{name} failed: {said}")


# --- reading a dump: pg_restore writes each table's rows as COPY text ---------------------

_COPY = re.compile(r'^COPY (?:[\w"]+\.)?"?(\w+)"? \((.*)\) FROM stdin;$')
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))")
_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def dumped_rows(path: Path, tables: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each row of these tables in the dump, as (table, {column: text or None})."""
    if not path.is_file():
        raise BackupError(f"there is no database snapshot at {path}")
    selected = [arg for table in tables for arg in ("--table", table)]
    command = [tool("pg_restore"), "--data-only", *selected, "--file=-", str(path)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        table, columns = "", []
        for line in process.stdout:
            line = line.rstrip("\n")
            if not table:
                if match := _COPY.match(line):
                    table = match[1]
                    columns = [name.strip().strip('"') for name in match[2].split(",")]
            elif line == "\\.":
                table = ""
            else:
                yield table, dict(zip(columns, map(_value, line.split("\t")), strict=True))
        said = " ".join(process.stderr.read().split())
    if process.returncode != 0:
        raise BackupError(f"the database snapshot {path} cannot be read: {said}")


def _value(field: str) -> str | None:
    if field == "\\N":
        return None
    return _ESCAPE.sub(_unescape, field)


def _unescape(match: re.Match) -> str:
    octal, hexa, char = match.groups()
    if octal:
        return chr(int(octal, 8))
    if hexa:
        return chr(int(hexa, 16))
    return _SIMPLE.get(char, char)
