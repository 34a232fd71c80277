"""Latvian and English: every interface string is marked, translated, and chosen right."""

from __future__ import annotations

import ast
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gallery.config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
CATALOG = PROJECT_ROOT / "gallery" / "web" / "translations" / "lv" / "LC_MESSAGES" / "messages.po"
# Pasted into other websites' editors as they are: not part of this site's interface.
NOT_INTERFACE = {"article_export.html"}
VISIBLE_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
TAG = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.S | re.I)


def _templates():
    return sorted(p for p in TEMPLATES.rglob("*.html") if p.name not in NOT_INTERFACE)


@pytest.mark.parametrize("template", _templates(), ids=lambda p: p.name)
def test_templates_have_no_unmarked_text(template):
    source = template.read_text()
    attributes = re.findall(rf'\b(?:{"|".join(VISIBLE_ATTRIBUTES)})="([^"]*)"', source)
    loose = [value for value in attributes if re.search(r"[^\W\d_]", JINJA.sub("", value))]
    text = TAG.sub(" ", JINJA.sub(" ", source))
    text = re.sub(r"&\w+;|&#\d+;", " ", text)
    words = re.findall(r"[^\W\d_]{2,}", text)
    assert not words and not loose, f"unmarked text in {template.name}: {words + loose}"


PYTHON_KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "gettext_in": (2,),
    "N_": None,  # the domain's messages (gallery/core/messages.py)
    "N_plural": (1, 2),
}
SCRIPT_KEYWORDS = {"t": None, "nt": (1, 2)}  # static/texts.js
LATVIAN_PLURALS = "(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2)"


def _marked(method_map, keywords) -> set[str | tuple[str, str]]:
    return {
        message if isinstance(message, str) else (message[0], message[1])
        for _file, _line, message, _comments, *_ in extract_from_dir(
            PROJECT_ROOT, method_map=method_map, keywords=keywords
        )
    }


def _catalog():
    with open(CATALOG, "rb") as handle:
        return read_po(handle, locale="lv")


def _untranslated(catalog, marked) -> list:
    missing = []
    for message in marked:
        entry = catalog.get(message if isinstance(message, str) else message[0])
        forms = entry.string if entry else ""
        if not (all(forms) and len(forms) == 3 if isinstance(message, tuple) else forms):
            missing.append(message)
    return sorted(missing, key=str)


def test_latvian_catalog_translates_every_marked_string():
    """Templates, Python (views' gettext and the domain's N_ messages) and the scripts."""
    method_map = [("gallery/**.py", "python"), ("templates/**.html", "jinja2")]
    missing = _untranslated(_catalog(), _marked(method_map, PYTHON_KEYWORDS))
    assert not missing, f"run scripts/translations and translate: {missing}"


def test_every_script_text_is_translated_with_its_plural_forms():
    scripts = _marked([("static/**.js", "javascript")], SCRIPT_KEYWORDS)
    assert ("%(num)d selected", "%(num)d selected") in scripts  # nt() calls are found
    assert "the connection was interrupted" in scripts  # t() calls too
    missing = _untranslated(_catalog(), scripts)
    assert not missing, f"run scripts/translations and translate: {missing}"


# Which argument of each error carries its words.
WORDS_ARGUMENT = {"InvalidInput": 0, "NotFound": 0, "Rejected": 1, "Refusal": 1}


