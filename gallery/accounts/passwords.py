"""Passwords: the rules a new one must meet, hashing, changing one's own, and the one-time
reset links an admin makes for someone else."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gallery.accounts import sessions
from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import PasswordReset, User, as_utc, utcnow

MIN_LENGTH = 10
MAX_LENGTH = 500  # longer is no safer, and hashing it is work anyone could ask for
MIN_DISTINCT = 5  # "aaaaaaaaaa", "1212121212"
COMMON = Path(__file__).with_name("common_passwords.txt")
NO_PASSWORD = "!"  # the hash of an account that signs in by SSO only: matches nothing


def check_new(password: str, email: str = "") -> None:
    """Refuse a new password that is short, too long, repetitive, common, or the email."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(N_("the password must have at least %(min)d characters"), min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(N_("the password must have at most %(max)d characters"), max=MAX_LENGTH)
    lowered = password.lower()
    if len(set(lowered)) < MIN_DISTINCT:
        raise InvalidInput(N_("the password repeats too few characters; choose a longer phrase"))
    if lowered in common_passwords():
        raise InvalidInput(N_("that password is one of the most common ones; choose another"))
    if email and lowered in {email.lower(), email.lower().partition("@")[0]}:
        raise InvalidInput(N_("the password must not be the email address"))


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lowercase), read once."""
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def hash_password(password: str) -> str:
    """The scrypt hash of a password that meets the rules (the email check aside)."""
    check_new(password)
    return generate_password_hash(password, method="scrypt")


def matches(user: User, password: str) -> bool:
    """Whether the password is the user's (never for an account without one)."""
    if user.password_hash == NO_PASSWORD or len(password) > MAX_LENGTH:
        return matches_nothing(password)
    return check_password_hash(user.password_hash, password)


def matches_nothing(password: str) -> bool:
    """Check a password against nothing real, taking the time a real check takes: the
    answer for an unknown account must not come sooner. Always False."""
    check_password_hash(dummy_hash(), password[:MAX_LENGTH])
    return False


@functools.cache
def dummy_hash() -> str:
    """Checked when there is nothing to check against, so every answer takes as long.

    Made on first use: a scrypt hash costs a tenth of a second that no command should pay.
    """
    return generate_password_hash("not a real password", method="scrypt")


def change(session: Session, user: User, current: str, new: str, keep_session: int | None) -> int:
    """Change the user's own password; the current one is required. Every other session of
    the user ends (one a thief may hold); returns how many did."""
    if not matches(user, current):
        raise InvalidInput(N_("the current password is wrong"))
    check_new(new, user.email)
    user.password_hash = generate_password_hash(new, method="scrypt")
    return sessions.end_all(session, user.id, keep=keep_session)


# --- one-time reset links ----------------------------------------------------------------


def new_reset(session: Session, user: User, by: str, hours: int) -> str:
    """A one-time reset link's token for the user (shown once; older unused links stop
    working). Only its SHA-256 is stored."""
    now = utcnow()
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    reset = PasswordReset(
        user_id=user.id, token_hash=_digest(token), created_by=by, expires_at=expires
    )
    session.add(reset)
    return token


def live_reset(session: Session, token: str) -> PasswordReset | None:
    """The unused, unexpired reset link of an active user that this token opens, or None."""
    found = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    if found is None or found.used_at is not None or not found.user.active:
        return None
    return found if as_utc(found.expires_at) > utcnow() else None


def use_reset(session: Session, reset: PasswordReset, new: str) -> int:
    """Set the new password through the link, which then never works again; every session
    of the user ends. Returns how many did."""
    check_new(new, reset.user.email)
    reset.user.password_hash = generate_password_hash(new, method="scrypt")
    reset.used_at = utcnow()
    return sessions.end_all(session, reset.user_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
