"""Shared fixtures: a gallery over a temp data root, the shared corpus, image factories."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from gallery.config import load_config


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared sample corpus (setting GALLERY_CORPUS); the corpus tests always run."""
    path = Path(load_config()["CORPUS"])
    if not (path / "photos").is_dir():
        pytest.fail(f"shared corpus not found at {path}; set GALLERY_CORPUS")
    return path


@contextmanager
def migrated_app(data_dir, **config):
    """An app over `data_dir` with the schema migrated; its engine is closed afterwards."""
    from gallery import create_app
    from gallery.core import db

    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, **config})
    with app.app_context():
        db.migrate(db.get_engine())
    try:
        yield app
    finally:
        app.extensions["gallery.engine"].dispose()


@pytest.fixture
def app(tmp_path):
    """An app over a fresh data root with the schema migrated."""
    with migrated_app(tmp_path / "data", WORKERS=2, LANGUAGE="en") as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_jpeg(tmp_path):
    """Write a JPEG with chosen size, colour and EXIF tags ({tag id: value})."""

    def make(name="photo.jpg", size=(64, 48), color=(200, 40, 40), exif=None, **save) -> Path:
        path = tmp_path / "made" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", size, color)
        tags = Image.Exif()
        for tag, value in (exif or {}).items():
            tags[tag] = value
        image.save(path, "JPEG", exif=tags, **save)
        return path

    return make


@pytest.fixture
def users(runner):
    """One user per role; the password is the email's name part repeated to 10+ chars."""
    made = {}
    for role in ("admin", "editor", "staff"):
        email = f"{role}@school.lv"
        password = f"{role}-password-123"
        result = runner.invoke(
            args=["users", "add", email, "--role", role, "--password-stdin"], input=password
        )
        assert result.exit_code == 0, result.output
        made[role] = (email, password)
    return made


def csrf_of(client) -> str:
    """The CSRF token of the client's session (fetching the sign-in form makes one)."""
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf"]


def sign_in(client, email: str, password: str):
    token = csrf_of(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run; each test opens its own pages."""
    from servers import chromium

    with chromium() as browser:
        yield browser
