"""The Whoosh side of search: the index's fields, and a parsed query turned into Whoosh queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from gallery.search.latvian import fold, folding_analyzer, latvian_analyzer
from gallery.search.query import ParsedQuery

# Bump when the fields or the analysis change: an index of another version is rebuilt,
# because Whoosh would analyse new queries with the new code against old terms.
SCHEMA_VERSION = 7

# A photo's texts all go into one field, `text`: every query word must be there, and the
# ranking (BM25) counts it there. A weightier text is written in more than once, so a word
# of the title or a keyword ranks a photo higher than the same word in the credit, and a
# word of the photo's own caption ranks it above a photo that has it only through its
# album's title or place. One field keeps a query to one posting list per word: several
# fields cost Whoosh, pure Python, several times the work per hit.
TEXT_WEIGHTS: dict[str, int] = {
    "title": 3,
    "title_en": 3,
    "keywords": 3,
    "caption": 2,
    "caption_en": 2,
    "alt": 1,
    "album_title": 1,
    "place": 1,
    "credit": 1,
    "camera": 1,
}
FACET_FIELDS = {
    "album": "album",
    "year": "year",
    "camera": "camera_facet",
    "keyword": "keyword_facet",
}


def build_schema(analyzer: Any = None) -> Schema:
    """The fields of the index (the Latvian analyzer unless another is given, for tests)."""
    folded = folding_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),  # the photo, looked up in the database
        album=ID(stored=True),  # album slug: album: filter and facet
        visible=ID(),  # "y" when visitors may find the photo
        trashed=ID(),  # "y" for the trash, which staff do not find either
        digest=STORED(),  # fingerprint of what was indexed: `gallery check`
        text=TEXT(analyzer=analyzer or latvian_analyzer()),  # every text, for words and phrases
        camera=TEXT(analyzer=folded),  # make and model: camera: filter
        keyword=KEYWORD(commas=True, lowercase=True),  # whole keywords, folded: keyword:
        year=ID(),  # taken, else the album's event: year: filter and facet
        taken=KEYWORD(),  # taken-at's year, month and day (2019 2019-12 2019-12-03): taken:
        spell=TEXT(analyzer=folded, phrase=False),  # unstemmed words for "did you mean"
        keyword_facet=KEYWORD(commas=True),  # keywords as written, for facets
        camera_facet=ID(),
    )


def whoosh_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """A document of documents.photo_document() in the shape the writer takes."""
    keywords = doc["keyword"]
    texts = [doc[name] for name, times in TEXT_WEIGHTS.items() for _ in range(times)]
    fields = {
        "id": doc["id"],
        "album": doc["album"],
        "visible": doc["visible"],
        "trashed": doc["trashed"],
        "digest": doc["digest"],
        "text": "\n".join(t for t in texts if t),
        "camera": doc["camera"],
        "keyword": ",".join(fold(k) for k in keywords),
        "year": doc["year"],
        "taken": taken_terms(doc["taken"]),
        "spell": doc["spell"],
        "keyword_facet": ",".join(keywords),
        "camera_facet": doc["camera"],
    }
    return {name: value for name, value in fields.items() if value not in ("", None)}


def analyzed(schema: Schema, field: str, text: str) -> list[str]:
    """The terms a text becomes in one field, as a query would see them."""
    return list(schema[field].process_text(text, mode="query"))


def match_parts(schema: Schema, parsed: ParsedQuery) -> list[wq.Query]:
    """What must match: every word, every phrase, somewhere in the photo's text."""
    parts: list[wq.Query] = []
    for word in parsed.words:
        parts += [wq.Term("text", term) for term in analyzed(schema, "text", word)]
    for phrase in parsed.phrases:
        terms = analyzed(schema, "text", phrase)
        if len(terms) > 1:
            parts.append(wq.Phrase("text", terms))
        elif terms:
            parts.append(wq.Term("text", terms[0]))
    return parts


def ranking_query(parts: list[wq.Query]) -> wq.Query:
    """What ranks the matching photos: the words and phrases themselves (BM25 on `text`)."""
    return wq.And(parts) if len(parts) > 1 else parts[0]


def filter_parts(schema: Schema, parsed: ParsedQuery) -> list[wq.Query]:
    """The filters typed (album:, year:, ...): they narrow without ranking."""
    return [_FILTERS[name](schema, value) for name, value in parsed.filters]


def _album(_schema: Schema, value: str) -> wq.Query:
    return wq.Term("album", value.lower())


def _year(_schema: Schema, value: str) -> wq.Query:
    return wq.Term("year", value)


def _camera(schema: Schema, value: str) -> wq.Query:
    terms = analyzed(schema, "camera", value)
    if not terms:
        return wq.NullQuery
    return wq.Phrase("camera", terms) if len(terms) > 1 else wq.Term("camera", terms[0])


def _keyword(_schema: Schema, value: str) -> wq.Query:
    return wq.Term("keyword", fold(value.lower()))


def _taken(_schema: Schema, value: str) -> wq.Query:
    """taken:2019, taken:2019-12 or taken:2019-12-03: that year, month or day."""
    parts = value.split("-")
    try:
        numbers = [int(part) for part in parts[:3]]
        date(numbers[0], *(numbers[1:] + [1, 1])[:2])  # no such date: taken:2019-02-30
    except (ValueError, TypeError, OverflowError):  # taken:99999999999, taken:x
        return wq.NullQuery
    return wq.Term("taken", "-".join(f"{n:02d}" if i else str(n) for i, n in enumerate(numbers)))


def taken_terms(taken: datetime | None) -> str:
    """What the taken field holds for a photo: its year, month and day, one term each
    (three postings; Whoosh's DATETIME field writes eight per photo for its ranges)."""
    if taken is None:
        return ""
    return f"{taken:%Y} {taken:%Y-%m} {taken:%Y-%m-%d}"


_FILTERS = {
    "album": _album,
    "year": _year,
    "camera": _camera,
    "keyword": _keyword,
    "taken": _taken,
}
