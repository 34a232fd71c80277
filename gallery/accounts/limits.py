"""Sign-in limits that hold: every attempt is written down before its password is checked.

Counted per (account, address) pair, paused at `LOGIN_MAX_FAILURES`, so one account's
guesser behind a school's NAT does not lock out the rest of the school; and per address,
paused at the higher `LOGIN_MAX_FAILURES_PER_ADDRESS`, so the same guesser cannot go
through every account. A pause answers alike for the right and a wrong password.

The attempt is committed in a transaction of its own *before* the password is looked at,
and counted in it, so neither a full disk nor guesses sent at once get past the
count: an attempt that cannot be written (`CannotCount`) is refused without a check, and
of attempts racing each other only the first few counted are checked. A sign-in that
succeeds takes its own attempt back and clears its pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gallery.core.errors import is_disk_full
from gallery.core.models import LoginAttempt, utcnow


class CannotCount(Exception):
    """The attempt could not be written down (the disk is full): refuse it unchecked."""


@dataclass(frozen=True)
class SignInLimits:
    per_pair: int  # failures of one account from one address
    per_address: int  # failures from one address, any accounts
    pause: timedelta  # how long a pair or an address stays paused

    @classmethod
    def from_config(cls, config: Any) -> SignInLimits:
        return cls(
            config["LOGIN_MAX_FAILURES"],
            config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            timedelta(minutes=config["LOGIN_PAUSE_MINUTES"]),
        )


@dataclass(frozen=True)
class Attempt:
    """An attempt written down: its rows (taken back if it succeeds) and its keys."""

    ids: tuple[int, ...]
    pair: str
    allowed: bool  # within both limits, counting itself: its password may be checked


def keys(email: str, address: str) -> tuple[str, str]:
    """The attempt's keys: its (account, address) pair and its address."""
    return f"pair:{email.strip().lower()[:254]} {address}", f"addr:{address}"


def is_paused(session: Session, email: str, address: str, limits: SignInLimits) -> bool:
    """Whether the pair or the address already failed too often lately (reads only)."""
    pair, addr = keys(email, address)
    counts = _counts(session, [pair, addr], limits.pause)
    return counts.get(pair, 0) >= limits.per_pair or counts.get(addr, 0) >= limits.per_address


def count(writer: sessionmaker[Session], email: str, address: str, limits: SignInLimits) -> Attempt:
    """Write the attempt down, in a transaction of its own, then count it with the others.

    Raises CannotCount when the disk is full: the caller refuses without a check."""
    pair, addr = keys(email, address)
    try:
        with writer() as session, session.begin():
            stale = utcnow() - limits.pause
            session.execute(delete(LoginAttempt).where(LoginAttempt.at < stale))
            rows = [LoginAttempt(key=pair), LoginAttempt(key=addr)]
            session.add_all(rows)
            session.flush()
            ids = tuple(row.id for row in rows)
            # Counted under the write lock, after the rows: of attempts racing each other,
            # each sees all committed before it, so only the first few are allowed.
            counts = _counts(session, [pair, addr], limits.pause)
    except OperationalError as exc:
        if is_disk_full(exc):
            raise CannotCount from exc
        raise
    allowed = counts.get(pair, 0) <= limits.per_pair and counts.get(addr, 0) <= limits.per_address
    return Attempt(ids, pair, allowed)


def forget(session: Session, attempt: Attempt) -> None:
    """The attempt succeeded: take it back and clear its pair's failures (in the session
    that signs the user in). The address keeps the others' failures."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(attempt.ids)))
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == attempt.pair))


def _counts(session: Session, keys: list[str], window: timedelta) -> dict[str, int]:
    query = (
        select(LoginAttempt.key, func.count())
        .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= utcnow() - window)
        .group_by(LoginAttempt.key)
    )
    return {key: n for key, n in session.execute(query)}
