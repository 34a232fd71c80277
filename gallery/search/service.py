"""The verbs of search, on the current app's index: index_photos, remove_photos, search,
reindex, check (see the package's docstring)."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import cast

from flask import Flask, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from gallery.core import events
from gallery.core.models import Photo
from gallery.culling.filters import PhotoFilter
from gallery.search import sync
from gallery.search.documents import EVERY_ID, photo_document, photo_facts
from gallery.search.engine import SearchIndex
from gallery.search.follow import Follower
from gallery.search.limits import Budget, ClientRates
from gallery.search.query import parse_query
from gallery.search.results import PER_PAGE, Results, run_search

log = logging.getLogger(__name__)


CONFIGURED = -1.0  # a request waits SEARCH_WAIT seconds at most, a CLI command till done


def attach_index(app: Flask) -> None:
    """Give the app its index (opened on first use) and keep it in step with commits."""
    sessions, engine = app.extensions["gallery.db"], app.extensions["gallery.engine"]
    index = app.extensions["gallery.search"] = SearchIndex(app.config["INDEX_DIR"], sessions)
    sync.watch(app, engine, index)
    events.photos_added.connect(_index_added, sender=app)
    follower = app.extensions["gallery.search.follow"] = Follower(
        index, app.config["SEARCH_FOLLOW_MS"] / 1000
    )
    event.listen(engine, "engine_disposed", lambda _engine: follower.stop())


def follow_changes() -> list[str]:
    """Have this process follow the change log (`gallery serve` calls it in each process
    before serving, with the pages to warm up: it opens none)."""
    current_app.extensions["gallery.search.follow"].start()
    return []


def _index_added(_app: Flask, ids: list[int]) -> None:
    index_photos(ids)  # an import's new photos, in one batch (their flushes logged them)


def get_index() -> SearchIndex:
    return current_app.extensions["gallery.search"]


def index_photos(ids, *, wait: float | None = CONFIGURED) -> bool:
    """(Re)index these photos from the database in this machine's index, in one batch; True
    once searchable (the change itself logged them for the other machines: sync.py)."""
    return _settle(get_index().submit(upsert=ids), wait)


def remove_photos(ids, *, wait: float | None = CONFIGURED) -> bool:
    """Take these photos out of this machine's index (photos deleted from the database)."""
    return _settle(get_index().submit(remove=ids), wait)


def reindex(*, wait: float | None = None) -> bool:
    """Rebuild the whole index from the database."""
    return _settle(get_index().rebuild(), wait)


def _settle(future, wait: float | None) -> bool:
    if wait == CONFIGURED:
        wait = float(current_app.config["SEARCH_WAIT"]) if has_request_context() else None
    try:
        future.result(wait)
    except TimeoutError:
        sync.track(future)  # the request's end waits for what is left
        return False
    return True


def search(
    session: Session,
    text: str,
    *,
    album: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    staff: bool = False,
    only: PhotoFilter | None = None,
) -> Results:
    """A page of photos matching what was typed; visitors get only what they may see, staff
    what culling's filter keeps (`only`)."""
    # A rebuild begun by this search (no index yet): a request waits a while, the CLI all of
    # it; a request's search has a time budget, the CLI's none.
    config, requested = current_app.config, has_request_context()
    wait = float(config["SEARCH_WAIT"]) if requested else None
    budget = Budget(config["SEARCH_BUDGET_MS"] / 1000 if requested else None)
    parsed = parse_query(text, album)
    return run_search(
        get_index(),
        session,
        parsed,
        page,
        per_page,
        staff=staff,
        wait=wait,
        only=only,
        budget=budget,
    )


def client_rates() -> ClientRates:
    """This process's buckets of search time per client address (made on first use)."""
    config, extensions = current_app.config, current_app.extensions
    if "gallery.search.rates" not in extensions:
        rates = ClientRates(config["SEARCH_CLIENT_MS"] / 1000, config["SEARCH_CLIENT_SHARE"] / 100)
        extensions.setdefault("gallery.search.rates", rates)
    return extensions["gallery.search.rates"]


@dataclass(frozen=True)
class Drift:
    """How the index differs from the database."""

    missing: list[int]  # photos the index does not have
    stale: list[int]  # photos indexed with old text or visibility
    orphans: list[int]  # index entries of photos no longer in the database

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.orphans)

    def __add__(self, other: Drift) -> Drift:
        """Two parts' drift as one (the parts in id order)."""
        return Drift(
            self.missing + other.missing, self.stale + other.stale, self.orphans + other.orphans
        )


def check(session: Session, *, repair: bool = False) -> Drift:
    """Compare the app's index with the database; mend it if asked."""
    return check_index(get_index(), session, repair=repair)


def merge_by_id(
    photos: Iterator[Photo], indexed: Iterator[tuple[int, str]]
) -> Iterator[tuple[int, Photo | None, str | None]]:
    """Each id of either stream (both ascending) with its photo and its indexed digest."""
    rows = ((photo.id, photo) for photo in photos)
    both = heapq.merge(rows, indexed, key=itemgetter(0))
    for photo_id, items in groupby(both, key=itemgetter(0)):
        photo: Photo | None = None
        digest: str | None = None
        for _id, item in items:
            if isinstance(item, str):
                digest = item
            else:
                photo = cast(Photo, item)
        yield photo_id, photo, digest


def check_index(
    index: SearchIndex, session: Session, *, repair: bool = False, ids: range = EVERY_ID
) -> Drift:
    """Compare each photo's indexed fingerprint with the database's (of the photos and
    index entries of `ids`: a part, for another process to check the rest); mend if asked."""
    missing, stale, orphans = [], [], []
    with index.digests_by_id(wait=None, ids=ids) as indexed:
        # Both streams in id order, side by side: memory stays flat over a million photos.
        for photo_id, photo, digest in merge_by_id(photo_facts(session, ids), indexed):
            if photo is None:
                orphans.append(photo_id)
            elif digest is None:
                missing.append(photo_id)
            elif digest != photo_document(photo)["digest"]:
                stale.append(photo_id)
    drift = Drift(missing, stale, orphans)
    if repair and not drift.ok:
        index.submit(upsert=missing + stale, remove=drift.orphans).result()
    return drift
