"""The interface in Latvian and English: the browser's language, or the visitor's choice.

Catalogs are the `.po` files under gallery/translations, compiled in memory at start-up
(no build step, no binary files in git). Templates mark text with `_()`; Python code with
`gettext` from this module.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, redirect, request
from werkzeug.wrappers import Response

LANGUAGES = {"lv": "Latviešu", "en": "English"}
COOKIE = "lang"
CATALOGS = Path(__file__).parent / "translations"


def init_app(app: Flask) -> None:
    """Give templates `_`, `ngettext` and the current language; add the language switch."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # The i18n extension adds this method to the environment at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True
    )
    app.jinja_env.globals.update(current_language=current_language, languages=LANGUAGES)
    # A plain link: choosing a language changes nothing worth protecting against CSRF.
    app.add_url_rule("/language/<code>", "language", choose_language)


def current_language() -> str:
    """The visitor's choice (cookie), else the browser's best match, else the LANGUAGE setting."""
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
