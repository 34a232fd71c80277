"""What a segment's documents hold, as numpy arrays kept while the segment lives.

A segment never changes once written (an edit adds a new segment and marks the old version
deleted), so who may find its documents, their text lengths, their facet values and the
postings of common words are worked out once and kept across searchers: an edit costs the
next search only its own small segment's share. A large segment starts from the arrays
kept beside it on disk (heads.py). searching.py runs queries over these.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import scoring
from whoosh.searching import Searcher

from gallery.search.heads import SEGMENT_FROM, Heads, facet_pairs, load_heads, text_lengths
from gallery.search.postings import K1, B, deleted, term_postings
from gallery.search.schema import FACET_FIELDS, analyzed

CACHE_FROM = 500  # postings: shorter lists are quick to read again
CACHED_POSTINGS = 4_000_000  # postings kept per segment (8 bytes each)


class ValueSpace:
    """The values of one facet field across the index's segments, each with a code for
    good (values only come: a value no segment holds any more just counts 0)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.values: list[str] = []

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code


@dataclass(frozen=True)
class Facet:
    """A facet field of one segment: each (document, value) pair, the value as its code in
    the field's ValueSpace; `by_doc` each document's one code (-1: none) where a document
    has at most one value."""

    docs: np.ndarray
    codes: np.ndarray
    by_doc: np.ndarray | None

    def counts(self, hits: np.ndarray, size: int, width: int) -> np.ndarray:
        """How many of the hits have each value (an array of `width`, the space's size)."""
        if self.by_doc is not None:
            codes = self.by_doc[hits]
            codes = codes[codes >= 0]
        else:  # keywords: one pass over the pairs, whatever the number of hits
            mask = np.zeros(size, dtype=bool)
            mask[hits] = True
            codes = self.codes[mask[self.docs]]
        return np.bincount(codes, minlength=width)


