"""Visitor pages kept in each server process: a moment behind what was added, never behind
what was taken away.

A visitor page costs a few milliseconds of Python (building the queries, turning rows into
cards, the template), and with 200 visitors browsing the same few pages are built hundreds
of times a second. What an anonymous visitor gets depends only on the URL, the host, the
interface language and the database, so the page is kept and served again; signed-in users
(who see more) always get a fresh page.

Two numbers say how old a kept page is. SQLite's `PRAGMA data_version`, read on a connection
of this process that never writes, moves with every commit made by any connection: this
process's pool, the other server processes, a CLI import. A page made before it moved is
served for `VISITOR_CACHE_GRACE` seconds from when it was made, then made again: during an
upload burst, when photos commit many times a second, a page is built once per grace period
instead of once per commit. The count of withdrawals (gallery/withdrawals.py), which a
commit that may hide anything moves in its own transaction, ends every page made before it
at once: a withdrawn consent or an album made private never comes out of the cache.
One PRAGMA per request, and a query only when it moved.

PostgreSQL has no such counter; its snapshot (`pg_current_snapshot()`: the oldest writer
still running, one past the newest finished, the writers running between them) stands in
for it. Every writing transaction that ends, committed or not, on any machine sharing the
database, changes that text, and it never comes back to an earlier one; a reader takes no
transaction id and moves nothing. The snapshot and the count of withdrawals are read in one
query, one round trip per request, so the count is as new as the snapshot. A page made
while a writer was still running is kept under a snapshot that writer leaves when it ends,
so what it committed shows within the grace, as on SQLite. Transaction ids belong to the
whole server, so writes to other databases on it end the "nothing changed" of kept pages
too: they are made again once a grace, no more often.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy import Engine, create_engine, event

from gallery.core.db import sqlite_path
from gallery.web.i18n import current_language

T = TypeVar("T")


@dataclass(frozen=True)
class Version:
    """Which committed state of the database a page was made from, as far as it matters."""

    withdrawals: int  # commits that may have hidden something, ever
    generation: int | str  # commits of any kind: SQLite's in this process's numbering,
    # PostgreSQL's as the snapshot's text


class DataVersion(Protocol):
    def current(self) -> Version | None:
        """The newest committed state a new snapshot will see at least; None while nothing
        may be kept (no schema yet)."""
        ...


class SQLiteVersion:
    """The newest committed state of a SQLite database this process has seen.

    Each request thread reads `PRAGMA data_version` on a connection of its own (opened on
    its first look, when the database exists), so threads never queue for one connection.
    A connection's numbers mean nothing to another's, so a thread that sees its own move,
    or looks for the first time, moves the shared generation on and reads the count of
    withdrawals: every thread that looks after a commit has seen it, and any thread's look
    moves past it.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._newest = Version(0, 0)
        self._generation = 0
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        weakref.finalize(self, _close_all, self._connections)  # an app (in tests) goes away

    def current(self) -> Version:
        local = self._local
        if getattr(local, "connection", None) is None:
            # Used by this thread only; closed by whichever thread lets go of the app.
            local.connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False
            )
            local.seen = None
            with self._lock:
                self._connections.append(local.connection)
        seen = local.connection.execute("PRAGMA data_version").fetchone()[0]
        if seen != local.seen:
            local.seen = seen
            withdrawals = self._withdrawals(local.connection)  # read after: as new or newer
            with self._lock:
                self._generation += 1
                self._newest = Version(max(withdrawals, self._newest.withdrawals), self._generation)
        return self._newest

    def _withdrawals(self, connection: sqlite3.Connection) -> int:
        try:
            row = connection.execute("SELECT count FROM visitor_withdrawals").fetchone()
        except sqlite3.OperationalError:  # not migrated yet: every change may withdraw
            return self._generation + 1
        return row[0] if row else 0


def _close_all(connections: list[sqlite3.Connection]) -> None:
    for connection in connections:
        connection.close()


