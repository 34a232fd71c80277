"""Accounts: users and roles, passwords, API tokens, and sign-in with its rate limits."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gallery.core.errors import InvalidInput
from gallery.core.models import ApiToken, LoginAttempt, User, utcnow
from gallery.core.states import Role

ROLES = ("admin", "editor", "staff")
RANK = {"staff": 1, "editor": 2, "admin": 3}  # each role may do what the ones below it may
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "glt_"
TOKEN_USE_PRECISION = timedelta(minutes=1)


def create_user(session: Session, email: str, role: str, password: str) -> User:
    """A new active user; the email must be new, the role known, the password long enough."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if User.by_email(session, email):
        raise InvalidInput(f"a user with the email {email} already exists")
    user = User(email=email, role=role, password_hash=hash_password(password))
    session.add(user)
    return user


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    return generate_password_hash(password, method="scrypt")


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never saying which was wrong)."""
    user = User.by_email(session, email)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


@functools.cache
def _dummy_hash() -> str:
    """Checked when the account does not exist, so both answers take the same time.

    Made on first use: a scrypt hash costs a tenth of a second that no command should pay.
    """
    return generate_password_hash("not a real password")


def has_role(user: User | None, role: str) -> bool:
    return bool(user and user.active and RANK.get(user.role, 0) >= RANK[role])


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
    return last is None or _aware(last) < utcnow() - TOKEN_USE_PRECISION


def note_token_use(session: Session, token_id: int) -> None:
    """Write down that a token was used now (in a writer's session)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC


def revoke_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise InvalidInput(f"no API token with id {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    return token


def too_many_failures(session: Session, keys: list[str], limit: int, window: timedelta) -> bool:
    """Whether any key (an email, an address) failed to sign in `limit` times lately."""
    since = utcnow() - window
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= since)
        .group_by(LoginAttempt.key)
    )
    return any(count >= limit for count in session.scalars(query))


def record_failure(session: Session, keys: list[str]) -> None:
    session.add_all(LoginAttempt(key=key) for key in keys)


def forget_failures(session: Session, keys: list[str], older_than: timedelta) -> None:
    """Clear the keys of a successful sign-in, and everybody's stale failures."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(keys)))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - older_than))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignInLimits:
    max_failures: int  # per account and per address
    pause: timedelta  # how long sign-in stays paused after that many


@dataclass(frozen=True)
class SignInAttempt:
    user: User | None  # None: refused
    paused: bool = False  # refused without checking: too many failures lately


def attempt_sign_in(
    session: Session, email: str, password: str, address: str, limits: SignInLimits
) -> SignInAttempt:
    """Check a sign-in, counting failures per account and address; commits what it counts."""
    email = email.strip().lower()
    keys = [f"email:{email}", f"addr:{address}"]
    if too_many_failures(session, keys, limits.max_failures, limits.pause):
        return SignInAttempt(None, paused=True)
    user = authenticate(session, email, password)
    if user is None:
        record_failure(session, keys)
    else:
        forget_failures(session, keys, older_than=limits.pause)
    session.commit()
    return SignInAttempt(user)


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def change_user(user: User, *, role: str, active: bool, by: User) -> None:
    """Set a user's role and whether they may sign in; an admin keeps their own rights."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if user.id == by.id and (role != "admin" or not active):
        raise InvalidInput("you cannot take away your own admin rights")
    user.role, user.active = Role(role), active
