"""gallery: a photo gallery and media asset manager for an institution's news office."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from gallery.config import load_config
from gallery.storage import LocalStorage


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, database, media storage, blueprints, CLI."""
    # Imported here so `import gallery.config` (tests, tools) stays light.
    from gallery import auth, cli, db
    from gallery.views import account, api, public, staff

    app = Flask(__name__, template_folder=str(_templates_dir()))
    app.config.update(load_config(test_config))
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _stored_secret(app.config["DATA_DIR"])
    db.init_app(app)
    app.extensions["gallery.storage"] = LocalStorage(app.config["UPLOADS_DIR"])
    auth.init_app(app)
    for blueprint in (public.bp, account.bp, staff.bp, api.bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    return app


def _templates_dir() -> Path:
    """templates/ ships inside the package when installed, beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def _stored_secret(data_dir: str) -> str:
    """A per-installation secret kept in the data root, made on first use."""
    path = Path(data_dir) / ".secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
