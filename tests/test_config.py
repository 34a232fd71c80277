"""Settings: defaults, environment overrides, and documentation that cannot fall behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery.config import PROJECT_ROOT, SETTINGS, load_config, settings_table

SQLITE_DEFAULT = pytest.mark.sqlite_only("the default database is gallery.sqlite3 in DATA_DIR")


def test_every_setting_has_help_and_is_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert all(s.help.strip() for s in SETTINGS)
    assert settings_table() in readme, "README settings table is stale: paste settings_table()"


@SQLITE_DEFAULT
def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("GALLERY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GALLERY_MAX_PIXELS", "1234")
    monkeypatch.setenv("GALLERY_RENDITION_SIZES", "100, 200")
    config = load_config()
    assert config["MAX_PIXELS"] == 1234
    assert config["RENDITION_SIZES"] == (100, 200)
    assert Path(config["UPLOADS_DIR"]) == tmp_path / "uploads"
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'gallery.sqlite3'}"


def test_explicit_overrides_win(monkeypatch):
    monkeypatch.setenv("GALLERY_WORKERS", "3")
    assert load_config({"WORKERS": 1})["WORKERS"] == 1
