"""What one search may cost: a bounded query, a time budget, and a rate per client.

Searches of one process take turns on its searcher (engine.py), so a costly query holds up
every other search of the process. Three bounds keep any query cheap enough to share:

- `bound()` collapses what repeats (words whose search forms are already asked for, the
  same phrase twice) and refuses a query of more than MAX_TERMS different search words,
  MAX_PHRASES phrases or MAX_FILTERS filters (400): every word must match, so a longer
  query finds nothing a shorter one would not, and each word is a posting list to read.
  "Did you mean" looks up edits of at most MAX_CORRECTED unknown words, of at most
  MAX_CORRECTED_CHARS letters, and weighs at most MAX_CANDIDATES indexed words for each.
- `Budget`: the CPU time a search may spend in the index (SEARCH_BUDGET_MS), counted in
  the searching thread, so waiting for the searcher or for a core is not counted. Out of
  time before its corrections, a search answers without a "did you mean"; out of time
  while matching or ranking, it answers 503 (`SearchTimeout`).
- `ClientRates`: a token bucket of search time per client address, in this process's
  memory. Each search takes its CPU time (at least MIN_CHARGE) from its address's bucket
  of SEARCH_CLIENT_SECONDS, which refills at SEARCH_CLIENT_SHARE percent of a core; an
  address whose bucket is empty is answered 429 until it refills. With several server
  processes each keeps its own buckets (an address gets that much of each process, which
  is what each process's searcher can spare).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TypeVar

from gallery.core.errors import Refusal
from gallery.core.messages import N_, Message, N_plural
from gallery.search.query import ParsedQuery

MAX_TERMS = 16  # different search words (after analysis), in words, phrases and camera:
MAX_PHRASES = 4
MAX_FILTERS = 8
MAX_CORRECTED = 3  # unknown words "did you mean" looks up edits of
MAX_CORRECTED_CHARS = 24  # a longer word has no indexed word one or two edits away
MAX_CANDIDATES = 64  # indexed words one correction weighs (the most used one wins)
MIN_CHARGE = 0.01  # seconds a search takes from its client's bucket, however cheap
CLIENTS = 10_000  # addresses whose buckets are kept (the idlest are let go first)

T = TypeVar("T")
Terms = Callable[[str, str], list[str]]  # (field, text) -> the search words it becomes


class TooManyWords(Refusal):
    """The query asks for more words, phrases or filters than a search may have."""

    def __init__(self, text: tuple[str, str], limit: int) -> None:
        super().__init__("query_too_long", Message(text, count=limit), 400)


class SearchTimeout(Refusal):
    """The search ran out of its time budget while matching or ranking."""

    def __init__(self) -> None:
        text = N_("this search takes too long to answer; try fewer or more specific words")
        super().__init__("search_timeout", text, 503)


class TooManySearches(Refusal):
    """The client's bucket of search time is empty; `retry_after` seconds until it is not."""

    def __init__(self, retry_after: int) -> None:
        text = N_("too many searches from your address; wait a moment and search again")
        super().__init__("too_many_searches", text, 429)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


# --- the query ----------------------------------------------------------------------------


def bound(parsed: ParsedQuery, terms: Terms) -> ParsedQuery:
    """The query with what repeats collapsed; TooManyWords if it asks for too much."""
    seen: set[str] = set()
    words: list[str] = []
    plain: set[str] = set()
    for word in parsed.words:
        found = terms("text", word)
        key = word.casefold()
        if (found and seen.issuperset(found)) or (not found and key in plain):
            continue  # asked for already: the same search word in another form
        seen.update(found)
        plain.add(key)
        words.append(word)
    phrases = _unique(parsed.phrases, lambda phrase: tuple(terms("text", phrase)))
    for phrase in phrases:
        seen.update(terms("text", phrase))
    for value in parsed.values("camera"):
        seen.update(terms("camera", value))
    if len(seen) > MAX_TERMS:
        raise TooManyWords(
            N_plural(
                "search for at most %(num)d word", "search for at most %(num)d different words"
            ),
            MAX_TERMS,
        )
    if len(phrases) > MAX_PHRASES:
        raise TooManyWords(
            N_plural("search for at most %(num)d phrase", "search for at most %(num)d phrases"),
            MAX_PHRASES,
        )
    if len(parsed.filters) > MAX_FILTERS:
        raise TooManyWords(
            N_plural("search with at most %(num)d filter", "search with at most %(num)d filters"),
            MAX_FILTERS,
        )
    return replace(parsed, words=tuple(words), phrases=tuple(phrases))


def _unique(items: Iterable[str], key: Callable[[str], object]) -> list[str]:
    kept: dict[object, str] = {}
    for item in items:
        kept.setdefault(key(item), item)
    return list(kept.values())


# --- the time budget ----------------------------------------------------------------------


class Budget:
    """CPU seconds one search may spend in the index (None: no limit), from `start()`."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.started = time.thread_time()

    def restarted(self) -> Budget:
        """The same budget, counted from now (once the searcher is ready)."""
        return type(self)(self.seconds)

    def spent(self) -> float:
        return time.thread_time() - self.started

    @property
    def exhausted(self) -> bool:
        return self.seconds is not None and self.spent() > self.seconds

    def check(self) -> None:
        """Raise SearchTimeout once the budget is spent."""
        if self.exhausted:
            raise SearchTimeout()

    def watch(self, items: Iterable[T], every: int = 256) -> Iterator[T]:
        """The items, checking the budget every so many (a slow generator, bounded)."""
        for n, item in enumerate(items):
            if not n % every:
                self.check()
            yield item


UNLIMITED = Budget(None)


# --- the rate per client ------------------------------------------------------------------


class ClientRates:
    """A bucket of search seconds per client address: `burst` seconds, refilled at `share`
    of a core; thread-safe, in this process's memory, at most CLIENTS addresses kept."""

    def __init__(self, burst: float, share: float, clock=time.monotonic) -> None:
        self.burst, self.share, self.clock = burst, share, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # level, when
        self._lock = threading.Lock()

    def admit(self, address: str) -> None:
        """Raise TooManySearches while this address's bucket is empty."""
        if self.burst <= 0:
            return  # no limit
        with self._lock:
            level = self._level(address)
        if level <= 0:
            wait = -level / self.share if self.share > 0 else 3600.0
            raise TooManySearches(max(1, int(wait + 0.999)))

    def charge(self, address: str, seconds: float) -> None:
        """Take what a search cost (at least MIN_CHARGE) from its address's bucket."""
        if self.burst <= 0:
            return
        with self._lock:
            level = self._level(address) - max(seconds, MIN_CHARGE)
            self._buckets[address] = (level, self.clock())
            self._buckets.move_to_end(address)
            while len(self._buckets) > CLIENTS:
                self._buckets.popitem(last=False)

    def _level(self, address: str) -> float:
        level, when = self._buckets.get(address, (self.burst, self.clock()))
        return min(self.burst, level + (self.clock() - when) * self.share)
