"""Accounts: users and roles, sign-in and its limits, server-side sessions, passwords and
reset links, two-factor sign-in, single sign-on, API tokens, CSRF protection.

`auth` tells the other capabilities who is asking (`current_user`, `is_staff`,
`require_role`); `users`, `passwords`, `sessions`, `limits`, `totp` and `sso` hold the
rules; `views`, `account_views`, `sso_views` and `cli` are the ways in.

The ways in are imported by `init_app`, not here: `gallery import` uses the rules
without loading pages, API schemas or forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from gallery.accounts import account_views, auth, cli, sso_views, views

    auth.init_app(app)
    app.register_blueprint(views.bp)
    app.add_template_global(views.role_names)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(sso_views.bp)
    app.cli.add_command(cli.users)
    app.cli.add_command(cli.sso_group)
