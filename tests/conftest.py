"""Shared fixtures: a gallery over a temp data root, the shared corpus, users, a browser.

Helpers that tests import live in tests.helpers; this file only holds fixtures.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from gallery.accounts import users as user_accounts
from gallery.config import load_config
from tests.helpers import databases, images, objects, servers
from tests.helpers.apps import migrated_app
from tests.helpers.cli import invoke

if databases.on_postgres():
    databases.use_for_default_urls()
    # A gallery on PostgreSQL may run on several machines: it must be given one key
    # (gallery.config.require_shared_secret); `gallery` subprocesses inherit it.
    os.environ.setdefault("GALLERY_SECRET_KEY", "tests-on-postgresql-" + "0" * 44)


def pytest_configure(config):
    # A few tests build an app and never dispose of its engine (SQLite keeps quiet about
    # it); psycopg warns when the garbage collector closes such a connection, in whatever
    # test runs then.
    if databases.on_postgres():
        config.addinivalue_line(
            "filterwarnings", "ignore:.*deleted while still open:ResourceWarning"
        )


@pytest.fixture(scope="session", autouse=True)
def _postgres_session():
    """On PostgreSQL (GALLERY_TEST_DATABASE), drop what the session made on the server."""
    yield
    if databases.on_postgres():
        databases.drop_all()


@pytest.fixture(autouse=True)
def _postgres_databases():
    """On PostgreSQL, drop the databases this test's data directories got when it ends."""
    made_before = databases.made_count()
    yield
    if databases.on_postgres():
        databases.drop_made_after(made_before)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared sample corpus (setting GALLERY_CORPUS); the corpus tests always run."""
    path = Path(load_config()["CORPUS"])
    if not (path / "photos").is_dir():
        pytest.fail(f"shared corpus not found at {path}; set GALLERY_CORPUS")
    return path


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3 server (scripts/objects), stopped at the end if this session started it
    and no other test process shares it."""
    url, started = objects.start()
    yield url
    if started and "PYTEST_XDIST_WORKER" not in os.environ:
        objects.stop()


@pytest.fixture
def s3_settings(s3_endpoint) -> dict[str, str]:
    """An app's settings for a fresh bucket of its own on that server."""
    return objects.settings(s3_endpoint, objects.new_bucket(s3_endpoint))


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
    """Write tmp_path/made/NAME, a JPEG (tests.helpers.images.write_image: size, seed or
    color, exif {tag id: value}, Pillow's save options)."""

    def make(name="photo.jpg", size=(64, 48), **options) -> Path:
        return images.write_image(tmp_path / "made" / name, size, **options)

    return make


_hash_once = functools.cache(user_accounts.hash_password)


@pytest.fixture
def users(runner):
    """One user per role, added by `gallery users add`: {role: (ROLE@school.lv, ROLE-password-123)}.

    Each password is hashed once a session: a scrypt hash costs a tenth of a second, and a
    hundred tests use this fixture. Signing in still checks the password against it."""
    made = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(user_accounts, "hash_password", _hash_once)
        for role in ("admin", "editor", "staff"):
            email, password = f"{role}@school.lv", f"{role}-password-123"
            add = ("users", "add", email, "--role", role, "--password-stdin")
            invoke(runner, *add, input=password)
            made[role] = (email, password)
    return made


@pytest.fixture(scope="session")
def redis_server() -> str:
    """A throwaway Redis for the job queue (scripts/redis), its URL."""
    return servers.redis_url()


@pytest.fixture
def queue_url(redis_server, worker_id) -> str:
    """A Redis database of this test process's own, emptied (xdist workers side by side)."""
    number = 1 + (int(worker_id[2:]) if worker_id.startswith("gw") else 0)
    url = redis_server.rsplit("/", 1)[0] + f"/{number}"
    servers.empty_redis(url)
    return url


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run; each test opens its own pages."""
    with servers.chromium() as browser:
        yield browser


def pytest_collection_modifyitems(items):
    """Every test that drives Chromium is marked `browser`: -m "not browser" leaves them all out.
    On PostgreSQL, the tests marked `sqlite_only` are skipped with their reason."""
    if databases.on_postgres():
        for item in items:
            marker = item.get_closest_marker("sqlite_only")
            if marker is not None:
                reason = marker.args[0] if marker.args else "tests SQLite itself"
                item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))
    unmarked = [
        item.nodeid
        for item in items
        if "browser" in item.fixturenames and item.get_closest_marker("browser") is None
    ]
    if unmarked:
        raise pytest.UsageError(f"tests using the browser fixture, not marked browser: {unmarked}")
