"""Server-side sessions: a signed-in browser is a row, and ending the row ends the browser.

The cookie (Flask's, signed) carries a random key; the database keeps the key's SHA-256, so
a leaked database opens no session. A session ends when its user signs out, signs out
everywhere, changes their password (the others), when an admin ends them, deactivates the
user or changes the role, after `SESSION_IDLE_MINUTES` unused and `SESSION_MAX_HOURS` after
sign-in. An ended row stays ended: nothing brings a session back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from gallery.core.models import User, UserSession, as_utc, utcnow

SEEN_PRECISION = timedelta(minutes=1)  # last use is written at most once a minute


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_config(cls, config: Any) -> Lifetimes:
        return cls(
            idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=config["SESSION_MAX_HOURS"]),
        )


def start(
    session: Session, user: User, lifetimes: Lifetimes, *, via: str, address: str, agent: str
) -> str:
    """A new session for the user; returns the key for the cookie (never stored). The
    user's ended and expired sessions are cleared out (the audit log keeps the history)."""
    gone = or_(
        UserSession.ended_at.is_not(None),
        UserSession.created_at < utcnow() - lifetimes.absolute,
    )
    session.execute(delete(UserSession).where(UserSession.user_id == user.id, gone))
    key = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id, key_hash=digest(key), via=via, address=address[:64], agent=agent[:200]
        )
    )
    return key


def live(session: Session, key: str, lifetimes: Lifetimes) -> UserSession | None:
    """The session this key opens, if it has not ended, its user is active and it is within
    both lifetimes (reads only)."""
    found = session.scalar(select(UserSession).where(UserSession.key_hash == digest(key)))
    if found is None or found.ended_at is not None or not found.user.active:
        return None
    return found if is_within(found, lifetimes, utcnow()) else None


def is_within(found: UserSession, lifetimes: Lifetimes, now: datetime) -> bool:
    fresh = as_utc(found.created_at) > now - lifetimes.absolute
    return fresh and as_utc(found.last_seen_at) > now - lifetimes.idle


def seen_due(found: UserSession) -> bool:
    """Whether the session's last use is worth writing down again (to the minute: a write on
    every request would queue every read behind the writers)."""
    return as_utc(found.last_seen_at) < utcnow() - SEEN_PRECISION


def note_seen(session: Session, session_id: int) -> None:
    session.execute(
        update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
    )


def of_user(session: Session, user_id: int, lifetimes: Lifetimes) -> list[UserSession]:
    """The user's live sessions, newest first."""
    now = utcnow()
    query = (
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .order_by(UserSession.id.desc())
    )
    return [found for found in session.scalars(query) if is_within(found, lifetimes, now)]


def end(session: Session, user_id: int, session_id: int) -> bool:
    """End one of the user's sessions; False if the user has no such live session."""
    done = session.execute(
        update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.user_id == user_id,
            UserSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def end_all(session: Session, user_id: int, keep: int | None = None) -> int:
    """End every session of the user (but `keep`); returns how many were live."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep)
    done = session.execute(query.values(ended_at=utcnow()))
    return int(done.rowcount)  # type: ignore[attr-defined]


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
