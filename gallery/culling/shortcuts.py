"""Caption shortcuts: short codes staff type in a caption or alt text (`=dt=`) that the
staff pages expand as they are typed (`Daugavpils tehnikums`), as newsroom tools' code
replacements do. Kept per installation in the database; staff edit them on one page.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.core.errors import InvalidInput
from gallery.core.messages import N_
from gallery.core.models import CaptionShortcut

# A code is wrapped in "=" like `=dt=` or `=dt2=`: it cannot occur in ordinary text.
CODE = re.compile(r"=[\w.-]{1,38}=")
MAX_TEXT = 500
NOT_A_CODE = N_(
    "a shortcut is 1-38 letters, digits, dots, dashes or underscores between two = signs: =dt="
)


def all_shortcuts(session: Session) -> list[CaptionShortcut]:
    return list(session.scalars(select(CaptionShortcut).order_by(CaptionShortcut.code)))


def save(session: Session, code: str, text: str) -> CaptionShortcut:
    """Add a shortcut, or change the text of the one with this code."""
    code, text = code.strip(), " ".join(text.split())
    if not CODE.fullmatch(code):
        raise InvalidInput(NOT_A_CODE)
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(N_("a shortcut's text is 1-%(max)s characters"), max=MAX_TEXT)
    found = session.scalar(select(CaptionShortcut).where(CaptionShortcut.code == code))
    if found is None:
        found = CaptionShortcut(code=code, text=text)
        session.add(found)
    found.text = text
    session.flush()
    return found


def remove_by_id(session: Session, shortcut_id: int) -> str | None:
    """Remove a shortcut; its code, or None if there was none."""
    found = session.get(CaptionShortcut, shortcut_id)
    if found is None:
        return None
    session.delete(found)
    return found.code


def expand(text: str, shortcuts: dict[str, str]) -> str:
    """Every known code in `text` replaced by its text (unknown codes stay as typed)."""
    return CODE.sub(lambda match: shortcuts.get(match.group(0), match.group(0)), text)
