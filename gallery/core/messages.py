"""Words for people that the domain says in English and the web layer says in the reader's
language, without the domain knowing of requests or catalogs.

A domain module marks its text with `N_` (or `N_plural` where a count decides the form),
which only marks it for `scripts/translations`, and passes the values by name:

    raise InvalidInput(N_("an album with the slug '%(slug)s' already exists"), slug=slug)
    raise InvalidInput(N_plural("at most %(num)d keyword", "at most %(num)d keywords"), count=5)

The error then carries a `Message`: `str()` of it is the English text (what the command
line prints), and gallery.web.i18n.translate says it in the request's language (pages and
the JSON API alike). A value may itself be a Message (a file format's description): it is
translated with the rest. The catalog's keys are the English texts, so a test can check
that every marked text has its Latvian translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def N_(text: str) -> str:
    """Mark a text for translation; it stays as it is until the web layer says it."""
    return text


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a text whose form follows a count (`%(num)d`), for translation."""
    return singular, plural


def _same(text: str) -> str:
    return text


def _english(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@dataclass(frozen=True)
class Message:
    """A marked text, its named values and, for a plural text, the count that decides."""

    text: str | tuple[str, str]
    values: Mapping[str, Any] = field(default_factory=dict)
    count: int | None = None

    def render(self, gettext: Gettext = _same, ngettext: Ngettext = _english) -> str:
        """The text said with these catalog functions (English without them)."""
        values = {
            name: value.render(gettext, ngettext) if isinstance(value, Message) else value
            for name, value in self.values.items()
        }
        if isinstance(self.text, tuple):
            count = self.count or 0
            said = ngettext(self.text[0], self.text[1], count)
            values.setdefault("num", count)
        else:
            said = gettext(self.text)
        return said % values if values else said

    def __str__(self) -> str:
        return self.render()


def message(
    text: str | tuple[str, str] | Message, count: int | None = None, **values: Any
) -> Message:
    """A Message from a marked text (or one already made) and its values."""
    if isinstance(text, Message):
        return text
    return Message(text, values, count)
