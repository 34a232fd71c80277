"""Accounts: users and their roles, checking a sign-in's password, API tokens.

Roles are gallery.core.states.Role, the one rule of who outranks whom; the password rules
are `passwords`', sessions `sessions`', sign-in limits `limits`'."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gallery.accounts import passwords, sessions
from gallery.accounts.passwords import hash_password
from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import ApiToken, User, as_utc, utcnow
from gallery.core.states import Role, choices

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "glt_"
TOKEN_USE_PRECISION = timedelta(minutes=1)


def create_user(session: Session, email: str, role: str, password: str | None) -> User:
    """A new active user; the email must be new, the role known, the password good enough
    (None: an account that signs in by SSO only)."""
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(N_("%(email)s is not an email address"), email=repr(email[:254]))
    if User.by_email(session, email):
        raise InvalidInput(N_("a user with the email %(email)s already exists"), email=email)
    role = role_of(role)
    if password is None:
        hashed = passwords.NO_PASSWORD
    else:
        passwords.check_new(password, email)
        hashed = hash_password(password)
    user = User(email=email, role=role, password_hash=hashed)
    session.add(user)
    return user


def role_of(name: str) -> Role:
    """The role of that name, or InvalidInput naming the roles there are."""
    try:
        return Role(name)
    except ValueError:
        raise InvalidInput(N_("role must be one of %(roles)s"), roles=choices(Role)) from None


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never saying which was wrong)."""
    user = User.by_email(session, email[:254])
    if user is None or not user.active:
        passwords.matches_nothing(password)
        return None
    return user if passwords.matches(user, password) else None


def has_role(user: User | None, role: Role | str) -> bool:
    """Whether the user is active and their role includes `role` (Role.includes decides)."""
    return bool(user and user.active and Role(user.role).includes(Role(role)))


def new_token(session: Session, user: User, name: str = "") -> str:
    """Make an API token for the user; the plain token is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.tokens.append(ApiToken(token_hash=_digest(token), name=name))
    return token


def live_token(session: Session, token: str) -> ApiToken | None:
    """The unrevoked token that was sent, if its user is active (reads only)."""
    query = select(ApiToken).where(
        ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None)
    )
    found = session.scalar(query)
    return found if found is not None and found.user.active else None


def token_use_due(found: ApiToken) -> bool:
    """Whether the token's last use is worth writing down again (kept to the minute: a
    write on every API request would queue every read behind the writers)."""
    last = found.last_used_at
    return last is None or as_utc(last) < utcnow() - TOKEN_USE_PRECISION


def note_token_use(session: Session, token_id: int) -> None:
    """Write down that a token was used now (in a writer's session)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise InvalidInput(N_("no API token with id %(id)s"), id=token_id)
    token.revoked_at = token.revoked_at or utcnow()
    return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def change_user(session: Session, user: User, *, role: str, active: bool, by: User) -> int:
    """Set a user's role and whether they may sign in; an admin keeps their own rights.

    A deactivation or a new role ends the user's sessions (they sign in again, under the new
    role); returns how many ended."""
    new_role = role_of(role)
    if user.id == by.id and (new_role is not Role.ADMIN or not active):
        raise InvalidInput(N_("you cannot take away your own admin rights"))
    changed = new_role != user.role or active != user.active
    user.role, user.active = new_role, active
    return sessions.end_all(session, user.id) if changed and user.id != by.id else 0
