"""Latvian and English: every interface string is marked, translated, and chosen right."""

from __future__ import annotations

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


def test_latvian_catalog_translates_every_marked_string():
    method_map = [("gallery/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    marked = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, *_ in extract_from_dir(
            PROJECT_ROOT, method_map=method_map, keywords=keywords
        )
    }
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle, locale="lv")
    missing = sorted(m for m in marked if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"run scripts/translations and translate: {missing}"


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
