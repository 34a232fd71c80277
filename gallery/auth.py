"""Who is asking: users, roles, API tokens and the permission checks every view uses.

Accounts arrive with the staff workspace (issue #3); until then every web request is a
visitor's, and staff act through the CLI.
"""

from __future__ import annotations

ROLES = ("admin", "editor", "staff")


def current_user():
    """The signed-in user of this request (session cookie or bearer token), or None."""
    return None


def is_staff() -> bool:
    """Whether this request may see what visitors may not (drafts, GPS, no_public photos)."""
    return current_user() is not None
