"""The audit log: every change recorded with who, what and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.models import AuditEvent


def record(session: Session, actor: str, action: str, obj: Any, **details: Any) -> AuditEvent:
    """Add an audit event for `obj` (a model instance) to the session's transaction."""
    event = AuditEvent(
        actor=actor,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(getattr(obj, "slug", None) or getattr(obj, "id", "")),
        details=details,
    )
    session.add(event)
    return event


def recent(session: Session, limit: int = 200, offset: int = 0) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))
