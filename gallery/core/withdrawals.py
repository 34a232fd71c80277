"""Which commits may take something away from visitors: they count themselves as they commit.

Kept visitor pages (gallery/pagecache.py) may outlive a change by a moment when it only adds
(a new photo shows a second later), never when it may take something away: an album made
private, consent withdrawn, a photo trashed, a caption rewritten. Every flush of every
session is looked at here, and one that deletes a row, or changes a row in any column but
the harmless ones, of a table visitors may see moves `visitor_withdrawals.count` in the same
transaction; every server process reads the count with the commit and drops its pages.

Rows added only add, so an upload does not count. Bulk UPDATE and DELETE statements count
whenever their table is one visitors may see, raw SQL through a session whenever it is not
a read. A table not named below counts as seen by visitors: a new table is safe before
anyone thinks of it.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import (
    Executable,
    Insert,
    TableClause,
    TextClause,
    UpdateBase,
    event,
    inspect,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session

from gallery.core.models import VisitorWithdrawals

# Nothing of these is ever in a visitor's page (accounts, sign-in limits, the audit trail).
UNSEEN_TABLES = frozenset(
    {
        "users",
        "api_tokens",
        "login_attempts",
        "user_sessions",
        "password_resets",
        "recovery_codes",
        "sso_provider",
        "sso_domains",
        "audit_events",
        "visitor_withdrawals",
        "stacks",  # culling (gallery/culling/): staff's own working state
        "near_duplicates",
        "caption_shortcuts",
    }
)
# Columns whose change hides nothing: the time of any edit, the numbers of an album's
# photos (renumbered by time as uploads arrive: every photo stays as visible as it was),
# and culling's marks, measures and stacks, which no visitor sees (a keystroke of culling
# must not drop every kept visitor page).
CULLING_COLUMNS = (
    *("pick", "rating", "label", "phash", "sharpness", "exposure"),
    *("stack_id", "stack_top", "stack_fixed"),
)
HARMLESS_COLUMNS = frozenset(
    {("*", "updated_at"), ("photos", "number"), *(("photos", c) for c in CULLING_COLUMNS)}
)

_COUNT = update(VisitorWithdrawals).values(count=VisitorWithdrawals.count + 1)


def watch() -> None:
    """Count withdrawals in every session from now on (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _before_bulk_statement)


def _may_withdraw(session: Session) -> bool:
    """Whether what this session is flushing may hide something a visitor could see."""
    deleted = (obj for obj in session.deleted if _seen_by_visitors(obj))
    changed = (obj for obj in session.dirty if _seen_by_visitors(obj) and _edited(obj))
    return any(chain(deleted, changed))


def _after_flush(session: Session, _context: object) -> None:
    # After the flush the lists still hold what was flushed, with its history.
    if _may_withdraw(session):
        session.connection().execute(_COUNT)


def _before_bulk_statement(state: ORMExecuteState) -> None:
    if _statement_may_withdraw(state.statement):
        state.session.connection().execute(_COUNT)


def _statement_may_withdraw(statement: Executable) -> bool:
    if isinstance(statement, UpdateBase) and not isinstance(statement, Insert):
        table = statement.table  # a join or an alias names no table: it counts
        return not isinstance(table, TableClause) or table.name not in UNSEEN_TABLES
    if isinstance(statement, TextClause):  # raw SQL: nobody knows, so anything but a read
        return not statement.text.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH"))
    return False


def _seen_by_visitors(obj: object) -> bool:
    return inspect(obj).mapper.local_table.name not in UNSEEN_TABLES


def _edited(obj: object) -> bool:
    """A column that may hide something changed (a relationship's list is not a column:
    the child's own row carries that change)."""
    state = inspect(obj)
    table = state.mapper.local_table.name
    return any(
        state.attrs[column.key].history.has_changes()
        for column in state.mapper.column_attrs
        if not {("*", column.key), (table, column.key)} & HARMLESS_COLUMNS
    )
