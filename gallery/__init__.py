"""gallery: a photo gallery and media asset manager for an institution's news office.

The app is one package per capability (see the README's map); `create_app` assembles it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gallery.config import load_config, require_shared_secret

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, *, web: bool = True) -> Flask:
    """Build the app: settings, then the core and the web layer, then each capability.

    Without `web`, only what a command that works on the data alone needs: the settings,
    the database, the media store and the search index that follows them; no pages, API,
    templates or translations to load (`gallery import` decodes its first photo that much
    sooner).
    """
    # Imported here, not at the top: decode workers import a part of the package and must
    # stay light (no Flask, SQLAlchemy or views in their memory).
    from flask import Flask

    from gallery import core

    config = load_config(test_config)
    require_shared_secret(config)  # before anything starts, for the commands too
    # The data root exists once the app has started, whether or not the secret key is kept
    # there (with GALLERY_SECRET_KEY and PostgreSQL, nothing else would make it).
    Path(config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        template_folder=str(_bundled_dir("templates")),
        static_folder=str(_bundled_dir("static")),
    )
    app.config.update(config)
    app.extensions["gallery.factory"] = create_app  # `gallery serve` makes one per process
    core.init_app(app)
    if not web:
        from gallery.search.service import attach_index

        attach_index(app)  # as search.init_app does: imported photos are found at once
        return app
    from gallery import accounts, articles, catalog, culling, ops, search, site
    from gallery import web as web_layer

    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _stored_secret(app.config["DATA_DIR"])
    web_layer.init_app(app)
    for capability in (accounts, culling, catalog, site, articles, search, ops):
        capability.init_app(app)
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
