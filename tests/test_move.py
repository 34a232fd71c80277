"""`gallery move --to-database URL`: an embedded gallery (SQLite) moved to PostgreSQL, then
served from there with nothing lost (runs in scripts/test's PostgreSQL pass)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import databases
from tests.helpers.accounts import add_staff
from tests.helpers.apps import migrated_app
from tests.helpers.cli import invoke

pytestmark = pytest.mark.skipif(
    not databases.on_postgres(), reason="moves to PostgreSQL (GALLERY_TEST_DATABASE)"
)


def _photos(runner) -> list[dict]:
    lines = invoke(runner, "photos", "--album", "day", "--json").output.splitlines()
    return [json.loads(line) for line in lines]


def test_a_gallery_moves_from_sqlite_to_postgresql_whole(tmp_path, make_jpeg):
    data = tmp_path / "data"
    sqlite = f"sqlite:///{data / 'gallery.sqlite3'}"
    target = databases.url_for(tmp_path / "target", migrated=False)
    photos = [make_jpeg(f"IMG_{n}.jpg", (320, 240), seed=n) for n in range(4)]
    with migrated_app(data, DATABASE_URL=sqlite, LANGUAGE="en") as embedded:
        runner = embedded.test_cli_runner()
        invoke(runner, "import", "--album", "day", *map(str, photos))
        invoke(runner, "albums", "set", "day", "--visibility", "public", "--title", "Diena")
        add_staff(runner)
        before = _photos(runner)
        moved = invoke(runner, "move", "--to-database", target).output
        assert "photos: 4" in moved, moved
        again = runner.invoke(args=["move", "--to-database", target])
        assert again.exit_code != 0 and "empty database only" in again.output
    with migrated_app(data, DATABASE_URL=target, LANGUAGE="en") as moved_app:
        runner = moved_app.test_cli_runner()
        assert _photos(runner) == before
        assert invoke(runner, "check").exit_code == 0
        page = moved_app.test_client().get("/albums/day")
        assert page.status_code == 200 and "Diena" in page.get_data(as_text=True)
        # New rows take ids after the moved ones (the sequences were set).
        invoke(runner, "albums", "create", "next-day")
        invoke(runner, "import", "--album", "next-day", str(make_jpeg("new.jpg", seed=9)))
        ids = [p["id"] for p in _photos(runner)]
        newest = json.loads(invoke(runner, "photos", "--album", "next-day", "--json").output)
        assert newest["id"] > max(ids)