class SegmentFacts:
    """What one segment's documents hold: who may find them, facet values, text lengths,
    the postings of common words. Computed on first use and kept across searchers, since a
    segment never changes (an edit adds a new segment and marks the old version deleted)."""

    def __init__(
        self, searcher: Searcher, spaces: dict[str, ValueSpace], heads: Heads | None = None
    ):
        self.searcher = searcher
        self.spaces = spaces  # the index's, shared by its segments
        self.size = searcher.reader().doc_count_all()
        self.heads = heads  # its common lists, lengths and facets as arrays, once written
        self._visible: dict[bool, np.ndarray] = {}  # as written
        self._allowed: dict[tuple[bool, int], np.ndarray] = {}  # (staff, deleted) -> now
        self._lengths: np.ndarray | None = None
        self._norms: tuple[float, np.ndarray] | None = None
        self._facets: dict[str, Facet] = {}
        self._everything_kept: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}
        self._allowed_list: tuple[np.ndarray, np.ndarray] | None = None
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
        self._postings = OrderedDict()
        self._cached = 0
        self._last: tuple[tuple[str, str], tuple[np.ndarray, np.ndarray]] | None = None

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's documents (ascending) and weights here, deleted ones among them; long
        lists are kept (reading them is most of what a common word costs), up to
        CACHED_POSTINGS per segment, and the last short one, which a one-word search asks
        for twice (to match, then to rank)."""
        key = (field, term)
        if key in self._postings:
            self._postings.move_to_end(key)
            return self._postings[key]
        last = self._last  # read once: another thread may set it meanwhile
        if last is not None and last[0] == key:
            return last[1]
        kept = self.heads.postings(field, term) if self.heads is not None else None
        if kept is not None:
            return kept
        ids, weights = term_postings(self.searcher.reader(), field, term)
        found = np.array(ids, dtype=np.uint32), np.array(weights, dtype=np.float32)
        if len(ids) >= CACHE_FROM:
            self._postings[key] = found
            self._cached += len(ids)
            while self._cached > CACHED_POSTINGS:
                _key, (old, _weights) = self._postings.popitem(last=False)
                self._cached -= len(old)
        else:
            self._last = key, found
        return found

    def warm(self) -> None:
        """Work out what every search reads: who may find what, text lengths, facets."""
        for staff in (False, True):
            self.allowed(staff)
        self.lengths()
        for field in FACET_FIELDS.values():
            self.facet(field)

    def lengths(self) -> np.ndarray:
        """Document number -> how many terms its `text` has (what BM25 divides by)."""
        if self._lengths is None:
            kept = self.heads.lengths if self.heads is not None else None
            if kept is None:
                self._lengths = text_lengths(self.searcher.reader())
            else:  # float64, as Whoosh's own scorer counts, which it is handed to
                self._lengths = np.asarray(kept, dtype=np.float64)
        return self._lengths

    def norms(self, average: float) -> np.ndarray:
        """Each document's BM25 length norm, K1 * (1 - B + B * length / average length)
        (kept for the index's current average)."""
        if self._norms is None or self._norms[0] != average:
            self._norms = (average, K1 * ((1 - B) + B * self.lengths() / average))
        return self._norms[1]

    def allowed(self, staff: bool) -> np.ndarray:
        """Which documents a visitor, or staff, may find (visible ones, or all but the trash)
        as a mask, less the ones deleted since the segment was written (an edit deletes a
        photo's old version: their number grows while the segment lives)."""
        reader = self.searcher.reader()
        gone = reader.segment().deleted_count() if reader.has_deletions() else 0
        key = (staff, gone)
        if key not in self._allowed:
            if staff not in self._visible:
                field, value = ("trashed", "n") if staff else ("visible", "y")
                mask = np.zeros(self.size, dtype=bool)
                mask[self.postings(field, value)[0]] = True
                self._visible[staff] = mask
            mask = self._visible[staff].copy()
            mask[np.array(list(deleted(reader)), dtype=np.int64)] = False
            self._allowed = {k: v for k, v in self._allowed.items() if k[1] == gone}
            self._allowed[key] = mask
        return self._allowed[key]

    def facet(self, field: str) -> Facet:
        """The segment's values of a facet field, read from the posting list of each."""
        if field not in self._facets:
            space = self.spaces.setdefault(field, ValueSpace())
            kept = self.heads.facets.get(field) if self.heads is not None else None
            values, pairs, local = kept or facet_pairs(self.searcher.reader(), field)
            codes = np.array([space.code(value) for value in values], dtype=np.int64)[local]
            by_doc = None
            if len(np.unique(pairs)) == len(pairs):  # one value at most per document
                by_doc = np.full(self.size, -1, dtype=np.int64)
                by_doc[pairs] = codes
            self._facets[field] = Facet(pairs, codes, by_doc)
        return self._facets[field]

    def tallies(
        self, fields: list[str], hits: np.ndarray, staff: bool, widths: list[int]
    ) -> list[np.ndarray]:
        """How many of the hits have each value of each facet field (arrays of `widths`):
        when the hits are most of what the asker may find, the tally of all of it less the
        tally of the rest, so a word in every photo counts about as fast as a rare one."""
        allowed, wanted = self.allowed(staff), list(zip(fields, widths, strict=True))
        if len(hits) * 2 <= len(self._allowed_docs(allowed)):
            return [self.facet(field).counts(hits, self.size, width) for field, width in wanted]
        rest = allowed.copy()
        rest[hits] = False
        others = np.flatnonzero(rest)
        return [
            self._everything(field, staff, allowed, width)
            - self.facet(field).counts(others, self.size, width)
            for field, width in wanted
        ]

    def _allowed_docs(self, allowed: np.ndarray) -> np.ndarray:
        if self._allowed_list is None or self._allowed_list[0] is not allowed:
            self._allowed_list = (allowed, np.flatnonzero(allowed))
        return self._allowed_list[1]

    def _everything(self, field: str, staff: bool, allowed: np.ndarray, width: int) -> np.ndarray:
        """The tally of every document the asker may find now (kept while that holds)."""
        key = (field, staff)
        kept = self._everything_kept.get(key)
        if kept is None or kept[0] is not allowed:
            counts = self.facet(field).counts(self._allowed_docs(allowed), self.size, width)
            kept = self._everything_kept[key] = (allowed, counts)
        counts = kept[1]
        if len(counts) < width:  # the space has grown since: the new values count 0 here
            counts = np.pad(counts, (0, width - len(counts)))
        return counts

    def cameras_with(self, words: tuple[str, ...]) -> np.ndarray:
        """The documents whose camera has these words side by side (camera:"canon eos"):
        found among the segment's few cameras, not checked word by word in every photo."""
        schema, size, facet = self.searcher.schema, len(words), self.facet("camera_facet")
        values = self.spaces["camera_facet"].values
        chosen = []
        for code in np.unique(facet.codes):
            terms = tuple(analyzed(schema, "camera", values[code]))
            if any(terms[at : at + size] == words for at in range(len(terms) - size + 1)):
                chosen.append(code)
        return np.sort(facet.docs[np.isin(facet.codes, chosen)]).astype(np.uint32)


class SearcherCache:
    """One searcher with the facts of each of its segments (reused from earlier searchers);
    a large segment's facts start from its kept arrays (heads.py) when it has them."""

    def __init__(
        self,
        searcher: Searcher,
        known: dict[str, SegmentFacts],
        spaces: dict[str, ValueSpace],
        folder: Path,
        heads_from: int = SEGMENT_FROM,
    ):
        self.searcher = searcher
        self.spaces = spaces
        subs = searcher.subsearchers or [(searcher, 0)]
        self.leaves: list[tuple[Searcher, int, SegmentFacts]] = []
        for sub, offset in subs:
            segment = sub.reader().segment()
            if segment is None:  # an empty index
                continue
            key = segment.segment_id()
            facts = known.get(key)
            if facts is None:
                large = sub.reader().doc_count_all() >= heads_from
                facts = SegmentFacts(sub, spaces, load_heads(folder, key) if large else None)
                facts.warm()  # now, so that a search's budget counts only its own work
            else:
                facts.searcher = sub  # the same segment, opened by this searcher
            self.leaves.append((sub, offset, facts))
        known.clear()
        known.update((sub.reader().segment().segment_id(), f) for sub, _o, f in self.leaves)
        self.heads_from = heads_from

    def missing_heads(self) -> list[str]:
        """The large segments whose arrays are not written yet."""
        return [
            sub.reader().segment().segment_id()
            for sub, _offset, facts in self.leaves
            if facts.heads is None and facts.size >= self.heads_from
        ]


class CachedBM25F(scoring.BM25F):
    """BM25F reading each document's length from the segment's facts, not from disk: the
    same ranking at a third of the cost per hit."""

    def __init__(self, segments: dict[str, SegmentFacts]):
        super().__init__()
        self.segments = segments

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        segment = searcher.reader().segment()
        facts = self.segments.get(segment.segment_id()) if segment is not None else None
        if facts is not None and fieldname == "text" and hasattr(scorer, "dfl"):
            scorer.dfl = facts.lengths().__getitem__
        return scorer