class PostgresVersion:
    """The newest committed state of a PostgreSQL database, from any machine that shares it.

    Each look is one query on a connection of a small pool of its own (the app's engine's
    URL and driver, in autocommit): no transaction to begin or end, no ping before it (the
    app's pool pings each connection it lends, a second round trip), and only as many
    connections as looks at once, which take a fraction of a millisecond. A connection that
    broke (the server restarted) is let go with the rest of the pool and the look tried
    once more.
    """

    QUERY = "SELECT pg_current_snapshot()::text, (SELECT count FROM visitor_withdrawals)"

    def __init__(self, engine: Engine, threads: int = 5) -> None:
        self._engine = create_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            pool_size=threads,
            max_overflow=0,
            pool_reset_on_return=None,  # nothing to roll back in autocommit
        )
        self._errors = self._engine.dialect.loaded_dbapi
        own = self._engine
        weakref.finalize(self, own.dispose)  # an app (in tests) goes away
        event.listen(engine, "engine_disposed", lambda _engine: own.dispose())  # or its engine

    def current(self) -> Version | None:
        try:
            return self._look()
        except (self._errors.OperationalError, self._errors.InterfaceError):
            self._engine.dispose()  # the others went with it, most likely
            return self._look()

    def _look(self) -> Version | None:
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.QUERY)
            except self._errors.ProgrammingError:  # not migrated yet: keep nothing
                return None
            ((snapshot, withdrawals),) = cursor.fetchall()  # one row, always
            cursor.close()
        except Exception:
            connection.invalidate()
            raise
        finally:
            connection.close()  # back to the pool (after invalidate: a new one next time)
        return Version(withdrawals or 0, snapshot)


def data_version(engine: Engine, threads: int = 5) -> DataVersion | None:
    """How kept pages learn what was committed, for the engine's database; None (nothing
    is kept) for a database in memory or one of neither kind."""
    if engine.dialect.name == "postgresql":
        return PostgresVersion(engine, threads)
    database = sqlite_path(engine.url.render_as_string(hide_password=False))
    return SQLiteVersion(str(database)) if database is not None else None


@dataclass(frozen=True)
class _Item:
    value: object
    cost: int
    version: Version
    made: float  # the clock when it began to be made


class Kept:
    """Values and the version they were made at; past `budget` bytes the least recently
    used go. A value serves while no withdrawal came since it was made, and either nothing
    else did or it is younger than `grace` seconds."""

    def __init__(
        self,
        version: DataVersion | None,
        budget: int,
        grace: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.version, self.budget, self.grace, self.clock = version, budget, grace, clock
        self.used = 0
        self.items: OrderedDict[Hashable, _Item] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The kept value if it may still serve, else `make()`'s, kept."""
        if self.version is None or self.budget <= 0:
            return make()
        # Read before `make` opens its snapshot, so what it reads is at least this new.
        now = self.version.current()
        if now is None:
            return make()
        with self.lock:
            kept = self.items.get(key)
            if kept is not None and self._serves(kept, now):
                self.items.move_to_end(key)
                # One cache holds values of many types; a key is only ever made by one kind
                # of make(), so what it holds is that call's T.
                return kept.value  # type: ignore[return-value]
        began = self.clock()
        value = make()
        cost = len(value) if isinstance(value, str | bytes) else 64
        with self.lock:
            self._keep(key, _Item(value, cost, now, began))
        return value

    def _serves(self, kept: _Item, now: Version) -> bool:
        if kept.version.withdrawals != now.withdrawals:
            return False
        return kept.version == now or self.clock() - kept.made < self.grace

    def _keep(self, key: Hashable, item: _Item) -> None:
        old = self.items.pop(key, None)
        self.used += item.cost - (old.cost if old else 0)
        self.items[key] = item
        while self.used > self.budget:
            self.used -= self.items.popitem(last=False)[1].cost


def init_app(app: Flask) -> None:
    budget = app.config["VISITOR_CACHE_MB"] * 1024 * 1024
    grace = app.config["VISITOR_CACHE_GRACE"]
    version = data_version(app.extensions["gallery.engine"], app.config["SERVE_THREADS"])
    app.extensions["gallery.pagecache"] = Kept(version, budget, grace)
    app.extensions["gallery.pagecache.media"] = Kept(version, budget // 16, grace)  # small values


def visitor_page(make: Callable[[], T], *, signed_in: bool, also: Hashable = None) -> T:
    """The page `make` builds, kept for anonymous visitors of this URL, host and language
    (and `also`: what else the page depends on besides the database). A signed-in user's
    page is always made afresh: they see more than visitors."""
    if signed_in:
        return make()
    _end_snapshot()
    key = (request.host_url, request.full_path, current_language(), also)
    return current_app.extensions["gallery.pagecache"].get(key, make)


def visitor_lookup(key: Hashable, make: Callable[[], T]) -> T:
    """A small fact about the database (e.g. which renditions visitors may fetch), kept."""
    _end_snapshot()
    return current_app.extensions["gallery.pagecache.media"].get(key, make)


def _end_snapshot() -> None:
    # A read transaction begun before the data version was read could be older than it:
    # end it, so the page is built from the version it is kept under, or a newer one.
    session = g.get("db_session")
    if session is not None:
        session.commit()
