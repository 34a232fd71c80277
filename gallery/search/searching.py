"""Running a query on a Whoosh searcher: the matching set, a ranked page, facets, corrections.

Whoosh is pure Python, so the work per query is kept close to the hits: the set of matching
photos is built from posting lists with set operations (C speed), which gives the exact
total and the facet counts; only the requested page is ranked (BM25, block-max skipping).
What a segment's documents hold (visible ones, their album, year, camera and keywords,
text lengths) is worked out once per segment and kept while the segment lives, so an edit,
which adds a small segment, costs the next search only that segment's share.
"""

from __future__ import annotations

from array import array
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, islice

from whoosh import collectors, scoring
from whoosh import query as wq
from whoosh.searching import Searcher

from gallery.search.limits import (
    MAX_CANDIDATES,
    MAX_CORRECTED,
    MAX_CORRECTED_CHARS,
    UNLIMITED,
    Budget,
    SearchTimeout,
)
from gallery.search.postings import best_for_term, deleted, term_postings
from gallery.search.query import ParsedQuery
from gallery.search.schema import (
    FACET_FIELDS,
    analyzed,
    filter_parts,
    match_parts,
    ranking_query,
)

CACHE_FROM = 500  # postings: shorter lists are quick to read again
CACHED_POSTINGS = 1_000_000  # postings kept per segment (8 bytes each)


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


class SegmentFacts:
    """What one segment's documents hold: visible ones, facet values, text lengths, the
    postings of common words. Computed on first use and kept across searchers, since a
    segment never changes (an edit adds a new segment and marks the old version deleted)."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self._allowed: dict[tuple[str, str], set[int]] = {}
        self._lengths: list[int] | None = None
        self._forward: dict[str, list] = {}
        self._postings: OrderedDict[tuple[str, str], tuple[array, array]] = OrderedDict()
        self._cached = 0
        self._last: tuple[tuple[str, str], tuple[list[int], list[float]]] | None = None

    def postings(self, field: str, term: str) -> tuple[Sequence[int], Sequence[float]]:
        """A term's documents and weights here; long lists are kept (decoding them is most of
        what a search for a common word costs), up to CACHED_POSTINGS per segment, and the
        last short one, which a one-word search asks for twice (to match, then to rank)."""
        key = (field, term)
        if key in self._postings:
            self._postings.move_to_end(key)
            return self._postings[key]
        last = self._last  # read once: another thread may set it meanwhile
        if last is not None and last[0] == key:
            return last[1]
        ids, weights = term_postings(self.searcher.reader(), field, term)
        if len(ids) >= CACHE_FROM:
            self._postings[key] = (array("I", ids), array("f", weights))
            self._cached += len(ids)
            while self._cached > CACHED_POSTINGS:
                _key, (old, _weights) = self._postings.popitem(last=False)
                self._cached -= len(old)
        else:
            self._last = key, (ids, weights)
        return ids, weights

    def warm(self) -> None:
        """Work out what every search reads: who may find what, text lengths, facets."""
        for staff in (False, True):
            self.allowed(staff)
        self.lengths()
        for field in FACET_FIELDS.values():
            self.values_of(field)

    def lengths(self) -> list[int]:
        """Document number -> how many terms its `text` has (what BM25 divides by)."""
        if self._lengths is None:
            reader = self.searcher.reader()
            length = reader.doc_field_length
            self._lengths = [length(d, "text", 1) for d in range(reader.doc_count_all())]
        return self._lengths

    def allowed(self, staff: bool) -> set[int]:
        """The documents a visitor, or staff, may find: visible ones, or all but the trash."""
        field, value = ("trashed", "n") if staff else ("visible", "y")
        if (field, value) not in self._allowed:
            ids = term_postings(self.searcher.reader(), field, value)[0]
            self._allowed[field, value] = set(ids)
        return self._allowed[field, value]

    def cameras_with(self, words: tuple[str, ...]) -> set[int]:
        """The documents whose camera has these words side by side (camera:"canon eos"):
        found among the segment's few cameras, not checked word by word in every photo
        (a third of them may share a make)."""
        schema, size = self.searcher.schema, len(words)
        found: set[int] = set()
        for camera in set(self.values_of("camera_facet")) - {None}:
            terms = tuple(analyzed(schema, "camera", camera))
            if any(terms[at : at + size] == words for at in range(len(terms) - size + 1)):
                found.update(self.postings("camera_facet", camera)[0])
        return found

    def values_of(self, field: str) -> list:
        """Document number -> its value in a facet field (a list of them for keywords)."""
        if field not in self._forward:
            reader = self.searcher.reader()
            many = field == "keyword_facet"
            forward: list = [[] if many else None for _ in range(reader.doc_count_all())]
            if field in reader.indexed_field_names():
                for term in reader.field_terms(field):
                    for docnum in term_postings(reader, field, term)[0]:
                        if many:
                            forward[docnum].append(term)
                        else:
                            forward[docnum] = term
            self._forward[field] = forward
        return self._forward[field]


class SearcherCache:
    """One searcher with the facts of each of its segments (reused from earlier searchers)."""

    def __init__(self, searcher: Searcher, known: dict[str, SegmentFacts]):
        self.searcher = searcher
        subs = searcher.subsearchers or [(searcher, 0)]
        self.leaves: list[tuple[Searcher, int, SegmentFacts]] = []
        for sub, offset in subs:
            segment = sub.reader().segment()
            if segment is None:  # an empty index
                continue
            key = segment.segment_id()
            facts = known.get(key)
            if facts is None:
                facts = SegmentFacts(sub)
                facts.warm()  # now, so that a search's budget counts only its own work
            else:
                facts.searcher = sub  # the same segment, opened by this searcher
            self.leaves.append((sub, offset, facts))
        known.clear()
        known.update((sub.reader().segment().segment_id(), f) for sub, _o, f in self.leaves)


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
    """The documents a query matches: global numbers, and each segment's own."""

    docnums: set[int]
    by_segment: list[tuple[SegmentFacts, set[int]]]


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
    hits = _page(cache, parts, found.docnums, page, per_page, budget)
    facets = {name: _counts(found, field) for name, field in FACET_FIELDS.items()}
    suggestion = None if found.docnums else _correction(cache, parsed, staff, budget)
    return RawResults(len(found.docnums), hits, facets, suggestion)


