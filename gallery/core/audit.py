"""The audit log: every change recorded with who, what and when, in the change's own
transaction, so a change is never saved without its record (nor a record without it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.core.models import AuditEvent


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


def recent(session: Session, limit: int = 200, offset: int = 0) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))
