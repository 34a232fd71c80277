"""Running a query on a Whoosh searcher: the matching set, a ranked page, facets, corrections.

Whoosh is pure Python, so the work per query is kept off the hits: Whoosh reads a term's
posting list once, and from then on its segment keeps it as arrays (segments.py);
matching, ranking (BM25) and facet counts are array operations (numpy), whose cost per hit
is a few nanoseconds, so a word in most of a million captions costs tens of milliseconds,
not seconds. Phrases are matched and ranked by Whoosh's own matchers, within the search's
budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

import numpy as np
from whoosh import collectors
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
from gallery.search.postings import K1
from gallery.search.query import ParsedQuery
from gallery.search.schema import (
    FACET_FIELDS,
    analyzed,
    filter_parts,
    match_parts,
    ranking_query,
)
from gallery.search.segments import SearcherCache, SegmentFacts, ValueSpace

FACET_VALUES = 12  # values a search returns per facet, the most frequent first
CHUNK = 1024  # scores per run whose best is taken first (_top)


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
