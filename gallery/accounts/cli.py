"""`gallery users ...` and `gallery sso ...`: accounts, passwords, sessions, API tokens and
single sign-on from the command line."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from gallery.accounts import passwords, sessions, sso, totp
from gallery.accounts import users as accounts
from gallery.core import audit, db
from gallery.core.errors import InvalidInput
from gallery.core.models import User
from gallery.core.states import Role

ROLES = click.Choice([role.value for role in Role])


@click.group()
def users() -> None:
    """Add users, list them; passwords, sessions, two-factor sign-in, API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=ROLES, required=True)
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
    session = db.get_session()
    lifetimes = sessions.Lifetimes.from_config(current_app.config)
    for user in accounts.all_users(session):
        live = [t for t in user.tokens if t.revoked_at is None]
        state = "active" if user.active else "inactive"
        second = "2fa" if user.totp_secret else "-"
        signed_in = len(sessions.of_user(session, user.id, lifetimes))
        click.echo(
            f"{user.email:<40} {user.role:<7} {state:<9} {second:<4} "
            f"{signed_in} sessions  {len(live)} tokens"
        )


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


@users.command("password")
@click.argument("email")
@click.option(
    "--password-stdin", is_flag=True, help="Read the current and the new password, a line each."
)
@with_appcontext
def users_password(email: str, password_stdin: bool) -> None:
    """Change your password: the current one, then the new one. Your sessions end."""
    if password_stdin:
        current = sys.stdin.readline().rstrip("\n")
        new = sys.stdin.readline().rstrip("\n")
    else:
        current = click.prompt("Current password", hide_input=True)
        new = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    session = db.get_session()
    user = _user(session, email)
    try:
        ended = passwords.change(session, user, current, new, keep_session=None)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    audit.commit(session, user.email, "user.password_change", user, via="cli", sessions_ended=ended)
    click.echo(f"password changed for {user.email}; {ended} sessions ended")


@users.command("reset-link")
@click.argument("email")
@with_appcontext
def users_reset_link(email: str) -> None:
    """Print a one-time link that lets the user set a new password (shown once)."""
    session = db.get_session()
    user = _user(session, email)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = passwords.new_reset(session, user, "cli", hours)
    audit.commit(session, "cli", "user.reset_link", user, hours=hours)
    root = current_app.config["PUBLIC_URL"].rstrip("/")
    click.echo(f"{root}/reset/{token}")
    if not root:
        click.echo("(a path: set GALLERY_PUBLIC_URL for a whole link)", err=True)
    click.echo(f"valid for {hours} hours, once", err=True)


@users.command("end-sessions")
@click.argument("email")
@with_appcontext
def users_end_sessions(email: str) -> None:
    """Sign the user out everywhere (API tokens stay: revoke them on their own)."""
    session = db.get_session()
    user = _user(session, email)
    ended = sessions.end_all(session, user.id)
    audit.commit(session, "cli", "user.sessions_end", user, sessions_ended=ended)
    click.echo(f"{ended} sessions ended")


@users.command("2fa-off")
@click.argument("email")
@with_appcontext
def users_2fa_off(email: str) -> None:
    """Turn off the user's two-factor sign-in (a lost phone and lost recovery codes)."""
    session = db.get_session()
    user = _user(session, email)
    totp.disable(session, user)
    audit.commit(session, "cli", "user.2fa_off", user)
    click.echo(f"two-factor sign-in is off for {user.email}")


def _user(session, email: str) -> User:
    user = User.by_email(session, email)
    if user is None:
        raise click.ClickException(f"no user with the email {email}")
    return user


@click.group("sso")
def sso_group() -> None:
    """Single sign-on with OpenID Connect: the provider and the allowed e-mail domains."""


@sso_group.command("show")
@with_appcontext
def sso_show() -> None:
    """The provider (without its secret) and the allowed domains with their roles."""
    session = db.get_session()
    found = sso.provider(session)
    if found is None:
        click.echo("no provider set")
    else:
        state = "on" if found.enabled else "off"
        click.echo(f"issuer {found.issuer}  client {found.client_id}  {state}")
    for domain in sso.domains(session):
        click.echo(f"{domain.domain:<40} {domain.role}")


@sso_group.command("set")
@click.option("--issuer", required=True, help="The provider's issuer URL.")
@click.option("--client-id", required=True)
@click.option("--client-secret-stdin", is_flag=True, help="Read the client secret from stdin.")
@click.option("--off", is_flag=True, help="Keep the settings but hide the SSO button.")
@with_appcontext
def sso_set(issuer: str, client_id: str, client_secret_stdin: bool, off: bool) -> None:
    """Set the OpenID provider (the secret is asked for unless read from stdin)."""
    if client_secret_stdin:
        secret = sys.stdin.readline().strip()
    else:
        secret = click.prompt("Client secret (empty: keep)", default="", hide_input=True)
    session = db.get_session()
    try:
        found = sso.configure(session, issuer, client_id, secret or None, enabled=not off)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    audit.commit(session, "cli", "sso.configure", found, issuer=found.issuer, on=found.enabled)
    click.echo(f"single sign-on {'off' if off else 'on'} with {found.issuer}")


@sso_group.command("allow")
@click.argument("domain")
@click.option("--role", type=ROLES, required=True, help="The role of a new account.")
@with_appcontext
def sso_allow(domain: str, role: str) -> None:
    """Let verified addresses of DOMAIN sign in; new accounts from it get ROLE."""
    session = db.get_session()
    try:
        found = sso.allow_domain(session, domain, role)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    audit.commit(session, "cli", "sso.allow", found, domain=found.domain, role=found.role)
    click.echo(f"{found.domain}: {found.role}")


@sso_group.command("disallow")
@click.argument("domain")
@with_appcontext
def sso_disallow(domain: str) -> None:
    """Stop DOMAIN's addresses from signing in by SSO (existing accounts stay)."""
    session = db.get_session()
    if not sso.disallow_domain(session, domain):
        raise click.ClickException(f"{domain} is not allowed")
    audit.commit(session, "cli", "sso.disallow", None, domain=domain)
    click.echo(f"{domain} removed")
