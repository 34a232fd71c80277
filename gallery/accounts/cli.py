"""`gallery users ...`: accounts and API tokens from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from gallery.accounts import users as accounts
from gallery.core import audit, db
from gallery.core.errors import InvalidInput
from gallery.core.models import User


@click.group()
def users() -> None:
    """Add users, list them, make and revoke API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_add(email: str, role: str, password_stdin: bool) -> None:
    """Add a user; asks for the password (or reads one line from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = db.get_session()
    try:
        user = accounts.create_user(session, email, role, password)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    audit.commit(session, "cli", "user.add", user, role=role)
    click.echo(f"added {user.email} ({role})")


@users.command("list")
@with_appcontext
def users_list() -> None:
    """Every user with role, state and live tokens."""
    for user in accounts.all_users(db.get_session()):
        live = [t for t in user.tokens if t.revoked_at is None]
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email:<40} {user.role:<7} {state:<9} {len(live)} tokens")


@users.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
@with_appcontext
def users_token(email: str, name: str) -> None:
    """Print a new API token for the user (shown once)."""
    session = db.get_session()
    user = User.by_email(session, email)
    if user is None:
        raise click.ClickException(f"no user with the email {email}")
    token = accounts.new_token(session, user, name)
    audit.commit(session, "cli", "token.add", user, name=name)
    click.echo(token)


@users.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def users_revoke_token(token_id: int) -> None:
    """Revoke an API token by its id (see the staff users page)."""
    session = db.get_session()
    try:
        token = accounts.revoke_token(session, token_id)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    audit.commit(session, "cli", "token.revoke", token.user, token_id=token_id)
    click.echo(f"revoked token {token_id}")
