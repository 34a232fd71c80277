"""The search box's syntax: words (all must match), "quoted phrases" and name:value filters.

Pure text handling, no search engine: the parsed query can be written back as text, so a
facet link or a "did you mean" is just another query string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

FILTERS = ("album", "year", "camera", "keyword", "taken")
MAX_QUERY_CHARS = 500

_PART = re.compile(
    r"""(?P<name>[A-Za-z]+):"(?P<quoted>[^"]*)"?   # name:"a value"
      | (?P<name2>[A-Za-z]+):(?P<bare>[^\s"]+)     # name:value
      | "(?P<phrase>[^"]*)"?                       # "a phrase" (an open quote runs to the end)
      | (?P<word>[^\s"]+)                          # a word
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class ParsedQuery:
    """What a visitor typed: words, phrases and filters, each in the order given."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.filters)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    def values(self, name: str) -> list[str]:
        """The values given for one filter."""
        return [value for key, value in self.filters if key == name]

    def with_filter(self, name: str, value: str) -> ParsedQuery:
        """This query narrowed by one more filter (a facet click)."""
        if (name, value) in self.filters:
            return self
        return replace(self, filters=(*self.filters, (name, value)))

    def without_filter(self, name: str, value: str) -> ParsedQuery:
        """This query with one filter taken away (un-clicking a facet)."""
        return replace(self, filters=tuple(f for f in self.filters if f != (name, value)))

    def with_words(self, words: tuple[str, ...]) -> ParsedQuery:
        return replace(self, words=words)

    def text(self) -> str:
        """The query as one would type it."""
        parts = list(self.words)
        parts += [f'"{phrase}"' for phrase in self.phrases]
        parts += [f"{name}:{_quoted(value)}" for name, value in self.filters]
        return " ".join(parts)


def parse_query(text: str, album: str | None = None) -> ParsedQuery:
    """Split what was typed into words, phrases and known filters; `album` adds a filter."""
    words: list[str] = []
    phrases: list[str] = []
    filters: list[tuple[str, str]] = []
    for match in _PART.finditer(text[:MAX_QUERY_CHARS]):
        name = (match["name"] or match["name2"] or "").lower()
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        if name in FILTERS and value and value.strip():
            filters.append((name, _filter_value(name, value)))
        elif name:  # not a filter we know (a time like 10:30, a URL): plain words
            words.append(match.group(0).replace('"', ""))
        elif match["phrase"] is not None:
            phrase = " ".join(match["phrase"].split())
            if phrase:
                phrases.append(phrase)
        else:
            words.append(match["word"])
    if album:
        filters.append(("album", _filter_value("album", album)))
    return ParsedQuery(tuple(words), tuple(phrases), tuple(dict.fromkeys(filters)))


def _filter_value(name: str, value: str) -> str:
    value = " ".join(value.split())
    return value.lower() if name == "album" else value


def _quoted(value: str) -> str:
    return f'"{value}"' if re.search(r'[\s"]', value) else value
