"""The interface in Latvian and English: the browser's language, or the visitor's choice.

Catalogs are the `.po` files under gallery/web/translations, compiled in memory at start-up
(no build step, no binary files in git). One catalog holds every text:
- templates mark text with `_()` and `ngettext()`; Python code uses `gettext` from here;
- the domain raises errors whose `words` are a marked `Message` (gallery.core.messages),
  said here in the request's language by `translate` (pages and the JSON API alike);
- scripts under static/ mark text with `t()` and `nt()` (static/texts.js); the texts they
  use are found in the scripts themselves when the app starts, and each page that runs
  them carries their translations as a JSON data block (`js_texts`).
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, redirect, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from gallery.core.messages import Message

LANGUAGES = {"lv": "Latviešu", "en": "English"}
COOKIE = "lang"
CATALOGS = Path(__file__).parent / "translations"
JS_KEYWORDS = {"t": None, "nt": (1, 2)}
# gettext's plural rule of each language, as static/texts.js evaluates it (by name: a
# policy without 'unsafe-eval' lets no page evaluate a rule sent as text).
PLURAL_RULES = {"lv": "lv", "en": "en"}


def init_app(app: Flask) -> None:
    """Give templates `_`, `ngettext`, `translate` and the current language; add the switch."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # The i18n extension adds this method to the environment at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True
    )
    app.jinja_env.globals.update(
        current_language=current_language,
        languages=LANGUAGES,
        translate=translate,
        js_texts=js_texts,
    )
    # A plain link: choosing a language changes nothing worth protecting against CSRF.
    app.add_url_rule("/language/<code>", "language", choose_language)


def current_language() -> str:
    """The visitor's choice (cookie), else the browser's best match, else the LANGUAGE setting."""
    if not has_request_context():
        return current_app.config["LANGUAGE"]
    if "language" not in g:
        chosen = request.cookies.get(COOKIE)
        g.language = (
            chosen
            if chosen in LANGUAGES
            else (request.accept_languages.best_match(LANGUAGES) or current_app.config["LANGUAGE"])
        )
    return g.language


def gettext(message: str, **variables: object) -> str:
    text = _translations(current_language()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = _translations(current_language()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def translate(words: Message | str, language: str | None = None) -> str:
    """Words of the domain (an error's `words`) in the request's language, or in `language`."""
    if not isinstance(words, Message):
        return str(words)
    catalog = _translations(language or current_language())
    return words.render(catalog.ugettext, catalog.ungettext)


def gettext_in(language: str, message: str, **variables: object) -> str:
    """A text in a given language (an article's own, whatever the interface speaks)."""
    text = _translations(language if language in LANGUAGES else "en").ugettext(message)
    return text % variables if variables else text


def js_texts() -> Markup:
    """The scripts' texts in the request's language, as JSON for a data block:
    {"lang", "plural", "texts": {msgid: translation or [forms]}}."""
    language = current_language()
    return Markup(_js_catalog_json(language))  # made safe for <script> there


def choose_language(code: str) -> Response:
    """Remember the visitor's language for a year and go back where they were."""
    back = request.args.get("next", "/")
    response = redirect(back if back.startswith("/") and not back.startswith("//") else "/")
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@cache
def _translations(language: str) -> NullTranslations:
    """The language's catalog, compiled from its .po file once per process."""
    po = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with open(po, "rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def script_messages(static: Path) -> list[str | tuple[str, str]]:
    """Every text the scripts under `static` mark with t() or nt() (plural: a pair)."""
    found: dict[str | tuple[str, str], None] = {}
    method_map = [("**.js", "javascript")]
    for _file, _line, text, *_rest in extract_from_dir(
        static, method_map=method_map, keywords=JS_KEYWORDS
    ):
        found[text if isinstance(text, str) else (text[0], text[1])] = None
    return list(found)


@cache
def _script_messages(static: str) -> tuple[str | tuple[str, str], ...]:
    return tuple(script_messages(Path(static)))


@cache
def _js_catalog_json(language: str) -> str:
    catalog = _translations(language)
    texts: dict[str, Any] = {}
    for text in _script_messages(str(current_app.static_folder)):
        if isinstance(text, tuple):
            singular, plural = text
            forms = [catalog.ungettext(singular, plural, n) for n in _plural_samples(language)]
            texts[singular] = forms
        else:
            texts[text] = catalog.ugettext(text)
    data = {"lang": language, "plural": PLURAL_RULES.get(language, "en"), "texts": texts}
    # < > & escaped: the JSON sits inside a <script type="application/json"> element.
    return (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _plural_samples(language: str) -> tuple[int, ...]:
    """A count that picks each plural form in turn (gettext's rule of the language)."""
    return (1, 2, 0) if language == "lv" else (1, 2)
