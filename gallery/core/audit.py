"""The audit log: every change recorded with who, what and when, in the change's own
transaction, so a change is never saved without its record (nor a record without it).

A change to many things at once (a bulk edit, an upload of a zip) is one event that names
its `count` and `ids`. Readers get the log a page at a time, filtered by who, what and
when (`page_of_events`), each action said in words (`ACTIONS`, translated by the web layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gallery.core.messages import N_, N_plural
from gallery.core.models import AuditEvent

# What each action says in the log: in words, with `%(num)d` where the event has a count.
ACTIONS: dict[str, str | tuple[str, str]] = {
    "album.create": N_("created the album"),
    "album.update": N_("changed the album"),
    "album.reorder": N_("reordered the album's photos"),
    "album.trash": N_("moved the album to the trash"),
    "album.restore": N_("restored the album from the trash"),
    "photo.upload": N_plural("uploaded %(num)d photo", "uploaded %(num)d photos"),
    "photo.update": N_("edited the photo"),
    "photos.update": N_plural("edited %(num)d photo at once", "edited %(num)d photos at once"),
    "photo.trash": N_("moved the photo to the trash"),
    "photo.restore": N_("restored the photo from the trash"),
    "trash.empty": N_("emptied the trash"),
    "article.create": N_("created the article"),
    "article.update": N_("changed the article"),
    "article.label": N_("set a label's photo"),
    "article.unlabel": N_("removed a label's photo"),
    "user.add": N_("added the user"),
    "user.update": N_("changed the user"),
    "user.password_change": N_("changed the password"),
    "user.password_reset": N_("reset the password"),
    "user.reset_link": N_("made a password reset link"),
    "user.sign_out": N_("signed out"),
    "user.sign_in_failed": N_("failed to sign in"),
    "user.session_end": N_("ended a session"),
    "user.sessions_end": N_("ended the sessions"),
    "user.sso_refused": N_("was refused single sign-on"),
    "user.sign_in": N_("signed in"),
    "user.2fa_on": N_("turned on two-step sign-in"),
    "user.2fa_off": N_("turned off two-step sign-in"),
    "user.2fa_codes": N_("made new recovery codes"),
    "user.2fa_failed": N_("failed the second sign-in step"),
    "token.add": N_("made an API token"),
    "token.revoke": N_("revoked an API token"),
    "sso.configure": N_("set up single sign-on"),
    "sso.allow": N_("allowed single sign-on"),
    "sso.disallow": N_("disallowed single sign-on"),
}
PER_PAGE = 100


def record(session: Session, actor: str, action: str, obj: Any, **details: Any) -> AuditEvent:
    """Add an audit event for `obj` (a model instance, or None for the whole gallery) to
    the session's transaction."""
    event = AuditEvent(
        actor=actor,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "slug", None) or getattr(obj, "id", "")),
        details=details,
    )
    session.add(event)
    return event


def commit(session: Session, actor: str, action: str, obj: Any, **details: Any) -> None:
    """Record what was done to `obj` and commit it together with the change."""
    record(session, actor, action, obj, **details)
    session.commit()


@dataclass(frozen=True)
class Filters:
    """Which events a reader asks for: by whom, which action (or its kind, `photo`), and
    from / to which day (inclusive, UTC)."""

    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def page_of_events(session: Session, filters: Filters, page: int = 1) -> EventPage:
    """One page of the log, newest first, as filtered."""
    where = []
    if filters.actor:
        where.append(AuditEvent.actor == filters.actor)
    if "." in filters.action:  # one action
        where.append(AuditEvent.action == filters.action)
    elif filters.action:  # every action on one kind of thing: "photo"
        where.append(AuditEvent.action.startswith(filters.action + "."))
    if filters.since:
        where.append(AuditEvent.at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        where.append(
            AuditEvent.at < datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        )
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    query = (
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    return EventPage(list(session.scalars(query)), page, pages, total)


def actors(session: Session) -> list[str]:
    """Everyone the log names, for the reader's filter."""
    return list(session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)))


def action_names(session: Session) -> list[str]:
    """Every action the log holds."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
