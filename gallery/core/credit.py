"""A photo's credit as a line: "Foto: J. Bērziņš", unless the credit already says so.

Staff often type the credit with its prefix ("Foto: J. Bērziņš", "Photo: A. Ozola",
"© Skola"); adding ours again gave "Foto: Foto: J. Bērziņš". One rule for every place a
credit is shown (photo and article pages, the export, the press kit); static/lightbox.js
follows the same pattern.
"""

from __future__ import annotations

import re

# A credit that names itself: a word for photo or photographer before a colon, or ©.
SAYS_ITSELF = re.compile(
    r"^\s*(?:(?:foto|photo|photos|fotogrāfs|fotogrāfe|fotogrāfija|photographer|attēls|bilde)\s*:|©)",
    re.IGNORECASE,
)


def credit_line(credit: str, prefix: str) -> str:
    """`prefix credit` ("Foto: J. Bērziņš"), or the credit alone when it carries its own."""
    credit = credit.strip()
    if not credit or SAYS_ITSELF.match(credit):
        return credit
    return f"{prefix} {credit}"
