"""What a large segment's searches read most, kept beside it as arrays on disk.

Whoosh reads a posting list one posting per Python call, about 1.5 µs each: a word in a
tenth of a million captions is 150 ms to read before any matching, and a process that
starts reads the same lists again (who may find what, facet values, text lengths). A
segment never changes once written, so for a segment of SEGMENT_FROM documents or more
the lists of its common terms (HEAD_FROM documents or more), its text lengths and its facet
values are read once, by whichever process gets there first, and written as numpy arrays
next to the segment's own files; every process then maps them (shared, paged in by the
kernel, nothing to parse). They are named like the segment's files, so Whoosh's own
clean-up deletes them with the segment.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gallery.search.postings import term_postings

log = logging.getLogger(__name__)

SEGMENT_FROM = 20_000  # documents: a smaller segment is quick to read as it is
HEAD_FROM = 1_000  # documents a term is in for its list to be kept (shorter: ~1.5 ms)
FORMAT = 2
UNREAD = frozenset({"spell"})  # fields no search reads postings of ("did you mean" reads words)
ARRAYS = ("ids", "weights", "lengths")
PAIRS = ("docs", "codes")  # a facet's arrays


@dataclass(frozen=True)
class Heads:
    """One segment's kept lists: `spans[(field, term)]` is where its documents (ascending)
    and weights stand in `ids` and `weights`; `facets[field]` its (values, documents, value
    codes) pairs; `lengths` each document's `text` length."""

    spans: dict[tuple[str, str], tuple[int, int]]
    ids: np.ndarray
    weights: np.ndarray
    lengths: np.ndarray
    facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]]

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        span = self.spans.get((field, term))
        if span is None:
            return None
        start, stop = span
        return self.ids[start:stop], self.weights[start:stop]


def _path(folder: Path, segment: str, name: str) -> Path:
    # `<segment id>.heads_<name>`: Whoosh deletes files named so when the segment goes.
    return folder / f"{segment}.heads_{name}"


def load_heads(folder: Path, segment: str) -> Heads | None:
    """The segment's kept arrays, mapped; None if there are none (or they are unreadable)."""
    try:
        index = json.loads(_path(folder, segment, "index.json").read_text())
        if index.get("format") != FORMAT:
            return None
        mapped = {name: _mapped(folder, segment, name) for name in ARRAYS}
        facets = {
            field: (
                values,
                _mapped(folder, segment, f"f{n}_docs"),
                _mapped(folder, segment, f"f{n}_codes"),
            )
            for n, (field, values) in enumerate(index["facets"].items())
        }
    except (OSError, ValueError, KeyError):
        return None
    spans = {(field, term): (start, stop) for field, term, start, stop in index["terms"]}
    return Heads(spans, mapped["ids"], mapped["weights"], mapped["lengths"], facets)


def _mapped(folder: Path, segment: str, name: str) -> np.ndarray:
    return np.load(_path(folder, segment, f"{name}.npy"), mmap_mode="r")


def write_heads(
    folder: Path, segment: str, reader, facet_fields: list[str], term_from: int = HEAD_FROM
) -> Heads | None:
    """Read the segment's common lists, lengths and facet values and write them beside it
    (each file under a name of this process first, the index last: a reader sees all or
    nothing); None if the segment went meanwhile (merged away)."""
    terms: list[tuple[str, str, int, int]] = []
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    at = 0
    for field in sorted(set(reader.indexed_field_names()) - UNREAD):
        for stored, info in reader.iter_field(field):
            if info.doc_frequency() >= term_from:
                term = reader.schema[field].from_bytes(stored)  # every field here is text
                held, weighed = term_postings(reader, field, term)
                terms.append((field, term, at, at + len(held)))
                ids.append(np.array(held, dtype=np.uint32))
                weights.append(np.array(weighed, dtype=np.float32))
                at += len(held)
    arrays = {
        "ids": np.concatenate(ids) if ids else np.empty(0, dtype=np.uint32),
        "weights": np.concatenate(weights) if weights else np.empty(0, dtype=np.float32),
        "lengths": text_lengths(reader).astype(np.float32),  # whole numbers: exact
    }
    facets = {}
    for n, field in enumerate(facet_fields):
        values, pairs, codes = facet_pairs(reader, field)
        facets[field] = values
        arrays[f"f{n}_docs"], arrays[f"f{n}_codes"] = pairs, codes
    index = {"format": FORMAT, "terms": terms, "facets": facets}
    try:
        for name, array in arrays.items():
            _save(folder, segment, f"{name}.npy", lambda f, a=array: np.save(f, a))
        _save(folder, segment, "index.json", lambda f: f.write(json.dumps(index).encode()))
    except FileNotFoundError:  # Whoosh cleaned the segment's files away meanwhile
        return None
    return load_heads(folder, segment)


def text_lengths(reader) -> np.ndarray:
    """Each document's number of `text` terms (what BM25 divides by), as Whoosh keeps it."""
    size, length = reader.doc_count_all(), reader.doc_field_length
    return np.fromiter((length(d, "text", 1) for d in range(size)), np.float64, size)


def facet_pairs(reader, field: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A facet field's values in the segment, and each (document, value code) pair."""
    values: list[str] = []
    docs: list[np.ndarray] = []
    if field in reader.indexed_field_names():
        for term in reader.field_terms(field):
            values.append(term)
            docs.append(np.array(term_postings(reader, field, term)[0], dtype=np.int32))
    codes = [np.full(len(held), code, dtype=np.int32) for code, held in enumerate(docs)]
    empty = np.empty(0, dtype=np.int64)
    return (
        values,
        np.concatenate(docs) if docs else empty,
        np.concatenate(codes) if codes else empty,
    )


def _save(folder: Path, segment: str, name: str, write) -> None:
    final = _path(folder, segment, name)
    temporary = _path(folder, segment, f"w{os.getpid()}_{name}")
    with open(temporary, "wb") as f:
        write(f)
    os.replace(temporary, final)
