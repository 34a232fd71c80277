"""A term's posting list in one pass: what a segment's arrays are read from.

Whoosh's matchers hand out one posting per method call; a word in a tenth of 100,000
captions is ~10,000 postings to read before any ranking. They are read through the
matcher's public methods, bound once outside the loop: a quarter to a third slower than
taking the W3 codec's blocks through its private attributes was, since most of either is
the codec unpickling each block of 128 postings. searching.py keeps long lists per segment,
so a common word is read once per segment. Nothing in gallery/search/ reads Whoosh's
private attributes (tests/test_search_public_whoosh.py): they change without notice.
"""

from __future__ import annotations

from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound

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
    if isinstance(matcher, FilterMatcher):
        # The reader's filter of deleted documents checks each posting in Python, a third
        # more time in this loop; the callers' set operations drop them for less.
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    add_id, add_weight = ids.append, weights.append
    active, docnum, weight, advance = matcher.is_active, matcher.id, matcher.weight, matcher.next
    while active():
        add_id(docnum())
        add_weight(weight())
        advance()
    return ids, weights


def deleted(reader) -> frozenset[int]:
    """The segment's deleted documents (an edit deletes the old version of a photo)."""
    return frozenset(reader.deleted_docs_set) if reader.has_deletions() else frozenset()
