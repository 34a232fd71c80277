"""Valid markup: the Nu HTML Checker (vnu.jar under Debian's Java) reads every page of the
tour as its user gets it, in Latvian and English, the error pages and the article export.

`scripts/setup test` installs the checker (the npm package vnu-jar, into .tools/vnu, run
with Debian's OpenJDK); the test fails, saying so, when it is not there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gallery.config import PROJECT_ROOT
from tests.helpers import tour
from tests.helpers.accounts import sign_in
from tests.helpers.apps import migrated_app

pytestmark = pytest.mark.slow  # a seeded gallery and a Java process: ~20 s

VNU = PROJECT_ROOT / ".tools" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _pages(data: Path, values: dict, language: str) -> dict[str, str]:
    """Every page of the tour (and an export) as HTML, fetched as its user would."""
    pages = {}
    with migrated_app(data, LANGUAGE=language) as app:
        clients = {}
        for stop in tour.STOPS:
            client = clients.get(stop.who)
            if client is None:
                client = clients[stop.who] = app.test_client()
                if stop.who:
                    sign_in(client, *tour.USERS[stop.who])
            answer = client.get(stop.path.format(**values), headers={"Accept-Language": language})
            assert answer.status_code == stop.status, (stop.name, answer.status_code)
            pages[f"{language}-{stop.name}"] = answer.get_data(as_text=True)
        export = clients["editor"].get("/articles/konference/export.html")
        pages[f"{language}-export"] = export.get_data(as_text=True)
    return pages


def test_every_page_is_valid_html(tmp_path_factory):
    java = shutil.which("java")
    if not VNU.exists() or java is None:
        pytest.fail(f"the Nu HTML Checker is missing ({VNU}): run scripts/setup test")
    data = tmp_path_factory.mktemp("markup")
    values = tour.seed(data)
    out = tmp_path_factory.mktemp("pages")
    files = []
    for language in tour.LANGUAGES:
        for name, html in _pages(data, values, language).items():
            path = out / f"{name}.html"
            path.write_text(html)
            files.append(str(path))
    checked = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(checked.stderr or checked.stdout or '{"messages": []}')["messages"]
    found = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert not found, "\n".join(found)
    assert len(files) == 2 * (len(tour.STOPS) + 1)
