"""The Whoosh side of search: the index's fields, and a parsed query turned into Whoosh queries."""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime
from typing import Any

from whoosh import query as wq
from whoosh.columns import VarBytesColumn, VarBytesListColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, TEXT, Schema

from gallery.latvian import fold, folding_analyzer, latvian_analyzer
from gallery.search.query import ParsedQuery

# Bump when the fields or the analysis change: an index of another version is rebuilt,
# because Whoosh would analyse new queries with the new code against old terms.
SCHEMA_VERSION = 1

# Text fields a word is looked for in, with the weight of a match there.
TEXT_FIELDS: dict[str, float] = {
    "title": 3.0,
    "title_en": 3.0,
    "keywords": 2.0,
    "caption": 1.5,
    "caption_en": 1.5,
    "alt": 1.0,
    "album_title": 1.0,
    "place": 1.0,
    "credit": 0.5,
    "camera": 0.5,
}
FACETS = ("album", "year", "camera", "keyword")


def build_schema(analyzer: Any = None) -> Schema:
    """The fields of the index (the Latvian analyzer unless another is given, for tests)."""
    text = analyzer or latvian_analyzer()
    folded = folding_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        album=ID(stored=True, sortable=True),
        visible=ID,
        digest=ID(stored=True),
        title=TEXT(analyzer=text),
        title_en=TEXT(analyzer=text),
        caption=TEXT(analyzer=text),
        caption_en=TEXT(analyzer=text),
        alt=TEXT(analyzer=text),
        keywords=TEXT(analyzer=text),
        credit=TEXT(analyzer=text),
        album_title=TEXT(analyzer=text),
        place=TEXT(analyzer=text),
        camera=TEXT(analyzer=folded),
        keyword=KEYWORD(commas=True, lowercase=True),  # whole keywords, folded: keyword:
        year=ID(sortable=True),
        taken=DATETIME(sortable=True),
        spell=TEXT(analyzer=folded, phrase=False),  # unstemmed words for "did you mean"
        keyword_facet=COLUMN(VarBytesListColumn()),  # keywords as written, for facets
        camera_facet=COLUMN(VarBytesColumn()),
    )


def whoosh_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """A document of documents.photo_document() in the shape the writer takes."""
    fields = {name: value for name, value in doc.items() if value not in ("", None, [])}
    keywords = doc["keyword"]
    fields["keyword"] = ",".join(fold(k) for k in keywords) or None
    fields["keyword_facet"] = [k.encode() for k in keywords]
    fields["camera_facet"] = doc["camera"].encode()
    return {name: value for name, value in fields.items() if value is not None}


def analyzed(schema: Schema, field: str, text: str) -> list[str]:
    """The terms a text becomes in one field, as a query would see them."""
    return list(schema[field].process_text(text, mode="query"))


def text_query(schema: Schema, parsed: ParsedQuery) -> wq.Query | None:
    """Every word and phrase must match in some text field; None when there is no text."""
    parts: list[wq.Query] = []
    for word in parsed.words:
        parts += [_any_field(schema, term) for term in analyzed(schema, "caption", word)]
    for phrase in parsed.phrases:
        terms = analyzed(schema, "caption", phrase)
        if len(terms) == 1:
            parts.append(_any_field(schema, terms[0]))
        elif terms:
            fields = [f for f in TEXT_FIELDS if f != "camera"]
            parts.append(wq.Or([wq.Phrase(f, terms, boost=TEXT_FIELDS[f]) for f in fields]))
    return wq.And(parts) if parts else None


def _any_field(schema: Schema, term: str) -> wq.Query:
    # The camera field is folded, not stemmed: look for the word as typed there.
    terms = [wq.Term(f, term, boost=b) for f, b in TEXT_FIELDS.items() if f != "camera"]
    return wq.Or(terms)


def filter_query(schema: Schema, parsed: ParsedQuery, *, staff: bool) -> list[wq.Query]:
    """The conditions that narrow without ranking: filters, and visibility for visitors."""
    parts: list[wq.Query] = [] if staff else [wq.Term("visible", "y")]
    for name, value in parsed.filters:
        parts.append(_FILTERS[name](schema, value))
    return parts


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
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else None
        day = int(parts[2]) if len(parts) > 2 else None
        start = datetime(year, month or 1, day or 1)
        last_day = day or monthrange(year, month or 12)[1]
        end = datetime(year, month or 12, last_day, 23, 59, 59)
    except (ValueError, IndexError):
        return wq.NullQuery
    return wq.DateRange("taken", start, end)


_FILTERS = {
    "album": _album,
    "year": _year,
    "camera": _camera,
    "keyword": _keyword,
    "taken": _taken,
}
