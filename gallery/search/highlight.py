"""Snippets: a piece of a caption with the matched words marked, everything else escaped."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

WIDTH = 180  # characters of text in a snippet
LEAD = 50  # characters shown before the first match


def snippet(texts: Iterable[str], terms: set[str], analyzer) -> Markup:
    """The first text with a match, cut around it and marked; else the first text, cut."""
    texts = [t for t in texts if t and t.strip()]
    for text in texts:
        spans = matches(text, terms, analyzer)
        if spans:
            return _marked(text, spans)
    return _cut(texts[0]) if texts else Markup("")


def matches(text: str, terms: set[str], analyzer) -> list[tuple[int, int]]:
    """Where in the text the words that analyse to one of the terms stand."""
    if not terms:
        return []
    # Whoosh reuses one token object: read each token's fields while it is current.
    return [
        (token.startchar, token.endchar)
        for token in analyzer(text, chars=True, removestops=False)
        if token.text in terms
    ]


def _marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    start = _word_start(text, max(0, spans[0][0] - LEAD))
    end = _word_end(text, min(len(text), start + WIDTH))
    parts = [Markup("…") if start else Markup("")]
    position = start
    for span_start, span_end in spans:
        if span_start < position or span_end > end:
            continue
        parts.append(escape(text[position:span_start]))
        parts.append(Markup("<mark>%s</mark>") % text[span_start:span_end])
        position = span_end
    parts.append(escape(text[position:end]))
    if end < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)


def _cut(text: str) -> Markup:
    end = _word_end(text, min(len(text), WIDTH))
    return escape(text[:end]) + (Markup("…") if end < len(text) else Markup(""))


def _word_start(text: str, index: int) -> int:
    """Move back to the start of the word that `index` falls in."""
    while index > 0 and not text[index - 1].isspace():
        index -= 1
    return index


def _word_end(text: str, index: int) -> int:
    """Move on to the end of the word that `index` falls in."""
    while index < len(text) and not text[index].isspace():
        index += 1
    return index
