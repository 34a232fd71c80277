"""Settings: defaults, environment overrides, and documentation that cannot fall behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gallery import create_app
from gallery.config import PROJECT_ROOT, SETTINGS, SettingError, load_config, settings_table

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


# --- one secret key for all machines -----------------------------------------------------

ELSEWHERE = "postgresql+psycopg://gallery@db.invalid/gallery"  # never reached: refused first


@pytest.mark.parametrize(
    "settings",
    [{"DATABASE_URL": ELSEWHERE}, {"STORAGE_URL": "s3://photos"}, {"QUEUE_URL": "redis://q"}],
)
def test_several_machines_refuse_to_start_without_one_secret_key(monkeypatch, tmp_path, settings):
    monkeypatch.delenv("GALLERY_SECRET_KEY", raising=False)
    sqlite = f"sqlite:///{tmp_path / 'gallery.sqlite3'}"
    config = {"DATA_DIR": str(tmp_path), "DATABASE_URL": sqlite, **settings}
    with pytest.raises(SettingError, match="GALLERY_SECRET_KEY must be set"):
        create_app(config)
    with pytest.raises(SettingError):
        create_app(config, web=False)
    assert not (tmp_path / ".secret_key").exists()  # no per-machine key made on the way


def test_the_embedded_default_makes_its_own_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("GALLERY_SECRET_KEY", raising=False)
    sqlite = f"sqlite:///{tmp_path / 'gallery.sqlite3'}"
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": sqlite})
    app.extensions["gallery.engine"].dispose()
    assert app.config["SECRET_KEY"] == (tmp_path / ".secret_key").read_text().strip()


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["import", "--album", "a", "."]])
def test_the_commands_say_so_in_one_line(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if k != "GALLERY_SECRET_KEY"}
    env["GALLERY_DATABASE_URL"] = ELSEWHERE
    gallery = [sys.executable, "-m", "gallery", "--data", str(tmp_path), *command]
    done = subprocess.run(gallery, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)
    assert done.returncode == 1, done
    assert done.stderr.strip().splitlines() == [
        "Error: GALLERY_SECRET_KEY must be set when several machines share the gallery (a "
        "database other than SQLite, STORAGE_URL or QUEUE_URL): the same long random value "
        "on each"
    ]
