"""Running a query on a Whoosh searcher: the matching set, a ranked page, facets, corrections.

Whoosh is pure Python, so the work per query is kept off the hits: Whoosh reads a term's
posting list once, and from then on a segment keeps it as arrays; matching, ranking (BM25)
and facet counts are array operations (numpy), whose cost per hit is a few nanoseconds, so
a word in a third of a million captions costs about what a rare one does. What a segment's
documents hold (who may find them, their album, year, camera and keywords, text lengths)
is worked out once per segment and kept while the segment lives, so an edit, which adds a
small segment, costs the next search only that segment's share. Phrases are matched and
ranked by Whoosh's own matchers, within the search's budget.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
from whoosh import collectors, scoring
from whoosh import query as wq
from whoosh.searching import Searcher

from gallery.search.heads import SEGMENT_FROM, Heads, facet_pairs, load_heads
from gallery.search.limits import (
    MAX_CANDIDATES,
    MAX_CORRECTED,
    MAX_CORRECTED_CHARS,
    UNLIMITED,
    Budget,
    SearchTimeout,
)
from gallery.search.postings import K1, B, deleted, term_postings
from gallery.search.query import ParsedQuery
from gallery.search.schema import (
    FACET_FIELDS,
    analyzed,
    filter_parts,
    match_parts,
    ranking_query,
)

CACHE_FROM = 500  # postings: shorter lists are quick to read again
CACHED_POSTINGS = 4_000_000  # postings kept per segment (8 bytes each)
FACET_VALUES = 12  # values a search returns per facet, the most frequent first
CHUNK = 1024  # scores per run whose best is taken first (_top)
NONE = np.empty(0, dtype=np.uint32)


@dataclass(frozen=True)
class RawHit:
    photo_id: int
    album: str
    score: float


@dataclass(frozen=True)
class RawResults:
    """What the index says, before the database has its word."""

    total: int
    hits: list[RawHit]
    facets: dict[str, dict[str, int]]
    suggestion: ParsedQuery | None = None


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
        if self._lengths is None and self.heads is not None:
            self._lengths = self.heads.lengths
        if self._lengths is None:
            length = self.searcher.reader().doc_field_length
            self._lengths = np.fromiter(
                (length(d, "text", 1) for d in range(self.size)), dtype=np.float64, count=self.size
            )
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


@dataclass
class Found:
    """The documents a query matches, per segment: its facts, its offset, its documents
    (ascending, each segment's own numbers)."""

    by_segment: list[tuple[SegmentFacts, int, np.ndarray]]
    staff: bool = False  # whose search: the documents they may find are the others'

    @property
    def total(self) -> int:
        return sum(len(hits) for _facts, _offset, hits in self.by_segment)

    def docnums(self) -> set[int]:
        """The searcher's numbers of the documents (what Whoosh's collector filters by)."""
        return {int(d) + offset for _f, offset, hits in self.by_segment for d in hits}


def run(
    cache: SearcherCache,
    parsed: ParsedQuery,
    page: int,
    per_page: int,
    staff: bool,
    budget: Budget = UNLIMITED,
):
    """One page of hits, best first, the exact total, facet counts, a correction if none;
    SearchTimeout if the budget runs out before the page is ranked."""
    budget = budget.restarted()
    searcher = cache.searcher
    parts = match_parts(searcher.schema, parsed)
    found = matching(cache, parts + filter_parts(searcher.schema, parsed), staff, budget)
    if found is None:
        return RawResults(0, [], {})
    budget.check()
    hits = _page(cache, parts, found, page, per_page, budget)
    facets = _facets(cache, found)
    total = found.total
    suggestion = None if total else _correction(cache, parsed, staff, budget)
    return RawResults(total, hits, facets, suggestion)


def matching(
    cache: SearcherCache, parts: list[wq.Query], staff: bool, budget: Budget = UNLIMITED
) -> Found | None:
    """The documents every part matches that the asker may find; None: no query at all."""
    if not parts:
        return None
    by_segment = []
    for sub, offset, facts in cache.leaves:
        lists = sorted((_docs(sub, facts, part, budget) for part in parts), key=len)
        local = lists[0][facts.allowed(staff)[lists[0]]]
        for other in lists[1:]:
            local = _within(local, other, facts.size)
        by_segment.append((facts, offset, local))
    return Found(by_segment, staff)


def _within(docs: np.ndarray, other: np.ndarray, size: int) -> np.ndarray:
    """The documents of `docs` that are in `other` (both ascending)."""
    if not len(docs):
        return docs
    if len(docs) * 16 < len(other):  # a few documents: look each up
        at = np.searchsorted(other, docs)
        at[at == len(other)] = 0
        return docs[other[at] == docs] if len(other) else docs[:0]
    mask = np.zeros(size, dtype=bool)
    mask[other] = True
    return docs[mask[docs]]


def _docs(sub: Searcher, facts: SegmentFacts, part: wq.Query, budget: Budget) -> np.ndarray:
    """The segment's documents a part matches, ascending (a term's from its posting list; a
    phrase's checked position by position, within the budget)."""
    if isinstance(part, wq.Term):
        return facts.postings(part.fieldname, part.text)[0]
    if isinstance(part, wq.Phrase) and part.fieldname == "camera":
        return facts.cameras_with(tuple(part.words))
    return np.fromiter(budget.watch(part.docs(sub)), dtype=np.uint32)


def _page(
    cache: SearcherCache,
    parts: list[wq.Query],
    found: Found,
    page: int,
    per_page: int,
    budget: Budget = UNLIMITED,
) -> list[RawHit]:
    start, searcher = (page - 1) * per_page, cache.searcher
    if not found.total:  # nothing to rank (and in an empty index BM25's idf is log 0)
        return []
    if not parts:  # filters only: nothing to rank by, the order of import will do
        everything = np.concatenate([hits + offset for _f, offset, hits in found.by_segment])
        docnums = np.sort(everything.astype(np.int64))[start : start + per_page]
        scored = [(0.0, int(d)) for d in docnums]
    elif all(isinstance(part, wq.Term) for part in parts):  # words: BM25 over arrays
        scored = _best(searcher, [part.text for part in parts], found, start + per_page)[start:]
    else:  # phrases: Whoosh's matchers say how often each stands in a photo
        collector = searcher.collector(limit=start + per_page, filter=found.docnums(), terms=False)
        searcher.search_with_collector(ranking_query(parts), BudgetCollector(collector, budget))
        results = collector.results()
        scored = [(hit.score or 0.0, hit.docnum) for hit in results[start : start + per_page]]
    hits = []
    for score, docnum in scored:
        stored = searcher.stored_fields(docnum)
        hits.append(RawHit(int(stored["id"]), stored["album"], float(score)))
    return hits


def _best(
    searcher: Searcher, terms: list[str], found: Found, limit: int
) -> list[tuple[float, int]]:
    """The `limit` found documents where the `text` terms score best (the sum of each
    term's BM25, as Whoosh's And scores), best first; ties go to the older document, as
    Whoosh's own collector has it."""
    idfs = [searcher.idf("text", term) for term in terms]
    average = searcher.avg_field_length("text") or 1
    scores, docnums = [], []
    for facts, offset, hits in found.by_segment:
        if not len(hits):
            continue
        at = hits.astype(np.intp)
        norm = facts.norms(average)[at]
        hit = np.zeros(facts.size, dtype=bool)
        hit[at] = True
        score = np.zeros(len(hits))
        for term, idf in zip(terms, idfs, strict=True):
            ids, weights = facts.postings("text", term)
            tf = weights[hit[ids]].astype(np.float64)  # every hit holds each term, in order
            score += idf * (K1 + 1) * tf / (tf + norm)
        scores.append(score)
        docnums.append(hits.astype(np.int64) + offset)
    score, docnum = _top(np.concatenate(scores), np.concatenate(docnums), limit)
    order = np.lexsort((docnum, -score))[:limit]
    return [(float(score[i]), int(docnum[i])) for i in order]


def _top(score: np.ndarray, docnum: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The documents that may be among the `limit` best (every one tied with the last
    included): the best of each run of CHUNK scores first, so that a word in most photos
    partitions a few thousand scores instead of all of them."""
    if len(score) <= limit:
        return score, docnum
    if len(score) >= CHUNK * limit * 4:
        runs = len(score) // CHUNK
        best = score[: runs * CHUNK].reshape(runs, CHUNK).max(axis=1)
        floor = np.partition(best, runs - limit)[runs - limit]  # limit runs reach it
        keep = score >= floor  # so the limit best do too, and nothing below it is needed
        score, docnum = score[keep], docnum[keep]
    kept = np.argpartition(-score, limit - 1)[:limit]
    tied = score >= score[kept].min()
    return score[tied], docnum[tied]


class BudgetCollector(collectors.WrappingCollector):
    """Whoosh's collector, stopped (SearchTimeout) when the search's budget is spent."""

    def __init__(self, child: collectors.Collector, budget: Budget):
        super().__init__(child)
        self.budget = budget

    def collect_matches(self) -> None:
        child = self.child
        for sub_docnum in self.budget.watch(child.matches(), every=64):
            child.collect(sub_docnum)


def _facets(cache: SearcherCache, found: Found) -> dict[str, dict[str, int]]:
    """Per facet, the FACET_VALUES values most found (and any tied with the last), with
    their counts."""
    names = [name for name, field in FACET_FIELDS.items() if field in cache.spaces]
    fields = [FACET_FIELDS[name] for name in names]
    widths = [len(cache.spaces[field].values) for field in fields]
    tallies = [np.zeros(width, dtype=np.int64) for width in widths]
    for facts, _offset, hits in found.by_segment:
        if len(hits):
            counted = facts.tallies(fields, hits, found.staff, widths)
            for tally, more in zip(tallies, counted, strict=True):
                tally += more
    return {
        name: _most_found(cache.spaces[field], tally)
        for name, field, tally in zip(names, fields, tallies, strict=True)
    }


def _most_found(space: ValueSpace, tally: np.ndarray) -> dict[str, int]:
    width = len(tally)
    if width > FACET_VALUES:  # only the most found can make the cut
        least = np.partition(tally, width - FACET_VALUES)[width - FACET_VALUES]
        chosen = np.flatnonzero(tally >= max(least, 1))
    else:
        chosen = np.flatnonzero(tally)
    return {space.values[code]: int(tally[code]) for code in chosen}


def _correction(
    cache: SearcherCache, parsed: ParsedQuery, staff: bool, budget: Budget
) -> ParsedQuery | None:
    """Unknown words swapped for the nearest indexed ones, if that finds something: the
    first MAX_CORRECTED short ones, while the budget lasts (else no correction)."""
    if not parsed.words or budget.exhausted:
        return None
    searcher = cache.searcher
    words, unchanged, looked_up = [], [], 0
    for word in parsed.words:
        terms = analyzed(searcher.schema, "spell", word)
        fixed = []
        for term in terms:
            if searcher.doc_frequency("spell", term) > 0:
                fixed.append(term)  # a word the index knows
            elif len(term) <= MAX_CORRECTED_CHARS and looked_up < MAX_CORRECTED:
                if budget.exhausted:
                    return None
                fixed.append(_nearest(searcher, term))
                looked_up += 1
            else:  # an unknown word left as it is: the correction could find nothing
                return None
        words.append(" ".join(fixed) or word)
        unchanged.append(" ".join(terms) or word)
    if words == unchanged:
        return None
    corrected = parsed.with_words(tuple(words))
    parts = match_parts(searcher.schema, corrected) + filter_parts(searcher.schema, corrected)
    try:
        found = matching(cache, parts, staff, budget)
    except SearchTimeout:  # out of time for the suggestion: the answer goes without one
        return None
    return corrected if found and found.total else None


def _nearest(searcher: Searcher, term: str) -> str:
    """The indexed word closest to `term` (fewest edits, then most used), else `term`;
    of the first MAX_CANDIDATES found at the nearer distance."""
    # Each segment's own word automaton: Whoosh's corrector over several segments falls
    # back to comparing the word with every indexed word, in Python.
    leaves = [reader for reader, _offset in searcher.reader().leaf_readers()]
    for distance in (1, 2):
        near = (w for r in leaves for w in r.terms_within("spell", term, distance, prefix=1))
        found = set(islice(near, MAX_CANDIDATES))
        if found:
            return max(sorted(found), key=lambda w: searcher.doc_frequency("spell", w))
    return term