def matching(
    cache: SearcherCache, parts: list[wq.Query], staff: bool, budget: Budget = UNLIMITED
) -> Found | None:
    """The documents every part matches that the asker may find; None: no query at all."""
    if not parts:
        return None
    docnums: set[int] = set()
    by_segment = []
    for sub, offset, facts in cache.leaves:
        sets = sorted((_docs(sub, facts, part, budget) for part in parts), key=len)
        sets.insert(1, facts.allowed(staff))
        local = sets[0]
        for other in sets[1:]:
            local = local & other
        by_segment.append((facts, local))
        docnums.update(local if not offset else (d + offset for d in local))
    return Found(docnums, by_segment)


def _page(
    cache: SearcherCache,
    parts,
    found: set[int],
    page: int,
    per_page: int,
    budget: Budget = UNLIMITED,
) -> list:
    start, searcher = (page - 1) * per_page, cache.searcher
    if not found:  # nothing to rank (and in an empty index BM25's idf is log 0)
        return []
    if not parts:  # filters only: nothing to rank by, the order of import will do
        scored = [(0.0, docnum) for docnum in sorted(found)[start : start + per_page]]
    elif len(parts) == 1 and isinstance(parts[0], wq.Term):  # one word: the fast lane
        term = parts[0].text
        leaves = [
            (offset, facts.postings("text", term), facts.lengths())
            for _sub, offset, facts in cache.leaves
        ]
        scored = best_for_term(searcher, leaves, term, found, start + per_page)[start:]
    else:
        collector = searcher.collector(limit=start + per_page, filter=found, terms=False)
        searcher.search_with_collector(ranking_query(parts), BudgetCollector(collector, budget))
        results = collector.results()
        scored = [(hit.score or 0.0, hit.docnum) for hit in results[start : start + per_page]]
    hits = []
    for score, docnum in scored:
        stored = searcher.stored_fields(docnum)
        hits.append(RawHit(int(stored["id"]), stored["album"], float(score)))
    return hits


def _docs(sub: Searcher, facts: SegmentFacts, part: wq.Query, budget: Budget) -> set[int]:
    """The segment's documents a part matches (a term's from its posting list, in one pass;
    a phrase's checked position by position, within the budget)."""
    reader = sub.reader()
    if isinstance(part, wq.Term):
        found = set(facts.postings(part.fieldname, part.text)[0])
    elif isinstance(part, wq.Phrase) and part.fieldname == "camera":
        found = facts.cameras_with(tuple(part.words))
    else:
        return set(budget.watch(part.docs(sub)))
    return found - deleted(reader) if reader.has_deletions() else found


class BudgetCollector(collectors.WrappingCollector):
    """Whoosh's collector, stopped (SearchTimeout) when the search's budget is spent."""

    def __init__(self, child: collectors.Collector, budget: Budget):
        super().__init__(child)
        self.budget = budget

    def collect_matches(self) -> None:
        child = self.child
        for sub_docnum in self.budget.watch(child.matches(), every=64):
            child.collect(sub_docnum)


def _counts(found: Found, field: str) -> dict[str, int]:
    counts: Counter = Counter()
    for facts, local in found.by_segment:
        values = facts.values_of(field)
        if field == "keyword_facet":
            counts.update(chain.from_iterable(map(values.__getitem__, local)))
        else:
            counts.update(map(values.__getitem__, local))
    counts.pop(None, None)
    return dict(counts)


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
    return corrected if found and found.docnums else None


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
