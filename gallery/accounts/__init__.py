"""Accounts: users and roles, sign-in and sessions, API tokens, CSRF protection.

`auth` tells the other capabilities who is asking (`current_user`, `is_staff`,
`require_role`); `users` holds the rules; `views` and `cli` are the ways in.
"""

from __future__ import annotations

from flask import Flask

from gallery.accounts import auth, cli, views


def init_app(app: Flask) -> None:
    auth.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users)
