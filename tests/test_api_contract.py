"""The API keeps its contract: Schemathesis reads /api/v1/openapi.json from the real server
and sends it generated requests, valid and invalid, with every check on (statuses and
answers as documented, errors refused with 4xx, no 500, auth required where declared,
405 with Allow for other methods, a deleted thing gone...)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers.images import write_images
from tests.helpers.servers import gallery, server_errors, serving

# Refusals the schema cannot express, allowed for the operations whose domain makes them:
# a named album or photo must exist, a slug must be free, a crop must lie inside the photo,
# an order must list every photo, a gap must fit the width, an upload must be an image,
# a page of albums starts after a real day, and a search needs ?q= or ?album=.
# Everything else schema-valid must be accepted.
REFUSED_BY_THE_DOMAIN = {
    "catalog_api.albums_list": ["400"],
    "catalog_api.albums_create": ["400"],
    "catalog_api.albums_update": ["400"],
    "catalog_api.album_order": ["400"],
    "catalog_api.album_upload": ["400", "413", "415", "422"],
    "articles_api.api_create": ["400"],
    "articles_api.api_update": ["400"],
    "articles_api.api_preview": ["400"],
    "articles_api.api_assign": ["400"],
    "articles_api.api_layout": ["400"],
    "search_api.api_search": ["400"],
}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]

# No max-time: with one, Schemathesis fuzzes until it runs out; 25 examples an operation
# take about 30 s (the subprocess's timeout is the budget).
CONFIG = """
seed = 20260531
[generation]
max-examples = 25
database = "none"
[dictionaries]
slugs = {{ values = ["fest"] }}
photos = {{ values = {photos} }}
labels = {{ values = ["1", "2"] }}
[parameters]
"path.slug" = {{ dictionary = "slugs", probability = 0.5 }}
"path.photo_id" = {{ dictionary = "photos", probability = 0.5 }}
"path.label" = {{ dictionary = "labels", probability = 0.5 }}
"body.photo_id" = {{ dictionary = "photos", probability = 0.5 }}
"body.cover_photo_id" = {{ dictionary = "photos", probability = 0.5 }}
"""


def _allowances() -> str:
    return "".join(
        f'\n[[operations]]\ninclude-operation-id = "{name}"\n'
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps(ACCEPTED + more)}\n"
        for name, more in REFUSED_BY_THE_DOMAIN.items()
    )


def _seed(data, tmp_path) -> tuple[str, list[int]]:
    """Album `fest` with two photos, article `fest` over them, an admin's API token."""
    gallery(data, "init")
    folder = tmp_path / "photos"
    write_images(folder, [(900, 600), (600, 900)])
    imported = json.loads(gallery(data, "import", "--album", "fest", "--json", str(folder)))
    text = tmp_path / "article.txt"
    text.write_text("Svētki\n\nIevads.\n\n1    2\n")
    gallery(data, "article", "import", str(text), "--album", "fest", "--slug", "fest")
    add = ["users", "add", "admin@school.lv", "--role", "admin", "--password-stdin"]
    gallery(data, *add, stdin="admin-password-123")
    token = gallery(data, "users", "token", "admin@school.lv", "--name", "schemathesis")
    return token.strip(), imported["imported"]


@pytest.mark.slow  # `gallery serve` and about 45 s of requests
def test_schemathesis_finds_no_failure(tmp_path):
    data = tmp_path / "data"
    token, photos = _seed(data, tmp_path)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(photos=json.dumps(photos)) + _allowances())
    with serving(data) as url:
        command = [
            *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"),
            f"{url}/api/v1/openapi.json",
            *("--url", f"{url}/api/v1", "--checks", "all"),
            *("-H", f"Authorization: Bearer {token}"),
        ]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    report = "\n".join(line[:400] for line in (done.stdout + done.stderr).splitlines())
    assert done.returncode == 0, report[-15000:]
    assert not server_errors(data)
