"""Posting lists a block at a time, and BM25 over them: the hot path of a common word.

Whoosh's matchers hand out one posting per method call, several Python calls per hit; a
word in a tenth of 100,000 captions then costs tens of milliseconds before any ranking.
Here a term's postings come out of whoosh-reloaded's W3 codec a block (an array) at a
time. That reads the codec's internals, so any other matcher takes Whoosh's public, slower
way, and a test holds both ways to the same answers.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import bm25
from whoosh.searching import Searcher

B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults, as the app's weighting uses


def term_postings(reader, field: str, term: str) -> tuple[list[int], list[float]]:
    """One segment's documents holding a term, with its weight in each.

    Deleted documents may be among them: callers intersect with sets that leave them out
    (see `deleted`), which is cheaper than filtering every posting here.
    """
    try:
        matcher = reader.postings(field, term)
    except TermNotFound:
        return [], []
    leaf = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if isinstance(leaf, W3LeafMatcher) and hasattr(leaf, "_read_weights"):
        return _blocks(leaf)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def deleted(reader) -> frozenset[int]:
    """The segment's deleted documents (an edit deletes the old version of a photo)."""
    return frozenset(reader.deleted_docs_set) if reader.has_deletions() else frozenset()


def _blocks(leaf: W3LeafMatcher) -> tuple[list[int], list[float]]:
    ids: list[int] = []
    weights: list[float] = []
    while leaf.is_active():
        if leaf._ids is None:
            leaf._read_ids()
        if leaf._weights is None:
            leaf._read_weights()
        ids.extend(leaf._ids[leaf._i :])
        weights.extend(leaf._weights[leaf._i :])
        leaf._next_block()
    return ids, weights


def best_for_term(
    searcher: Searcher,
    leaves: Iterable[tuple[int, tuple[Sequence[int], Sequence[float]], Sequence[int]]],
    term: str,
    found: set[int],
    limit: int,
) -> list[tuple[float, int]]:
    """The `limit` found documents where one `text` term scores best (BM25), best first.

    `leaves`: each segment's document offset, the term's postings there, `text` lengths.
    """
    idf = searcher.idf("text", term)
    average = searcher.avg_field_length("text") or 1
    scored: list[tuple[float, int]] = []
    for offset, (ids, weights), lengths in leaves:
        scored.extend(
            (bm25(idf, weight, lengths[docnum], average, B, K1), -(docnum + offset))
            for docnum, weight in zip(ids, weights, strict=True)
            if docnum + offset in found
        )
    # Ties go to the older document, as Whoosh's own collector has it.
    return [(score, -negated) for score, negated in heapq.nlargest(limit, scored)]
