"""Visitor pages kept in each server process, never stale: they last until the database changes.

A visitor page costs a few milliseconds of Python (building the queries, turning rows into
cards, the template), and with 200 visitors browsing the same few pages are built hundreds
of times a second. What an anonymous visitor gets depends only on the URL, the host, the
interface language and the database, so the page is kept and served again until the
database changes; signed-in users (who see more) always get a fresh page.

"Changes" is SQLite's own word for it: `PRAGMA data_version`, read on a connection of this
process that never writes, moves with every commit made by any other connection: this
process's pool, the other server processes, a CLI import. Everything kept is dropped when it
moves, so a withdrawn consent or an album made private never comes out of the cache.
Coarse, but cheap (one PRAGMA per request) and impossible to forget in a new write path.
With another database (PostgreSQL) there is no such counter and nothing is kept.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy.engine import make_url

from gallery.auth import current_user
from gallery.i18n import current_language

T = TypeVar("T")


class DataVersion:
    """Which committed state of the database this process has seen, as a number that only
    grows: the generation of everything kept.

    Each request thread reads `PRAGMA data_version` on a connection of its own (opened on
    its first look, when the database exists), so threads never queue for one connection.
    A connection's numbers mean nothing to another's, so a thread that sees its own move,
    or looks for the first time, moves the shared generation on: every thread that looks
    after a commit has seen it, and any thread's look moves past it.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._generation = 0
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        weakref.finalize(self, _close_all, self._connections)  # an app (in tests) goes away

    def current(self) -> int:
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
            with self._lock:
                self._generation += 1
        return self._generation


def _close_all(connections: list[sqlite3.Connection]) -> None:
    for connection in connections:
        connection.close()


class Kept:
    """Values made at one data version; past `budget` bytes the least recently used go."""

    def __init__(self, version: DataVersion | None, budget: int) -> None:
        self.version, self.budget, self.used = version, budget, 0
        self.items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.made_at: int | None = None
        self.lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The kept value, or `make()`'s, kept if the database did not change meanwhile."""
        if self.version is None or self.budget <= 0:
            return make()
        # Read before `make` opens its snapshot, so what it reads is at least this new.
        now = self.version.current()
        with self.lock:
            if now != self.made_at:
                self.items.clear()
                self.made_at, self.used = now, 0
            elif key in self.items:
                self.items.move_to_end(key)
                return self.items[key][0]  # type: ignore[return-value]
        value = make()
        with self.lock:
            if self.made_at == now and key not in self.items:
                cost = len(value) if isinstance(value, str | bytes) else 64
                self.items[key] = (value, cost)
                self.used += cost
                while self.used > self.budget:
                    self.used -= self.items.popitem(last=False)[1][1]
        return value


def init_app(app: Flask) -> None:
    url = make_url(app.config["DATABASE_URL"])
    sqlite = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    version = DataVersion(url.database) if sqlite else None
    budget = app.config["VISITOR_CACHE_MB"] * 1024 * 1024
    app.extensions["gallery.pagecache"] = Kept(version, budget)
    app.extensions["gallery.pagecache.media"] = Kept(version, budget // 16)  # small values


def visitor_page(make: Callable[[], T]) -> T:
    """The page `make` builds, kept for anonymous visitors of this URL, host and language."""
    if current_user() is not None:
        return make()
    _end_snapshot()
    key = (request.host_url, request.full_path, current_language())
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
