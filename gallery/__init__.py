"""gallery: a photo gallery and media asset manager for an institution's news office."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gallery.config import load_config
from gallery.storage import LocalStorage

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, database, media storage, blueprints, CLI."""
    # Imported here so the decode workers and tools that import a part of the package stay
    # light: they never load Flask, SQLAlchemy or the views.
    from flask import Flask

    from gallery import auth, cli, db, disk_full, headers, httpcache, i18n, pagecache, search
    from gallery.views import account, api, articles, editor, public, staff
    from gallery.views import search as search_views

    app = Flask(
        __name__,
        template_folder=str(_bundled_dir("templates")),
        static_folder=str(_bundled_dir("static")),
    )
    app.config.update(load_config(test_config))
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _stored_secret(app.config["DATA_DIR"])
    # Refuse oversized uploads before reading them (a little room for the form around the file).
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] + 1024 * 1024
    db.init_app(app)
    search.init_app(app)
    storage = app.extensions["gallery.storage"] = LocalStorage(app.config["UPLOADS_DIR"])
    storage.clean_abandoned_temp()  # what a killed server or import was receiving
    auth.init_app(app)
    headers.init_app(app)
    disk_full.init_app(app)
    i18n.init_app(app)
    httpcache.init_app(app)
    pagecache.init_app(app)
    for blueprint in (public.bp, account.bp, staff.bp, api.bp, articles.bp, articles.api):
        app.register_blueprint(blueprint)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(search_views.api)
    app.register_blueprint(editor.bp)
    cli.init_app(app)
    return app


def _bundled_dir(name: str) -> Path:
    """templates/ and static/ ship inside the package when installed, beside it in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / name
    return packaged if packaged.is_dir() else here.parent / name


def _stored_secret(data_dir: str) -> str:
    """A per-installation secret kept in the data root, made on first use."""
    path = Path(data_dir) / ".secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
