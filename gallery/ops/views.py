"""The audit log as an admin reads it (`/staff/audit`): a page of events, filtered by who,
what and when, each action in words and its details as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, render_template, request

from gallery.accounts.auth import require_role
from gallery.core import audit
from gallery.core.db import get_session
from gallery.core.messages import Message
from gallery.core.models import AuditEvent
from gallery.web.i18n import translate

bp = Blueprint("ops", __name__)

# Detail keys the log shows in words; anything else is shown as `key: value`.
HIDDEN_DETAILS = {"count", "ids"}


@dataclass(frozen=True)
class Row:
    """One event as the log shows it."""

    event: AuditEvent
    what: str  # the action in words, in the reader's language
    details: str  # its details as text: "caption: Skolēni pie ieejas; photos 3, 4, 7"


@dataclass(frozen=True)
class AuditPage:
    rows: list[Row]
    page: int
    pages: int
    total: int
    filters: audit.Filters
    actors: list[str]
    actions: list[tuple[str, str]]  # (action, in words)
    query: dict[str, str]  # the filters as query arguments, for the pager's links


@bp.get("/staff/audit")
@require_role("admin")
def audit_log() -> str:
    return render_template("staff/audit.html", log=audit_page())


def audit_page() -> AuditPage:
    """The page of the log the request's arguments ask for."""
    args = request.args
    filters = audit.Filters(
        actor=args.get("who", "").strip(),
        action=args.get("action", "").strip(),
        since=_day(args.get("since")),
        until=_day(args.get("until")),
    )
    session = get_session()
    found = audit.page_of_events(session, filters, args.get("page", 1, type=int) or 1)
    query = {name: args[name] for name in ("who", "action", "since", "until") if args.get(name)}
    return AuditPage(
        rows=[
            Row(event, action_words(event), details_text(event.details)) for event in found.events
        ],
        page=found.page,
        pages=found.pages,
        total=found.total,
        filters=filters,
        actors=audit.actors(session),
        actions=[(name, action_words(name)) for name in audit.action_names(session)],
        query=query,
    )


def action_words(event: AuditEvent | str) -> str:
    """`photos.update` with a count of 20 -> "edited 20 photos at once" (in the reader's
    language); an action the log has no words for is shown as it is recorded."""
    name = event if isinstance(event, str) else event.action
    text = audit.ACTIONS.get(name)
    if text is None:
        return name
    count = None if isinstance(event, str) else (event.details or {}).get("count")
    if isinstance(text, tuple) and not isinstance(count, int):
        text = text[1].replace("%(num)d ", "")  # the kind of action, in a filter's list
        return translate(Message(text))
    return translate(Message(text, count=count if isinstance(count, int) else None))


def details_text(details: dict[str, Any] | None) -> str:
    """The event's details as words: `key: value` pairs, lists joined, ids last."""
    details = details or {}
    parts = [
        f"{key}: {_value(value)}" for key, value in details.items() if key not in HIDDEN_DETAILS
    ]
    if details.get("ids"):
        parts.append("#" + ", #".join(str(i) for i in details["ids"]))
    return "; ".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if value is None or value == "":
        return "—"
    return str(value)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None