def _sentences_made_on_the_spot(path) -> list[str]:
    """Errors raised with a literal or f-string for words, rather than a marked text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        at = WORDS_ARGUMENT.get(node.func.id)
        if at is None or len(node.args) <= at:
            continue
        words = node.args[at]
        if isinstance(words, ast.JoinedStr) or (
            isinstance(words, ast.Constant) and isinstance(words.value, str)
        ):
            found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    return found


def test_every_domain_message_is_marked_and_translated():
    """Errors the domain raises carry a marked text (N_), never a sentence made on the spot,
    so each one has its Latvian translation; their values are passed by name."""
    found = [
        hit
        for path in sorted((PROJECT_ROOT / "gallery").rglob("*.py"))
        for hit in _sentences_made_on_the_spot(path)
    ]
    assert not found, f"mark these messages with N_(...) and pass values by name: {found}"
    domain = _marked([("gallery/**.py", "python")], {"N_": None, "N_plural": (1, 2)})
    slug = "album slug '%(slug)s' must use lowercase letters, digits and hyphens, e.g. open-day"
    assert slug in domain and ("at most %(num)d keyword", "at most %(num)d keywords") in domain
    assert not _untranslated(_catalog(), domain)


def test_latvian_plural_forms_are_gettexts_rule():
    catalog = _catalog()
    assert catalog.num_plurals == 3 and catalog.plural_expr.replace(
        " ", ""
    ) == LATVIAN_PLURALS.replace(" ", "")
    forms = catalog.get("%(num)d photo").string
    assert forms == ("%(num)d fotogrāfija", "%(num)d fotogrāfijas", "%(num)d fotogrāfiju")


def test_domain_messages_follow_the_request_language(client, users):
    """The same refusal: the code stays, the message is said in the asker's language
    (Accept-Language, or the lang cookie), in the JSON API and on pages alike."""
    from tests.helpers.accounts import csrf_of, sign_in

    sign_in(client, *users["staff"])
    headers = {"X-CSRF-Token": csrf_of(client)}
    body = {"slug": "Bad Slug!", "title": "T"}
    english = client.post("/api/v1/albums", json=body, headers={**headers, "Accept-Language": "en"})
    latvian = client.post("/api/v1/albums", json=body, headers={**headers, "Accept-Language": "lv"})
    assert english.status_code == latvian.status_code == 400
    assert english.json["error"]["code"] == latvian.json["error"]["code"] == "invalid_input"
    assert english.json["error"]["message"].startswith("album slug 'Bad Slug!' must use lowercase")
    assert latvian.json["error"]["message"].startswith("albuma īsajā nosaukumā „Bad Slug!” drīkst")
    client.get("/language/lv")
    form = {"slug": "Bad Slug!", "title": "Atvērto durvju diena", "csrf_token": csrf_of(client)}
    page = client.post("/staff/albums", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "drīkst būt tikai mazie burti" in html
    assert 'value="Atvērto durvju diena"' in html  # the form is kept as it was filled in


def test_upload_refusals_are_said_in_the_request_language(client, users, tmp_path):
    from tests.helpers.accounts import csrf_of, sign_in

    sign_in(client, *users["staff"])
    token = csrf_of(client)
    client.post("/api/v1/albums", json={"slug": "fest"}, headers={"X-CSRF-Token": token})
    pdf = (b"%PDF-1.4 not a photo", "a.pdf")
    said = {}
    for language in ("en", "lv"):
        answer = client.post(
            "/api/v1/albums/fest/photos",
            data={"file": (__import__("io").BytesIO(pdf[0]), pdf[1])},
            headers={"X-CSRF-Token": token, "Accept-Language": language},
        )
        assert answer.status_code == 415 and answer.json["error"]["code"] == "unsupported_format"
        said[language] = answer.json["error"]["message"]
    assert said["en"] == (
        "this is a PDF document; the gallery accepts JPEG, PNG, WebP, GIF, HEIC or single-page TIFF"
    )
    assert said["lv"] == (
        "tas ir PDF dokuments; galerija pieņem JPEG, PNG, WebP, GIF, HEIC vai vienas lapas TIFF"
    )


def test_language_follows_the_browser_and_the_switch(client):
    latvian = client.get("/", headers={"Accept-Language": "lv,en;q=0.5"}).get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert '<html lang="lv">' in latvian and "Galerija" in latvian
    assert '<html lang="en">' in english and ">Gallery<" in english
    switched = client.get("/language/en?next=/albums")
    assert switched.status_code == 302 and switched.location.endswith("/albums")
    page = client.get("/", headers={"Accept-Language": "lv"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert client.get("/language/en?next=https://evil.example/").location.endswith("/")
